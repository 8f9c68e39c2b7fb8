// The closed sets of the assessment and the record have one string table each: every value has a
// name that reads back as itself, and every name the KB hands to one of them parses.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/screen.h"

namespace paraderm::assess {
namespace {

template <class E, class Parse>
void expect_round_trip(std::initializer_list<E> values, Parse parse) {
  std::set<std::string> names;
  for (E v : values) {
    const std::string name(to_string(v));
    EXPECT_NE(name, "?") << static_cast<int>(v);
    EXPECT_TRUE(names.insert(name).second) << "two values named " << name;
    EXPECT_EQ(parse(name), std::optional<E>(v)) << name;
  }
  EXPECT_EQ(parse("no-such-name"), std::nullopt);
}

TEST(ClosedSets, EveryValueHasOneNameThatReadsBack) {
  expect_round_trip({Verdict::kPreferred, Verdict::kAcceptable, Verdict::kCaution, Verdict::kAvoid,
                     Verdict::kContraindicated},
                    parse_verdict);
  expect_round_trip({PrClass::kLikely, PrClass::kPossible, PrClass::kUnlikely, PrClass::kNone},
                    parse_pr_class);
  expect_round_trip({NaranjoCategory::kDefinite, NaranjoCategory::kProbable,
                     NaranjoCategory::kPossible, NaranjoCategory::kDoubtful},
                    parse_naranjo_category);
  using clinical::ConditionStatus, clinical::EruptionKind, clinical::Sex, clinical::SmokingStatus;
  expect_round_trip({Sex::kUnknown, Sex::kFemale, Sex::kMale, Sex::kOther}, clinical::parse_sex);
  expect_round_trip({SmokingStatus::kUnknown, SmokingStatus::kCurrent, SmokingStatus::kFormer,
                     SmokingStatus::kNever, SmokingStatus::kSmoker},
                    clinical::parse_smoking_status);
  expect_round_trip({ConditionStatus::kActive, ConditionStatus::kResolved},
                    clinical::parse_condition_status);
  expect_round_trip({EruptionKind::kNew, EruptionKind::kWorsened}, clinical::parse_eruption_kind);
  expect_round_trip({Severity::kInfo, Severity::kCaution, Severity::kWarning, Severity::kBlock},
                    parse_severity);
  expect_round_trip(
      {kb::SeverityGrade::kMild, kb::SeverityGrade::kModerate, kb::SeverityGrade::kSevere},
      kb::parse_severity_grade);
  std::set<std::string> finding_kinds;
  for (auto k : screen::kFindingKinds) {
    const std::string name(screen::to_string(k));
    EXPECT_NE(name, "?");
    EXPECT_TRUE(finding_kinds.insert(name).second) << name;
    EXPECT_EQ(screen::parse_finding_kind(name), std::optional(k)) << name;
  }
  EXPECT_EQ(screen::parse_finding_kind("sunburn"), std::nullopt);
}

TEST(ClosedSets, OutputOnlySetsHaveDistinctNames) {
  auto distinct = [](std::initializer_list<std::string_view> names) {
    return std::set<std::string_view>(names).size() == names.size() &&
           !std::set<std::string_view>(names).count("?");
  };
  EXPECT_TRUE(distinct({to_string(OptionKind::kDrug), to_string(OptionKind::kStrategy)}));
  EXPECT_TRUE(
      distinct({to_string(ScreeningStatus::kRecorded), to_string(ScreeningStatus::kNotRecorded),
                to_string(ScreeningStatus::kNotApplicable)}));
  EXPECT_TRUE(distinct({to_string(Approval::kApproved), to_string(Approval::kAgeRestricted),
                        to_string(Approval::kFiled), to_string(Approval::kInvestigational),
                        to_string(Approval::kNotApproved), to_string(Approval::kNotListed)}));
  // The KB's indication statuses keep their names in the assessment's label status.
  for (auto s : {kb::IndicationStatus::kApproved, kb::IndicationStatus::kFiled,
                 kb::IndicationStatus::kInvestigational, kb::IndicationStatus::kNotApproved}) {
    const std::string_view name = kb::to_string(s);
    EXPECT_TRUE(name == to_string(Approval::kApproved) || name == to_string(Approval::kFiled) ||
                name == to_string(Approval::kInvestigational) ||
                name == to_string(Approval::kNotApproved))
        << name;
  }
}

// The classification is read from the Naranjo category of the KB's total-score bands
// (kb/scores.toml, Naranjo 1981): a band whose category did not parse would classify every
// reaction in it as unlikely.
TEST(ClosedSets, EveryNaranjoBandOfTheKbNamesACategory) {
  const auto& kb = paraderm::testing::shipped_kb();
  int bands = 0;
  for (const auto& b : kb.score_bands) {
    if (b.score != kb::ScoreKind::kNaranjo || b.factor != "total") continue;
    ++bands;
    ASSERT_TRUE(b.category) << b.id;
    EXPECT_TRUE(parse_naranjo_category(*b.category)) << b.id << ": " << *b.category;
  }
  EXPECT_EQ(bands, 4);  // definite >= 9, probable 5-8, possible 1-4, doubtful <= 0
}

}  // namespace
}  // namespace paraderm::assess
