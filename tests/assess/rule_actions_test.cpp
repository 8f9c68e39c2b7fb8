// Every value of a renal or hepatic rule's typed action moves the verdict as docs/reason-codes.md
// says — none falls through to "no change". Before the actions were typed, a renal
// "contraindicated" row (filgotinib EU, CrCl < 15) fell into RENAL_NO_CHANGE. Each test rewrites
// one shipped rule's action in a copy of the KB and assesses the same patient with it, so the
// only difference between runs is the action.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;
using kb::RuleAction;

constexpr RuleAction kAllActions[] = {RuleAction::kNoChange,       RuleAction::kDose,
                                      RuleAction::kHalve,          RuleAction::kAvoid,
                                      RuleAction::kNotRecommended, RuleAction::kContraindicated,
                                      RuleAction::kNotStudied,     RuleAction::kMonitor};

struct Expected {
  Verdict at_least;       // the verdict the action must reach (it may be worse for other reasons)
  std::string_view code;  // the reason it must give
};

Expected expected(std::string_view kind, RuleAction a) {
  switch (a) {
    case RuleAction::kContraindicated:
      return {Verdict::kContraindicated,
              kind == "renal" ? "RENAL_CONTRAINDICATED" : "HEPATIC_CONTRAINDICATED"};
    case RuleAction::kAvoid:
    case RuleAction::kNotRecommended:
      return {Verdict::kAvoid, kind == "renal" ? "RENAL_AVOID" : "HEPATIC_AVOID"};
    case RuleAction::kNotStudied:
    case RuleAction::kMonitor:
      return {Verdict::kCaution, kind == "renal" ? "RENAL_NOT_STUDIED" : "HEPATIC_NOT_STUDIED"};
    case RuleAction::kDose:
    case RuleAction::kHalve:
      return {Verdict::kCaution, kind == "renal" ? "RENAL_DOSE" : "HEPATIC_DOSE"};
    case RuleAction::kNoChange:
      return {Verdict::kPreferred, kind == "renal" ? "RENAL_NO_CHANGE" : "HEPATIC_NO_CHANGE"};
  }
  return {Verdict::kContraindicated, "?"};
}

// A 56-year-old US man with moderate AD (no reaction), otherwise unremarkable labs.
Json patient(const Json& extra_labs, const Json& flags) {
  Json labs = Json::array({
      {{"test", "alc"}, {"date", "2026-11-10"}, {"value", 1.8}, {"unit", "10*9/L"}},
      {{"test", "anc"}, {"date", "2026-11-10"}, {"value", 4.1}, {"unit", "10*9/L"}},
      {{"test", "hb"}, {"date", "2026-11-10"}, {"value", 14.6}, {"unit", "g/dL"}},
      {{"test", "platelets"}, {"date", "2026-11-10"}, {"value", 250}, {"unit", "10*9/L"}},
      {{"test", "igra"}, {"date", "2026-11-10"}, {"result", "negative"}},
  });
  for (const auto& l : extra_labs) labs.push_back(l);
  return {{"schema_version", "1"},
          {"region", "us"},
          {"as_of", "2026-11-20"},
          {"patient",
           {{"birth_date", "1970-02-01"},
            {"sex", "male"},
            {"weight_kg", 80},
            {"smoking", {{"status", "never"}}}}},
          {"conditions", Json::array({{{"name", "atopic dermatitis"}, {"onset", "2015-01-01"}},
                                      {{"name", "cirrhosis"}, {"onset", "2020-01-01"}}})},
          {"labs", labs},
          {"flags", flags}};
}

const Option* option(const Assessment& a, std::string_view id) {
  for (const auto& o : a.options) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

bool has_code(const Option& o, std::string_view code) {
  return std::any_of(o.reasons.begin(), o.reasons.end(),
                     [&](const Reason& r) { return to_string(r.code) == code; });
}

Assessment run(const kb::KnowledgeBase& kb, const Json& input) {
  auto parsed = clinical::parse_case(input.dump(), kb);
  EXPECT_TRUE(parsed.record) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  if (!parsed.record) return {};
  return assess(kb, *parsed.record);
}

// kb/drugs/upadacitinib.toml: US hepatic Child-Pugh C is "not recommended" (label §2.x).
TEST(RuleActions, EveryHepaticActionMovesTheVerdictAsDocumented) {
  const Json input = patient(Json::array(), Json::array({"child-pugh-c"}));
  for (RuleAction a : kAllActions) {
    kb::KnowledgeBase kb = paraderm::testing::shipped_kb();
    kb::Drug* upa = nullptr;
    for (auto& d : kb.drugs) {
      if (d.id == "upadacitinib") upa = &d;
    }
    ASSERT_NE(upa, nullptr);
    int rewritten = 0;
    for (auto& r : upa->hepatic) {
      if (r.child_pugh == "C" && kb::applies_to(r.region, kb::Region::kUs)) {
        r.action = a;
        r.amount = 15;
        r.unit = "mg";
        r.frequency = "qd";
        ++rewritten;
      }
    }
    ASSERT_GT(rewritten, 0) << "upadacitinib has no US Child-Pugh C rule to rewrite";
    Assessment res = run(kb, input);
    const Option* o = option(res, "upadacitinib");
    ASSERT_NE(o, nullptr);
    Expected e = expected("hepatic", a);
    EXPECT_TRUE(has_code(*o, e.code)) << kb::to_string(a) << ": no " << e.code;
    EXPECT_GE(o->verdict, e.at_least) << kb::to_string(a) << " gave " << to_string(o->verdict);
    if (e.at_least >= Verdict::kAvoid) {
      EXPECT_FALSE(o->dose) << kb::to_string(a);
    }
  }
}

// kb/drugs/tofacitinib.toml: US renal eGFR < 30 -> 5 mg once daily.
TEST(RuleActions, EveryRenalActionMovesTheVerdictAsDocumented) {
  const Json input = patient(
      Json::array(
          {{{"test", "egfr"}, {"date", "2026-11-10"}, {"value", 25}, {"unit", "mL/min/1.73m2"}}}),
      Json::array({"child-pugh-a"}));
  for (RuleAction a : kAllActions) {
    kb::KnowledgeBase kb = paraderm::testing::shipped_kb();
    kb::Drug* tofa = nullptr;
    for (auto& d : kb.drugs) {
      if (d.id == "tofacitinib") tofa = &d;
    }
    ASSERT_NE(tofa, nullptr);
    int rewritten = 0;
    for (auto& r : tofa->renal) {
      bool band =
          (!r.egfr_min || 25 >= *r.egfr_min) && (!r.egfr_max || 25 < *r.egfr_max) && !r.dialysis;
      if (band && kb::applies_to(r.region, kb::Region::kUs)) {
        r.action = a;
        r.amount = 5;
        r.unit = "mg";
        r.frequency = "qd";
        r.indication.reset();
        ++rewritten;
      }
    }
    ASSERT_GT(rewritten, 0) << "tofacitinib has no US rule for eGFR 25 to rewrite";
    Assessment res = run(kb, input);
    const Option* o = option(res, "tofacitinib");
    ASSERT_NE(o, nullptr);
    Expected e = expected("renal", a);
    EXPECT_TRUE(has_code(*o, e.code)) << kb::to_string(a) << ": no " << e.code;
    EXPECT_GE(o->verdict, e.at_least) << kb::to_string(a) << " gave " << to_string(o->verdict);
    if (e.at_least >= Verdict::kAvoid) {
      EXPECT_FALSE(o->dose) << kb::to_string(a);
    }
  }
}

// The other way: the same patient without the renal or hepatic finding gets none of those codes.
TEST(RuleActions, NoRenalOrHepaticReasonWithoutTheFinding) {
  Assessment res =
      run(paraderm::testing::shipped_kb(), patient(Json::array({{{"test", "egfr"},
                                                                 {"date", "2026-11-10"},
                                                                 {"value", 95},
                                                                 {"unit", "mL/min/1.73m2"}}}),
                                                   Json::array()));
  for (std::string_view id : {"tofacitinib", "upadacitinib"}) {
    const Option* o = option(res, id);
    ASSERT_NE(o, nullptr);
    for (std::string_view code :
         {"RENAL_CONTRAINDICATED", "RENAL_AVOID", "RENAL_NOT_STUDIED", "RENAL_DOSE",
          "HEPATIC_CONTRAINDICATED", "HEPATIC_AVOID", "HEPATIC_NOT_STUDIED", "HEPATIC_DOSE"}) {
      EXPECT_FALSE(has_code(*o, code)) << id << " " << code;
    }
  }
}

}  // namespace
}  // namespace paraderm::assess
