// Follow-up results against the PLANNED drug (AssessOptions::planned_drug, src/assess/plan.cpp):
// a patient not yet on the drug the plan was written for gets "would not start" when the latest
// result crosses that drug's do-not-start threshold, with the KB's sources — never only the
// thresholds of drugs being taken.
//
// Reference (safety-and-labels.md, baricitinib, [C] S11, S12): "Do not initiate / interrupt (RA,
// AA, AD) | ALC <500/mm³ (0.5 × 10⁹/L); ANC <1000/mm³; Hb <8 g/dL".
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;

using paraderm::testing::shipped;

// The EU dupilumab -> psoriasiform example with one more ALC result on `date`.
clinical::Case with_alc(double alc_10e9_per_l, const std::string& date = "2026-11-18",
                        const Json& extra_medication = nullptr) {
  Json c = Json::parse(paraderm::testing::repo_file("examples/dupilumab-psoriasis.json"));
  c["labs"].push_back(
      {{"test", "alc"}, {"date", date}, {"value", alc_10e9_per_l}, {"unit", "10*9/L"}});
  if (!extra_medication.is_null()) c["medications"].push_back(extra_medication);
  auto parsed = clinical::parse_case(c.dump(), shipped());
  EXPECT_TRUE(parsed.record.has_value())
      << (parsed.problems.empty() ? "" : parsed.problems[0].message);
  return *parsed.record;
}

std::vector<Alert> alerts(const Assessment& a, const std::string& code) {
  std::vector<Alert> out;
  for (const auto& al : a.plan.alerts) {
    if (to_string(al.code) == code) out.push_back(al);
  }
  return out;
}

// The KB row the alert must cite: baricitinib's ALC do-not-start threshold for this use.
std::vector<std::string> baricitinib_alc_start_sources() {
  for (const auto& t : shipped().find_drug("baricitinib")->lab_threshold) {
    if (t.analyte == "alc" && t.action == kb::LabAction::kDoNotStart && !t.context)
      return t.prov.src;
  }
  ADD_FAILURE() << "no ALC do-not-start threshold for baricitinib in the KB";
  return {};
}

AssessOptions planned(const std::string& drug) {
  AssessOptions o;
  o.planned_drug = drug;
  return o;
}

TEST(PlannedDrug, AlcBelowItsStartThresholdSaysWouldNotStartWithTheKbSource) {
  auto a = assess(shipped(), with_alc(0.4), planned("baricitinib"));
  EXPECT_EQ(a.plan.for_drug, "baricitinib") << "the plan stays written for the planned drug";
  auto fired = alerts(a, "LAB_DO_NOT_START");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].drug, "baricitinib");
  EXPECT_EQ(fired[0].lab, "alc");
  EXPECT_EQ(fired[0].unit, "cells/uL");  // the KB lab's unit: 0.4 x 10^9/L = 400 cells/uL
  EXPECT_DOUBLE_EQ(fired[0].value, 400);
  EXPECT_EQ(fired[0].sources, baricitinib_alc_start_sources());
  // 500 cells/uL is 0.5 x 10^9/L: the comparison is said in the unit the result was entered in.
  EXPECT_NE(fired[0].text.find("would not start"), std::string::npos) << fired[0].text;
  EXPECT_NE(fired[0].text.find("0.4 10*9/L on 2026-11-18 < 0.5 10*9/L"), std::string::npos)
      << fired[0].text;
  EXPECT_TRUE(alerts(a, "LAB_INTERRUPT").empty()) << "not on baricitinib: nothing to interrupt";
}

TEST(PlannedDrug, AlcAtOrAboveTheThresholdDoesNotFire) {
  // "<500": exactly 0.5 x 10^9/L is not below it.
  for (double alc : {0.5, 0.6, 1.6}) {
    auto a = assess(shipped(), with_alc(alc), planned("baricitinib"));
    EXPECT_EQ(a.plan.for_drug, "baricitinib");
    EXPECT_TRUE(alerts(a, "LAB_DO_NOT_START").empty()) << "ALC " << alc;
  }
}

// A result given as a bound ("< 0.3 x 10^9/L", FHIR comparator, native "comparator") alerts only
// when the bound settles the threshold, and says it is a bound.
clinical::Case with_alc_bound(double alc_10e9_per_l, const std::string& comparator) {
  Json c = Json::parse(paraderm::testing::repo_file("examples/dupilumab-psoriasis.json"));
  c["labs"].push_back({{"test", "alc"},
                       {"date", "2026-11-18"},
                       {"value", alc_10e9_per_l},
                       {"comparator", comparator},
                       {"unit", "10*9/L"}});
  auto parsed = clinical::parse_case(c.dump(), shipped());
  EXPECT_TRUE(parsed.record.has_value())
      << (parsed.problems.empty() ? "" : parsed.problems[0].message);
  return *parsed.record;
}

TEST(PlannedDrug, ABoundAlertsOnlyWhenItSettlesTheThreshold) {
  auto a = assess(shipped(), with_alc_bound(0.3, "<"), planned("baricitinib"));
  auto fired = alerts(a, "LAB_DO_NOT_START");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].comparator, "<");
  EXPECT_DOUBLE_EQ(fired[0].value, 300);  // the bound, in cells/uL
  EXPECT_NE(fired[0].text.find("alc < 0.3 10*9/L on 2026-11-18 < 0.5 10*9/L"), std::string::npos)
      << fired[0].text;
  // "< 0.8": the true value may be above 0.5 — no alert (and no value read as 0.8).
  a = assess(shipped(), with_alc_bound(0.8, "<"), planned("baricitinib"));
  EXPECT_TRUE(alerts(a, "LAB_DO_NOT_START").empty());
  // "> 0.3": may be below 0.5 or not — no alert either way.
  a = assess(shipped(), with_alc_bound(0.3, ">"), planned("baricitinib"));
  EXPECT_TRUE(alerts(a, "LAB_DO_NOT_START").empty());
}

TEST(PlannedDrug, OnlyTheLatestResultCounts) {
  // A low ALC followed by a recovered one: the drug could be started now.
  Json c = Json::parse(paraderm::testing::repo_file("examples/dupilumab-psoriasis.json"));
  c["labs"].push_back(
      {{"test", "alc"}, {"date", "2026-11-12"}, {"value", 0.4}, {"unit", "10*9/L"}});
  c["labs"].push_back(
      {{"test", "alc"}, {"date", "2026-11-18"}, {"value", 0.9}, {"unit", "10*9/L"}});
  auto parsed = clinical::parse_case(c.dump(), shipped());
  ASSERT_TRUE(parsed.record);
  EXPECT_TRUE(alerts(assess(shipped(), *parsed.record, planned("baricitinib")), "LAB_DO_NOT_START")
                  .empty());
}

TEST(PlannedDrug, ADrugAlreadyTakenGetsItsTreatmentThresholdsNotTheStartOnes) {
  // On baricitinib since 2026-10-01: ALC < 500 -> interrupt (same reference row), no "would not
  // start".
  auto a = assess(shipped(),
                  with_alc(0.4, "2026-11-18", {{"name", "baricitinib"}, {"start", "2026-10-01"}}),
                  planned("baricitinib"));
  EXPECT_TRUE(alerts(a, "LAB_DO_NOT_START").empty());
  auto interrupt = alerts(a, "LAB_INTERRUPT");
  ASSERT_FALSE(interrupt.empty());
  EXPECT_EQ(interrupt[0].drug, "baricitinib");
}

TEST(PlannedDrug, WithoutAPlannedDrugThePlanFollowsTheRanking) {
  // The low ALC makes every drug with an ALC start threshold "avoid" (LAB_DO_NOT_START reason in
  // the options); the plan moves to the best drug still usable and says nothing about the others.
  auto a = assess(shipped(), with_alc(0.4));
  ASSERT_TRUE(a.plan.for_drug.has_value());
  EXPECT_NE(*a.plan.for_drug, "baricitinib");
  for (const auto& al : a.plan.alerts) EXPECT_NE(al.drug, "baricitinib");
  // The same case with a normal ALC plans baricitinib (the example's top option).
  EXPECT_EQ(assess(shipped(), with_alc(1.6)).plan.for_drug, "baricitinib");
}

// Two ALC results of one day that disagree, with no time to order them (native records carry dates
// only): the low one counts for "would not start" whichever the record lists last; the same value
// twice is no conflict and a normal pair alerts nothing (docs/case-format.md, "Results of the same
// day").
TEST(PlannedDrug, ADisputedDayAlertsWhenAnyOfItsResultsCrosses) {
  for (bool low_first : {true, false}) {
    Json c = Json::parse(paraderm::testing::repo_file("examples/dupilumab-psoriasis.json"));
    Json low = {{"test", "alc"}, {"date", "2026-11-18"}, {"value", 0.4}, {"unit", "10*9/L"}};
    Json ok = {{"test", "alc"}, {"date", "2026-11-18"}, {"value", 1.6}, {"unit", "10*9/L"}};
    c["labs"].push_back(low_first ? low : ok);
    c["labs"].push_back(low_first ? ok : low);
    auto parsed = clinical::parse_case(c.dump(), shipped());
    ASSERT_TRUE(parsed.record.has_value());
    auto a = assess(shipped(), *parsed.record, planned("baricitinib"));
    auto fired = alerts(a, "LAB_DO_NOT_START");
    ASSERT_EQ(fired.size(), 1u) << "low first: " << low_first;
    EXPECT_DOUBLE_EQ(fired[0].value, 400);
  }
  Json c = Json::parse(paraderm::testing::repo_file("examples/dupilumab-psoriasis.json"));
  for (double v : {1.6, 1.2}) {
    c["labs"].push_back(
        {{"test", "alc"}, {"date", "2026-11-18"}, {"value", v}, {"unit", "10*9/L"}});
  }
  auto parsed = clinical::parse_case(c.dump(), shipped());
  ASSERT_TRUE(parsed.record.has_value());
  EXPECT_TRUE(alerts(assess(shipped(), *parsed.record, planned("baricitinib")), "LAB_DO_NOT_START")
                  .empty());
}

}  // namespace
}  // namespace paraderm::assess
