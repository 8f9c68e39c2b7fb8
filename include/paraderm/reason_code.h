// The closed set of reason codes (docs/reason-codes.md): every statement of an assessment and
// every safety-plan alert carries one. ONE table below gives each enumerator its stable text; the
// rules compare enumerators, never text, and the text appears only where a renderer writes it.
// tests/assess/reason_code_test.cpp checks that this table and docs/reason-codes.md list the same
// codes. Codes are never renamed; a new one is added here and documented there.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace paraderm::assess {

// X(enumerator, "CODE"), in the order of docs/reason-codes.md.
#define PARADERM_REASON_CODES(X)                                \
  X(kPrNoEruption, "PR_NO_ERUPTION")                            \
  X(kPrUnrecognisedCondition, "PR_UNRECOGNISED_CONDITION")      \
  X(kPrUnidentifiedMedication, "PR_UNIDENTIFIED_MEDICATION")    \
  X(kPrTimingUnknown, "PR_TIMING_UNKNOWN")                      \
  X(kPrAfterStop, "PR_AFTER_STOP")                              \
  X(kPrInferredFromCondition, "PR_INFERRED_FROM_CONDITION")     \
  X(kPrNoneOptionsForActive, "PR_NONE_OPTIONS_FOR_ACTIVE")      \
  X(kPrNoCulprit, "PR_NO_CULPRIT")                              \
  X(kPrCulpritActive, "PR_CULPRIT_ACTIVE")                      \
  X(kPrPatternKnown, "PR_PATTERN_KNOWN")                        \
  X(kPrPatternUnknown, "PR_PATTERN_UNKNOWN")                    \
  X(kPrLatencyWithin, "PR_LATENCY_WITHIN")                      \
  X(kPrLatencyOutside, "PR_LATENCY_OUTSIDE")                    \
  X(kPrPredatesBiologic, "PR_PREDATES_BIOLOGIC")                \
  X(kPrRelapse, "PR_RELAPSE")                                   \
  X(kPrRiskFactor, "PR_RISK_FACTOR")                            \
  X(kPrAlternativeCause, "PR_ALTERNATIVE_CAUSE")                \
  X(kPrPrimaryDiseaseUnknown, "PR_PRIMARY_DISEASE_UNKNOWN")     \
  X(kPvSignalReported, "PV_SIGNAL_REPORTED")                    \
  X(kPvNoSignal, "PV_NO_SIGNAL")                                \
  X(kPvPairAbsent, "PV_PAIR_ABSENT")                            \
  X(kPvNoMeddraTerm, "PV_NO_MEDDRA_TERM")                       \
  X(kLabelApproved, "LABEL_APPROVED")                           \
  X(kLabelAgeRestricted, "LABEL_AGE_RESTRICTED")                \
  X(kOffLabel, "OFF_LABEL")                                     \
  X(kOffLabelPrimary, "OFF_LABEL_PRIMARY")                      \
  X(kOffLabelUnsupported, "OFF_LABEL_UNSUPPORTED")              \
  X(kLabelNotApproved, "LABEL_NOT_APPROVED")                    \
  X(kNoLabelInRegion, "NO_LABEL_IN_REGION")                     \
  X(kAgeBelowLabelMin, "AGE_BELOW_LABEL_MIN")                   \
  X(kDoseStart, "DOSE_START")                                   \
  X(kDoseFromOtherIndication, "DOSE_FROM_OTHER_INDICATION")     \
  X(kDoseUnknown, "DOSE_UNKNOWN")                               \
  X(kNoPaediatricLabel, "NO_PAEDIATRIC_LABEL")                  \
  X(kWeightNeeded, "WEIGHT_NEEDED")                             \
  X(kAgeNeeded, "AGE_NEEDED")                                   \
  X(kRuleUnknown, "RULE_UNKNOWN")                               \
  X(kChildPughRange, "CHILD_PUGH_RANGE")                        \
  X(kDoseCappedAtMaximum, "DOSE_CAPPED_AT_MAXIMUM")             \
  X(kTopicalSuited, "TOPICAL_SUITED")                           \
  X(kTopicalNotSuited, "TOPICAL_NOT_SUITED")                    \
  X(kTopicalSeverityUnknown, "TOPICAL_SEVERITY_UNKNOWN")        \
  X(kPracAge65, "PRAC_AGE_65")                                  \
  X(kPracSmoker, "PRAC_SMOKER")                                 \
  X(kPracCvRisk, "PRAC_CV_RISK")                                \
  X(kPracCancerRisk, "PRAC_CANCER_RISK")                        \
  X(kPracVteRisk, "PRAC_VTE_RISK")                              \
  X(kPracLowerDose, "PRAC_LOWER_DOSE")                          \
  X(kSmokingUnknown, "SMOKING_UNKNOWN")                         \
  X(kUsBoxedWarning, "US_BOXED_WARNING")                        \
  X(kGiPerforationRisk, "GI_PERFORATION_RISK")                  \
  X(kContraindication, "CONTRAINDICATION")                      \
  X(kDrugAllergyRecorded, "DRUG_ALLERGY_RECORDED")              \
  X(kConditionUnknown, "CONDITION_UNKNOWN")                     \
  X(kTreatedDiseaseUnknown, "TREATED_DISEASE_UNKNOWN")          \
  X(kRegionAssumed, "REGION_ASSUMED")                           \
  X(kPregnancy, "PREGNANCY")                                    \
  X(kLactation, "LACTATION")                                    \
  X(kPregnancyUnknown, "PREGNANCY_UNKNOWN")                     \
  X(kLactationUnknown, "LACTATION_UNKNOWN")                     \
  X(kActiveTb, "ACTIVE_TB")                                     \
  X(kLatentTbUntreated, "LATENT_TB_UNTREATED")                  \
  X(kLatentTbTreated, "LATENT_TB_TREATED")                      \
  X(kTbTestPositive, "TB_TEST_POSITIVE")                        \
  X(kActiveHbv, "ACTIVE_HBV")                                   \
  X(kHbvCoreAntibodyPositive, "HBV_CORE_ANTIBODY_POSITIVE")     \
  X(kHcvAntibodyPositive, "HCV_ANTIBODY_POSITIVE")              \
  X(kActiveHcv, "ACTIVE_HCV")                                   \
  X(kScreeningResultUnread, "SCREENING_RESULT_UNREAD")          \
  X(kActiveSeriousInfection, "ACTIVE_SERIOUS_INFECTION")        \
  X(kHerpesZosterHistory, "HERPES_ZOSTER_HISTORY")              \
  X(kLabDoNotStart, "LAB_DO_NOT_START")                         \
  X(kLabMissing, "LAB_MISSING")                                 \
  X(kLabChecked, "LAB_CHECKED")                                 \
  X(kRenalNoChange, "RENAL_NO_CHANGE")                          \
  X(kRenalDose, "RENAL_DOSE")                                   \
  X(kRenalNotStudied, "RENAL_NOT_STUDIED")                      \
  X(kRenalAvoid, "RENAL_AVOID")                                 \
  X(kRenalContraindicated, "RENAL_CONTRAINDICATED")             \
  X(kRenalUnknown, "RENAL_UNKNOWN")                             \
  X(kHepaticNoChange, "HEPATIC_NO_CHANGE")                      \
  X(kHepaticDose, "HEPATIC_DOSE")                               \
  X(kHepaticNotStudied, "HEPATIC_NOT_STUDIED")                  \
  X(kHepaticAvoid, "HEPATIC_AVOID")                             \
  X(kHepaticContraindicated, "HEPATIC_CONTRAINDICATED")         \
  X(kHepaticUnknown, "HEPATIC_UNKNOWN")                         \
  X(kInteractionContraindicated, "INTERACTION_CONTRAINDICATED") \
  X(kInteractionAvoid, "INTERACTION_AVOID")                     \
  X(kInteractionDose, "INTERACTION_DOSE")                       \
  X(kInteractionMonitor, "INTERACTION_MONITOR")                 \
  X(kInteractionTimeLimited, "INTERACTION_TIME_LIMITED")        \
  X(kInteractionUnknown, "INTERACTION_UNKNOWN")                 \
  X(kSwitchFromCulprit, "SWITCH_FROM_CULPRIT")                  \
  X(kCurrentJak, "CURRENT_JAK")                                 \
  X(kCurrentDoseAbove, "CURRENT_DOSE_ABOVE")                    \
  X(kCurrentDoseStepUp, "CURRENT_DOSE_STEP_UP")                 \
  X(kPrCaseEvidence, "PR_CASE_EVIDENCE")                        \
  X(kJakCausedPr, "JAK_CAUSED_PR")                              \
  X(kCoverageBoth, "COVERAGE_BOTH")                             \
  X(kCoverageNone, "COVERAGE_NONE")                             \
  X(kCoverageUnknown, "COVERAGE_UNKNOWN")                       \
  X(kStrategyReported, "STRATEGY_REPORTED")                     \
  X(kLabInterrupt, "LAB_INTERRUPT")                             \
  X(kLabDiscontinue, "LAB_DISCONTINUE")                         \
  X(kLabDoseReduce, "LAB_DOSE_REDUCE")

enum class ReasonCode {
#define PARADERM_REASON_CODE_ENUMERATOR(id, text) id,
  PARADERM_REASON_CODES(PARADERM_REASON_CODE_ENUMERATOR)
#undef PARADERM_REASON_CODE_ENUMERATOR
};

inline constexpr std::string_view kReasonCodeNames[] = {
#define PARADERM_REASON_CODE_NAME(id, text) text,
    PARADERM_REASON_CODES(PARADERM_REASON_CODE_NAME)
#undef PARADERM_REASON_CODE_NAME
};

inline constexpr std::size_t kReasonCodeCount = std::size(kReasonCodeNames);

// The stable text of a code, e.g. "LAB_DO_NOT_START".
constexpr std::string_view to_string(ReasonCode code) {
  return kReasonCodeNames[static_cast<std::size_t>(code)];
}

// The code of a stable text; nullopt when the text names none.
constexpr std::optional<ReasonCode> parse_reason_code(std::string_view text) {
  for (std::size_t i = 0; i < kReasonCodeCount; ++i) {
    if (kReasonCodeNames[i] == text) return static_cast<ReasonCode>(i);
  }
  return std::nullopt;
}

// The EMA PRAC 2022 risk-group measures (age >= 65, smoker, CV, cancer, VTE risk, lower dose): a
// screen lists them as risk-group findings for a patient already on the drug.
constexpr bool is_prac_risk_group(ReasonCode code) {
  switch (code) {
    case ReasonCode::kPracAge65:
    case ReasonCode::kPracSmoker:
    case ReasonCode::kPracCvRisk:
    case ReasonCode::kPracCancerRisk:
    case ReasonCode::kPracVteRisk:
    case ReasonCode::kPracLowerDose:
      return true;
    default:
      return false;
  }
}

// "Not assessed" reasons: the record lacks (or has unreadable) data a rule needs, or the KB lacks a
// rule. A summary that names one reason names a finding about the patient before these.
constexpr bool is_not_assessed(ReasonCode code) {
  switch (code) {
    case ReasonCode::kWeightNeeded:
    case ReasonCode::kAgeNeeded:
    case ReasonCode::kRuleUnknown:
    case ReasonCode::kTopicalSeverityUnknown:
    case ReasonCode::kSmokingUnknown:
    case ReasonCode::kConditionUnknown:
    case ReasonCode::kTreatedDiseaseUnknown:
    case ReasonCode::kRegionAssumed:
    case ReasonCode::kPregnancyUnknown:
    case ReasonCode::kLactationUnknown:
    case ReasonCode::kScreeningResultUnread:
    case ReasonCode::kLabMissing:
    case ReasonCode::kRenalUnknown:
    case ReasonCode::kHepaticUnknown:
    case ReasonCode::kInteractionUnknown:
    case ReasonCode::kCoverageUnknown:
      return true;
    default:
      return false;
  }
}

// The reasons that set or change an option's dose (the CDS Hooks dose card explains the adjusted
// dose with them).
constexpr bool sets_dose(ReasonCode code) {
  switch (code) {
    case ReasonCode::kDoseStart:
    case ReasonCode::kDoseFromOtherIndication:
    case ReasonCode::kDoseUnknown:
    case ReasonCode::kDoseCappedAtMaximum:
    case ReasonCode::kPracLowerDose:
    case ReasonCode::kRenalDose:
    case ReasonCode::kHepaticDose:
    case ReasonCode::kInteractionDose:
    case ReasonCode::kLabDoseReduce:
      return true;
    default:
      return false;
  }
}

// The reaction reasons that name a possible paradoxical reaction the record cannot place or
// identify ("not assessed"); shown, never read as "no reaction" (the CDS patient-view card).
constexpr bool pr_not_assessed(ReasonCode code) {
  switch (code) {
    case ReasonCode::kPrTimingUnknown:
    case ReasonCode::kPrAfterStop:
    case ReasonCode::kPrUnidentifiedMedication:
    case ReasonCode::kPrUnrecognisedCondition:
      return true;
    default:
      return false;
  }
}

}  // namespace paraderm::assess
