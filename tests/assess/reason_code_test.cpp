// The reason-code table (paraderm/reason_code.h) is the closed set docs/reason-codes.md
// catalogues: the same codes, each text naming exactly one enumerator.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "paraderm/reason_code.h"

namespace paraderm::assess {
namespace {

// The codes of the first column of every table row of docs/reason-codes.md ("| `A` / `B` |").
std::set<std::string> documented_codes() {
  std::ifstream doc(std::string(PARADERM_SOURCE_DIR) + "/docs/reason-codes.md");
  static const std::regex code_re("`([A-Z][A-Z0-9_]+)`");
  std::set<std::string> out;
  std::string line;
  while (std::getline(doc, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::string first = line.substr(1, line.find('|', 1) - 1);
    for (std::sregex_iterator it(first.begin(), first.end(), code_re), end; it != end; ++it)
      out.insert((*it)[1]);
  }
  return out;
}

std::set<std::string> table_codes() {
  std::set<std::string> out;
  for (auto name : kReasonCodeNames) out.emplace(name);
  return out;
}

TEST(ReasonCode, TableAndDocsListTheSameCodes) {
  auto documented = documented_codes();
  ASSERT_GT(documented.size(), 70u);
  EXPECT_EQ(table_codes(), documented);
  EXPECT_EQ(table_codes().size(), kReasonCodeCount);  // no text twice
}

TEST(ReasonCode, TextRoundTrips) {
  for (std::size_t i = 0; i < kReasonCodeCount; ++i) {
    auto code = static_cast<ReasonCode>(i);
    EXPECT_EQ(parse_reason_code(to_string(code)), code) << to_string(code);
  }
  EXPECT_EQ(to_string(ReasonCode::kLabDoNotStart), "LAB_DO_NOT_START");
  EXPECT_EQ(to_string(ReasonCode::kPracAge65), "PRAC_AGE_65");
  EXPECT_EQ(parse_reason_code("LAB_DO_NOT_STRAT"), std::nullopt);
  EXPECT_EQ(parse_reason_code("lab_do_not_start"), std::nullopt);  // codes are case-sensitive
}

// docs/reason-codes.md: the EMA PRAC 2022 measures are PRAC_AGE_65, PRAC_SMOKER, PRAC_CV_RISK,
// PRAC_CANCER_RISK, PRAC_VTE_RISK and PRAC_LOWER_DOSE; nothing else is one.
TEST(ReasonCode, PracRiskGroups) {
  std::set<std::string> prac;
  for (std::size_t i = 0; i < kReasonCodeCount; ++i) {
    if (is_prac_risk_group(static_cast<ReasonCode>(i))) prac.emplace(kReasonCodeNames[i]);
  }
  EXPECT_EQ(prac, (std::set<std::string>{"PRAC_AGE_65", "PRAC_SMOKER", "PRAC_CV_RISK",
                                         "PRAC_CANCER_RISK", "PRAC_VTE_RISK", "PRAC_LOWER_DOSE"}));
}

// The reasons docs/reason-codes.md says set or change a dose (DOSE_*, the renal, hepatic,
// interaction and PRAC lower doses, the dose-reduce lab alert); a verdict-only rule is not one.
TEST(ReasonCode, DoseSettingReasons) {
  std::set<std::string> dose;
  for (std::size_t i = 0; i < kReasonCodeCount; ++i) {
    if (sets_dose(static_cast<ReasonCode>(i))) dose.emplace(kReasonCodeNames[i]);
  }
  EXPECT_EQ(dose, (std::set<std::string>{"DOSE_START", "DOSE_FROM_OTHER_INDICATION", "DOSE_UNKNOWN",
                                         "DOSE_CAPPED_AT_MAXIMUM", "PRAC_LOWER_DOSE", "RENAL_DOSE",
                                         "HEPATIC_DOSE", "INTERACTION_DOSE", "LAB_DOSE_REDUCE"}));
  EXPECT_FALSE(sets_dose(ReasonCode::kContraindication));
  EXPECT_FALSE(sets_dose(ReasonCode::kRuleUnknown));
}

}  // namespace
}  // namespace paraderm::assess
