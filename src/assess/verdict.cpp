// The one string table of each closed set of the assessment's output: renderers and tests go
// through it, so a misspelt verdict cannot rank anywhere.
#include "common/enum_names.h"
#include "paraderm/assess.h"

namespace paraderm::assess {
namespace {

constexpr std::pair<Verdict, std::string_view> kVerdicts[] = {
    {Verdict::kPreferred, "preferred"},
    {Verdict::kAcceptable, "acceptable"},
    {Verdict::kCaution, "caution"},
    {Verdict::kAvoid, "avoid"},
    {Verdict::kContraindicated, "contraindicated"},
};
constexpr std::pair<Severity, std::string_view> kSeverities[] = {
    {Severity::kInfo, "info"},
    {Severity::kCaution, "caution"},
    {Severity::kWarning, "warning"},
    {Severity::kBlock, "block"},
};
constexpr std::pair<OptionKind, std::string_view> kOptionKinds[] = {
    {OptionKind::kDrug, "drug"},
    {OptionKind::kStrategy, "strategy"},
};
constexpr std::pair<PrClass, std::string_view> kPrClasses[] = {
    {PrClass::kLikely, "likely"},
    {PrClass::kPossible, "possible"},
    {PrClass::kUnlikely, "unlikely"},
    {PrClass::kNone, "none"},
};
constexpr std::pair<NaranjoCategory, std::string_view> kNaranjoCategories[] = {
    {NaranjoCategory::kDefinite, "definite"},
    {NaranjoCategory::kProbable, "probable"},
    {NaranjoCategory::kPossible, "possible"},
    {NaranjoCategory::kDoubtful, "doubtful"},
};
constexpr std::pair<ScreeningStatus, std::string_view> kScreeningStatuses[] = {
    {ScreeningStatus::kRecorded, "recorded"},
    {ScreeningStatus::kNotRecorded, "not-recorded"},
    {ScreeningStatus::kNotApplicable, "not-applicable"},
};
constexpr std::pair<Approval, std::string_view> kApprovals[] = {
    {Approval::kApproved, "approved"},
    {Approval::kAgeRestricted, "age-restricted"},
    {Approval::kFiled, "filed"},
    {Approval::kInvestigational, "investigational"},
    {Approval::kNotApproved, "not-approved"},
    {Approval::kNotListed, "not-listed"},
};

}  // namespace

std::string_view to_string(Verdict v) { return common::name_of(kVerdicts, v); }
std::string_view to_string(Severity s) { return common::name_of(kSeverities, s); }
std::optional<Severity> parse_severity(std::string_view name) {
  return common::value_of(kSeverities, name);
}
std::string_view to_string(OptionKind k) { return common::name_of(kOptionKinds, k); }
std::string_view to_string(PrClass c) { return common::name_of(kPrClasses, c); }
std::string_view to_string(NaranjoCategory c) { return common::name_of(kNaranjoCategories, c); }
std::string_view to_string(ScreeningStatus s) { return common::name_of(kScreeningStatuses, s); }
std::string_view to_string(Approval a) { return common::name_of(kApprovals, a); }
std::optional<Verdict> parse_verdict(std::string_view name) {
  return common::value_of(kVerdicts, name);
}
std::optional<PrClass> parse_pr_class(std::string_view name) {
  return common::value_of(kPrClasses, name);
}
std::optional<NaranjoCategory> parse_naranjo_category(std::string_view name) {
  return common::value_of(kNaranjoCategories, name);
}

}  // namespace paraderm::assess
