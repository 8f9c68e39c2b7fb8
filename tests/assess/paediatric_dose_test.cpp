// A child's dose comes only from a label row whose age and weight bands fit (docs/assessment.md
// step 3). Where the sources were searched for a band's dose and it was not found (a KB
// rule_status), NO_PAEDIATRIC_LABEL says so instead of claiming the label has no dose.
//
// Reference (labels-eu-us-update.md §2.8): EU baricitinib, paediatric AD >= 2 y: ">= 30 kg: 4 mg
// once daily. 10 kg to < 30 kg: the text breaks off before the dose" ([P], partial).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;
using paraderm::testing::shipped;

// A 5-year-old EU girl with atopic dermatitis (no reaction).
Assessment child(std::optional<double> weight_kg) {
  Json patient = {{"birth_date", "2021-05-10"}, {"sex", "female"}};
  if (weight_kg) patient["weight_kg"] = *weight_kg;
  Json c = {{"schema_version", "1"},
            {"region", "eu"},
            {"as_of", "2026-12-01"},
            {"patient", patient},
            {"conditions", {{{"name", "atopic dermatitis"}, {"onset", "2022-01-01"}}}}};
  auto parsed = clinical::parse_case(c.dump(), shipped());
  EXPECT_TRUE(parsed.record.has_value())
      << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  if (!parsed.record) return {};
  return assess(shipped(), *parsed.record);
}

const Option& baricitinib(const Assessment& a) {
  for (const auto& o : a.options) {
    if (o.id == "baricitinib") return o;
  }
  static const Option none;
  ADD_FAILURE() << "no baricitinib option";
  return none;
}

const Reason* reason_of(const Option& o, std::string_view code) {
  for (const auto& r : o.reasons) {
    if (to_string(r.code) == code) return &r;
  }
  return nullptr;
}

TEST(PaediatricDose, ABandTheSourcesLackIsSaidAsNotFound) {
  auto a = child(16);
  const auto& o = baricitinib(a);
  EXPECT_EQ(o.verdict, Verdict::kAvoid);
  EXPECT_FALSE(o.dose);
  const Reason* r = reason_of(o, "NO_PAEDIATRIC_LABEL");
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->text.find("The KB holds no eu label dose"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("at age 5, 16 kg"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("not found in the sources"), std::string::npos) << r->text;
  // The rule_status row's own source is cited beside the dose rows'.
  bool cites_status = false;
  for (const auto& rs : shipped().find_drug("baricitinib")->rule_status) {
    if (rs.text.find("10 to <30 kg") == std::string::npos) continue;
    for (const auto& s : rs.prov.src)
      cites_status |= std::find(r->sources.begin(), r->sources.end(), s) != r->sources.end();
  }
  EXPECT_TRUE(cites_status);
}

TEST(PaediatricDose, AChildInALabelBandGetsItsDose) {
  auto a = child(35);
  const auto& o = baricitinib(a);
  EXPECT_EQ(reason_of(o, "NO_PAEDIATRIC_LABEL"), nullptr);
  ASSERT_TRUE(o.dose);
  EXPECT_DOUBLE_EQ(o.dose->amount, 4);
  EXPECT_EQ(o.dose->frequency, "qd");
}

}  // namespace
}  // namespace paraderm::assess
