// Paradoxical reactions inferred from standard records (no explicit eruption): which condition
// becomes a reaction, its phenotype, new or worsened, the causality items a record can answer,
// latency in the published unit, the mechanism entry chosen and the diseases options are for.
// Every expectation cites the KB row it follows from (kb/paradoxical.toml, kb/phenotypes.toml,
// kb/pr-mechanisms.toml); each rule is tested where it applies and where it does not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/report.h"

namespace paraderm::assess {
namespace {

using report::to_html;
using report::to_json;
using report::to_text;

using Json = nlohmann::json;

using paraderm::testing::shipped;

Json condition(const std::string& name, const std::string& onset) {
  return {{"name", name}, {"onset", onset}};
}
Json medication(const std::string& name, const std::string& start) {
  return {{"name", name}, {"start", start}};
}

// A list given as a braced list: `{x}` with one element reaches a Json parameter as x itself
// under clang (CWG 2137) but as [x] under GCC, so one element is made a list here.
Json as_list(Json j) { return j.is_array() ? j : Json::array({std::move(j)}); }

// A native case without an eruption: a 40-year-old woman assessed on 2026-11-20.
Json record(Json conditions, Json medications) {
  conditions = as_list(std::move(conditions));
  medications = as_list(std::move(medications));
  return {{"schema_version", "1"},
          {"region", "us"},
          {"as_of", "2026-11-20"},
          {"patient", {{"birth_date", "1986-01-15"}, {"sex", "female"}, {"weight_kg", 65}}},
          {"conditions", std::move(conditions)},
          {"medications", std::move(medications)}};
}

Assessment run(const Json& input) {
  auto parsed = clinical::parse_case(input.dump(), shipped());
  EXPECT_TRUE(parsed.record) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  if (!parsed.record) return {};
  return assess(shipped(), *parsed.record);
}

bool has_code(const std::vector<Reason>& rs, std::string_view code) {
  return std::any_of(rs.begin(), rs.end(),
                     [&](const Reason& r) { return to_string(r.code) == code; });
}

const NaranjoItem& item(const PrAssessment& pr, const std::string& q) {
  static const NaranjoItem none;
  for (const auto& n : pr.components) {
    if (n.item == q) return n;
  }
  ADD_FAILURE() << "no Naranjo item " << q;
  return none;
}

// kb/phenotypes.toml: palmoplantar-pustulosis is the disease of palmoplantar-pustular; it descends
// from pustular-psoriasis (pustular) and psoriasis (psoriasiform). tnfi-ppp-share is a
// tnf-inhibitor x palmoplantar-pustular pattern; dupilumab has psoriasiform patterns only.
TEST(PrInference, TheMostSpecificPhenotypeWithAPatternOfTheCulpritsClass) {
  auto ada = run(record({condition("Crohn disease", "2014-01-01"),
                         condition("palmoplantar pustulosis", "2026-04-01")},
                        {medication("adalimumab", "2025-06-01")}));
  ASSERT_EQ(ada.pr_candidates.size(), 1u);
  EXPECT_EQ(ada.pr.phenotype, "palmoplantar-pustular");

  auto dupi = run(record({condition("atopic dermatitis", "2000-01-01"),
                          condition("palmoplantar pustulosis", "2026-04-01")},
                         {medication("dupilumab", "2025-06-01")}));
  ASSERT_EQ(dupi.pr_candidates.size(), 1u);
  EXPECT_EQ(dupi.pr.phenotype, "psoriasiform");
}

// A reaction needs a published pattern of the biologic's class and the phenotype: dupilumab has
// no vitiligo pattern; adalimumab has vigibase-adalimumab-vitiligo.
TEST(PrInference, NoPublishedPatternNoReaction) {
  auto dupi = run(
      record({condition("atopic dermatitis", "2000-01-01"), condition("vitiligo", "2026-04-01")},
             {medication("dupilumab", "2025-06-01")}));
  EXPECT_TRUE(dupi.pr_candidates.empty());
  EXPECT_EQ(dupi.pr.classification, PrClass::kNone);
  EXPECT_TRUE(has_code(dupi.pr.reasons, "PR_NO_ERUPTION"));

  auto ada = run(
      record({condition("rheumatoid arthritis", "2010-01-01"), condition("vitiligo", "2026-04-01")},
             {medication("adalimumab", "2025-06-01")}));
  ASSERT_EQ(ada.pr_candidates.size(), 1u);
  EXPECT_EQ(ada.pr.phenotype, "vitiligo");
  EXPECT_TRUE(has_code(ada.pr.reasons, "PR_INFERRED_FROM_CONDITION"));
}

TEST(PrInference, TheBiologicMustBeTakenAtTheOnset) {
  auto stopped_before = record(
      {condition("rheumatoid arthritis", "2010-01-01"), condition("psoriasis", "2026-04-01")},
      {{{"name", "adalimumab"}, {"start", "2025-01-01"}, {"stop", "2026-03-01"}}});
  EXPECT_TRUE(run(stopped_before).pr_candidates.empty());

  auto stopped_after = stopped_before;
  stopped_after["medications"][0]["stop"] = "2026-05-01";
  EXPECT_EQ(run(stopped_after).pr_candidates.size(), 1u);

  auto same_day = record(
      {condition("rheumatoid arthritis", "2010-01-01"), condition("psoriasis", "2025-01-01")},
      {medication("adalimumab", "2025-01-01")});
  EXPECT_TRUE(run(same_day).pr_candidates.empty()) << "onset must be after the start";
}

TEST(PrInference, AnOnsetAfterTheAssessmentDateIsNotAReaction) {
  auto later = record(
      {condition("rheumatoid arthritis", "2010-01-01"), condition("psoriasis", "2026-12-01")},
      {medication("adalimumab", "2025-01-01")});
  EXPECT_TRUE(run(later).pr_candidates.empty());
  later["conditions"][1]["onset"] = "2026-11-01";
  EXPECT_EQ(run(later).pr_candidates.size(), 1u);
}

// A later entry of a known disease with a higher grade or score is a worsening (PR_RELAPSE, as
// trave-2023-dupilumab-psoriasis-relapse); the same grade is a pre-existing disease.
TEST(PrInference, ASeverityRiseIsAWorsening) {
  auto grades = [](const std::string& before, const std::string& after) {
    Json early = condition("psoriasis", "2019-01-01");
    early["severity"] = {{"grade", before}};
    Json late = condition("psoriasis", "2026-05-01");
    late["severity"] = {{"grade", after}};
    return run(record({condition("atopic dermatitis", "2000-01-01"), early, late},
                      {medication("dupilumab", "2025-10-01")}));
  };
  auto rose = grades("mild", "severe");
  ASSERT_EQ(rose.pr_candidates.size(), 1u);
  EXPECT_EQ(rose.pr.kind, clinical::EruptionKind::kWorsened);
  EXPECT_TRUE(has_code(rose.pr.reasons, "PR_RELAPSE"));
  EXPECT_EQ(rose.pr.classification, PrClass::kPossible);

  auto same = grades("moderate", "moderate");
  ASSERT_EQ(same.pr_candidates.size(), 1u);
  EXPECT_EQ(same.pr.kind, clinical::EruptionKind::kNew);
  EXPECT_TRUE(has_code(same.pr.reasons, "PR_PREDATES_BIOLOGIC"));
  EXPECT_EQ(same.pr.classification, PrClass::kUnlikely);

  Json early = condition("psoriasis", "2019-01-01");
  early["severity"] = {{"pasi", 5}};
  Json late = condition("psoriasis", "2026-05-01");
  late["severity"] = {{"pasi", 12}};
  auto pasi = run(record({condition("atopic dermatitis", "2000-01-01"), early, late},
                         {medication("dupilumab", "2025-10-01")}));
  EXPECT_EQ(pasi.pr.kind, clinical::EruptionKind::kWorsened);
}

// One biologic in two records (an export's order and its statement) is one culprit, dated from
// the earliest start; two different biologics stay two.
TEST(PrInference, OneBiologicInTwoRecordsIsOneCulprit) {
  auto a = run(
      record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", "2026-06-01")},
             {medication("dupilumab", "2026-01-15"), medication("Dupixent", "2026-01-01")}));
  ASSERT_EQ(a.pr.culprits.size(), 1u);
  EXPECT_EQ(a.pr.culprits[0].biologic, "dupilumab");
  EXPECT_EQ(a.pr.culprits[0].start, std::optional<std::string>("2026-01-01"));
  EXPECT_EQ(a.pr.culprits[0].days_to_onset, std::optional<int>(151));

  auto b = run(
      record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", "2026-06-01")},
             {medication("dupilumab", "2026-01-15"), medication("adalimumab", "2025-01-01")}));
  EXPECT_EQ(b.pr.culprits.size(), 2u);
}

// The recorded date of a recurrence stands for its onset when the disease began before the
// biologic; without a recorded date after the start there is nothing to date it by.
TEST(PrInference, ARecurrenceIsDatedByItsRecordedDate) {
  Json pso = condition("psoriasis", "2015-01-01");
  pso["course"] = "relapse";
  pso["recorded"] = "2026-06-15";
  auto a = run(record({condition("atopic dermatitis", "2000-01-01"), pso},
                      {medication("dupilumab", "2026-01-12")}));
  ASSERT_EQ(a.pr_candidates.size(), 1u);
  EXPECT_EQ(a.pr.onset, std::optional<std::string>("2026-06-15"));
  EXPECT_EQ(a.pr.kind, clinical::EruptionKind::kWorsened);
  ASSERT_FALSE(a.pr.culprits.empty());
  EXPECT_EQ(a.pr.culprits[0].days_to_onset, std::optional<int>(154));

  pso["recorded"] = "2025-12-01";
  auto b = run(record({condition("atopic dermatitis", "2000-01-01"), pso},
                      {medication("dupilumab", "2026-01-12")}));
  EXPECT_TRUE(b.pr_candidates.empty());
}

// Naranjo (kb/formulas.toml): an inferred reaction answers q1 (pattern) and q2 (after the start);
// q3 is yes when the condition abated after the culprit was stopped (+1); the rest is unknown.
TEST(PrInference, CausalityItemsTheRecordCannotAnswerAreUnknown) {
  auto open = run(
      record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", "2026-05-04")},
             {medication("dupilumab", "2026-01-05")}));
  ASSERT_EQ(open.pr.components.size(), 10u);
  EXPECT_EQ(item(open.pr, "q1").answer, "yes");
  EXPECT_EQ(item(open.pr, "q2").answer, "yes");
  for (const char* q : {"q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"}) {
    EXPECT_EQ(item(open.pr, q).answer, "unknown") << q;
  }
  EXPECT_EQ(open.pr.score, std::optional<double>(3));
  EXPECT_EQ(open.pr.classification, PrClass::kPossible);

  Json pso = condition("psoriasis", "2026-05-04");
  pso["abatement"] = "2026-09-01";
  auto dechallenged =
      run(record({condition("atopic dermatitis", "2000-01-01"), pso},
                 {{{"name", "dupilumab"}, {"start", "2026-01-05"}, {"stop", "2026-07-01"}}}));
  EXPECT_EQ(item(dechallenged.pr, "q3").answer, "yes");
  EXPECT_EQ(dechallenged.pr.score, std::optional<double>(4));

  pso["abatement"] = "2026-06-01";  // abated before the stop: not a dechallenge
  auto before_stop =
      run(record({condition("atopic dermatitis", "2000-01-01"), pso},
                 {{{"name", "dupilumab"}, {"start", "2026-01-05"}, {"stop", "2026-07-01"}}}));
  EXPECT_EQ(item(before_stop.pr, "q3").answer, "unknown");
}

TEST(PrInference, TheExplicitEruptionIsTheReactionAssessed) {
  Json c =
      record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", "2026-05-04")},
             {medication("dupilumab", "2026-01-05")});
  c["eruption"] = {
      {"phenotype", "psoriasiform"}, {"onset", "2026-05-04"}, {"biopsy_consistent", true}};
  auto a = run(c);
  ASSERT_EQ(a.pr_candidates.size(), 1u);
  EXPECT_EQ(a.pr.source, "eruption");
  EXPECT_FALSE(has_code(a.pr.reasons, "PR_INFERRED_FROM_CONDITION"));
  EXPECT_EQ(item(a.pr, "q10").answer, "yes");
}

TEST(PrInference, OneReactionPerPhenotypeAndBiologicTheEarliest) {
  auto a = run(
      record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", "2026-06-01"),
              condition("plaque psoriasis", "2026-04-01")},
             {medication("dupilumab", "2026-01-05")}));
  ASSERT_EQ(a.pr_candidates.size(), 1u);
  EXPECT_EQ(a.pr.onset, std::optional<std::string>("2026-04-01"));
  EXPECT_EQ(a.pr.condition_pointer, std::optional<std::string>("/conditions/2"));
}

// Ties on the Naranjo score: an onset inside a published range (su-2023 pooled, 1-18 months)
// before one with no judged latency (vigibase-dupilumab-alopecia-areata has none), whatever the
// onsets' order.
TEST(PrInference, TheReactionWithinAPublishedLatencyComesFirst) {
  auto a =
      run(record({condition("atopic dermatitis", "2000-01-01"),
                  condition("alopecia areata", "2026-03-01"), condition("psoriasis", "2026-05-04")},
                 {medication("dupilumab", "2026-01-05")}));
  ASSERT_EQ(a.pr_candidates.size(), 2u);
  EXPECT_EQ(a.pr_candidates[0].phenotype, "psoriasiform");
  EXPECT_EQ(a.pr_candidates[1].phenotype, "alopecia");
  EXPECT_EQ(a.pr.phenotype, "psoriasiform");
}

// visualdx-il23i-eczematous: '~2.5-3 months', printed with one decimal. 92 days = 3.02 months
// reads as 3.0 (within); 96 days = 3.15 months reads as 3.2 (outside).
TEST(PrInference, LatencyIsComparedInThePublishedUnitAtItsPrecision) {
  auto latency_of = [](const std::string& onset) -> std::optional<bool> {
    auto a =
        run(record({condition("psoriasis", "2016-01-01"), condition("atopic dermatitis", onset)},
                   {medication("guselkumab", "2026-02-02")}));
    for (const auto& l : a.pr.latency) {
      if (l.pattern == "visualdx-il23i-eczematous") {
        EXPECT_EQ(l.unit, "months");
        return l.within_range;
      }
    }
    ADD_FAILURE() << "pattern not compared";
    return std::nullopt;
  };
  EXPECT_EQ(latency_of("2026-05-05"), std::optional<bool>(true));   // 92 days
  EXPECT_EQ(latency_of("2026-05-09"), std::optional<bool>(false));  // 96 days
}

// An upper bound alone ('usually within 4 months', qualifier <=) is a 0-4 month range.
TEST(PrInference, AnUpperBoundIsARange) {
  auto within_4_months = [](const std::string& onset) -> std::optional<bool> {
    auto a = run(record({condition("psoriasis", "2016-01-01"), condition("eczema", onset)},
                        {medication("ixekizumab", "2026-01-05")}));
    for (const auto& l : a.pr.latency) {
      if (l.pattern == "visualdx-il17i-eczematous") return l.within_range;
    }
    ADD_FAILURE() << "pattern not compared";
    return std::nullopt;
  };
  EXPECT_EQ(within_4_months("2026-04-20"), std::optional<bool>(true));   // 105 days = 3.4 months
  EXPECT_EQ(within_4_months("2026-07-20"), std::optional<bool>(false));  // 196 days = 6.4 months
}

// kb/pr-mechanisms.toml: TNFi x hidradenitis has no entry, so the class's general one (tnfi-any);
// IL-4Ra x alopecia has none and the class no general one: no mechanism, no released axis.
TEST(PrInference, MechanismOfTheClassAndPhenotypeElseTheClassElseNone) {
  auto hs = run(record({condition("rheumatoid arthritis", "2010-01-01"),
                        condition("hidradenitis suppurativa", "2026-04-01")},
                       {medication("adalimumab", "2025-01-01")}));
  EXPECT_NE(hs.pr.mechanism.find("cytokine imbalance"), std::string::npos) << hs.pr.mechanism;
  EXPECT_TRUE(hs.pr.released_axes.empty());

  auto aa = run(record(
      {condition("atopic dermatitis", "2000-01-01"), condition("alopecia areata", "2026-04-01")},
      {medication("dupilumab", "2025-01-01")}));
  ASSERT_EQ(aa.pr.phenotype, "alopecia");
  EXPECT_TRUE(aa.pr.mechanism.empty()) << aa.pr.mechanism;
  EXPECT_TRUE(aa.pr.mechanism_sources.empty());
  EXPECT_TRUE(aa.pr.released_axes.empty());
  EXPECT_EQ(aa.pr.blocked_axes, std::vector<std::string>{"Th2"});

  auto pso = run(
      record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", "2026-04-01")},
             {medication("dupilumab", "2025-01-01")}));
  EXPECT_EQ(pso.pr.released_axes, (std::vector<std::string>{"Th17", "Th1"}));
}

// Options with no reaction: active immune-skin diseases and diseases a KB JAK inhibitor is
// approved for (myelofibrosis: oral ruxolitinib); not asthma (immune-systemic, no JAK approval),
// not a resolved disease.
TEST(PrInference, WithNoReactionOptionsAreForTheActiveDermatosesAndJakIndications) {
  Json ra = condition("rheumatoid arthritis", "2005-01-01");
  ra["status"] = "resolved";
  auto a =
      run(record({condition("atopic dermatitis", "2000-01-01"), condition("asthma", "2001-01-01"),
                  ra, condition("hidradenitis suppurativa", "2012-01-01"),
                  condition("myelofibrosis", "2020-01-01")},
                 Json::array()));
  EXPECT_EQ(
      a.option_diseases,
      (std::vector<std::string>{"atopic-dermatitis", "hidradenitis-suppurativa", "myelofibrosis"}));
  EXPECT_TRUE(has_code(a.pr.reasons, "PR_NONE_OPTIONS_FOR_ACTIVE"));
  EXPECT_FALSE(a.options.empty());
  for (const auto& o : a.options)
    EXPECT_EQ(o.kind, OptionKind::kDrug) << "no strategy without a reaction: " << o.id;

  auto nothing = run(record({condition("asthma", "2001-01-01")}, Json::array()));
  EXPECT_TRUE(nothing.option_diseases.empty());
  EXPECT_TRUE(nothing.options.empty());
  EXPECT_FALSE(has_code(nothing.pr.reasons, "PR_NONE_OPTIONS_FOR_ACTIVE"));
}

// The JSON carries every reaction assessed and the option diseases.
TEST(PrInference, JsonListsTheCandidatesAndTheOptionDiseases) {
  auto a =
      run(record({condition("atopic dermatitis", "2000-01-01"),
                  condition("alopecia areata", "2026-03-01"), condition("psoriasis", "2026-05-04")},
                 {medication("dupilumab", "2026-01-05")}));
  Json j = Json::parse(to_json(a));
  ASSERT_EQ(j["paradoxical_reaction_candidates"].size(), 2u);
  EXPECT_EQ(j["paradoxical_reaction_candidates"][0]["phenotype"], "psoriasiform");
  EXPECT_EQ(j["paradoxical_reaction"]["source"], "condition");
  EXPECT_EQ(j["option_diseases"], Json({"atopic-dermatitis", "psoriasis"}));
  EXPECT_NE(to_text(a, shipped()).find("Also assessed: alopecia"), std::string::npos);
}

// The published range has a lower bound too: su-2023 pooled de novo psoriasis on dupilumab,
// latency mean 4.3 months (1-18) (kb/paradoxical.toml su-2023-dupilumab-de-novo-psoriasis-pooled).
// An onset 10 days after the start (0.3 months) is below it; 60 days (2.0 months) is within.
TEST(PrInference, LatencyBelowThePublishedLowIsOutsideTheRange) {
  auto within = [](const std::string& onset) -> std::optional<bool> {
    Assessment a =
        run(record({condition("atopic dermatitis", "2000-01-01"), condition("psoriasis", onset)},
                   medication("dupilumab", "2026-03-01")));
    for (const auto& l : a.pr.latency) {
      if (l.pattern == "su-2023-dupilumab-de-novo-psoriasis-pooled") return l.within_range;
    }
    return std::nullopt;
  };
  EXPECT_EQ(within("2026-03-11"), std::optional<bool>(false));
  EXPECT_EQ(within("2026-04-30"), std::optional<bool>(true));
}

// A condition the KB does not know that began under a biologic is named as not assessed
// (PR_UNRECOGNISED_CONDITION), not read as "no eruption"; one that began before the biologic, or
// with no biologic, is not.
TEST(PrInference, AnUnknownConditionBegunUnderABiologicIsNamedNotAssessed) {
  auto codes = [](const Assessment& a) {
    std::vector<std::string> out;
    for (const auto& r : a.pr.reasons) out.emplace_back(to_string(r.code));
    return out;
  };
  auto has = [&](const Assessment& a, const std::string& code) {
    auto c = codes(a);
    return std::find(c.begin(), c.end(), code) != c.end();
  };
  Assessment under = run(record(
      {condition("atopic dermatitis", "2000-01-01"), condition("Grover disease", "2026-06-01")},
      medication("dupilumab", "2026-03-01")));
  EXPECT_EQ(under.pr.classification, PrClass::kNone);
  ASSERT_TRUE(has(under, "PR_UNRECOGNISED_CONDITION")) << ::testing::PrintToString(codes(under));
  for (const auto& r : under.pr.reasons) {
    if (r.code != ReasonCode::kPrUnrecognisedCondition) continue;
    EXPECT_NE(r.text.find("Grover disease"), std::string::npos) << r.text;
    EXPECT_NE(r.text.find("2026-06-01"), std::string::npos) << r.text;
    EXPECT_NE(r.text.find("dupilumab"), std::string::npos) << r.text;
    EXPECT_EQ(r.severity, Severity::kWarning);
  }
  Assessment before = run(record(
      {condition("atopic dermatitis", "2000-01-01"), condition("Grover disease", "2025-06-01")},
      medication("dupilumab", "2026-03-01")));
  EXPECT_FALSE(has(before, "PR_UNRECOGNISED_CONDITION"));
  Assessment no_biologic = run(record(
      {condition("atopic dermatitis", "2000-01-01"), condition("Grover disease", "2026-06-01")},
      Json::array()));
  EXPECT_FALSE(has(no_biologic, "PR_UNRECOGNISED_CONDITION"));
}

// Renal bands are [min, max): abrocitinib US "eGFR 30-59: 50 mg QD" and 60-89 no change
// (kb/drugs/abrocitinib.toml renal, S3). eGFR 60 is the no-change band (100 mg); 59 is 50 mg.
TEST(RenalBands, UpperLimitIsExclusive) {
  auto dose = [](double egfr) -> std::optional<double> {
    Json r = record(condition("atopic dermatitis", "2015-01-01"), Json::array());
    r["labs"] = Json::array(
        {{{"test", "egfr"}, {"date", "2026-11-01"}, {"value", egfr}, {"unit", "mL/min/1.73m2"}}});
    Assessment a = run(r);
    for (const auto& o : a.options) {
      if (o.id == "abrocitinib" && o.dose) return o.dose->amount;
    }
    return std::nullopt;
  };
  EXPECT_EQ(dose(60), std::optional<double>(100));
  EXPECT_EQ(dose(59), std::optional<double>(50));
}

}  // namespace
}  // namespace paraderm::assess
