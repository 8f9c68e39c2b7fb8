// LAB_CHECKED (docs/reason-codes.md): the results an option's do-not-start thresholds were checked
// against, with their dates. Found by a newcomer's record whose only CBC was four years old: the
// options came out "preferred" with nothing saying which results the check used; the labels state
// no recency for a baseline, so the age is shown, never judged.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "../test_support.h"
#include "native_case.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;

Json lab_row(const char* test, double value, const char* unit, const char* date) {
  return {{"test", test}, {"date", date}, {"value", value}, {"unit", unit}};
}

Assessment run_labs(const Json& labs) {
  return testing::assess_native(testing::adult_ad_case("eu", labs));
}

const Reason* find_lab_reason(const Assessment& a, std::string_view drug, ReasonCode code) {
  for (const auto& o : a.options) {
    if (o.id != drug) continue;
    for (const auto& r : o.reasons) {
      if (r.code == code) return &r;
    }
  }
  return nullptr;
}

// kb/drugs/baricitinib.toml do-not-start thresholds (both regions): ALC < 500 cells/uL, ANC < 1000
// cells/uL, Hb < 8 g/dL.
TEST(LabChecked, OldResultsThatPassAreShownWithTheirDatesAndAge) {
  Assessment a = run_labs(Json::array({lab_row("alc", 1.6, "10*9/L", "2022-11-20"),
                                       lab_row("anc", 4.2, "10*9/L", "2026-11-10"),
                                       lab_row("hb", 13.8, "g/dL", "2026-11-10")}));
  const Reason* r = find_lab_reason(a, "baricitinib", ReasonCode::kLabChecked);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->text.find("alc 1600 cells/uL (2022-11-20)"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("hb 13.8 g/dL (2026-11-10)"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("oldest 1461 days before the assessment date"), std::string::npos)
      << r->text;
  EXPECT_FALSE(r->sources.empty());
  EXPECT_EQ(r->severity, Severity::kInfo);
  EXPECT_EQ(find_lab_reason(a, "baricitinib", ReasonCode::kLabMissing), nullptr);
}

TEST(LabChecked, ACrossedOrMissingLabIsNotListedAsChecked) {
  Assessment a = run_labs(Json::array(
      {lab_row("alc", 0.4, "10*9/L", "2026-11-10"), lab_row("hb", 13.8, "g/dL", "2026-11-10")}));
  ASSERT_NE(find_lab_reason(a, "baricitinib", ReasonCode::kLabDoNotStart), nullptr);
  ASSERT_NE(find_lab_reason(a, "baricitinib", ReasonCode::kLabMissing), nullptr);  // no ANC
  const Reason* r = find_lab_reason(a, "baricitinib", ReasonCode::kLabChecked);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->text.find("hb 13.8 g/dL"), std::string::npos) << r->text;
  EXPECT_EQ(r->text.find("alc"), std::string::npos) << r->text;
  EXPECT_EQ(r->text.find("anc"), std::string::npos) << r->text;

  // Nothing checked, nothing said.
  Assessment none = run_labs(Json::array());
  EXPECT_EQ(find_lab_reason(none, "baricitinib", ReasonCode::kLabChecked), nullptr);
}

// The edge of a threshold, in every spelling a lab sends: kb/drugs/upadacitinib.toml states the
// ALC do-not-start threshold as "< 0.5 x 10^9/L" (EU) and "< 500 cells/uL" (US). A result equal to
// it is not below it, a result or a bound under it is, whatever the unit. Found by a newcomer's
// US record with ALC "< 0.5 x 10^9/L": it read "a bound that does not settle the threshold"
// (0.5 x 10^9/L had become 500.00000000000006 cells/uL), and in the EU 500 cells/uL counted as
// below 0.5 x 10^9/L.
TEST(LabChecked, AResultAtTheThresholdInAnyUnitIsNotBelowIt) {
  struct Spelling {
    double value;
    const char* unit;
  };
  const Spelling at[] = {{0.5, "10*9/L"}, {500, "cells/uL"}, {0.5, "10*3/uL"}, {500, "/mm3"}};
  const Spelling under[] = {{0.499, "10*9/L"}, {499, "cells/uL"}, {0.499, "10*3/uL"}};
  for (const char* region : {"eu", "us"}) {
    auto labs_with = [](Json alc) {
      return Json::array({std::move(alc), lab_row("anc", 4.2, "10*9/L", "2026-11-10"),
                          lab_row("hb", 13.8, "g/dL", "2026-11-10")});
    };
    for (const auto& s : at) {
      SCOPED_TRACE(fmt::format("{} alc {} {}", region, s.value, s.unit));
      Assessment a = testing::assess_native(
          testing::adult_ad_case(region, labs_with(lab_row("alc", s.value, s.unit, "2026-11-10"))));
      EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
      EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabMissing), nullptr);
      const Reason* checked = find_lab_reason(a, "upadacitinib", ReasonCode::kLabChecked);
      ASSERT_NE(checked, nullptr);
      EXPECT_NE(checked->text.find("alc 500 cells/uL"), std::string::npos) << checked->text;
      // "< 0.5 x 10^9/L" as a bound: the true value is under the threshold.
      Json bound = lab_row("alc", s.value, s.unit, "2026-11-10");
      bound["comparator"] = "<";
      a = testing::assess_native(testing::adult_ad_case(region, labs_with(bound)));
      EXPECT_NE(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
      // "<= 0.5" may equal it: not settled, so missing, never passed.
      bound["comparator"] = "<=";
      a = testing::assess_native(testing::adult_ad_case(region, labs_with(bound)));
      EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
      EXPECT_NE(find_lab_reason(a, "upadacitinib", ReasonCode::kLabMissing), nullptr);
    }
    for (const auto& s : under) {
      SCOPED_TRACE(fmt::format("{} alc {} {}", region, s.value, s.unit));
      Assessment a = testing::assess_native(
          testing::adult_ad_case(region, labs_with(lab_row("alc", s.value, s.unit, "2026-11-10"))));
      const Reason* r = find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart);
      ASSERT_NE(r, nullptr);
      EXPECT_NE(r->text.find("alc 499 cells/uL"), std::string::npos) << r->text;
    }
  }
}

// A differential sent only as percentages: the absolute count from the leukocyte count of the
// same sample (kb/labs.toml alc/anc from_percentage; absolute = WBC x % / 100). Before, the ALC
// and ANC thresholds read "not assessed" although both numbers were in the record. Both ways:
// under the threshold it fires, above it passes, a measured count as recent wins, a leukocyte
// count of another day or two that disagree compute nothing.
TEST(LabChecked, AnAbsoluteCountIsComputedFromAPercentageOfTheSameSample) {
  auto row = [](const char* test, double value, const char* unit, const char* date) {
    return lab_row(test, value, unit, date);
  };
  auto hb = row("hb", 13.8, "g/dL", "2026-11-10");
  // 4.0 x 10^9/L x 10 % = 400 cells/uL: below upadacitinib's EU ALC threshold (< 0.5 x 10^9/L).
  Assessment a = run_labs(Json::array({row("wbc", 4.0, "10*9/L", "2026-11-10"),
                                       row("lymphocytes-pct", 10, "%", "2026-11-10"),
                                       row("neutrophils-pct", 60, "%", "2026-11-10"), hb}));
  const Reason* fired = find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart);
  ASSERT_NE(fired, nullptr);
  // The reason says where the number came from.
  EXPECT_NE(
      fired->text.find("alc 400 cells/uL (computed: wbc 4000 cells/uL x lymphocytes-pct 10 %)"),
      std::string::npos)
      << fired->text;
  const Reason* checked = find_lab_reason(a, "upadacitinib", ReasonCode::kLabChecked);
  ASSERT_NE(checked, nullptr);
  EXPECT_NE(checked->text.find("anc 2400 cells/uL"), std::string::npos) << checked->text;
  EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabMissing), nullptr);
  // 30 %: 1200 cells/uL, above it.
  a = run_labs(Json::array({row("wbc", 4.0, "10*9/L", "2026-11-10"),
                            row("lymphocytes-pct", 30, "%", "2026-11-10"),
                            row("neutrophils-pct", 60, "%", "2026-11-10"), hb}));
  EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
  checked = find_lab_reason(a, "upadacitinib", ReasonCode::kLabChecked);
  ASSERT_NE(checked, nullptr);
  EXPECT_NE(checked->text.find("alc 1200 cells/uL"), std::string::npos) << checked->text;
  // A measured ALC of the same day wins over the computed one.
  a = run_labs(Json::array(
      {row("wbc", 4.0, "10*9/L", "2026-11-10"), row("lymphocytes-pct", 10, "%", "2026-11-10"),
       row("alc", 1.5, "10*9/L", "2026-11-10"), row("anc", 2.4, "10*9/L", "2026-11-10"), hb}));
  EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
  checked = find_lab_reason(a, "upadacitinib", ReasonCode::kLabChecked);
  ASSERT_NE(checked, nullptr);
  EXPECT_NE(checked->text.find("alc 1500 cells/uL"), std::string::npos) << checked->text;
  // A leukocyte count of another day is another sample: nothing computed, the ALC is missing.
  a = run_labs(Json::array({row("wbc", 4.0, "10*9/L", "2026-11-03"),
                            row("lymphocytes-pct", 10, "%", "2026-11-10"),
                            row("anc", 2.4, "10*9/L", "2026-11-10"), hb}));
  EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
  EXPECT_NE(find_lab_reason(a, "upadacitinib", ReasonCode::kLabMissing), nullptr);
  // Two leukocyte counts of that day that disagree (no time orders them): nothing computed.
  a = run_labs(
      Json::array({row("wbc", 4.0, "10*9/L", "2026-11-10"), row("wbc", 9.0, "10*9/L", "2026-11-10"),
                   row("lymphocytes-pct", 10, "%", "2026-11-10"),
                   row("anc", 2.4, "10*9/L", "2026-11-10"), hb}));
  EXPECT_EQ(find_lab_reason(a, "upadacitinib", ReasonCode::kLabDoNotStart), nullptr);
  EXPECT_NE(find_lab_reason(a, "upadacitinib", ReasonCode::kLabMissing), nullptr);
}

}  // namespace
}  // namespace paraderm::assess
