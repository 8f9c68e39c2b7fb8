// Immunizations in the safety plan (src/assess/plan.cpp, kb/vaccines.toml): a recombinant zoster
// dose records the zoster-vaccine item with its dates; a live vaccine is named with its date on the
// vaccination item (the labels: avoid live vaccines during and immediately before treatment, no
// interval stated). Found by a newcomer's FHIR record whose two Shingrix doses (Immunization)
// were dropped as "resource type not read" while the plan asked for the zoster vaccine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

// The two immunization vignettes' records, assessed as the vignette runner does.
Assessment assess_vaccine_vignette(const std::string& name) {
  auto v = nlohmann::json::parse(testing::repo_file("tests/vignettes/" + name));
  clinical::ParseOptions po;
  po.as_of = clinical::parse_date(v["args"]["as_of"].get<std::string>());
  auto parsed = clinical::parse_case(v["input"].dump(), testing::shipped(), po);
  EXPECT_TRUE(parsed.record.has_value());
  if (!parsed.record) return {};
  return assess::assess(testing::shipped(), *parsed.record, {});
}

const ScreeningItem& plan_item(const Assessment& a, kb::ScreeningKind kind) {
  for (const auto& s : a.plan.screening) {
    if (s.item == kind) return s;
  }
  ADD_FAILURE() << "no screening item " << kb::to_string(kind);
  static const ScreeningItem none;
  return none;
}

TEST(VaccinePlan, RecombinantDosesAreListedWithTheirDates) {
  auto a = assess_vaccine_vignette("fhir-zoster-vaccine-recombinant-doses-us.json");
  const auto& zoster = plan_item(a, kb::ScreeningKind::kZosterVaccine);
  EXPECT_EQ(zoster.status, ScreeningStatus::kRecorded);
  EXPECT_EQ(zoster.last_date, std::optional<std::string>("2026-08-01"));
  EXPECT_NE(zoster.detail.find("Recombinant zoster vaccine (Shingrix) 2026-06-01, Recombinant "
                               "zoster vaccine (Shingrix) 2026-08-01"),
            std::string::npos)
      << zoster.detail;
  // Not a live vaccine: nothing said on the vaccination item.
  EXPECT_EQ(plan_item(a, kb::ScreeningKind::kVaccination).detail.find("ive vaccine recorded"),
            std::string::npos);
}

TEST(VaccinePlan, ALiveDoseIsNamedWithItsDateAndADoseNotGivenIsNot) {
  auto a = assess_vaccine_vignette("fhir-zoster-vaccine-not-done-or-live-us.json");
  const auto& zoster = plan_item(a, kb::ScreeningKind::kZosterVaccine);
  EXPECT_EQ(zoster.status, ScreeningStatus::kNotRecorded);
  EXPECT_EQ(zoster.detail.find("2026-06-01"), std::string::npos) << zoster.detail;  // not-done
  const auto& vaccination = plan_item(a, kb::ScreeningKind::kVaccination);
  EXPECT_EQ(vaccination.status, ScreeningStatus::kNotRecorded);
  // Start = the assessment date 2026-12-06: the dose of 2026-11-25 was 11 days before.
  EXPECT_NE(vaccination.detail.find("ive vaccine recorded: Live zoster vaccine (Zostavax) on "
                                    "2026-11-25 (11 days before start)"),
            std::string::npos)
      << vaccination.detail;
  EXPECT_NE(vaccination.detail.find("avoid live vaccines during and immediately before treatment"),
            std::string::npos);
  // The renderers show the detail in place of the item's text, so the text stays in front.
  EXPECT_EQ(vaccination.detail.rfind(vaccination.text, 0), 0u) << vaccination.detail;
  EXPECT_EQ(vaccination.detail.find(".;"), std::string::npos) << vaccination.detail;
}

}  // namespace
}  // namespace paraderm::assess
