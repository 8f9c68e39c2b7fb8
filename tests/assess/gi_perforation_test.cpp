// A recorded diverticulitis and the labels' GI-perforation cautions (docs/reason-codes.md
// GI_PERFORATION_RISK, RULE_UNKNOWN category gi-perforation). Found by a newcomer's record: an
// ICD-10-CM K57.32 diverticulitis was read into the KB and then consulted by no rule, so
// upadacitinib came out "preferred" and EU baricitinib's "use with caution in diverticular
// disease" never showed. Every product x region is checked against the KB itself: a rule where
// the KB holds one, "unknown" where it does not — never silence.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "../test_support.h"
#include "native_case.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/rule_matrix.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;

// Unremarkable labs of 2026-11-10.
Json gi_normal_labs() {
  return Json::array({
      {{"test", "alc"}, {"date", "2026-11-10"}, {"value", 1.8}, {"unit", "10*9/L"}},
      {{"test", "anc"}, {"date", "2026-11-10"}, {"value", 4.1}, {"unit", "10*9/L"}},
      {{"test", "hb"}, {"date", "2026-11-10"}, {"value", 14.6}, {"unit", "g/dL"}},
      {{"test", "platelets"}, {"date", "2026-11-10"}, {"value", 250}, {"unit", "10*9/L"}},
      {{"test", "creatinine"}, {"date", "2026-11-10"}, {"value", 0.9}, {"unit", "mg/dL"}},
      {{"test", "igra"}, {"date", "2026-11-10"}, {"result", "negative"}},
  });
}

Json gi_patient(const std::string& region, const Json& extra) {
  return testing::adult_ad_case(region, gi_normal_labs(), extra);
}

const Json kGiDiverticulitis = {{"name", "Diverticulitis of large intestine"},
                                {"code", {{"system", "icd10cm"}, {"code", "K57.32"}}},
                                {"onset", "2019-04-01"},
                                {"abatement", "2019-05-15"},
                                {"status", "resolved"}};

Assessment run_gi(const Json& input) { return testing::assess_native(input); }

const Reason* find_gi(const Option& o, ReasonCode code, std::string_view text_start = {}) {
  for (const auto& r : o.reasons) {
    if (r.code == code && r.text.rfind(text_start, 0) == 0) return &r;
  }
  return nullptr;
}

TEST(GiPerforation, EveryProductAndRegionEitherAppliesItsRuleOrSaysItIsUnknown) {
  const auto& kb = paraderm::testing::shipped_kb();
  int rules = 0, unknowns = 0;
  for (const char* region : {"us", "eu"}) {
    const kb::Region r = std::string(region) == "eu" ? kb::Region::kEu : kb::Region::kUs;
    Assessment a = run_gi(gi_patient(region, Json::array({kGiDiverticulitis})));
    for (const auto& d : kb.drugs) {
      const Option* o = nullptr;
      for (const auto& opt : a.options) {
        if (opt.id == d.id) o = &opt;
      }
      ASSERT_NE(o, nullptr) << d.id;
      const auto state = kb::rule_state(kb, d, r, kb::RuleCategory::kGiPerforation);
      const Reason* applied = find_gi(*o, ReasonCode::kGiPerforationRisk);
      const Reason* unknown = find_gi(*o, ReasonCode::kRuleUnknown, "gi-perforation rule of");
      SCOPED_TRACE(d.id + " " + region);
      if (state == kb::CellState::kRule) {
        ++rules;
        ASSERT_NE(applied, nullptr);
        EXPECT_NE(applied->text.find("Diverticulitis of large intestine recorded"),
                  std::string::npos)
            << applied->text;
        EXPECT_FALSE(applied->sources.empty());
        EXPECT_EQ(unknown, nullptr);
        EXPECT_GE(o->verdict, Verdict::kCaution);
      } else if (state == kb::CellState::kNotFound || state == kb::CellState::kMissing) {
        ++unknowns;
        EXPECT_EQ(applied, nullptr);
        ASSERT_NE(unknown, nullptr);
        EXPECT_FALSE(unknown->sources.empty());
        EXPECT_GE(o->verdict, Verdict::kCaution);
      } else {  // not authorised, label silent: nothing about it
        EXPECT_EQ(applied, nullptr);
        EXPECT_EQ(unknown, nullptr);
      }
    }
  }
  // The shipped KB: EU baricitinib holds the rule (S12); the others are looked for, not found.
  EXPECT_EQ(rules, 1);
  EXPECT_GE(unknowns, 15);
}

TEST(GiPerforation, NothingWithoutDiverticulitis) {
  for (const char* region : {"us", "eu"}) {
    Assessment a =
        run_gi(gi_patient(region, Json::array({{{"name", "asthma"}, {"onset", "2000-01-01"}}})));
    ASSERT_FALSE(a.options.empty());
    for (const auto& o : a.options) {
      EXPECT_EQ(find_gi(o, ReasonCode::kGiPerforationRisk), nullptr) << o.id << " " << region;
      EXPECT_EQ(find_gi(o, ReasonCode::kRuleUnknown, "gi-perforation rule of"), nullptr)
          << o.id << " " << region;
    }
  }
}

}  // namespace
}  // namespace paraderm::assess
