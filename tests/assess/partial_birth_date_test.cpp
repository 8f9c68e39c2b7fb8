// A FHIR birthDate of a year ("1961") leaves two whole years. Where an age limit of the KB lies
// between them the age is unknown and every option says which two ages it may be (AGE_NEEDED);
// where none does, the age is used (case build.cpp read_age_range; the verdicts and doses are
// the vignettes fhir-birth-year-*-eu).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;
using paraderm::testing::shipped;

Assessment assess_born(const std::string& birth_date) {
  Json patient = {{"resourceType", "Patient"},
                  {"id", "p1"},
                  {"gender", "female"},
                  {"birthDate", birth_date},
                  {"address", {{{"country", "DE"}}}}};
  Json ad = {
      {"resourceType", "Condition"},
      {"id", "c1"},
      {"subject", {{"reference", "Patient/p1"}}},
      {"code", {{"coding", {{{"system", "http://snomed.info/sct"}, {"code", "24079001"}}}}}}};
  Json b = {{"resourceType", "Bundle"},
            {"type", "collection"},
            {"timestamp", "2026-11-20T10:00:00Z"},
            {"entry", {{{"resource", patient}}, {{"resource", ad}}}}};
  auto parsed = clinical::parse_case(b.dump(), shipped());
  EXPECT_TRUE(parsed.record.has_value())
      << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  if (!parsed.record) return {};
  return assess(shipped(), *parsed.record);
}

const Reason* age_needed(const Assessment& a, std::string_view drug) {
  for (const auto& o : a.options) {
    if (o.id != drug) continue;
    for (const auto& r : o.reasons) {
      if (r.code == ReasonCode::kAgeNeeded) return &r;
    }
  }
  return nullptr;
}

TEST(PartialBirthDate, AnAgeLimitBetweenTheTwoYearsIsNamedWithBothAges) {
  auto a = assess_born("1961");  // 64 or 65 on 2026-11-20; 65: the EMA PRAC age group
  const Reason* r = age_needed(a, "baricitinib");
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->text.find("record the full birth date (age 64 or 65)"), std::string::npos)
      << r->text;
  // Not a child's question: the text for a record without any birth date says that one.
  EXPECT_EQ(r->text.find("a child's dose"), std::string::npos) << r->text;
}

TEST(PartialBirthDate, NoAgeLimitBetweenTheTwoYearsNeedsNoAge) {
  auto a = assess_born("1980");  // 45 or 46: no limit of the KB between
  ASSERT_FALSE(a.options.empty());
  EXPECT_EQ(age_needed(a, "baricitinib"), nullptr);
  EXPECT_EQ(age_needed(a, "upadacitinib"), nullptr);
}

}  // namespace
}  // namespace paraderm::assess
