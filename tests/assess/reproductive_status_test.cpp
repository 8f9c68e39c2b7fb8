// Pregnancy and lactation rules when the status is not recorded (docs/reason-codes.md
// PREGNANCY_UNKNOWN / LACTATION_UNKNOWN): a rule the record cannot check caps the option at
// caution as "not assessed", and never fires once the status is recorded or for a male patient.
// Before 2026-12-04 a known pregnancy contraindication with no pregnancy status let the option
// through (a recorded "possible pregnancy" read preferred), while an unknown rule capped it.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;

// A 30-year-old with moderate AD (no reaction), normal labs and eGFR; `patient_extra` adds or
// overrides patient fields (sex, pregnant, breastfeeding).
Assessment run(const std::string& region, const Json& patient_extra) {
  Json patient = {{"birth_date", "1996-02-01"},
                  {"sex", "female"},
                  {"weight_kg", 64},
                  {"smoking", {{"status", "never"}}}};
  patient.update(patient_extra);
  Json input = {
      {"schema_version", "1"},
      {"region", region},
      {"as_of", "2026-11-20"},
      {"patient", patient},
      {"conditions", Json::array({{{"name", "atopic dermatitis"}, {"onset", "2015-01-01"}}})},
      {"labs",
       Json::array({
           {{"test", "alc"}, {"date", "2026-11-10"}, {"value", 1.8}, {"unit", "10*9/L"}},
           {{"test", "anc"}, {"date", "2026-11-10"}, {"value", 4.1}, {"unit", "10*9/L"}},
           {{"test", "hb"}, {"date", "2026-11-10"}, {"value", 13.6}, {"unit", "g/dL"}},
           {{"test", "platelets"}, {"date", "2026-11-10"}, {"value", 250}, {"unit", "10*9/L"}},
           {{"test", "egfr"}, {"date", "2026-11-10"}, {"value", 100}, {"unit", "mL/min/{1.73_m2}"}},
       })}};
  const auto& kb = paraderm::testing::shipped_kb();
  auto parsed = clinical::parse_case(input.dump(), kb);
  EXPECT_TRUE(parsed.record) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  if (!parsed.record) return {};
  return assess(kb, *parsed.record);
}

// A copy: the assessment it comes from is a temporary.
Option upadacitinib(const Assessment& a) {
  auto it = std::find_if(a.options.begin(), a.options.end(),
                         [](const Option& o) { return o.id == "upadacitinib"; });
  EXPECT_NE(it, a.options.end());
  return it == a.options.end() ? Option{} : *it;
}

const Reason* find(const Option& o, ReasonCode code) {
  auto it = std::find_if(o.reasons.begin(), o.reasons.end(),
                         [&](const Reason& r) { return r.code == code; });
  return it == o.reasons.end() ? nullptr : &*it;
}

bool cites(const Reason& r, const std::string& source) {
  return std::find(r.sources.begin(), r.sources.end(), source) != r.sources.end();
}

// kb/drugs/upadacitinib.toml: EU pregnancy "Contraindicated in pregnancy." (reproductive row and
// contraindication, S15); no EU lactation row.
TEST(ReproductiveStatus, EuPregnancyRuleUncheckedCapsAtCaution) {
  const Option o = upadacitinib(run("eu", Json::object()));
  const Reason* r = find(o, ReasonCode::kPregnancyUnknown);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->severity, Severity::kWarning);
  EXPECT_NE(r->text.find("Not assessed — record the pregnancy status"), std::string::npos)
      << r->text;
  EXPECT_NE(r->text.find("Contraindicated in pregnancy."), std::string::npos) << r->text;
  EXPECT_TRUE(cites(*r, "S15"));
  EXPECT_GE(o.verdict, Verdict::kCaution);
  EXPECT_EQ(find(o, ReasonCode::kLactationUnknown), nullptr);  // no EU lactation row
}

TEST(ReproductiveStatus, RecordedStatusOrMaleSexChecksTheRuleInstead) {
  const Option not_pregnant = upadacitinib(run("eu", {{"pregnant", false}}));
  EXPECT_EQ(find(not_pregnant, ReasonCode::kPregnancyUnknown), nullptr);
  EXPECT_EQ(find(not_pregnant, ReasonCode::kPregnancy), nullptr);

  const Option pregnant = upadacitinib(run("eu", {{"pregnant", true}}));
  EXPECT_EQ(find(pregnant, ReasonCode::kPregnancyUnknown), nullptr);
  ASSERT_NE(find(pregnant, ReasonCode::kPregnancy), nullptr);
  EXPECT_EQ(pregnant.verdict, Verdict::kContraindicated);

  const Option male = upadacitinib(run("eu", {{"sex", "male"}}));
  EXPECT_EQ(find(male, ReasonCode::kPregnancyUnknown), nullptr);
  EXPECT_EQ(find(male, ReasonCode::kLactationUnknown), nullptr);
}

// US: pregnancy "caution" (S14, verify pregnancy status before start) and lactation "avoid"
// (S35): both unchecked without the statuses; recording them clears both.
TEST(ReproductiveStatus, UsPregnancyAndLactationRulesUncheckedThenChecked) {
  const Option unknown = upadacitinib(run("us", Json::object()));
  const Reason* p = find(unknown, ReasonCode::kPregnancyUnknown);
  const Reason* l = find(unknown, ReasonCode::kLactationUnknown);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(cites(*p, "S14"));
  EXPECT_TRUE(cites(*l, "S35"));
  EXPECT_NE(l->text.find("record the breastfeeding status"), std::string::npos) << l->text;
  EXPECT_GE(unknown.verdict, Verdict::kCaution);

  const Option recorded = upadacitinib(run("us", {{"pregnant", false}, {"breastfeeding", false}}));
  EXPECT_EQ(find(recorded, ReasonCode::kPregnancyUnknown), nullptr);
  EXPECT_EQ(find(recorded, ReasonCode::kLactationUnknown), nullptr);

  const Option breastfeeding =
      upadacitinib(run("us", {{"pregnant", false}, {"breastfeeding", true}}));
  EXPECT_EQ(find(breastfeeding, ReasonCode::kLactationUnknown), nullptr);
  ASSERT_NE(find(breastfeeding, ReasonCode::kLactation), nullptr);
  EXPECT_GE(breastfeeding.verdict, Verdict::kAvoid);
}

}  // namespace
}  // namespace paraderm::assess
