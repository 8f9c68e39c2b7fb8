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

// Fail safe inside a renal or hepatic category the KB holds: a band or class the region's rules
// do not cover for this dose is "not assessed" (RENAL_UNKNOWN / HEPATIC_UNKNOWN, caution), never a
// silent pass. Found by hand: a US man with RA and eGFR 28 had upadacitinib "preferred" at 15 mg
// with no renal statement, because the only US 15-<30 row (kb/drugs/upadacitinib.toml, S13/S14)
// is for atopic dermatitis.
Json gap_patient(const std::string& region, const std::string& disease, const Json& labs,
                 const Json& flags) {
  Json p = patient(labs, flags);
  p["region"] = region;
  p["conditions"] = Json::array({{{"name", disease}, {"onset", "2015-01-01"}}});
  if (flags.dump().find("child-pugh") != std::string::npos)
    p["conditions"].push_back({{"name", "cirrhosis"}, {"onset", "2020-01-01"}});
  return p;
}

Json egfr(double value) {
  return Json::array(
      {{{"test", "egfr"}, {"date", "2026-11-10"}, {"value", value}, {"unit", "mL/min/1.73m2"}}});
}

const Reason* find_reason(const Option& o, std::string_view code) {
  for (const auto& r : o.reasons) {
    if (to_string(r.code) == code) return &r;
  }
  return nullptr;
}

TEST(RenalGap, ABandStatedOnlyForAnotherIndicationIsNotAssessed) {
  Assessment a = run(paraderm::testing::shipped_kb(),
                     gap_patient("us", "rheumatoid arthritis", egfr(28), Json::array()));
  const Option* upa = option(a, "upadacitinib");
  ASSERT_NE(upa, nullptr);
  const Reason* r = find_reason(*upa, "RENAL_UNKNOWN");
  ASSERT_NE(r, nullptr) << "eGFR 28, RA: no renal rule covers it, and nothing was said";
  EXPECT_GE(upa->verdict, Verdict::kCaution);
  EXPECT_NE(r->text.find("for rheumatoid-arthritis"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("eGFR 15–<30 in atopic-dermatitis: dose"), std::string::npos) << r->text;
  EXPECT_FALSE(r->sources.empty());
  EXPECT_FALSE(find_reason(*upa, "RENAL_NO_CHANGE"));
}

TEST(RenalGap, ACoveredBandOrAnEgfrAboveEveryStatedBandIsNotAGap) {
  // The AD row covers eGFR 28 for an AD dose: its dose reason, no gap.
  Assessment ad = run(paraderm::testing::shipped_kb(),
                      gap_patient("us", "atopic dermatitis", egfr(28), Json::array()));
  const Option* upa = option(ad, "upadacitinib");
  ASSERT_NE(upa, nullptr);
  EXPECT_TRUE(find_reason(*upa, "RENAL_DOSE"));
  EXPECT_FALSE(find_reason(*upa, "RENAL_UNKNOWN"));
  // eGFR 35 is above every US upadacitinib band (the highest limit is 30): nothing to cover.
  Assessment ra = run(paraderm::testing::shipped_kb(),
                      gap_patient("us", "rheumatoid arthritis", egfr(35), Json::array()));
  upa = option(ra, "upadacitinib");
  ASSERT_NE(upa, nullptr);
  EXPECT_FALSE(find_reason(*upa, "RENAL_UNKNOWN"));
  // Baricitinib EU states CrCl bands below 60 only (kb/drugs/baricitinib.toml): CrCl 93 (56-year-
  // old man, 80 kg, creatinine 1.0 mg/dL: (140-56) x 80 / 72) is no gap.
  Json labs = egfr(75);
  labs.push_back(
      {{"test", "creatinine"}, {"date", "2026-11-10"}, {"value", 1.0}, {"unit", "mg/dL"}});
  Assessment eu = run(paraderm::testing::shipped_kb(),
                      gap_patient("eu", "rheumatoid arthritis", labs, Json::array()));
  const Option* bari = option(eu, "baricitinib");
  ASSERT_NE(bari, nullptr);
  EXPECT_FALSE(find_reason(*bari, "RENAL_UNKNOWN"));
}

TEST(RenalGap, DialysisWithoutADialysisRowIsNotAssessedAndWithOneIsApplied) {
  // Ritlecitinib states eGFR bands but no dialysis row (kb/drugs/ritlecitinib.toml); abrocitinib
  // US has one: not recommended (S3).
  Assessment a = run(paraderm::testing::shipped_kb(),
                     gap_patient("us", "atopic dermatitis", egfr(10), Json::array({"dialysis"})));
  const Option* ritle = option(a, "ritlecitinib");
  ASSERT_NE(ritle, nullptr);
  const Reason* r = find_reason(*ritle, "RENAL_UNKNOWN");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->text.rfind("Dialysis: ", 0), 0u) << r->text;
  EXPECT_GE(ritle->verdict, Verdict::kCaution);
  const Option* abro = option(a, "abrocitinib");
  ASSERT_NE(abro, nullptr);
  EXPECT_TRUE(find_reason(*abro, "RENAL_AVOID"));
  EXPECT_FALSE(find_reason(*abro, "RENAL_UNKNOWN"));
}

// Tofacitinib EU holds only "Child-Pugh C: contraindicated" (labels-eu-us-update.md, review table
// PMC6535722): class B is not assessed rather than passed at the full dose.
TEST(HepaticGap, AClassTheRegionsRulesDoNotStateIsNotAssessed) {
  Assessment b =
      run(paraderm::testing::shipped_kb(),
          gap_patient("eu", "rheumatoid arthritis", Json::array(), Json::array({"child-pugh-b"})));
  const Option* tofa = option(b, "tofacitinib");
  ASSERT_NE(tofa, nullptr);
  const Reason* r = find_reason(*tofa, "HEPATIC_UNKNOWN");
  ASSERT_NE(r, nullptr) << "Child-Pugh B, EU tofacitinib: nothing was said";
  EXPECT_NE(r->text.find("C: contraindicated"), std::string::npos) << r->text;
  EXPECT_GE(tofa->verdict, Verdict::kCaution);
  // Upadacitinib states class B ("no change", both regions): no gap.
  const Option* upa = option(b, "upadacitinib");
  ASSERT_NE(upa, nullptr);
  EXPECT_TRUE(find_reason(*upa, "HEPATIC_NO_CHANGE"));
  EXPECT_FALSE(find_reason(*upa, "HEPATIC_UNKNOWN"));
  // Class C is stated for tofacitinib EU: applied, no gap.
  Assessment c =
      run(paraderm::testing::shipped_kb(),
          gap_patient("eu", "rheumatoid arthritis", Json::array(), Json::array({"child-pugh-c"})));
  tofa = option(c, "tofacitinib");
  ASSERT_NE(tofa, nullptr);
  EXPECT_TRUE(find_reason(*tofa, "HEPATIC_CONTRAINDICATED"));
  EXPECT_FALSE(find_reason(*tofa, "HEPATIC_UNKNOWN"));
}

// Renal bands a label states as creatinine clearance (drug.renal basis = "crcl") are compared with
// Cockcroft-Gault CrCl (kb/formulas.toml), never with eGFR. An 85-year-old 45 kg woman with
// creatinine 1.2 mg/dL: CrCl (140-85) x 45 / (72 x 1.2) x 0.85 = 24.3 mL/min, so EU baricitinib
// (CrCl < 30: not recommended) is avoid; her CKD-EPI eGFR (44) would have given 2 mg.
TEST(RenalBasis, CreatinineClearanceBandsReadCockcroftGault) {
  auto patient_of = [](double weight) {
    Json p = gap_patient("eu", "rheumatoid arthritis", Json::array(), Json::array());
    p["patient"]["birth_date"] = "1941-05-01";
    p["patient"]["sex"] = "female";
    p["patient"]["weight_kg"] = weight;
    p["labs"].push_back(
        {{"test", "creatinine"}, {"date", "2026-11-10"}, {"value", 1.2}, {"unit", "mg/dL"}});
    return p;
  };
  Assessment light = run(paraderm::testing::shipped_kb(), patient_of(45));
  const Option* bari = option(light, "baricitinib");
  ASSERT_NE(bari, nullptr);
  const Reason* r = find_reason(*bari, "RENAL_AVOID");
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->text.find("CrCl 24 mL/min (Cockcroft"), std::string::npos) << r->text;
  EXPECT_GE(bari->verdict, Verdict::kAvoid);
  // The same woman at 90 kg: CrCl 48.6, the 30-60 band: 2 mg once daily.
  Assessment heavy = run(paraderm::testing::shipped_kb(), patient_of(90));
  bari = option(heavy, "baricitinib");
  ASSERT_NE(bari, nullptr);
  EXPECT_FALSE(find_reason(*bari, "RENAL_AVOID"));
  ASSERT_TRUE(bari->dose);
  EXPECT_EQ(bari->dose->amount, 2);
  // Cockcroft-Gault is an adult equation: for a 12-year-old the CrCl bands are not assessed.
  Json child = patient_of(38);
  child["patient"]["birth_date"] = "2014-06-01";
  Assessment kid = run(paraderm::testing::shipped_kb(), child);
  const Option* kid_bari = option(kid, "baricitinib");
  ASSERT_NE(kid_bari, nullptr);
  const Reason* k = find_reason(*kid_bari, "RENAL_UNKNOWN");
  ASSERT_NE(k, nullptr);
  EXPECT_NE(k->text.find("adult equation"), std::string::npos) << k->text;
  // eGFR-basis rules still read eGFR: abrocitinib EU eGFR 30-<60 halves the dose.
  const Option* abro = option(light, "abrocitinib");
  ASSERT_NE(abro, nullptr);
  const Reason* a = find_reason(*abro, "RENAL_DOSE");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->text.rfind("eGFR 4", 0), 0u) << a->text;
}

// An eGFR alone is another scale: the CrCl bands are not assessed (caution), never compared.
TEST(RenalBasis, AnEgfrAloneDoesNotAnswerACreatinineClearanceBand) {
  Assessment a = run(paraderm::testing::shipped_kb(),
                     gap_patient("eu", "rheumatoid arthritis", egfr(25), Json::array()));
  const Option* bari = option(a, "baricitinib");
  ASSERT_NE(bari, nullptr);
  EXPECT_FALSE(find_reason(*bari, "RENAL_AVOID"));
  const Reason* r = find_reason(*bari, "RENAL_UNKNOWN");
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->text.find("creatinine clearance"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("eGFR 25 is another scale"), std::string::npos) << r->text;
  EXPECT_GE(bari->verdict, Verdict::kCaution);
}

}  // namespace
}  // namespace paraderm::assess
