// The assessment: is this a paradoxical reaction, why, what to give instead and how to give it
// safely. Reads a normalised Case and the KB; every statement carries its KB sources.
//
// Contract:
//  * Deterministic: the same Case, KB and options give the same Assessment.
//  * Every reason has a stable machine code (docs/reason-codes.md), a severity, a sentence and
//    the KB sources of the rule that produced it.
//  * A dose is given only for verdicts preferred / acceptable / caution, and never exceeds the
//    largest label dose of the region for that drug.
//  * Unknown stays unknown: a coverage or latency that cannot be computed is absent, with a reason.
#pragma once

#include <compare>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/case.h"
#include "paraderm/kb.h"
#include "paraderm/pathways.h"
#include "paraderm/reason_code.h"
#include "paraderm/signal_source.h"

namespace paraderm::assess {

inline constexpr const char* kSchemaVersion = "1";

// Verdicts in order, most permissive first: a worse verdict compares greater.
enum class Verdict { kPreferred, kAcceptable, kCaution, kAvoid, kContraindicated };

// How much a reason weighs, least first.
enum class Severity { kInfo, kCaution, kWarning, kBlock };

// An option is a drug (dosed, with a label) or a strategy (e.g. topical therapy, a switch).
enum class OptionKind { kDrug, kStrategy };
// The paradoxical-reaction classification, most certain first (the order cohorts are sorted in).
enum class PrClass { kLikely, kPossible, kUnlikely, kNone };
// Naranjo's categories of its total score (Naranjo 1981).
enum class NaranjoCategory { kDefinite, kProbable, kPossible, kDoubtful };
// A screening item of the plan: found in the record, to be recorded, or not for this patient.
enum class ScreeningStatus { kRecorded, kNotRecorded, kNotApplicable };
// A drug's label for one disease in the patient's region: a KB indication status, the label's
// approval when the patient is younger than its lower age, or no KB row at all.
enum class Approval {
  kApproved,
  kAgeRestricted,
  kFiled,
  kInvestigational,
  kNotApproved,
  kNotListed
};

std::string_view to_string(
    Verdict v);  // preferred | acceptable | caution | avoid | contraindicated
std::string_view to_string(Severity s);         // info | caution | warning | block
std::string_view to_string(OptionKind k);       // drug | strategy
std::string_view to_string(PrClass c);          // likely | possible | unlikely | none
std::string_view to_string(NaranjoCategory c);  // definite | probable | possible | doubtful
std::string_view to_string(ScreeningStatus s);  // recorded | not-recorded | not-applicable
// approved | age-restricted | filed | investigational | not-approved | not-listed
std::string_view to_string(Approval a);
std::optional<Verdict> parse_verdict(std::string_view name);
std::optional<Severity> parse_severity(std::string_view name);
std::optional<PrClass> parse_pr_class(std::string_view name);
// The KB's Naranjo score bands name their category (kb/scores.toml); tests check each parses.
std::optional<NaranjoCategory> parse_naranjo_category(std::string_view name);

struct Reason {
  // Every rule sets it; the default is the fail-safe "no rule known, check the label" code.
  ReasonCode code = ReasonCode::kRuleUnknown;
  Severity severity = Severity::kInfo;
  std::string text;
  std::vector<std::string> sources;
};

struct Dose {
  double amount = 0;
  std::string unit;
  std::string frequency;  // qd | bid | ...
  std::optional<std::string> formulation;
  std::string indication;                // the label indication the dose comes from
  std::vector<std::string> adjustments;  // what changed it, in order
};

struct LabelStatus {
  std::string disease;
  Approval status = Approval::kNotListed;
  std::optional<double> min_age_years;
  std::vector<std::string> sources;
};

struct DiseaseCoveragePct {
  std::string disease;
  std::optional<double> pct;               // pair-level (qualitative) coverage; unknown when absent
  std::optional<double> quantitative_pct;  // modelled inhibition, shown beside it where known
};

// Coverage is the pair-level measure every product has (docs/pharmacology.md §3): the share of a
// disease signature's JAK-dependent cytokines a cited statement says the drug inhibits. It ranks
// options the same way for all of them; the quantitative profile is shown beside it, never ranked.
struct Coverage {
  // With a paradoxical reaction: its primary and reaction disease. `both` is the lowest coverage
  // of every disease the options are chosen for (Assessment::option_diseases), when all are known.
  std::optional<double> primary_pct, reaction_pct, both_pct;
  std::vector<DiseaseCoveragePct> diseases;  // one per option disease
  std::string basis;    // qualitative (clinical) | qualitative (application-site) | "" (unknown)
  std::string regimen;  // the regimen the profile was computed for
  // Lowest modelled average inhibition over the diseases, when every one is known on one assay.
  std::optional<double> quantitative_both_pct;
  std::optional<pharm::Assay> quantitative_assay;  // set with quantitative_both_pct
};

// Adverse-reaction rates are shown as the KB states them (the KB outlives every assessment).
using AdverseReactionRate = const kb::AdverseReaction*;

struct Option {
  OptionKind kind = OptionKind::kDrug;
  std::string id, name;
  Verdict verdict = Verdict::kAcceptable;
  std::optional<Dose> dose;
  Coverage coverage;
  std::vector<LabelStatus> label;
  std::vector<std::string> pr_evidence;  // pr_case ids
  std::vector<AdverseReactionRate> adverse_reactions;
  std::vector<Reason> reasons;
};

struct NaranjoItem {
  std::string item;    // q1..q10
  std::string answer;  // yes | no | unknown
  double points = 0;
  std::string basis;  // what in the record gave the answer
  std::vector<std::string> sources;
};

struct Culprit {
  std::string biologic, biologic_class;
  std::optional<std::string> start;
  std::optional<int> days_to_onset;
};

struct LatencyComparison {
  std::string pattern;    // pr_pattern id
  std::string published;  // e.g. "median 12 months (1-120)"
  std::optional<double> published_days, low_days, high_days;
  std::string unit;                     // the published unit (months, weeks, days)
  std::optional<double> onset_in_unit;  // the patient's latency in that unit
  std::optional<bool>
      within_range;  // when the source gives a range (or an upper bound, "<= 4 months")
  std::vector<std::string> sources;
};

struct RiskFactorHit {
  std::string id, factor;
  kb::EffectMeasure measure = kb::EffectMeasure::kOr;
  kb::EffectDirection direction = kb::EffectDirection::kIncreases;
  double estimate = 0;
  std::optional<double> ci_low, ci_high;
  std::string detail;
  std::optional<std::string> group;  // KB risk_factor.group: factors of one group overlap
  bool in_multiplier = false;        // this estimate is the one of its group the multiplier uses
  std::vector<std::string> sources;
};

struct AxisProfile {
  std::string disease;
  std::vector<std::string> dominant_axes, present_axes, reduced_axes;
  std::vector<std::string> sources;
};

// ---- pharmacovigilance reporting signals ------------------------------------------------------
// The assessment reads a disproportionality store through SignalSource (paraderm/signal_source.h).

inline constexpr const char* kReportingSignalLabel =
    "reporting signal (disproportionality in spontaneous reports), not an incidence";

// One signal-detection rule of the KB (score "pv-signal", e.g. Evans: PRR >= 2 & chi2 >= 4 & n >=
// 3) judged on one pair.
struct SignalRuleResult {
  std::string rule;         // the KB rule (score_band category), e.g. "evans"
  std::string criterion;    // its bands as text, e.g. "PRR >= 2 and chi2 >= 4 and n >= 3"
  std::optional<bool> met;  // nullopt: a statistic the rule needs is undefined for the pair
  std::vector<std::string> sources;
};

// The store's signal for one culprit x one MedDRA preferred term of the eruption's phenotype.
struct ReportingSignalCitation {
  std::string drug, event;                // exactly the KB strings passed to SignalSource::find
  bool found = false;                     // false: no report in the store names both
  std::optional<ReportingSignal> signal;  // when found
  std::string source;                     // SignalSource::description()
  std::string label = kReportingSignalLabel;
  std::vector<SignalRuleResult> rules;  // when found: every KB rule, met or not
  std::vector<std::string> sources;     // KB sources of the PT mapping
};

// A published signal of the KB (a pr_pattern graded pharmacovigilance matching the culprit class
// and phenotype), shown next to the store's for comparison.
struct PublishedSignal {
  std::string pattern;  // pr_pattern id
  std::string text;
  std::vector<std::string> sources;
};

struct ReportingSignals {
  std::string store;   // SignalSource::description()
  double reports = 0;  // SignalSource::reports()
  std::string label = kReportingSignalLabel;
  std::vector<ReportingSignalCitation> citations;
  std::vector<PublishedSignal> published;
  std::string
      note;  // why nothing was looked up (e.g. no MedDRA PT for the phenotype); "" otherwise
};

struct PrAssessment {
  PrClass classification = PrClass::kNone;
  // What was assessed: the record's explicit eruption, or a reaction inferred from a recorded
  // condition (standard records); "" when nothing was.
  std::string source;  // eruption | condition | ""
  clinical::EruptionKind kind = clinical::EruptionKind::kNew;
  std::optional<std::string> onset;                         // the reaction's onset date
  std::optional<kb::SeverityGrade> severity;                // as recorded
  std::optional<std::string> condition, condition_pointer;  // the condition it was inferred from
  std::vector<std::string> sites, record_notes;             // as recorded
  std::optional<double> score;                              // Naranjo total
  std::optional<NaranjoCategory> naranjo_category;          // absent when no score
  std::vector<NaranjoItem> components;
  std::vector<Culprit> culprits;
  std::string phenotype;
  std::vector<std::string> matching_patterns;
  std::vector<std::string> expected_phenotypes;  // of the culprit class
  std::vector<LatencyComparison> latency;
  std::vector<RiskFactorHit> risk_factors;
  std::optional<double>
      risk_multiplier;  // product of matched HR/OR/IRR/RR estimates, one per group
  std::vector<std::string> differentials;
  std::string mechanism;
  std::vector<std::string> blocked_axes, released_axes;
  std::vector<std::string> mechanism_sources;
  std::vector<AxisProfile> axis_profiles;  // the two diseases
  std::optional<std::string> primary_disease, reaction_disease;
  // Present only when a SignalSource was given and a culprit and a phenotype were identified.
  std::optional<ReportingSignals> reporting_signals;
  std::vector<Reason> reasons;
};

struct ScreeningItem {
  kb::ScreeningKind item = kb::ScreeningKind::kTb;
  ScreeningStatus status = ScreeningStatus::kNotRecorded;
  std::optional<std::string> last_date;
  std::string detail;
  std::string text;
  std::vector<std::string> sources;
};

struct MonitoringEvent {
  std::string test;
  std::string date;
  std::string text;
  std::vector<std::string> sources;
};

struct Alert {
  // kLabInterrupt | kLabDiscontinue | kLabDoseReduce | kLabDoNotStart (planned drug); the default
  // is the plan's own fallback for a threshold action it does not know (interrupt).
  ReasonCode code = ReasonCode::kLabInterrupt;
  std::string drug, lab, date;
  double value = 0;
  std::string unit;
  double threshold = 0;
  std::string action, text;
  std::vector<std::string> sources;
  // "<", "<=", ">" or ">=" when the result is a bound ("< 0.3"): `value` is then the bound.
  std::string comparator;
};

struct SafetyPlan {
  std::optional<std::string> for_drug;  // the planned drug, else the top-ranked one
  std::string start_date;
  std::vector<ScreeningItem> screening;
  std::vector<MonitoringEvent> monitoring;
  std::vector<Alert> alerts;
};

struct Assessment {
  std::string schema_version = kSchemaVersion;
  std::string kb_version, engine_version;
  std::string region, as_of, input_kind;
  PrAssessment pr;                          // the most likely reaction (pr_candidates' first)
  std::vector<PrAssessment> pr_candidates;  // every reaction assessed, most likely first
  // The diseases the options are chosen for: a reaction's primary and reaction disease, or, with
  // no reaction found, the active diseases a JAK inhibitor could treat.
  std::vector<std::string> option_diseases;
  std::vector<Option> options;  // ranked
  SafetyPlan plan;
  std::vector<clinical::InputProblem> warnings;
};

// Pathway profiles are the costly part; one cache serves many assessments (thread-safe).
class PathwayCache {
 public:
  explicit PathwayCache(const kb::KnowledgeBase& kb) : kb_(kb) {}
  std::shared_ptr<const pharm::PathwayProfile> get(const kb::Drug& drug, const pharm::Regimen& r,
                                                   const pharm::ExposureModifier* modifier);
  // The profile's coverage of `disease` (cached with the profile).
  // The reference stays valid as long as the cache (entries are never removed).
  const pharm::DiseaseCoverage& coverage(
      const std::shared_ptr<const pharm::PathwayProfile>& profile, const std::string& disease);
  // Every source cited by the profile's qualitative pathway statements, first-cited order
  // (cached with the profile).
  const std::vector<std::string>& effect_sources(
      const std::shared_ptr<const pharm::PathwayProfile>& profile);
  // Precomputes every approved regimen of every drug (no modifier).
  void warm();

 private:
  // A regimen as the profile depends on it; typed so a lookup formats no text.
  struct Key {
    const kb::Drug* drug;
    double amount_mg, tau_h;
    std::string formulation, modifier;
    auto operator<=>(const Key&) const = default;
  };
  const kb::KnowledgeBase& kb_;
  std::mutex mu_;
  std::map<Key, std::shared_ptr<const pharm::PathwayProfile>> cache_;
  std::map<const pharm::PathwayProfile*, std::vector<std::string>> effect_sources_;
  std::map<std::pair<const pharm::PathwayProfile*, std::string>, pharm::DiseaseCoverage> coverage_;
};

struct AssessOptions {
  std::optional<clinical::Date>
      start;                      // treatment start for the monitoring calendar (default as_of)
  PathwayCache* cache = nullptr;  // optional; a private one is used otherwise
  std::string engine_version = "dev";
  const SignalSource* signals = nullptr;  // optional pharmacovigilance store (--pv-store)
  // The drug the clinician plans to start (a saved case's earlier plan): the safety plan stays
  // written for it, and its do-not-start thresholds are checked, even when new results now rank
  // it lower. Default: the top-ranked drug.
  std::optional<std::string> planned_drug;
};

Assessment assess(const kb::KnowledgeBase& kb, const clinical::Case& record,
                  const AssessOptions& options = {});

// The baseline screening, monitoring calendar and lab alerts for the first of `options` whose
// verdict allows starting it (or for `planned_drug`), from `start`: the plan assess() writes. The
// screening and CDS Hooks plan cards call it for the drug a patient already takes.
SafetyPlan safety_plan(const kb::KnowledgeBase& kb, const clinical::Case& record,
                       const std::vector<Option>& options, clinical::Date start,
                       const std::optional<std::string>& planned_drug = std::nullopt);

}  // namespace paraderm::assess
