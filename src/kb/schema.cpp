// The schema of every KB kind (documented for humans in docs/kb.md), and the kind registry that
// maps a top-level TOML key to its collection in KnowledgeBase.
#include "kb/schema.h"

#include <fmt/format.h>

namespace paraderm::kb::detail {

using V = std::vector<std::string_view>;

const V kRegions = {"us", "eu", "both"};
// The subset of RuleAction a renal or hepatic rule may use (an interaction uses its own).
const V kOrganRuleActions = {"no-change",       "dose",       "halve", "not-recommended",
                             "contraindicated", "not-studied"};

template <>
struct EnumNames<Confidence> {
  static constexpr std::array<std::pair<Confidence, std::string_view>, 4> kNames{{
      {Confidence::kConfirmed, "confirmed"},
      {Confidence::kSecondary, "secondary"},
      {Confidence::kDerived, "derived"},
      {Confidence::kUnconfirmed, "unconfirmed"},
  }};
};

template <>
struct EnumNames<PregnancyStatus> {
  static constexpr std::array<std::pair<PregnancyStatus, std::string_view>, 3> kNames{{
      {PregnancyStatus::kPregnant, "pregnant"},
      {PregnancyStatus::kNotPregnant, "not-pregnant"},
      {PregnancyStatus::kUnknown, "unknown"},
  }};
};

template <>
struct EnumNames<SmokingStatus> {
  static constexpr std::array<std::pair<SmokingStatus, std::string_view>, 5> kNames{{
      {SmokingStatus::kUnknown, "unknown"},
      {SmokingStatus::kCurrent, "current"},
      {SmokingStatus::kFormer, "former"},
      {SmokingStatus::kNever, "never"},
      {SmokingStatus::kSmoker, "smoker"},
  }};
};

template <>
struct EnumNames<ConditionStatus> {
  static constexpr std::array<std::pair<ConditionStatus, std::string_view>, 2> kNames{{
      {ConditionStatus::kActive, "active"},
      {ConditionStatus::kResolved, "resolved"},
  }};
};

template <>
struct EnumNames<IndicationStatus> {
  static constexpr std::array<std::pair<IndicationStatus, std::string_view>, 4> kNames{{
      {IndicationStatus::kApproved, "approved"},
      {IndicationStatus::kFiled, "filed"},
      {IndicationStatus::kInvestigational, "investigational"},
      {IndicationStatus::kNotApproved, "not-approved"},
  }};
};

template <>
struct EnumNames<Route> {
  static constexpr std::array<std::pair<Route, std::string_view>, 2> kNames{{
      {Route::kOral, "oral"},
      {Route::kTopical, "topical"},
  }};
};

template <>
struct EnumNames<WarningKind> {
  static constexpr std::array<std::pair<WarningKind, std::string_view>, 3> kNames{{
      {WarningKind::kBoxed, "boxed"},
      {WarningKind::kWarning, "warning"},
      {WarningKind::kLimitation, "limitation"},
  }};
};

template <>
struct EnumNames<FhirCodeEffect> {
  static constexpr std::array<std::pair<FhirCodeEffect, std::string_view>, 3> kNames{{
      {FhirCodeEffect::kUse, "use"},
      {FhirCodeEffect::kWarn, "warn"},
      {FhirCodeEffect::kIgnore, "ignore"},
  }};
};

template <>
struct EnumNames<InteractionKind> {
  static constexpr std::array<std::pair<InteractionKind, std::string_view>, 4> kNames{{
      {InteractionKind::kDrugClass, "drug-class"},
      {InteractionKind::kVaccine, "vaccine"},
      {InteractionKind::kPhenotype, "phenotype"},
      {InteractionKind::kFood, "food"},
  }};
};

template <>
struct EnumNames<DiseaseCategory> {
  static constexpr std::array<std::pair<DiseaseCategory, std::string_view>, 9> kNames{{
      {DiseaseCategory::kImmuneSkin, "immune-skin"},
      {DiseaseCategory::kImmuneSystemic, "immune-systemic"},
      {DiseaseCategory::kInfection, "infection"},
      {DiseaseCategory::kCardiovascular, "cardiovascular"},
      {DiseaseCategory::kMalignancy, "malignancy"},
      {DiseaseCategory::kRenal, "renal"},
      {DiseaseCategory::kHepatic, "hepatic"},
      {DiseaseCategory::kReproductive, "reproductive"},
      {DiseaseCategory::kOther, "other"},
  }};
};

template <>
struct EnumNames<RiskFactorMatch> {
  static constexpr std::array<std::pair<RiskFactorMatch, std::string_view>, 8> kNames{{
      {RiskFactorMatch::kCondition, "condition"},
      {RiskFactorMatch::kSex, "sex"},
      {RiskFactorMatch::kSmoking, "smoking"},
      {RiskFactorMatch::kFlag, "flag"},
      {RiskFactorMatch::kAgePerYear, "age-per-year"},
      {RiskFactorMatch::kComedication, "comedication"},
      {RiskFactorMatch::kCulpritClass, "culprit-class"},
      {RiskFactorMatch::kCulprit, "culprit"},
  }};
};

template <>
struct EnumNames<EffectMeasure> {
  static constexpr std::array<std::pair<EffectMeasure, std::string_view>, 6> kNames{{
      {EffectMeasure::kHr, "hr"},
      {EffectMeasure::kOr, "or"},
      {EffectMeasure::kIrr, "irr"},
      {EffectMeasure::kRr, "rr"},
      {EffectMeasure::kPrevalencePct, "prevalence-pct"},
      {EffectMeasure::kRelapsePct, "relapse-pct"},
  }};
};

template <>
struct EnumNames<EffectDirection> {
  static constexpr std::array<std::pair<EffectDirection, std::string_view>, 3> kNames{{
      {EffectDirection::kIncreases, "increases"},
      {EffectDirection::kDecreases, "decreases"},
      {EffectDirection::kNoEffect, "no-effect"},
  }};
};

template <>
struct EnumNames<PrCaseKind> {
  static constexpr std::array<std::pair<PrCaseKind, std::string_view>, 2> kNames{{
      {PrCaseKind::kTreatedWithJak, "treated-with-jak"},
      {PrCaseKind::kCausedByJak, "caused-by-jak"},
  }};
};

template <>
struct EnumNames<RiskGroupMeasure> {
  static constexpr std::array<std::pair<RiskGroupMeasure, std::string_view>, 3> kNames{{
      {RiskGroupMeasure::kOnlyIfNoAlternative, "only-if-no-alternative"},
      {RiskGroupMeasure::kLowerDose, "lower-dose"},
      {RiskGroupMeasure::kCaution, "caution"},
  }};
};

template <>
struct EnumNames<ScreeningKind> {
  static constexpr std::array<std::pair<ScreeningKind, std::string_view>, 11> kNames{{
      {ScreeningKind::kTb, "tb"},
      {ScreeningKind::kHbv, "hbv"},
      {ScreeningKind::kHcv, "hcv"},
      {ScreeningKind::kCbc, "cbc"},
      {ScreeningKind::kLipids, "lipids"},
      {ScreeningKind::kLiverEnzymes, "liver-enzymes"},
      {ScreeningKind::kEgfr, "egfr"},
      {ScreeningKind::kPregnancy, "pregnancy"},
      {ScreeningKind::kVaccination, "vaccination"},
      {ScreeningKind::kZosterVaccine, "zoster-vaccine"},
      {ScreeningKind::kSkinExam, "skin-exam"},
  }};
};

template <>
struct EnumNames<ScoreKind> {
  static constexpr std::array<std::pair<ScoreKind, std::string_view>, 3> kNames{{
      {ScoreKind::kNaranjo, "naranjo"},
      {ScoreKind::kChildPugh, "child-pugh"},
      {ScoreKind::kPvSignal, "pv-signal"},
  }};
};

template <>
struct EnumNames<PvStatistic> {
  static constexpr std::array<std::pair<PvStatistic, std::string_view>, 13> kNames{{
      {PvStatistic::kN, "n"},
      {PvStatistic::kExpected, "expected"},
      {PvStatistic::kRor, "ror"},
      {PvStatistic::kRorLo, "ror_lo"},
      {PvStatistic::kRorHi, "ror_hi"},
      {PvStatistic::kPrr, "prr"},
      {PvStatistic::kPrrChi2, "prr_chi2"},
      {PvStatistic::kIc, "ic"},
      {PvStatistic::kIc025, "ic025"},
      {PvStatistic::kIc975, "ic975"},
      {PvStatistic::kEbgm, "ebgm"},
      {PvStatistic::kEb05, "eb05"},
      {PvStatistic::kEb95, "eb95"},
  }};
};

template <>
struct EnumNames<DoseRole> {
  static constexpr std::array<std::pair<DoseRole, std::string_view>, 9> kNames{{
      {DoseRole::kStandard, "standard"},
      {DoseRole::kStart, "start"},
      {DoseRole::kStepUp, "step-up"},
      {DoseRole::kMaximum, "maximum"},
      {DoseRole::kStepDown, "step-down"},
      {DoseRole::kReduced, "reduced"},
      {DoseRole::kHighRisk, "high-risk"},
      {DoseRole::kElderly, "elderly"},
      {DoseRole::kPaediatric, "paediatric"},
  }};
};

template <>
struct EnumNames<SeverityGrade> {
  static constexpr std::array<std::pair<SeverityGrade, std::string_view>, 3> kNames{{
      {SeverityGrade::kMild, "mild"},
      {SeverityGrade::kModerate, "moderate"},
      {SeverityGrade::kSevere, "severe"},
  }};
};

template <>
struct EnumNames<Qualifier> {
  static constexpr std::array<std::pair<Qualifier, std::string_view>, 5> kNames{{
      {Qualifier::kLess, "<"},
      {Qualifier::kLessOrEqual, "<="},
      {Qualifier::kGreater, ">"},
      {Qualifier::kGreaterOrEqual, ">="},
      {Qualifier::kApprox, "~"},
  }};
};

template <>
struct EnumNames<Binding> {
  static constexpr std::array<std::pair<Binding, std::string_view>, 3> kNames{{
      {Binding::kAtpCompetitive, "atp-competitive"},
      {Binding::kAllosteric, "allosteric"},
      {Binding::kCovalent, "covalent"},
  }};
};

template <>
struct EnumNames<Signalling> {
  static constexpr std::array<std::pair<Signalling, std::string_view>, 2> kNames{{
      {Signalling::kJak, "jak"},
      {Signalling::kNone, "none"},
  }};
};

template <>
struct EnumNames<PotencyAssay> {
  static constexpr std::array<std::pair<PotencyAssay, std::string_view>, 3> kNames{{
      {PotencyAssay::kEnzymatic, "enzymatic"},
      {PotencyAssay::kCellular, "cellular"},
      {PotencyAssay::kCellularSelectivity, "cellular-selectivity"},
  }};
};

template <>
struct EnumNames<PotencyMatrix> {
  static constexpr std::array<std::pair<PotencyMatrix, std::string_view>, 4> kNames{{
      {PotencyMatrix::kEnzyme, "enzyme"},
      {PotencyMatrix::kCells, "cells"},
      {PotencyMatrix::kPbmc, "pbmc"},
      {PotencyMatrix::kWholeBlood, "whole-blood"},
  }};
};

template <>
struct EnumNames<PathwayState> {
  static constexpr std::array<std::pair<PathwayState, std::string_view>, 2> kNames{{
      {PathwayState::kInhibited, "inhibited"},
      {PathwayState::kSpared, "spared"},
  }};
};

template <>
struct EnumNames<Exposure> {
  static constexpr std::array<std::pair<Exposure, std::string_view>, 3> kNames{{
      {Exposure::kClinical, "clinical"},
      {Exposure::kApplicationSite, "application-site"},
      {Exposure::kMixed, "mixed"},
  }};
};

template <>
struct EnumNames<Absorption> {
  static constexpr std::array<std::pair<Absorption, std::string_view>, 4> kNames{{
      {Absorption::kFirstOrder, "first-order"},
      {Absorption::kFirstOrderLag, "first-order-lag"},
      {Absorption::kZeroOrder, "zero-order"},
      {Absorption::kMixed, "mixed"},
  }};
};

template <>
struct EnumNames<Grade> {
  static constexpr std::array<std::pair<Grade, std::string_view>, 10> kNames{{
      {Grade::kLabel, "label"},
      {Grade::kGuideline, "guideline"},
      {Grade::kRct, "rct"},
      {Grade::kMetaAnalysis, "meta-analysis"},
      {Grade::kCohort, "cohort"},
      {Grade::kCaseSeries, "case-series"},
      {Grade::kPharmacovigilance, "pharmacovigilance"},
      {Grade::kMechanistic, "mechanistic"},
      {Grade::kReview, "review"},
      {Grade::kTerminology, "terminology"},
  }};
};

template <>
struct EnumNames<Region> {
  static constexpr std::array<std::pair<Region, std::string_view>, 3> kNames{{
      {Region::kUs, "us"},
      {Region::kEu, "eu"},
      {Region::kBoth, "both"},
  }};
};

template <>
struct EnumNames<LabAction> {
  static constexpr std::array<std::pair<LabAction, std::string_view>, 4> kNames{{
      {LabAction::kDoNotStart, "do-not-start"},
      {LabAction::kInterrupt, "interrupt"},
      {LabAction::kDiscontinue, "discontinue"},
      {LabAction::kDoseReduce, "dose-reduce"},
  }};
};

template <>
struct EnumNames<RenalBasis> {
  static constexpr std::array<std::pair<RenalBasis, std::string_view>, 2> kNames{{
      {RenalBasis::kEgfr, "egfr"},
      {RenalBasis::kCrcl, "crcl"},
  }};
};

template <>
struct EnumNames<RuleAction> {
  static constexpr std::array<std::pair<RuleAction, std::string_view>, 8> kNames{{
      {RuleAction::kNoChange, "no-change"},
      {RuleAction::kDose, "dose"},
      {RuleAction::kHalve, "halve"},
      {RuleAction::kAvoid, "avoid"},
      {RuleAction::kNotRecommended, "not-recommended"},
      {RuleAction::kContraindicated, "contraindicated"},
      {RuleAction::kNotStudied, "not-studied"},
      {RuleAction::kMonitor, "monitor"},
  }};
};

template <>
struct EnumNames<ReproductiveAction> {
  static constexpr std::array<std::pair<ReproductiveAction, std::string_view>, 5> kNames{{
      {ReproductiveAction::kAvoid, "avoid"},
      {ReproductiveAction::kContraindicated, "contraindicated"},
      {ReproductiveAction::kCaution, "caution"},
      {ReproductiveAction::kRegistry, "registry"},
      {ReproductiveAction::kNoData, "no-data"},
  }};
};

template <>
struct EnumNames<ContraCondition> {
  static constexpr std::array<std::pair<ContraCondition, std::string_view>, 6> kNames{{
      {ContraCondition::kPregnancy, "pregnancy"},
      {ContraCondition::kBreastfeeding, "breastfeeding"},
      {ContraCondition::kActiveTb, "active-tb"},
      {ContraCondition::kActiveSeriousInfection, "active-serious-infection"},
      {ContraCondition::kSevereHepaticImpairment, "severe-hepatic-impairment"},
      {ContraCondition::kHypersensitivity, "hypersensitivity"},
  }};
};

template <>
struct EnumNames<WarningTopic> {
  static constexpr std::array<std::pair<WarningTopic, std::string_view>, 20> kNames{{
      {WarningTopic::kSeriousInfection, "serious-infection"},
      {WarningTopic::kHerpesZoster, "herpes-zoster"},
      {WarningTopic::kMalignancy, "malignancy"},
      {WarningTopic::kNonMelanomaSkinCancer, "non-melanoma-skin-cancer"},
      {WarningTopic::kMace, "mace"},
      {WarningTopic::kThrombosis, "thrombosis"},
      {WarningTopic::kMortality, "mortality"},
      {WarningTopic::kGiPerforation, "gi-perforation"},
      {WarningTopic::kLiverInjury, "liver-injury"},
      {WarningTopic::kCytopenia, "cytopenia"},
      {WarningTopic::kLipids, "lipids"},
      {WarningTopic::kHypoglycaemia, "hypoglycaemia"},
      {WarningTopic::kCpk, "cpk"},
      {WarningTopic::kPaediatric, "paediatric"},
      {WarningTopic::kCombinationTherapy, "combination-therapy"},
      {WarningTopic::kImmunosuppressants, "immunosuppressants"},
      {WarningTopic::kPracRiskGroups, "prac-risk-groups"},
      {WarningTopic::kTnfExperienced, "tnf-experienced"},
      {WarningTopic::kDiscontinuation, "discontinuation"},
      {WarningTopic::kClassRisksUnknown, "class-risks-unknown"},
  }};
};

template <>
struct EnumNames<ReproductiveTopic> {
  static constexpr std::array<std::pair<ReproductiveTopic, std::string_view>, 4> kNames{{
      {ReproductiveTopic::kPregnancy, "pregnancy"},
      {ReproductiveTopic::kLactation, "lactation"},
      {ReproductiveTopic::kContraception, "contraception"},
      {ReproductiveTopic::kFertility, "fertility"},
  }};
};

template <>
struct EnumNames<RuleCategory> {
  static constexpr std::array<std::pair<RuleCategory, std::string_view>, kRuleCategories> kNames{{
      {RuleCategory::kDose, "dose"},
      {RuleCategory::kLabStart, "lab-start"},
      {RuleCategory::kLabOnTreatment, "lab-on-treatment"},
      {RuleCategory::kRenal, "renal"},
      {RuleCategory::kHepatic, "hepatic"},
      {RuleCategory::kInteraction, "interaction"},
      {RuleCategory::kPregnancy, "pregnancy"},
      {RuleCategory::kLactation, "lactation"},
      {RuleCategory::kInfection, "infection"},
      {RuleCategory::kRiskGroup, "risk-group"},
      {RuleCategory::kMonitoring, "monitoring"},
      {RuleCategory::kGiPerforation, "gi-perforation"},
  }};
};

template <>
struct EnumNames<RuleKnowledge> {
  static constexpr std::array<std::pair<RuleKnowledge, std::string_view>, 3> kNames{{
      {RuleKnowledge::kLabelSilent, "label-silent"},
      {RuleKnowledge::kNotFound, "not-found"},
      {RuleKnowledge::kNotAuthorised, "not-authorised"},
  }};
};

template <>
struct EnumNames<RiskGroupMatch> {
  static constexpr std::array<std::pair<RiskGroupMatch, std::string_view>, 6> kNames{{
      {RiskGroupMatch::kAge, "age"},
      {RiskGroupMatch::kSmoking, "smoking"},
      {RiskGroupMatch::kCvRisk, "cv-risk"},
      {RiskGroupMatch::kCancer, "cancer"},
      {RiskGroupMatch::kVteRisk, "vte-risk"},
      {RiskGroupMatch::kAnyOfVteCancerMace, "any-of-vte-cancer-mace"},
  }};
};

// ---- building blocks ------------------------------------------------------------------------

template <>
struct Schema<Provenance> {
  static const std::vector<Field<Provenance>>& fields() {
    static const std::vector<Field<Provenance>> f = {
        field("src", &Provenance::src, {.nonempty = true, .ref = "source"}),
        field("conf", &Provenance::conf),
        field("grade", &Provenance::grade),
        field("note", &Provenance::note),
    };
    return f;
  }
};

template <>
struct Schema<Quantity> {
  static const std::vector<Field<Quantity>>& fields() {
    static const std::vector<Field<Quantity>> f = concat<Quantity>(
        {
            field("value", &Quantity::value),
            field("low", &Quantity::low),
            field("high", &Quantity::high),
            field("qualifier", &Quantity::qualifier),
            field("stat", &Quantity::stat,
                  {.one_of = {"mean", "median", "geometric-mean", "typical"}}),
            field("unit", &Quantity::unit),
        },
        embed(&Quantity::prov));
    return f;
  }
  static void check(const Quantity& q, const BindContext& ctx, int line, const std::string& path) {
    bool range = q.low.has_value() || q.high.has_value();
    if (!q.value && !range) {
      ctx.error(line, path, "quantity without a number: expected 'value' or 'low' and 'high'");
    }
    if (range && !(q.low && q.high)) {
      ctx.error(line, path, "a range needs both 'low' and 'high'");
    }
    if (q.low && q.high && *q.low > *q.high) {
      ctx.error(line, path, fmt::format("range [{}, {}]: expected low <= high", *q.low, *q.high));
    }
  }
};

template <>
struct Schema<Code> {
  static const std::vector<Field<Code>>& fields() {
    static const std::vector<Field<Code>> f = concat<Code>(
        {
            field("system", &Code::system,
                  {.one_of = {"snomed", "icd10cm", "icd10", "rxnorm", "rxnorm-scd", "atc", "loinc",
                              "ucum", "cvx"}}),
            field("code", &Code::code),
            field("display", &Code::display),
        },
        embed(&Code::prov));
    return f;
  }
};

// Code ranges exist for code systems whose codes sort in their hierarchy's order.
template <>
struct Schema<CodeRange> {
  static const std::vector<Field<CodeRange>>& fields() {
    static const std::vector<Field<CodeRange>> f = concat<CodeRange>(
        {
            field("system", &CodeRange::system, {.one_of = {"icd10cm", "icd10"}}),
            field("from", &CodeRange::from),
            field("to", &CodeRange::to),
            field("display", &CodeRange::display),
        },
        embed(&CodeRange::prov));
    return f;
  }
  static void check(const CodeRange& r, const BindContext& ctx, int line, const std::string& path) {
    if (r.to < r.from) {
      ctx.error(line, path, fmt::format("range \"{}\"..\"{}\": expected from <= to", r.from, r.to));
    }
  }
};

template <>
struct Schema<TextFact> {
  static const std::vector<Field<TextFact>>& fields() {
    static const std::vector<Field<TextFact>> f =
        concat<TextFact>({field("text", &TextFact::text)}, embed(&TextFact::prov));
    return f;
  }
};

// ---- reference kinds ------------------------------------------------------------------------

template <>
struct Schema<Source> {
  static const std::vector<Field<Source>>& fields() {
    static const std::vector<Field<Source>> f = {
        field("id", &Source::id),
        field("title", &Source::title),
        field("authors", &Source::authors),
        field("venue", &Source::venue),
        field("section", &Source::section),
        field("year", &Source::year, {.min = 1900, .max = 2100}),
        field("doi", &Source::doi),
        field("pmid", &Source::pmid),
        field("url", &Source::url),
        field("grade", &Source::grade),
        field("reference", &Source::reference),
        field("note", &Source::note),
    };
    return f;
  }
  static void check(const Source& s, const BindContext& ctx, int line, const std::string& path) {
    if (!s.doi && !s.pmid && !s.url && !s.venue) {
      ctx.error(line, path,
                fmt::format("source '{}' cannot be found again: expected at least one of doi, "
                            "pmid, url, venue",
                            s.id));
    }
  }
};

template <>
struct Schema<Kinase> {
  static const std::vector<Field<Kinase>>& fields() {
    static const std::vector<Field<Kinase>> f = concat<Kinase>(
        {
            field("id", &Kinase::id, {.one_of = {"JAK1", "JAK2", "JAK3", "TYK2"}}),
            field("name", &Kinase::name),
        },
        embed(&Kinase::prov));
    return f;
  }
};

template <>
struct Schema<Receptor> {
  static const std::vector<Field<Receptor>>& fields() {
    static const std::vector<Field<Receptor>> f = {
        field("name", &Receptor::name),
        field("chains", &Receptor::chains),
        field("jaks", &Receptor::jaks, {.ref = "kinase"}),
    };
    return f;
  }
};

template <>
struct Schema<JakPair> {
  static const std::vector<Field<JakPair>>& fields() {
    static const std::vector<Field<JakPair>> f = concat<JakPair>(
        {field("kinases", &JakPair::kinases, {.nonempty = true, .ref = "kinase", .exact_size = 2})},
        embed(&JakPair::prov));
    return f;
  }
};

template <>
struct Schema<Cytokine> {
  static const std::vector<Field<Cytokine>>& fields() {
    static const std::vector<Field<Cytokine>> f = concat<Cytokine>(
        {
            field("id", &Cytokine::id),
            field("name", &Cytokine::name),
            field("aliases", &Cytokine::aliases),
            field("signalling", &Cytokine::signalling),
            field("non_jak_pathway", &Cytokine::non_jak_pathway),
            field("receptor", &Cytokine::receptor, {.nonempty = true}),
            field("pair", &Cytokine::pair),
            field("stats", &Cytokine::stats),
            field("axes", &Cytokine::axes, {.ref = "axis"}),
            field("biology", &Cytokine::biology),
        },
        embed(&Cytokine::prov));
    return f;
  }
  static void check(const Cytokine& c, const BindContext& ctx, int line, const std::string& path) {
    if (ctx.has_error_at(path + ".signalling")) return;  // a misspelt value reads as the default
    if (c.signalling == Signalling::kJak && !c.pair) {
      ctx.error(line, path + ".pair",
                fmt::format("cytokine '{}' signals through JAKs: expected a 'pair'", c.id));
    }
    if (c.signalling == Signalling::kNone) {
      if (c.pair) {
        ctx.error(line, path + ".pair",
                  fmt::format("cytokine '{}' has signalling = \"none\": expected no 'pair'", c.id));
      }
      if (!c.non_jak_pathway) {
        ctx.error(line, path + ".non_jak_pathway",
                  fmt::format("cytokine '{}' has signalling = \"none\": expected "
                              "'non_jak_pathway' describing how it signals",
                              c.id));
      }
      for (const auto& r : c.receptor) {
        if (!r.jaks.empty()) {
          ctx.error(line, path + ".receptor",
                    fmt::format("cytokine '{}' has signalling = \"none\": expected receptor "
                                "jaks = []",
                                c.id));
        }
      }
    }
  }
};

template <>
struct Schema<Axis> {
  static const std::vector<Field<Axis>>& fields() {
    static const std::vector<Field<Axis>> f = concat<Axis>(
        {
            field("id", &Axis::id, {.one_of = {"Th1", "Th2", "Th17", "Th22", "Th9", "Treg"}}),
            field("name", &Axis::name),
            field("polarising", &Axis::polarising, {.ref = "cytokine"}),
            field("polarising_other", &Axis::polarising_other),
            field("transcription_factors", &Axis::transcription_factors),
            field("effectors", &Axis::effectors, {.ref = "cytokine"}),
            field("effectors_other", &Axis::effectors_other),
        },
        embed(&Axis::prov));
    return f;
  }
};

template <>
struct Schema<Signature> {
  static const std::vector<Field<Signature>>& fields() {
    static const std::vector<Field<Signature>> f = concat<Signature>(
        {
            field("dominant_axes", &Signature::dominant_axes, {.ref = "axis"}),
            field("present_axes", &Signature::present_axes, {.ref = "axis"}),
            field("reduced_axes", &Signature::reduced_axes, {.ref = "axis"}),
            field("dominant", &Signature::dominant, {.ref = "cytokine"}),
            field("present", &Signature::present, {.ref = "cytokine"}),
            field("reduced", &Signature::reduced, {.ref = "cytokine"}),
        },
        embed(&Signature::prov));
    return f;
  }
  static void check(const Signature& s, const BindContext& ctx, int line, const std::string& path) {
    if (s.dominant_axes.empty() && s.dominant.empty()) {
      ctx.error(line, path, "signature without a dominant axis or cytokine: expected at least one");
    }
  }
};

template <>
struct Schema<Disease> {
  static const std::vector<Field<Disease>>& fields() {
    static const std::vector<Field<Disease>> f = {
        field("id", &Disease::id, {.id = true}),
        field("name", &Disease::name),
        field("aliases", &Disease::aliases),
        field("category", &Disease::category),
        field("parent", &Disease::parent, {.ref = "disease"}),
        field("code", &Disease::code),
        field("code_range", &Disease::code_range),
        field("signature", &Disease::signature),
    };
    return f;
  }
};

template <>
struct Schema<PlausibleRange> {
  static const std::vector<Field<PlausibleRange>>& fields() {
    static const std::vector<Field<PlausibleRange>> f = concat<PlausibleRange>(
        {
            field("min", &PlausibleRange::min),
            field("max", &PlausibleRange::max),
        },
        embed(&PlausibleRange::prov));
    return f;
  }
  static void check(const PlausibleRange& r, const BindContext& ctx, int line,
                    const std::string& path) {
    if (!r.min && !r.max) ctx.error(line, path, "plausible range: expected 'min', 'max' or both");
    if (r.min && r.max && *r.min > *r.max) {
      ctx.error(line, path,
                fmt::format("plausible range [{}, {}]: expected min <= max", *r.min, *r.max));
    }
  }
};

template <>
struct Schema<FromPercentage> {
  static const std::vector<Field<FromPercentage>>& fields() {
    static const std::vector<Field<FromPercentage>> f = concat<FromPercentage>(
        {
            field("percentage", &FromPercentage::percentage, {.ref = "lab"}),
            field("total", &FromPercentage::total, {.ref = "lab"}),
        },
        embed(&FromPercentage::prov));
    return f;
  }
  static void check(const FromPercentage&, const BindContext&, int, const std::string&) {}
};

template <>
struct Schema<Lab> {
  static const std::vector<Field<Lab>>& fields() {
    static const std::vector<Field<Lab>> f = {
        field("id", &Lab::id, {.id = true}),
        field("name", &Lab::name),
        field("aliases", &Lab::aliases),
        field("unit", &Lab::unit),
        field("code", &Lab::code),
        field("screening_item", &Lab::screening_item,
              {.one_of = {"tb", "hbv", "hcv", "cbc", "lipids", "liver-enzymes", "egfr",
                          "pregnancy"}}),  // the items a lab test records
        field("plausible", &Lab::plausible),
        field("from_percentage", &Lab::from_percentage),
    };
    return f;
  }
  static void check(const Lab& l, const BindContext& ctx, int line, const std::string& path) {
    if (l.plausible && !l.unit) {
      ctx.error(line, path + ".plausible",
                fmt::format("lab '{}' has a plausible range but no unit: expected 'unit'", l.id));
    }
  }
};

template <>
struct Schema<UnitConversion> {
  static const std::vector<Field<UnitConversion>>& fields() {
    static const std::vector<Field<UnitConversion>> f = concat<UnitConversion>(
        {
            field("analyte", &UnitConversion::analyte, {.ref = "lab"}),
            field("from", &UnitConversion::from),
            field("to", &UnitConversion::to),
            field("factor", &UnitConversion::factor, {.min = 1e-12}),
        },
        embed(&UnitConversion::prov));
    return f;
  }
};

template <>
struct Schema<AnswerCode> {
  static const std::vector<Field<AnswerCode>>& fields() {
    static const std::vector<Field<AnswerCode>> f = concat<AnswerCode>(
        {
            field("id", &AnswerCode::id, {.id = true}),
            field("question", &AnswerCode::question, {.ref = "lab"}),
            field("meaning", &AnswerCode::meaning),
            field("smoking_status", &AnswerCode::smoking_status),
            field("pregnancy_status", &AnswerCode::pregnancy_status),
            field("code", &AnswerCode::code),
        },
        embed(&AnswerCode::prov));
    return f;
  }
};

template <>
struct Schema<FhirCode> {
  static const std::vector<Field<FhirCode>>& fields() {
    static const std::vector<Field<FhirCode>> f = concat<FhirCode>(
        {
            field("id", &FhirCode::id, {.id = true}),
            field("resource", &FhirCode::resource,
                  {.one_of = {"MedicationStatement", "MedicationRequest",
                              "MedicationAdministration", "MedicationDispense", "Observation",
                              "Condition", "AllergyIntolerance", "Immunization"}}),
            field("element", &FhirCode::element,
                  {.one_of = {"status", "intent", "verificationStatus", "clinicalStatus",
                              "severity", "interpretation"}}),
            field("system", &FhirCode::system,
                  {.one_of = {"snomed", "v3-observation-interpretation"}}),
            field("code", &FhirCode::code),
            field("effect", &FhirCode::effect),
            field("meaning", &FhirCode::meaning),
            field("course", &FhirCode::course, {.one_of = {"recurrence", "relapse"}}),
        },
        embed(&FhirCode::prov));
    return f;
  }
};

template <>
struct Schema<RegionCountry> {
  static const std::vector<Field<RegionCountry>>& fields() {
    static const std::vector<Field<RegionCountry>> f = concat<RegionCountry>(
        {
            field("id", &RegionCountry::id, {.id = true}),
            field("region", &RegionCountry::region),
            field("countries", &RegionCountry::countries),
        },
        embed(&RegionCountry::prov));
    return f;
  }
  static void check(const RegionCountry& r, const BindContext& ctx, int line,
                    const std::string& path) {
    if (r.region == Region::kBoth) {
      ctx.error(line, path + ".region", "value \"both\": expected us or eu (one label region)");
    }
    for (const auto& c : r.countries) {
      bool code = (c.size() == 2 || c.size() == 3) &&
                  std::all_of(c.begin(), c.end(), [](char x) { return x >= 'A' && x <= 'Z'; });
      if (!code) {
        ctx.error(line, path + ".countries",
                  fmt::format("value \"{}\": expected an upper-case ISO 3166-1 alpha-2 or "
                              "alpha-3 code",
                              c));
      }
    }
  }
};

template <>
struct Schema<Vaccine> {
  static const std::vector<Field<Vaccine>>& fields() {
    static const std::vector<Field<Vaccine>> f = concat<Vaccine>(
        {
            field("id", &Vaccine::id, {.id = true}),
            field("name", &Vaccine::name),
            field("live", &Vaccine::live),
            field("screening_item", &Vaccine::screening_item, {.one_of = {"zoster-vaccine"}}),
            field("code", &Vaccine::code),
            field("names", &Vaccine::names),
        },
        embed(&Vaccine::prov));
    return f;
  }
  static void check(const Vaccine& v, const BindContext& ctx, int line, const std::string& path) {
    if (v.code.empty()) ctx.error(line, path + ".code", "expected at least one code");
    for (const auto& c : v.code) {
      if (c.system != "cvx" && c.system != "atc") {
        ctx.error(line, path + ".code",
                  fmt::format("system \"{}\": expected cvx or atc (FHIR Immunization.vaccineCode)",
                              c.system));
      }
    }
  }
};

template <>
struct Schema<BiologicClass> {
  static const std::vector<Field<BiologicClass>>& fields() {
    static const std::vector<Field<BiologicClass>> f = concat<BiologicClass>(
        {
            field("id", &BiologicClass::id, {.id = true}),
            field("name", &BiologicClass::name),
            field("targets", &BiologicClass::targets, {.nonempty = true, .ref = "cytokine"}),
            field("blocked_axes", &BiologicClass::blocked_axes, {.ref = "axis"}),
            field("released_axes", &BiologicClass::released_axes, {.ref = "axis"}),
            field("mechanism", &BiologicClass::mechanism),
            field("atc_group", &BiologicClass::atc_group),
        },
        embed(&BiologicClass::prov));
    return f;
  }
};

template <>
struct Schema<Brands> {
  static const std::vector<Field<Brands>>& fields() {
    static const std::vector<Field<Brands>> f =
        concat<Brands>({field("names", &Brands::names, {.nonempty = true})}, embed(&Brands::prov));
    return f;
  }
};

template <>
struct Schema<BiologicIndication> {
  static const std::vector<Field<BiologicIndication>>& fields() {
    static const std::vector<Field<BiologicIndication>> f = concat<BiologicIndication>(
        {
            field("disease", &BiologicIndication::disease, {.ref = "disease"}),
            field("region", &BiologicIndication::region),
        },
        embed(&BiologicIndication::prov));
    return f;
  }
};

template <>
struct Schema<Biologic> {
  static const std::vector<Field<Biologic>>& fields() {
    static const std::vector<Field<Biologic>> f = concat<Biologic>(
        {
            field("id", &Biologic::id, {.id = true}),
            field("name", &Biologic::name),
            field("class", &Biologic::biologic_class, {.ref = "biologic_class"}),
            field("target", &Biologic::target),
            field("brands", &Biologic::brands),
            field("code", &Biologic::code),
            field("indication", &Biologic::indication),
        },
        embed(&Biologic::prov));
    return f;
  }
};

template <>
struct Schema<InteractionMember> {
  static const std::vector<Field<InteractionMember>>& fields() {
    static const std::vector<Field<InteractionMember>> f = concat<InteractionMember>(
        {
            field("name", &InteractionMember::name),
            field("code", &InteractionMember::code),
        },
        embed(&InteractionMember::prov));
    return f;
  }
};

template <>
struct Schema<InteractionClass> {
  static const std::vector<Field<InteractionClass>>& fields() {
    static const std::vector<Field<InteractionClass>> f = concat<InteractionClass>(
        {
            field("id", &InteractionClass::id, {.id = true}),
            field("name", &InteractionClass::name),
            field("kind", &InteractionClass::kind),
            field("description", &InteractionClass::description),
            field("member", &InteractionClass::member),
        },
        embed(&InteractionClass::prov));
    return f;
  }
};

// ---- drugs ----------------------------------------------------------------------------------

template <>
struct Schema<DrugBrand> {
  static const std::vector<Field<DrugBrand>>& fields() {
    static const std::vector<Field<DrugBrand>> f = concat<DrugBrand>(
        {
            field("name", &DrugBrand::name),
            field("region", &DrugBrand::region),
            field("strengths", &DrugBrand::strengths),
        },
        embed(&DrugBrand::prov));
    return f;
  }
};

template <>
struct Schema<Mechanism> {
  static const std::vector<Field<Mechanism>>& fields() {
    static const std::vector<Field<Mechanism>> f = concat<Mechanism>(
        {
            field("binding", &Mechanism::binding),
            field("targets", &Mechanism::targets, {.nonempty = true, .ref = "kinase"}),
            field("description", &Mechanism::description),
        },
        embed(&Mechanism::prov));
    return f;
  }
};

template <>
struct Schema<Potency> {
  static const std::vector<Field<Potency>>& fields() {
    static const std::vector<Field<Potency>> f = concat<Potency>(
        {
            field("assay", &Potency::assay),
            field("target", &Potency::target),
            field("matrix", &Potency::matrix),
            field("ic50_nm", &Potency::ic50_nm, {.min = 1e-6}),
            field("qualifier", &Potency::qualifier),
            field("fold", &Potency::fold, {.min = 1e-6}),
            field("versus", &Potency::versus),
            field("conditions", &Potency::conditions),
        },
        embed(&Potency::prov));
    return f;
  }
  static void check(const Potency& p, const BindContext& ctx, int line, const std::string& path) {
    if (!p.ic50_nm && !p.fold) {
      ctx.error(line, path, "potency without a number: expected 'ic50_nm' or 'fold'");
    }
    if (p.fold && !p.versus) {
      ctx.error(line, path,
                "a 'fold' selectivity needs 'versus' (the kinase or pair it is compared with)");
    }
  }
};

template <>
struct Schema<PathwayEffect> {
  static const std::vector<Field<PathwayEffect>>& fields() {
    static const std::vector<Field<PathwayEffect>> f = concat<PathwayEffect>(
        {
            field("target", &PathwayEffect::target),
            field("effect", &PathwayEffect::effect),
            field("exposure", &PathwayEffect::exposure,
                  {.one_of = {"clinical", "application-site"}}),  // a KB statement is never mixed
            field("text", &PathwayEffect::text),
        },
        embed(&PathwayEffect::prov));
    return f;
  }
};

template <>
struct Schema<PkParameters> {
  static const std::vector<Field<PkParameters>>& fields() {
    static const std::vector<Field<PkParameters>> f = {
        field("molecular_weight", &PkParameters::molecular_weight),
        field("bioavailability", &PkParameters::bioavailability),
        field("fraction_absorbed", &PkParameters::fraction_absorbed),
        field("tmax", &PkParameters::tmax),
        field("half_life", &PkParameters::half_life),
        field("volume", &PkParameters::volume),
        field("clearance", &PkParameters::clearance),
        field("renal_clearance", &PkParameters::renal_clearance),
        field("protein_binding", &PkParameters::protein_binding),
        field("unbound_fraction", &PkParameters::unbound_fraction),
        field("accumulation", &PkParameters::accumulation),
        field("elimination", &PkParameters::elimination),
    };
    return f;
  }
  static void check(const PkParameters& pk, const BindContext& ctx, int line,
                    const std::string& path) {
    auto percent = [&](const std::vector<Quantity>& qs, const char* name) {
      for (const auto& q : qs) {
        for (auto v : {q.value, q.low, q.high}) {
          if (q.unit == "%" && v && (*v < 0 || *v > 100)) {
            ctx.error(line, path + "." + name,
                      fmt::format("value {}%: expected a percentage in [0, 100]", *v));
          }
        }
      }
    };
    percent(pk.bioavailability, "bioavailability");
    percent(pk.fraction_absorbed, "fraction_absorbed");
    percent(pk.protein_binding, "protein_binding");
  }
};

template <>
struct Schema<PkModel> {
  static const std::vector<Field<PkModel>>& fields() {
    static const std::vector<Field<PkModel>> f = concat<PkModel>(
        {
            field("population", &PkModel::population),
            field("n", &PkModel::n, {.min = 1}),
            field("formulation", &PkModel::formulation),
            field("compartments", &PkModel::compartments, {.min = 1, .max = 3}),
            field("absorption", &PkModel::absorption),
            field("cl_f_l_h", &PkModel::cl_f_l_h, {.min = 1e-9}),
            field("v_f_l", &PkModel::v_f_l, {.min = 1e-9}),
            field("vc_f_l", &PkModel::vc_f_l, {.min = 1e-9}),
            field("vp_f_l", &PkModel::vp_f_l, {.min = 1e-9}),
            field("q_f_l_h", &PkModel::q_f_l_h, {.min = 1e-9}),
            field("ka_per_h", &PkModel::ka_per_h, {.min = 1e-9}),
            field("lag_h", &PkModel::lag_h, {.min = 0}),
            field("duration_h", &PkModel::duration_h, {.min = 1e-9}),
            field("iiv_cl_pct", &PkModel::iiv_cl_pct, {.min = 0}),
        },
        embed(&PkModel::prov));
    return f;
  }
};

template <>
struct Schema<Metabolite> {
  static const std::vector<Field<Metabolite>>& fields() {
    static const std::vector<Field<Metabolite>> f = concat<Metabolite>(
        {
            field("name", &Metabolite::name),
            field("active", &Metabolite::active),
            field("potency_vs_parent", &Metabolite::potency_vs_parent),
            field("exposure_vs_parent", &Metabolite::exposure_vs_parent),
            field("half_life", &Metabolite::half_life),
        },
        embed(&Metabolite::prov));
    return f;
  }
};

template <>
struct Schema<ExposureChange> {
  static const std::vector<Field<ExposureChange>>& fields() {
    static const std::vector<Field<ExposureChange>> f = concat<ExposureChange>(
        {
            field("perpetrator", &ExposureChange::perpetrator, {.ref = "interaction_class"}),
            field("condition", &ExposureChange::condition,
                  {.one_of = {"renal-mild", "renal-moderate", "renal-severe", "esrd",
                              "hepatic-mild", "hepatic-moderate", "hepatic-severe",
                              "cyp2c19-poor-metaboliser", "cyp2c9-poor-metaboliser"}}),
            field("example", &ExposureChange::example),
            field("auc_change_pct", &ExposureChange::auc_change_pct, {.min = -100}),
            field("cmax_change_pct", &ExposureChange::cmax_change_pct, {.min = -100}),
        },
        embed(&ExposureChange::prov));
    return f;
  }
  static void check(const ExposureChange& e, const BindContext& ctx, int line,
                    const std::string& path) {
    if (e.perpetrator.has_value() == e.condition.has_value()) {
      ctx.error(line, path,
                "expected exactly one of 'perpetrator' (a co-medication class) or 'condition' "
                "(a patient condition such as renal-moderate)");
    }
    if (!e.auc_change_pct && !e.cmax_change_pct) {
      ctx.error(line, path,
                "exposure change without a number: expected 'auc_change_pct' or "
                "'cmax_change_pct'");
    }
  }
};

template <>
struct Schema<PkEquivalence> {
  static const std::vector<Field<PkEquivalence>>& fields() {
    static const std::vector<Field<PkEquivalence>> f = concat<PkEquivalence>(
        {
            field("formulation", &PkEquivalence::formulation),
            field("amount", &PkEquivalence::amount, {.min = 1e-9}),
            field("frequency", &PkEquivalence::frequency, {.one_of = {"qd", "bid"}}),
            field("modelled_amount", &PkEquivalence::modelled_amount, {.min = 1e-9}),
            field("modelled_frequency", &PkEquivalence::modelled_frequency,
                  {.one_of = {"qd", "bid"}}),
            field("modelled_formulation", &PkEquivalence::modelled_formulation),
            field("text", &PkEquivalence::text),
        },
        embed(&PkEquivalence::prov));
    return f;
  }
};

template <>
struct Schema<DrugIndication> {
  static const std::vector<Field<DrugIndication>>& fields() {
    static const std::vector<Field<DrugIndication>> f = concat<DrugIndication>(
        {
            field("region", &DrugIndication::region),
            field("disease", &DrugIndication::disease, {.ref = "disease"}),
            field("status", &DrugIndication::status),
            field("min_age_years", &DrugIndication::min_age_years, {.min = 0, .max = 120}),
            field("line", &DrugIndication::line),
            field("block_off_label", &DrugIndication::block_off_label),
        },
        embed(&DrugIndication::prov));
    return f;
  }
};

template <>
struct Schema<Dose> {
  static const std::vector<Field<Dose>>& fields() {
    static const std::vector<Field<Dose>> f = concat<Dose>(
        {
            field("region", &Dose::region),
            field("indication", &Dose::indication, {.ref = "disease"}),
            field("amount", &Dose::amount, {.min = 1e-9}),
            field("unit", &Dose::unit, {.one_of = {"mg", "%", "mg/kg"}}),
            field("frequency", &Dose::frequency, {.one_of = {"qd", "bid", "once", "as-directed"}}),
            field("role", &Dose::role),
            field("formulation", &Dose::formulation),
            field("min_age_years", &Dose::min_age_years, {.min = 0, .max = 120}),
            field("max_age_years", &Dose::max_age_years, {.min = 0, .max = 120}),
            field("min_weight_kg", &Dose::min_weight_kg, {.min = 0, .max = 500}),
            field("max_weight_kg", &Dose::max_weight_kg, {.min = 0, .max = 500}),
            field("condition", &Dose::condition),
        },
        embed(&Dose::prov));
    return f;
  }
};

template <>
struct Schema<LabThreshold> {
  static const std::vector<Field<LabThreshold>>& fields() {
    static const std::vector<Field<LabThreshold>> f = concat<LabThreshold>(
        {
            field("region", &LabThreshold::region),
            field("analyte", &LabThreshold::analyte, {.ref = "lab"}),
            field("below", &LabThreshold::below, {.min = 0}),
            field("above", &LabThreshold::above, {.min = 0}),
            // One spelling per unit so that thresholds compare without guessing; /mm3 == cells/uL.
            field("unit", &LabThreshold::unit,
                  {.one_of = {"cells/uL", "10*9/L", "g/dL", "g/L", "mg/dL", "umol/L",
                              "mL/min/1.73m2", "U/L"}}),
            field("action", &LabThreshold::action),
            field("context", &LabThreshold::context),
            field("confirmed_value", &LabThreshold::confirmed_value),
        },
        embed(&LabThreshold::prov));
    return f;
  }
  static void check(const LabThreshold& t, const BindContext& ctx, int line,
                    const std::string& path) {
    if (t.below.has_value() == t.above.has_value()) {
      ctx.error(line, path, "lab threshold: expected exactly one of 'below' or 'above'");
    }
  }
};

template <>
struct Schema<Monitoring> {
  static const std::vector<Field<Monitoring>>& fields() {
    static const std::vector<Field<Monitoring>> f = concat<Monitoring>(
        {
            field("region", &Monitoring::region),
            field("test", &Monitoring::test),
            field("at_weeks", &Monitoring::at_weeks, {.min = 0, .max = 520}),
            field("every_weeks", &Monitoring::every_weeks, {.min = 1e-9, .max = 520}),
            field("text", &Monitoring::text),
        },
        embed(&Monitoring::prov));
    return f;
  }
};

template <>
struct Schema<RenalRule> {
  static const std::vector<Field<RenalRule>>& fields() {
    static const std::vector<Field<RenalRule>> f = concat<RenalRule>(
        {
            field("region", &RenalRule::region),
            field("basis", &RenalRule::basis, {.optional = true}),
            field("egfr_min", &RenalRule::egfr_min, {.min = 0, .max = 200}),
            field("egfr_max", &RenalRule::egfr_max, {.min = 0, .max = 200}),
            field("dialysis", &RenalRule::dialysis),
            field("action", &RenalRule::action, {.one_of = kOrganRuleActions}),
            field("amount", &RenalRule::amount, {.min = 1e-9}),
            field("unit", &RenalRule::unit),
            field("frequency", &RenalRule::frequency,
                  {.one_of = {"qd", "bid", "once", "as-directed"}}),
            field("indication", &RenalRule::indication, {.ref = "disease"}),
            field("text", &RenalRule::text),
        },
        embed(&RenalRule::prov));
    return f;
  }
  static void check(const RenalRule& r, const BindContext& ctx, int line, const std::string& path) {
    if (r.egfr_min && r.egfr_max && *r.egfr_min >= *r.egfr_max) {
      ctx.error(line, path,
                fmt::format("eGFR band [{}, {}): expected egfr_min < egfr_max", *r.egfr_min,
                            *r.egfr_max));
    }
    if (!r.egfr_min && !r.egfr_max && !r.dialysis) {
      ctx.error(line, path, "renal rule without a band: expected egfr_min, egfr_max or dialysis");
    }
    if (r.action == RuleAction::kDose && !r.amount) {
      ctx.error(line, path, "renal rule with action \"dose\": expected 'amount'");
    }
  }
};

template <>
struct Schema<HepaticRule> {
  static const std::vector<Field<HepaticRule>>& fields() {
    static const std::vector<Field<HepaticRule>> f = concat<HepaticRule>(
        {
            field("region", &HepaticRule::region),
            field("child_pugh", &HepaticRule::child_pugh, {.one_of = {"A", "B", "C"}}),
            field("action", &HepaticRule::action, {.one_of = kOrganRuleActions}),
            field("amount", &HepaticRule::amount, {.min = 1e-9}),
            field("unit", &HepaticRule::unit),
            field("frequency", &HepaticRule::frequency,
                  {.one_of = {"qd", "bid", "once", "as-directed"}}),
            field("text", &HepaticRule::text),
        },
        embed(&HepaticRule::prov));
    return f;
  }
  static void check(const HepaticRule& r, const BindContext& ctx, int line,
                    const std::string& path) {
    if (r.action == RuleAction::kDose && !r.amount) {
      ctx.error(line, path, "hepatic rule with action \"dose\": expected 'amount'");
    }
  }
};

template <>
struct Schema<InteractionRule> {
  static const std::vector<Field<InteractionRule>>& fields() {
    static const std::vector<Field<InteractionRule>> f = concat<InteractionRule>(
        {
            field("region", &InteractionRule::region),
            field("with", &InteractionRule::with, {.ref = "interaction_class"}),
            field("action", &InteractionRule::action,
                  {.one_of = {"dose", "halve", "avoid", "not-recommended", "contraindicated",
                              "monitor"}}),
            field("amount", &InteractionRule::amount, {.min = 1e-9}),
            field("unit", &InteractionRule::unit),
            field("frequency", &InteractionRule::frequency,
                  {.one_of = {"qd", "bid", "once", "as-directed"}}),
            field("within_days", &InteractionRule::within_days, {.min = 1}),
            field("indication", &InteractionRule::indication, {.ref = "disease"}),
            field("text", &InteractionRule::text),
        },
        embed(&InteractionRule::prov));
    return f;
  }
  static void check(const InteractionRule& r, const BindContext& ctx, int line,
                    const std::string& path) {
    if (r.action == RuleAction::kDose && !r.amount) {
      ctx.error(line, path, "interaction rule with action \"dose\": expected 'amount'");
    }
  }
};

template <>
struct Schema<Contraindication> {
  static const std::vector<Field<Contraindication>>& fields() {
    static const std::vector<Field<Contraindication>> f = concat<Contraindication>(
        {
            field("region", &Contraindication::region),
            field("condition", &Contraindication::condition),
            field("text", &Contraindication::text),
        },
        embed(&Contraindication::prov));
    return f;
  }
};

template <>
struct Schema<ReproductiveRule> {
  static const std::vector<Field<ReproductiveRule>>& fields() {
    static const std::vector<Field<ReproductiveRule>> f = concat<ReproductiveRule>(
        {
            field("region", &ReproductiveRule::region),
            field("topic", &ReproductiveRule::topic),
            field("action", &ReproductiveRule::action),
            field("washout_hours", &ReproductiveRule::washout_hours, {.min = 0, .max = 8760}),
            field("contraception_weeks", &ReproductiveRule::contraception_weeks,
                  {.min = 0, .max = 520}),
            field("text", &ReproductiveRule::text),
        },
        embed(&ReproductiveRule::prov));
    return f;
  }
};

template <>
struct Schema<ScreeningItem> {
  static const std::vector<Field<ScreeningItem>>& fields() {
    static const std::vector<Field<ScreeningItem>> f = concat<ScreeningItem>(
        {
            field("item", &ScreeningItem::item),
            field("text", &ScreeningItem::text),
        },
        embed(&ScreeningItem::prov));
    return f;
  }
};

template <>
struct Schema<AdverseReaction> {
  static const std::vector<Field<AdverseReaction>>& fields() {
    static const std::vector<Field<AdverseReaction>> f = concat<AdverseReaction>(
        {
            field("term", &AdverseReaction::term),
            field("study", &AdverseReaction::study),
            field("dose", &AdverseReaction::dose),
            field("drug_pct", &AdverseReaction::drug_pct, {.min = 0, .max = 100}),
            field("placebo_pct", &AdverseReaction::placebo_pct, {.min = 0, .max = 100}),
            field("rate_per_100py", &AdverseReaction::rate_per_100py, {.min = 0}),
            field("placebo_rate_per_100py", &AdverseReaction::placebo_rate_per_100py, {.min = 0}),
            field("listed", &AdverseReaction::listed),
        },
        embed(&AdverseReaction::prov));
    return f;
  }
};

template <>
struct Schema<Warning> {
  static const std::vector<Field<Warning>>& fields() {
    static const std::vector<Field<Warning>> f = concat<Warning>(
        {
            field("region", &Warning::region),
            field("kind", &Warning::kind),
            field("topic", &Warning::topic),
            field("text", &Warning::text),
        },
        embed(&Warning::prov));
    return f;
  }
};

template <>
struct Schema<RuleStatus> {
  static const std::vector<Field<RuleStatus>>& fields() {
    static const std::vector<Field<RuleStatus>> f = concat<RuleStatus>(
        {
            field("region", &RuleStatus::region),
            field("category", &RuleStatus::category),
            field("with", &RuleStatus::with, {.ref = "interaction_class"}),
            field("status", &RuleStatus::status),
            field("text", &RuleStatus::text),
        },
        embed(&RuleStatus::prov));
    return f;
  }
  static void check(const RuleStatus& r, const BindContext& ctx, int line,
                    const std::string& path) {
    bool interaction = std::find(r.category.begin(), r.category.end(),
                                 RuleCategory::kInteraction) != r.category.end();
    if (r.category.empty() != (r.status == RuleKnowledge::kNotAuthorised)) {
      ctx.error(line, path,
                "rule status: an empty 'category' (every category) goes with status "
                "\"not-authorised\" (and only with it)");
    }
    if (interaction != !r.with.empty() || (interaction && r.category.size() != 1)) {
      ctx.error(line, path,
                "rule status: 'with' (interaction classes) goes with category = "
                "[\"interaction\"] alone");
    }
  }
};

template <>
struct Schema<Drug> {
  static const std::vector<Field<Drug>>& fields() {
    static const std::vector<Field<Drug>> f = {
        field("id", &Drug::id, {.id = true}),
        field("name", &Drug::name),
        field("ingredient", &Drug::ingredient),
        field("route", &Drug::route),
        field("brand", &Drug::brand),
        field("code", &Drug::code),
        field("mechanism", &Drug::mechanism),
        field("potency", &Drug::potency),
        field("pathway_effect", &Drug::pathway_effect),
        field("systemic_exposure", &Drug::systemic_exposure),
        field("pk", &Drug::pk),
        field("pk_model", &Drug::pk_model),
        field("metabolite", &Drug::metabolite),
        field("exposure_change", &Drug::exposure_change),
        field("pk_equivalence", &Drug::pk_equivalence),
        field("indication", &Drug::indication),
        field("dose", &Drug::dose),
        field("lab_threshold", &Drug::lab_threshold),
        field("monitoring", &Drug::monitoring),
        field("renal", &Drug::renal),
        field("hepatic", &Drug::hepatic),
        field("interaction", &Drug::interaction),
        field("contraindication", &Drug::contraindication),
        field("reproductive", &Drug::reproductive),
        field("screening", &Drug::screening),
        field("adverse_reaction", &Drug::adverse_reaction),
        field("warning", &Drug::warning),
        field("rule_status", &Drug::rule_status),
        field("off_label_needs_pr_evidence", &Drug::off_label_needs_pr_evidence),
    };
    return f;
  }
};

// ---- paradoxical reactions and class safety -------------------------------------------------

const V kPhenotypes = {
    "psoriasiform",    "eczematous", "pustular", "palmoplantar-pustular", "lupus-like",
    "granulomatous",   "alopecia",   "vitiligo", "hidradenitis",          "rosacea",
    "facial-erythema", "arthritis",  "ibd",      "candidiasis",           "other"};

template <>
struct Schema<PrPattern> {
  static const std::vector<Field<PrPattern>>& fields() {
    static const std::vector<Field<PrPattern>> f = concat<PrPattern>(
        {
            field("id", &PrPattern::id, {.id = true}),
            field("culprit_class", &PrPattern::culprit_class, {.ref = "biologic_class"}),
            field("culprit", &PrPattern::culprit, {.ref = "biologic"}),
            field("phenotype", &PrPattern::phenotype, {.one_of = kPhenotypes}),
            field("reaction", &PrPattern::reaction, {.ref = "disease"}),
            field("incidence", &PrPattern::incidence),
            field("cases", &PrPattern::cases, {.min = 0}),
            field("latency", &PrPattern::latency),
            field("outcome", &PrPattern::outcome),
            field("text", &PrPattern::text),
            field("differentials", &PrPattern::differentials),
        },
        embed(&PrPattern::prov));
    return f;
  }
};

template <>
struct Schema<RiskFactor> {
  static const std::vector<Field<RiskFactor>>& fields() {
    static const std::vector<Field<RiskFactor>> f = concat<RiskFactor>(
        {
            field("id", &RiskFactor::id, {.id = true}),
            field("factor", &RiskFactor::factor),
            field("reaction", &RiskFactor::reaction),
            field("culprit_class", &RiskFactor::culprit_class, {.ref = "biologic_class"}),
            field("measure", &RiskFactor::measure),
            field("estimate", &RiskFactor::estimate, {.min = 0}),
            field("ci_low", &RiskFactor::ci_low, {.min = 0}),
            field("ci_high", &RiskFactor::ci_high, {.min = 0}),
            field("direction", &RiskFactor::direction),
            field("phenotype", &RiskFactor::phenotype, {.ref = "phenotype"}),
            field("match", &RiskFactor::match),
            field("values", &RiskFactor::values),
            field("group", &RiskFactor::group),
        },
        embed(&RiskFactor::prov));
    return f;
  }
  static void check(const RiskFactor& r, const BindContext& ctx, int line,
                    const std::string& path) {
    if (r.ci_low && r.ci_high && !(*r.ci_low <= r.estimate && r.estimate <= *r.ci_high)) {
      ctx.error(line, path,
                fmt::format("estimate {} outside its confidence interval [{}, {}]", r.estimate,
                            *r.ci_low, *r.ci_high));
    }
  }
};

template <>
struct Schema<PrCase> {
  static const std::vector<Field<PrCase>>& fields() {
    static const std::vector<Field<PrCase>> f = concat<PrCase>(
        {
            field("id", &PrCase::id, {.id = true}),
            field("kind", &PrCase::kind),
            field("culprit", &PrCase::culprit, {.ref = "biologic"}),
            field("culprit_class", &PrCase::culprit_class, {.ref = "biologic_class"}),
            field("reaction", &PrCase::reaction),
            field("drug", &PrCase::drug, {.ref = "drug"}),
            field("dose", &PrCase::dose),
            field("patients", &PrCase::patients, {.min = 1}),
            field("outcome", &PrCase::outcome),
            field("time_to_response", &PrCase::time_to_response),
            field("phenotype", &PrCase::phenotype, {.one_of = kPhenotypes}),
        },
        embed(&PrCase::prov));
    return f;
  }
};

template <>
struct Schema<PrMechanism> {
  static const std::vector<Field<PrMechanism>>& fields() {
    static const std::vector<Field<PrMechanism>> f = concat<PrMechanism>(
        {
            field("id", &PrMechanism::id, {.id = true}),
            field("culprit_class", &PrMechanism::culprit_class, {.ref = "biologic_class"}),
            field("phenotype", &PrMechanism::phenotype, {.one_of = kPhenotypes}),
            field("blocked_axes", &PrMechanism::blocked_axes, {.ref = "axis"}),
            field("released_axes", &PrMechanism::released_axes, {.ref = "axis"}),
            field("text", &PrMechanism::text),
        },
        embed(&PrMechanism::prov));
    return f;
  }
};

template <>
struct Schema<SafetyFinding> {
  static const std::vector<Field<SafetyFinding>>& fields() {
    static const std::vector<Field<SafetyFinding>> f = concat<SafetyFinding>(
        {
            field("id", &SafetyFinding::id, {.id = true}),
            field("study", &SafetyFinding::study),
            field("topic", &SafetyFinding::topic,
                  {.one_of = {"mace", "malignancy", "lung-cancer", "lymphoma", "vte", "mortality",
                              "serious-infection", "herpes-zoster"}}),
            field("comparison", &SafetyFinding::comparison),
            field("population", &SafetyFinding::population),
            field("measure", &SafetyFinding::measure, {.one_of = {"hr", "ir-per-100py", "pct"}}),
            field("estimate", &SafetyFinding::estimate, {.min = 0}),
            field("ci_low", &SafetyFinding::ci_low, {.min = 0}),
            field("ci_high", &SafetyFinding::ci_high, {.min = 0}),
        },
        embed(&SafetyFinding::prov));
    return f;
  }
  static void check(const SafetyFinding& s, const BindContext& ctx, int line,
                    const std::string& path) {
    if (s.ci_low && s.ci_high && !(*s.ci_low <= s.estimate && s.estimate <= *s.ci_high)) {
      ctx.error(line, path,
                fmt::format("estimate {} outside its confidence interval [{}, {}]", s.estimate,
                            *s.ci_low, *s.ci_high));
    }
  }
};

template <>
struct Schema<RiskGroup> {
  static const std::vector<Field<RiskGroup>>& fields() {
    static const std::vector<Field<RiskGroup>> f = concat<RiskGroup>(
        {
            field("id", &RiskGroup::id, {.id = true}),
            field("name", &RiskGroup::name),
            field("criterion", &RiskGroup::criterion),
            field("match", &RiskGroup::match),
            field("min_age_years", &RiskGroup::min_age_years, {.min = 0, .max = 120}),
            field("measure", &RiskGroup::measure),
            field("applies_to", &RiskGroup::applies_to, {.nonempty = true, .ref = "drug"}),
        },
        embed(&RiskGroup::prov));
    return f;
  }
  static void check(const RiskGroup& g, const BindContext& ctx, int line, const std::string& path) {
    if ((g.match == RiskGroupMatch::kAge) != g.min_age_years.has_value()) {
      ctx.error(line, path,
                "risk group: 'min_age_years' goes with match = \"age\" (and only with it)");
    }
  }
};

template <>
struct Schema<RegulatoryAction> {
  static const std::vector<Field<RegulatoryAction>>& fields() {
    static const std::vector<Field<RegulatoryAction>> f = concat<RegulatoryAction>(
        {
            field("id", &RegulatoryAction::id, {.id = true}),
            field("agency", &RegulatoryAction::agency),
            field("date", &RegulatoryAction::date),
            field("text", &RegulatoryAction::text),
            field("applies_to", &RegulatoryAction::applies_to, {.ref = "drug"}),
        },
        embed(&RegulatoryAction::prov));
    return f;
  }
  static void check(const RegulatoryAction& r, const BindContext& ctx, int line,
                    const std::string& path) {
    const auto& d = r.date;
    bool ok = d.size() == 10 && d[4] == '-' && d[7] == '-';
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
      ok = ok && i < d.size() && std::isdigit(static_cast<unsigned char>(d[i]));
    if (!ok) {
      ctx.error(line, path + ".date", fmt::format("value \"{}\": expected a date YYYY-MM-DD", d));
    }
  }
};

// ---- formulas and scores -------------------------------------------------------------------

template <>
struct Schema<FormulaConstant> {
  static const std::vector<Field<FormulaConstant>>& fields() {
    static const std::vector<Field<FormulaConstant>> f = concat<FormulaConstant>(
        {
            field("id", &FormulaConstant::id, {.id = true}),
            field("formula", &FormulaConstant::formula),
            field("name", &FormulaConstant::name),
            field("applies", &FormulaConstant::applies),
            field("value", &FormulaConstant::value),
            field("unit", &FormulaConstant::unit),
        },
        embed(&FormulaConstant::prov));
    return f;
  }
};

template <>
struct Schema<MeddraTerm> {
  static const std::vector<Field<MeddraTerm>>& fields() {
    static const std::vector<Field<MeddraTerm>> f =
        concat<MeddraTerm>({field("pt", &MeddraTerm::pt)}, embed(&MeddraTerm::prov));
    return f;
  }
  static void check(const MeddraTerm& t, const BindContext& ctx, int line,
                    const std::string& path) {
    if (t.pt.empty() || t.pt.front() == ' ' || t.pt.back() == ' ') {
      ctx.error(
          line, path + ".pt",
          fmt::format("value \"{}\": expected a MedDRA preferred term without surrounding spaces",
                      t.pt));
    }
  }
};

template <>
struct Schema<Phenotype> {
  static const std::vector<Field<Phenotype>>& fields() {
    static const std::vector<Field<Phenotype>> f = concat<Phenotype>(
        {
            field("id", &Phenotype::id, {.one_of = kPhenotypes, .id = true}),
            field("name", &Phenotype::name),
            field("diseases", &Phenotype::diseases, {.ref = "disease"}),
            field("meddra_pt", &Phenotype::meddra_pt),
        },
        embed(&Phenotype::prov));
    return f;
  }
};

template <>
struct Schema<Strategy> {
  static const std::vector<Field<Strategy>>& fields() {
    static const std::vector<Field<Strategy>> f = concat<Strategy>(
        {
            field("id", &Strategy::id, {.id = true}),
            field("name", &Strategy::name),
            field("action", &Strategy::action,
                  {.one_of = {"continue-with-topicals", "stop-biologic", "switch-class",
                              "dual-therapy"}}),
            field("culprit_classes", &Strategy::culprit_classes, {.ref = "biologic_class"}),
            field("phenotypes", &Strategy::phenotypes, {.ref = "phenotype"}),
            field("severities", &Strategy::severities),
            field("evidence", &Strategy::evidence),
            field("text", &Strategy::text),
        },
        embed(&Strategy::prov));
    return f;
  }
};

template <>
struct Schema<ScoreBand> {
  static const std::vector<Field<ScoreBand>>& fields() {
    static const std::vector<Field<ScoreBand>> f = concat<ScoreBand>(
        {
            field("id", &ScoreBand::id, {.id = true}),
            field("score", &ScoreBand::score),
            field("factor", &ScoreBand::factor),
            field("min", &ScoreBand::min),
            field("max", &ScoreBand::max),
            field("min_inclusive", &ScoreBand::min_inclusive),
            field("max_inclusive", &ScoreBand::max_inclusive),
            field("unit", &ScoreBand::unit),
            field("text", &ScoreBand::text),
            field("points", &ScoreBand::points, {.min = -10, .max = 10}),
            field("category", &ScoreBand::category),
        },
        embed(&ScoreBand::prov));
    return f;
  }
  static void check(const ScoreBand& b, const BindContext& ctx, int line, const std::string& path) {
    if (!b.min && !b.max && !b.text) {
      ctx.error(line, path, "score band without a band: expected min, max or text");
    }
    if (b.min && b.max && *b.min > *b.max) {
      ctx.error(line, path, fmt::format("band [{}, {}]: expected min <= max", *b.min, *b.max));
    }
    if (!b.points && !b.category) {
      ctx.error(line, path, "score band without a result: expected points or category");
    }
    // Signal-detection thresholds (score "pv-signal"): a numeric bound on one statistic of a
    // disproportionality store; `category` names the rule the bound belongs to (a rule is met
    // when all of its bands are).
    if (b.score == ScoreKind::kPvSignal) {
      if (!enum_value<PvStatistic>(b.factor)) {
        std::vector<std::string_view> names;
        names.reserve(EnumNames<PvStatistic>::kNames.size());
        for (const auto& [e, n] : EnumNames<PvStatistic>::kNames) names.push_back(n);
        ctx.error(line, path + ".factor",
                  fmt::format("value \"{}\": expected one of {}", b.factor, join(names)));
      }
      if (!b.category && b.points) {
        ctx.error(line, path + ".category",
                  "a pv-signal band needs the rule it belongs to (category), not points");
      }
      if (!b.min && !b.max)
        ctx.error(line, path, "a pv-signal band needs a numeric bound (min or max)");
    }
  }
};

// ---- the kind registry ----------------------------------------------------------------------

namespace {

// `key` names an entry in listings and lookups (its id, for every kind that has one).
template <class T, class Key>
KindOps make_kind(std::string_view name, std::vector<T> KnowledgeBase::* member, Key key) {
  KindOps ops;
  ops.name = name;
  ops.bind = [member, name](KnowledgeBase& kb, const toml::node& n, const BindContext& ctx) {
    const auto* arr = n.as_array();
    if (!arr || !arr->is_array_of_tables()) {
      ctx.error(line_of(n), std::string(name),
                fmt::format("value {}: expected an array of tables ([[{}]])", describe(n), name));
      return;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      T entry{};
      bind_table(entry, *arr->get(i)->as_table(), ctx, fmt::format("{}[{}]", name, i));
      (kb.*member).push_back(std::move(entry));
    }
  };
  ops.count = [member](const KnowledgeBase& kb) { return (kb.*member).size(); };
  ops.to_json = [member](const KnowledgeBase& kb) { return write_value(kb.*member); };
  ops.locations = [member, key](const KnowledgeBase& kb) {
    std::vector<std::pair<std::string, Location>> out;
    for (const auto& e : kb.*member) out.emplace_back(key(e), e.loc);
    return out;
  };
  ops.has_id = [member, key](const KnowledgeBase& kb, std::string_view id) {
    for (const auto& e : kb.*member) {
      if (key(e) == id) return true;
    }
    return false;
  };
  return ops;
}

template <class T>
KindOps make_kind(std::string_view name, std::vector<T> KnowledgeBase::* member) {
  return make_kind(name, member, [](const T& e) { return e.id; });
}

// Unit conversions have no id: they are listed as "analyte from->to".
KindOps make_unit_conversion_kind() {
  return make_kind(
      "unit_conversion", &KnowledgeBase::unit_conversions,
      [](const UnitConversion& e) { return fmt::format("{} {}->{}", e.analyte, e.from, e.to); });
}

}  // namespace

const std::vector<KindOps>& kinds() {
  static const std::vector<KindOps> k = {
      make_kind("source", &KnowledgeBase::sources),
      make_kind("kinase", &KnowledgeBase::kinases),
      make_kind("cytokine", &KnowledgeBase::cytokines),
      make_kind("axis", &KnowledgeBase::axes),
      make_kind("disease", &KnowledgeBase::diseases),
      make_kind("lab", &KnowledgeBase::labs),
      make_unit_conversion_kind(),
      make_kind("answer_code", &KnowledgeBase::answer_codes),
      make_kind("fhir_code", &KnowledgeBase::fhir_codes),
      make_kind("region_country", &KnowledgeBase::region_countries),
      make_kind("vaccine", &KnowledgeBase::vaccines),
      make_kind("biologic_class", &KnowledgeBase::biologic_classes),
      make_kind("biologic", &KnowledgeBase::biologics),
      make_kind("interaction_class", &KnowledgeBase::interaction_classes),
      make_kind("drug", &KnowledgeBase::drugs),
      make_kind("pr_pattern", &KnowledgeBase::pr_patterns),
      make_kind("risk_factor", &KnowledgeBase::risk_factors),
      make_kind("pr_case", &KnowledgeBase::pr_cases),
      make_kind("pr_mechanism", &KnowledgeBase::pr_mechanisms),
      make_kind("phenotype", &KnowledgeBase::phenotypes),
      make_kind("strategy", &KnowledgeBase::strategies),
      make_kind("safety_finding", &KnowledgeBase::safety_findings),
      make_kind("risk_group", &KnowledgeBase::risk_groups),
      make_kind("regulatory_action", &KnowledgeBase::regulatory_actions),
      make_kind("formula_constant", &KnowledgeBase::formula_constants),
      make_kind("score_band", &KnowledgeBase::score_bands),
  };
  return k;
}

const KindOps* find_kind(std::string_view name) {
  for (const auto& k : kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string_view confidence_name(Confidence c) { return enum_name(c); }
std::string_view lab_action_name(LabAction a) { return enum_name(a); }
std::string_view rule_action_name(RuleAction a) { return enum_name(a); }
std::string_view renal_basis_name(RenalBasis b) { return enum_name(b); }
std::string_view reproductive_action_name(ReproductiveAction a) { return enum_name(a); }
std::string_view grade_name(Grade g) { return enum_name(g); }
std::string_view region_name(Region r) { return enum_name(r); }

Json entry_json(const KnowledgeBase& kb, std::string_view kind, std::string_view id) {
  Json arr = find_kind(kind)->to_json(kb);
  for (auto& e : arr) {
    if (e.contains("id") && e["id"] == id) return e;
  }
  return Json();
}

}  // namespace paraderm::kb::detail

namespace paraderm::kb {
using detail::enum_value;

std::string_view to_string(SmokingStatus s) { return detail::enum_name(s); }
std::string_view to_string(ConditionStatus s) { return detail::enum_name(s); }
std::string_view to_string(IndicationStatus s) { return detail::enum_name(s); }
std::string_view to_string(Route r) { return detail::enum_name(r); }
std::string_view to_string(WarningKind k) { return detail::enum_name(k); }
std::string_view to_string(FhirCodeEffect e) { return detail::enum_name(e); }
std::string_view to_string(InteractionKind k) { return detail::enum_name(k); }
std::string_view to_string(DiseaseCategory c) { return detail::enum_name(c); }
std::string_view to_string(RiskFactorMatch m) { return detail::enum_name(m); }
std::string_view to_string(EffectMeasure m) { return detail::enum_name(m); }
std::string_view to_string(EffectDirection d) { return detail::enum_name(d); }
std::string_view to_string(PrCaseKind k) { return detail::enum_name(k); }
std::string_view to_string(RiskGroupMeasure m) { return detail::enum_name(m); }
std::string_view to_string(ScreeningKind k) { return detail::enum_name(k); }
std::string_view to_string(ScoreKind k) { return detail::enum_name(k); }
std::string_view to_string(PvStatistic s) { return detail::enum_name(s); }
std::optional<PvStatistic> parse_pv_statistic(std::string_view name) {
  return enum_value<PvStatistic>(name);
}
std::string_view to_string(DoseRole r) { return detail::enum_name(r); }
std::string_view to_string(Qualifier q) { return detail::enum_name(q); }
std::string_view to_string(Binding b) { return detail::enum_name(b); }
std::string_view to_string(Signalling s) { return detail::enum_name(s); }
std::string_view to_string(PotencyAssay a) { return detail::enum_name(a); }
std::string_view to_string(PotencyMatrix m) { return detail::enum_name(m); }
std::string_view to_string(PathwayState s) { return detail::enum_name(s); }
std::string_view to_string(Exposure e) { return detail::enum_name(e); }
std::string_view to_string(Absorption a) { return detail::enum_name(a); }
std::string_view to_string(PregnancyStatus s) { return detail::enum_name(s); }
std::optional<SmokingStatus> parse_smoking_status(std::string_view name) {
  return enum_value<SmokingStatus>(name);
}
std::optional<ConditionStatus> parse_condition_status(std::string_view name) {
  return enum_value<ConditionStatus>(name);
}
std::string_view to_string(SeverityGrade g) { return detail::enum_name(g); }
std::optional<SeverityGrade> parse_severity_grade(std::string_view name) {
  return enum_value<SeverityGrade>(name);
}

}  // namespace paraderm::kb
