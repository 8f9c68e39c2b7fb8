// The paraderm knowledge base: typed, cited clinical facts loaded from the TOML files in kb/.
//
// Contract:
//  * Every struct that carries a `Provenance` is a *fact*: it cites at least one Source by id and
//    states its confidence. The loader rejects a fact without a source.
//  * A value that is not known is absent (std::nullopt / empty vector). It is never 0 and never a
//    guess; callers must present it as "unknown".
//  * Ids are unique per kind. Every reference (a drug's interaction class, a disease signature's
//    cytokines, ...) resolves: the loader rejects dangling references.
//  * A KnowledgeBase is immutable after loading and safe to share between threads.
//
// The file format and every field are documented in docs/kb.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace paraderm::kb {

enum class Confidence { kConfirmed, kSecondary, kDerived, kUnconfirmed };
inline constexpr std::size_t kConfidenceLevels = 4;

enum class Grade {
  kLabel,
  kGuideline,
  kRct,
  kMetaAnalysis,
  kCohort,
  kCaseSeries,
  kPharmacovigilance,
  kMechanistic,
  kReview,
  kTerminology
};

enum class Region { kUs, kEu, kBoth };

// What a lab threshold tells the prescriber to do when it is crossed.
enum class LabAction { kDoNotStart, kInterrupt, kDiscontinue, kDoseReduce };

// What a renal, hepatic or interaction rule tells the prescriber to do. Each rule kind allows a
// subset (docs/kb.md); the assessment handles every value, so a new one cannot fall through.
// What a renal band is stated in: eGFR (mL/min/1.73 m², CKD-EPI) or creatinine clearance (mL/min,
// Cockcroft–Gault), as the label prints it. The two are different scales and never compared.
enum class RenalBasis { kEgfr, kCrcl };

enum class RuleAction {
  kNoChange,
  kDose,
  kHalve,
  kAvoid,
  kNotRecommended,
  kContraindicated,
  kNotStudied,
  kMonitor
};

// What a pregnancy or lactation statement tells the prescriber to do.
enum class ReproductiveAction { kAvoid, kContraindicated, kCaution, kRegistry, kNoData };

// What a record says, in the closed sets rules match on; the KB maps standard codes onto them
// (answer_code.smoking_status, fhir_code meanings of clinicalStatus).
// kSmoker: a smoker, current or former not stated (SNOMED 77176002 "Smoker, current status
// unknown").
enum class SmokingStatus { kUnknown, kCurrent, kFormer, kNever, kSmoker };
// What an answer to the pregnancy-status question records (answer_code.pregnancy_status): an
// answer such as "possible pregnancy" is unknown, which the pregnancy rules read as not assessed.
enum class PregnancyStatus { kPregnant, kNotPregnant, kUnknown };
enum class ConditionStatus { kActive, kResolved };
// A recorded severity grade (FHIR condition-severity: mild, moderate, severe), mildest first so
// grades compare by order.
enum class SeverityGrade { kMild, kModerate, kSevere };
// How a product is given: systemic (oral) or at the application site (topical).
enum class Route { kOral, kTopical };
// A label statement's weight.
enum class WarningKind { kBoxed, kWarning, kLimitation };
// A label indication's status, strongest first (the order a label row is chosen in).
enum class IndicationStatus { kApproved, kFiled, kInvestigational, kNotApproved };

// How a coded FHIR element is used (fhir_code.effect).
enum class FhirCodeEffect { kUse, kWarn, kIgnore };
// What an interaction class groups: drugs (a medication can be one), a vaccine, a patient trait
// (metaboliser phenotype) or a food — the last two are never a recorded medication.
enum class InteractionKind { kDrugClass, kVaccine, kPhenotype, kFood };
// Where a disease lives; a topical product reaches only kImmuneSkin diseases.
enum class DiseaseCategory {
  kImmuneSkin,
  kImmuneSystemic,
  kInfection,
  kCardiovascular,
  kMalignancy,
  kRenal,
  kHepatic,
  kReproductive,
  kOther
};
// How the assessment recognises a PR risk factor in a case (risk_factor.match): condition (any of
// `values` is a recorded condition), sex, smoking (the listed statuses), flag (a case flag such as
// raised-ige), age-per-year, comedication (any of `values` taken with the culprit), culprit-class,
// culprit (biologic id).
enum class RiskFactorMatch {
  kCondition,
  kSex,
  kSmoking,
  kFlag,
  kAgePerYear,
  kComedication,
  kCulpritClass,
  kCulprit,
};
// The effect measure a published risk factor is stated in (risk_factor.measure).
enum class EffectMeasure { kHr, kOr, kIrr, kRr, kPrevalencePct, kRelapsePct };
enum class EffectDirection { kIncreases, kDecreases, kNoEffect };
// What a published PR case reports (pr_case.kind): a PR treated with a JAK inhibitor, or a PR
// caused by one.
enum class PrCaseKind { kTreatedWithJak, kCausedByJak };
// What a regulatory risk group asks of the prescriber (risk_group.measure).
enum class RiskGroupMeasure { kOnlyIfNoAlternative, kLowerDose, kCaution };

// A pre-treatment screening item (screening.item; lab.screening_item names the item a lab test
// records).
enum class ScreeningKind {
  kTb,
  kHbv,
  kHcv,
  kCbc,
  kLipids,
  kLiverEnzymes,
  kEgfr,
  kPregnancy,
  kVaccination,
  kZosterVaccine,
  kSkinExam,
};
// The scores the engine reads bands of (score_band.score): the Naranjo causality scale, the
// Child-Pugh class, and the signal-detection thresholds of a disproportionality store.
enum class ScoreKind { kNaranjo, kChildPugh, kPvSignal };
// The disproportionality statistic a "pv-signal" score band bounds (score_band.factor).
enum class PvStatistic {
  kN,
  kExpected,
  kRor,
  kRorLo,
  kRorHi,
  kPrr,
  kPrrChi2,
  kIc,
  kIc025,
  kIc975,
  kEbgm,
  kEb05,
  kEb95,
};
// What a label dose row is (dose.role): the standard dose, a start / step-up / step-down / maximum
// dose, a reduced dose, the dose for a risk group (high-risk, elderly), or a children's dose.
enum class DoseRole {
  kStandard,
  kStart,
  kStepUp,
  kMaximum,
  kStepDown,
  kReduced,
  kHighRisk,
  kElderly,
  kPaediatric,
};
// A printed number's qualifier: "< 4 months", ">= 10 nM", "~ 2".
enum class Qualifier { kLess, kLessOrEqual, kGreater, kGreaterOrEqual, kApprox };
// How an inhibitor binds its kinase (mechanism.binding).
enum class Binding { kAtpCompetitive, kAllosteric, kCovalent };
// The level a potency value was measured at (potency.assay): an isolated-enzyme IC50 or fold, a
// cellular IC50, or a cellular selectivity fold.
enum class PotencyAssay { kEnzymatic, kCellular, kCellularSelectivity };
// What a potency value was measured in (potency.matrix).
enum class PotencyMatrix { kEnzyme, kCells, kPbmc, kWholeBlood };
// A cited statement's verdict on a pathway (pathway_effect.effect).
enum class PathwayState { kInhibited, kSpared };
// Where a pathway statement holds (pathway_effect.exposure). kMixed is never a KB value: it names
// a result the engine combined from statements of both kinds.
enum class Exposure { kClinical, kApplicationSite, kMixed };
// How a cytokine's receptor signals (cytokine.signalling): through a JAK pair, or without JAKs
// (TNF, IL-17: a JAK inhibitor cannot block them directly).
enum class Signalling { kJak, kNone };
// How a population PK model absorbs the dose (pk_model.absorption).
enum class Absorption { kFirstOrder, kFirstOrderLag, kZeroOrder, kMixed };

// unknown | current | former | never | smoker
std::string_view to_string(SmokingStatus s);
std::string_view to_string(PregnancyStatus s);  // pregnant | not-pregnant | unknown
std::string_view to_string(ConditionStatus s);  // active | resolved
std::string_view to_string(
    IndicationStatus s);                        // approved | filed | investigational | not-approved
std::string_view to_string(Route r);            // oral | topical
std::string_view to_string(WarningKind k);      // boxed | warning | limitation
std::string_view to_string(FhirCodeEffect e);   // use | warn | ignore
std::string_view to_string(InteractionKind k);  // drug-class | vaccine | phenotype | food
std::string_view to_string(DiseaseCategory c);  // immune-skin | immune-systemic | ...
std::string_view to_string(RiskFactorMatch m);  // condition | sex | ... | culprit
std::string_view to_string(EffectMeasure m);    // hr | or | irr | rr | prevalence-pct | relapse-pct
std::string_view to_string(EffectDirection d);  // increases | decreases | no-effect
std::string_view to_string(PrCaseKind k);       // treated-with-jak | caused-by-jak
std::string_view to_string(RiskGroupMeasure m);  // only-if-no-alternative | lower-dose | caution
std::string_view to_string(ScreeningKind k);     // tb | hbv | ... | zoster-vaccine | skin-exam
std::string_view to_string(ScoreKind k);         // naranjo | child-pugh | pv-signal
std::string_view to_string(PvStatistic s);       // n | expected | ror | ror_lo | ... | eb95
std::optional<PvStatistic> parse_pv_statistic(std::string_view name);
std::string_view to_string(DoseRole r);       // standard | start | step-up | ... | paediatric
std::string_view to_string(Qualifier q);      // < | <= | > | >= | ~
std::string_view to_string(Binding b);        // atp-competitive | allosteric | covalent
std::string_view to_string(PotencyAssay a);   // enzymatic | cellular | cellular-selectivity
std::string_view to_string(PotencyMatrix m);  // enzyme | cells | pbmc | whole-blood
std::string_view to_string(PathwayState s);   // inhibited | spared
std::string_view to_string(Exposure e);       // clinical | application-site | mixed
std::string_view to_string(Absorption a);     // first-order | first-order-lag | zero-order | mixed
std::string_view to_string(Signalling s);     // jak | none
std::optional<SmokingStatus> parse_smoking_status(std::string_view name);
std::optional<ConditionStatus> parse_condition_status(std::string_view name);
std::string_view to_string(SeverityGrade g);  // mild | moderate | severe
std::optional<SeverityGrade> parse_severity_grade(std::string_view name);

std::string_view to_string(Confidence c);
std::string_view to_string(Grade g);
std::string_view to_string(Region r);
std::string_view to_string(LabAction a);
std::string_view to_string(RuleAction a);
std::string_view to_string(RenalBasis b);  // egfr | crcl
std::string_view to_string(ReproductiveAction a);

// True when a fact stated for region `fact` applies to a patient treated in `patient`.
inline bool applies_to(Region fact, Region patient) {
  return fact == Region::kBoth || patient == Region::kBoth || fact == patient;
}

struct Location {
  std::string file;  // relative to the KB root
  int line = 0;
};

struct Provenance {
  std::vector<std::string> src;  // Source ids, at least one
  Confidence conf = Confidence::kUnconfirmed;
  std::optional<Grade> grade;  // overrides the first source's grade
  std::optional<std::string> note;
};

struct Quantity {
  std::optional<double> value;
  std::optional<double> low;
  std::optional<double> high;
  std::optional<Qualifier> qualifier;
  std::optional<std::string> stat;  // mean, median, ...
  std::string unit;
  Provenance prov;
};

struct Code {
  std::string system;  // snomed, icd10cm, rxnorm, rxnorm-scd, atc, loinc, ucum
  std::string code;
  std::optional<std::string> display;
  Provenance prov;
};

struct TextFact {
  std::string text;
  Provenance prov;
};

struct Source {
  Location loc;
  std::string id;
  std::string title;
  std::optional<std::string> authors, venue, section;
  std::optional<std::int64_t> year;
  std::optional<std::string> doi, pmid, url;
  Grade grade = Grade::kReview;
  std::optional<std::string> reference, note;
};

struct Kinase {
  Location loc;
  std::string id, name;
  Provenance prov;
};

struct Receptor {
  std::optional<std::string> name;
  std::vector<std::string> chains;
  std::vector<std::string> jaks;  // kinase ids; empty for non-JAK receptors
};

struct JakPair {
  std::vector<std::string> kinases;  // exactly two kinase ids
  Provenance prov;
};

struct Cytokine {
  Location loc;
  std::string id, name;
  std::vector<std::string> aliases;
  Signalling signalling = Signalling::kJak;
  std::optional<std::string> non_jak_pathway;
  std::vector<Receptor> receptor;
  std::optional<JakPair> pair;  // the pair the pathway model uses; absent without JAK signalling
  std::vector<std::string> stats;
  std::vector<std::string> axes;
  std::optional<std::string> biology;
  Provenance prov;
};

struct Axis {
  Location loc;
  std::string id, name;
  std::vector<std::string> polarising, polarising_other, transcription_factors, effectors,
      effectors_other;
  Provenance prov;
};

struct Signature {
  std::vector<std::string> dominant_axes, present_axes, reduced_axes;
  std::vector<std::string> dominant, present, reduced;  // cytokine ids
  Provenance prov;
};

// A block of a hierarchical code system (ICD-10-CM categories are ordered alphanumerically):
// every code from `from` up to and including everything under `to` (C00..C96 covers C96.Z).
struct CodeRange {
  std::string system;  // icd10cm
  std::string from, to;
  std::optional<std::string> display;
  Provenance prov;
};

struct Disease {
  Location loc;
  std::string id, name;
  std::vector<std::string> aliases;
  DiseaseCategory category = DiseaseCategory::kOther;
  std::optional<std::string> parent;
  std::vector<Code> code;
  std::vector<CodeRange> code_range;  // an exact `code` wins over a range
  std::optional<Signature> signature;
};

// The range outside which a value cannot be a real measurement (a unit mix-up, a typing error):
// in the lab's unit, bounds inclusive. Not a clinical threshold.
struct PlausibleRange {
  std::optional<double> min, max;
  Provenance prov;
};

// An absolute count computed from a percentage and the total of the same sample (absolute =
// total x percentage / 100): a differential sent only as percentages still reaches the count
// thresholds. `percentage` is a lab in %, `total` a lab in this lab's unit.
struct FromPercentage {
  std::string percentage, total;  // lab ids
  Provenance prov;
};

struct Lab {
  Location loc;
  std::string id, name;
  // Other names a result is sent under (US spelling, lab abbreviations), matched like the id and
  // the name. Unambiguous only: "lymphocytes" may be a percentage, so it is no alias of alc.
  std::vector<std::string> aliases;
  std::optional<std::string> unit;
  std::vector<Code> code;
  // The baseline screening item a result of this lab shows as done (terminology: which tests make
  // up the item), e.g. igra -> tb, alc -> cbc.
  std::optional<ScreeningKind> screening_item;
  std::optional<PlausibleRange> plausible;
  std::optional<FromPercentage> from_percentage;
};

struct UnitConversion {
  Location loc;
  std::string analyte, from, to;
  double factor = 0;  // to = factor * from
  Provenance prov;
};

struct AnswerCode {
  Location loc;
  std::string id;
  std::optional<std::string> question;  // lab id; absent: a qualitative result of any test
  std::string meaning;
  // Answers to the smoking-status question: the status the answer records (required there).
  std::optional<SmokingStatus> smoking_status;
  // Answers to the pregnancy-status question: what the answer records (required there).
  std::optional<PregnancyStatus> pregnancy_status;
  Code code;
  Provenance prov;
};

// The label region a country's patients are assessed under, read from FHIR Patient.address.country
// (ISO 3166-1 alpha-2 or alpha-3) only when the request names no region (kb/fhir.toml).
struct RegionCountry {
  Location loc;
  std::string id;
  Region region = Region::kUs;         // us or eu, never both
  std::vector<std::string> countries;  // upper-case ISO 3166-1 codes
  Provenance prov;
};

// A vaccine as FHIR Immunization.vaccineCode names it (kb/vaccines.toml, CVX or ATC codes): whether
// it is live (the labels: avoid live vaccines during and immediately before treatment) and the
// baseline screening item a dose of it records (the recombinant zoster vaccine -> zoster-vaccine).
struct Vaccine {
  Location loc;
  std::string id, name;
  bool live = false;
  std::optional<ScreeningKind> screening_item;
  std::vector<Code> code;
  // Brand names a record may give as text only (matched as whole words, with a warning).
  std::vector<std::string> names;
  Provenance prov;
};

// How a coded element of a standard FHIR R4 resource is read (kb/fhir.toml): a status that makes
// the resource unusable, a clinical status, a severity grade, an interpretation flag.
struct FhirCode {
  Location loc;
  std::string id;
  std::string resource;  // MedicationStatement, MedicationRequest, MedicationAdministration, ...
  std::string element;   // status | verificationStatus | clinicalStatus | severity | interpretation
  std::optional<std::string> system;  // absent: FHIR's own code system for the element
  std::string code;
  FhirCodeEffect effect = FhirCodeEffect::kUse;  // warn: used, with a warning; ignore: not used
  std::optional<std::string> meaning;            // e.g. active, resolved, ended, severe, positive
  std::optional<std::string> course;             // clinicalStatus: recurrence | relapse
  Provenance prov;
};

struct BiologicClass {
  Location loc;
  std::string id, name;
  std::vector<std::string> targets, blocked_axes, released_axes;
  std::optional<std::string> mechanism;
  std::optional<Code> atc_group;
  Provenance prov;
};

struct Brands {
  std::vector<std::string> names;
  Provenance prov;
};

struct BiologicIndication {
  std::string disease;
  std::optional<Region> region;
  Provenance prov;
};

struct Biologic {
  Location loc;
  std::string id, name, biologic_class;
  std::optional<std::string> target;
  std::optional<Brands> brands;
  std::vector<Code> code;
  std::vector<BiologicIndication> indication;
  Provenance prov;
};

struct InteractionMember {
  std::string name;
  std::optional<Code> code;
  Provenance prov;
};

struct InteractionClass {
  Location loc;
  std::string id, name;
  InteractionKind kind = InteractionKind::kDrugClass;
  std::optional<std::string> description;
  std::vector<InteractionMember> member;
  Provenance prov;
};

// --- JAK/TYK2 inhibitor products -------------------------------------------------------------

struct DrugBrand {
  std::string name;
  std::optional<Region> region;
  std::vector<std::string> strengths;
  Provenance prov;
};

struct Mechanism {
  Binding binding = Binding::kAtpCompetitive;
  std::vector<std::string> targets;
  std::optional<std::string> description;
  Provenance prov;
};

struct Potency {
  PotencyAssay assay = PotencyAssay::kCellular;
  std::string target;  // kinase id or pair "JAK1/JAK3"
  // Absent = as the assay implies (enzyme for enzymatic, cells otherwise). Whole-blood IC50s are
  // compared with total, all others with unbound plasma concentrations.
  std::optional<PotencyMatrix> matrix;
  std::optional<double> ic50_nm;
  std::optional<Qualifier> qualifier;
  std::optional<double> fold;
  std::optional<std::string> versus;
  std::optional<std::string> conditions;
  Provenance prov;
};

// A cited qualitative statement about a pathway at clinical exposure (or, for a topical product,
// at the application site): the engine's fallback where no absolute potency exists.
struct PathwayEffect {
  std::string target;  // kinase ("TYK2"), JAK pair ("JAK2/JAK2") or cytokine id ("GM-CSF")
  PathwayState effect = PathwayState::kInhibited;
  Exposure exposure = Exposure::kClinical;  // clinical | application-site
  std::string text;                         // the statement as the source makes it
  Provenance prov;
};

struct PkParameters {
  std::vector<Quantity> molecular_weight, bioavailability, fraction_absorbed, tmax, half_life,
      volume, clearance, renal_clearance, protein_binding, unbound_fraction, accumulation;
  std::vector<TextFact> elimination;
};

struct PkModel {
  std::string population;
  std::optional<std::int64_t> n;
  std::optional<std::string> formulation;
  std::int64_t compartments = 1;
  Absorption absorption = Absorption::kFirstOrder;
  std::optional<double> cl_f_l_h, v_f_l, vc_f_l, vp_f_l, q_f_l_h, ka_per_h, lag_h, duration_h,
      iiv_cl_pct;
  Provenance prov;
};

struct Metabolite {
  std::string name;
  bool active = false;
  std::optional<Quantity> potency_vs_parent, exposure_vs_parent, half_life;
  Provenance prov;
};

struct ExposureChange {
  // Exactly one of: the co-medication class (interaction_class id) or the patient condition
  // (renal-mild | renal-moderate | renal-severe | esrd | hepatic-mild | hepatic-moderate |
  // hepatic-severe | cyp2c19-poor-metaboliser | cyp2c9-poor-metaboliser).
  std::optional<std::string> perpetrator;
  std::optional<std::string> condition;
  std::optional<std::string> example;
  std::optional<double> auc_change_pct, cmax_change_pct;
  Provenance prov;
};

// A published exposure equivalence between a product regimen and a regimen a PK model can
// describe (e.g. an extended-release tablet once daily vs the immediate-release form twice daily).
struct PkEquivalence {
  std::string formulation;  // the product's formulation, as in Dose.formulation
  double amount = 0;
  std::string frequency;
  double modelled_amount = 0;
  std::string modelled_frequency;
  std::string modelled_formulation;
  std::string text;  // what was shown to be equivalent (AUC, Cmax, Cmin)
  Provenance prov;
};

struct DrugIndication {
  Region region = Region::kBoth;
  std::string disease;
  IndicationStatus status = IndicationStatus::kNotApproved;
  std::optional<double> min_age_years;
  std::optional<std::string> line;
  // The source says off-label use for this disease is not to be offered (e.g. a regulator that
  // did not authorise it); only PR case evidence lifts it.
  std::optional<bool> block_off_label;
  Provenance prov;
};

struct Dose {
  Region region = Region::kBoth;
  std::string indication;  // disease id
  double amount = 0;
  std::string unit;
  std::string frequency;  // qd | bid | once | as-directed
  DoseRole role = DoseRole::kStandard;
  std::optional<std::string> formulation;
  std::optional<double> min_age_years, max_age_years, min_weight_kg, max_weight_kg;
  std::optional<std::string> condition;
  Provenance prov;
};

struct LabThreshold {
  Location loc;  // of the threshold's own table, for integrity errors
  Region region = Region::kBoth;
  std::string analyte;  // lab id
  std::optional<double> below, above;
  std::string unit;
  LabAction action = LabAction::kDoNotStart;
  std::optional<std::string> context;
  std::optional<bool> confirmed_value;
  Provenance prov;
};

struct Monitoring {
  Region region = Region::kBoth;
  std::string test;
  std::vector<double> at_weeks;
  std::optional<double> every_weeks;
  std::string text;
  Provenance prov;
};

struct RenalRule {
  Region region = Region::kBoth;
  RenalBasis basis = RenalBasis::kEgfr;      // what egfr_min / egfr_max are stated in
  std::optional<double> egfr_min, egfr_max;  // [min, max), in the basis' unit
  std::optional<bool> dialysis;
  RuleAction action = RuleAction::kNotStudied;
  std::optional<double> amount;
  std::optional<std::string> unit, frequency, indication, text;
  Provenance prov;
};

struct HepaticRule {
  Region region = Region::kBoth;
  std::string child_pugh;  // A | B | C
  RuleAction action = RuleAction::kNotStudied;
  std::optional<double> amount;
  std::optional<std::string> unit, frequency, text;
  Provenance prov;
};

struct InteractionRule {
  Region region = Region::kBoth;
  std::string with;  // interaction_class id
  RuleAction action = RuleAction::kMonitor;
  std::optional<double> amount;
  std::optional<std::string> unit, frequency;
  std::optional<double> within_days;
  std::optional<std::string> indication;
  std::string text;
  Provenance prov;
};

// What a contraindication row is about; the assessment recognises each from the record.
enum class ContraCondition {
  kPregnancy,
  kBreastfeeding,
  kActiveTb,
  kActiveSeriousInfection,
  kSevereHepaticImpairment,
  kHypersensitivity
};

struct Contraindication {
  Region region = Region::kBoth;
  ContraCondition condition = ContraCondition::kHypersensitivity;
  std::optional<std::string> text;
  Provenance prov;
};

enum class ReproductiveTopic { kPregnancy, kLactation, kContraception, kFertility };

struct ReproductiveRule {
  Region region = Region::kBoth;
  ReproductiveTopic topic = ReproductiveTopic::kPregnancy;
  ReproductiveAction action = ReproductiveAction::kNoData;
  std::optional<double> washout_hours, contraception_weeks;
  std::string text;
  Provenance prov;
};

struct ScreeningItem {
  ScreeningKind item = ScreeningKind::kTb;
  std::string text;
  Provenance prov;
};

struct AdverseReaction {
  std::string term;
  std::optional<std::string> study, dose;
  std::optional<double> drug_pct, placebo_pct, rate_per_100py, placebo_rate_per_100py;
  std::optional<bool> listed;
  Provenance prov;
};

// The closed set of label warning topics (docs/kb.md); rules select warnings by topic.
enum class WarningTopic {
  kSeriousInfection,
  kHerpesZoster,
  kMalignancy,
  kNonMelanomaSkinCancer,
  kMace,
  kThrombosis,
  kMortality,
  kGiPerforation,
  kLiverInjury,
  kCytopenia,
  kLipids,
  kHypoglycaemia,
  kCpk,
  kPaediatric,
  kCombinationTherapy,
  kImmunosuppressants,
  kPracRiskGroups,
  kTnfExperienced,
  kDiscontinuation,
  kClassRisksUnknown
};

struct Warning {
  Region region = Region::kBoth;
  WarningKind kind = WarningKind::kWarning;
  WarningTopic topic = WarningTopic::kSeriousInfection;
  std::string text;
  Provenance prov;
};

// The rule categories of the fail-safe matrix (docs/kb.md "Rule matrix"): for every product x
// region x category the KB holds a rule or an explicit, cited RuleStatus.
enum class RuleCategory {
  kDose,
  kLabStart,
  kLabOnTreatment,
  kRenal,
  kHepatic,
  kInteraction,
  kPregnancy,
  kLactation,
  kInfection,
  kRiskGroup,
  kMonitoring,
  kGiPerforation  // a label warning on diverticular disease / GI perforation risk
};
inline constexpr std::size_t kRuleCategories = 12;

// What the KB knows where it holds no rule: the label says nothing on it (nothing to apply), it
// was looked for and not found (unknown: caps the verdict), or the product is not authorised in
// the region at all (every category).
enum class RuleKnowledge { kLabelSilent, kNotFound, kNotAuthorised };

struct RuleStatus {
  Region region = Region::kBoth;
  std::vector<RuleCategory> category;  // empty = every category (with kNotAuthorised)
  std::vector<std::string> with;       // kInteraction only: the interaction classes covered
  RuleKnowledge status = RuleKnowledge::kNotFound;
  std::string text;
  Provenance prov;
};

struct Drug {
  Location loc;
  std::string id, name, ingredient;
  Route route = Route::kOral;
  std::vector<DrugBrand> brand;
  std::vector<Code> code;
  Mechanism mechanism;
  std::vector<Potency> potency;
  std::vector<PathwayEffect> pathway_effect;
  // Topical products: the cited statement on systemic exposure (shown instead of a PK curve).
  std::optional<TextFact> systemic_exposure;
  std::optional<PkParameters> pk;
  std::vector<PkModel> pk_model;
  std::vector<Metabolite> metabolite;
  std::vector<ExposureChange> exposure_change;
  std::vector<PkEquivalence> pk_equivalence;
  std::vector<DrugIndication> indication;
  std::vector<Dose> dose;
  std::vector<LabThreshold> lab_threshold;
  std::vector<Monitoring> monitoring;
  std::vector<RenalRule> renal;
  std::vector<HepaticRule> hepatic;
  std::vector<InteractionRule> interaction;
  std::vector<Contraindication> contraindication;
  std::vector<ReproductiveRule> reproductive;
  std::vector<ScreeningItem> screening;
  std::vector<AdverseReaction> adverse_reaction;
  std::vector<Warning> warning;
  std::vector<RuleStatus> rule_status;
  // A cited statement that the product is not meant for inflammatory disease (e.g. oral
  // ruxolitinib): off-label use for these diseases then needs PR case evidence.
  std::optional<TextFact> off_label_needs_pr_evidence;
};

// --- paradoxical reactions and class safety ---------------------------------------------------

struct PrPattern {
  Location loc;
  std::string id, culprit_class;
  std::optional<std::string> culprit;
  std::string phenotype;
  std::optional<std::string> reaction;
  std::optional<Quantity> incidence;
  std::optional<std::int64_t> cases;
  std::optional<Quantity> latency;
  std::optional<std::string> outcome;
  std::string text;
  std::vector<std::string> differentials;  // conditions the reaction is to be told apart from
  Provenance prov;
};

struct RiskFactor {
  Location loc;
  std::string id, factor, reaction;
  std::optional<std::string> culprit_class;
  EffectMeasure measure = EffectMeasure::kOr;
  double estimate = 0;
  std::optional<double> ci_low, ci_high;
  EffectDirection direction = EffectDirection::kIncreases;
  // How the assessment recognises the factor in a case: the reaction's phenotype, and a match
  // rule (RiskFactorMatch) with its `values`. Absent: shown, never matched.
  std::optional<std::string> phenotype;
  std::optional<RiskFactorMatch> match;
  std::vector<std::string> values;
  // Factors of one group measure the same exposure or one contains the other (e.g. personal
  // atopic history contains a history of AD): only the group's largest effect enters the
  // assessment's risk multiplier. Absent: the factor is its own group.
  std::optional<std::string> group;
  Provenance prov;
};

// A MedDRA preferred term (the string FAERS REAC `pt` carries), with where it was confirmed.
struct MeddraTerm {
  std::string pt;
  Provenance prov;
};

// An eruption phenotype of the case format and the disease(s) it corresponds to.
struct Phenotype {
  Location loc;
  std::string id, name;
  std::vector<std::string> diseases;  // disease ids, the first being the one treated
  // The MedDRA preferred terms a pharmacovigilance store is searched with for this phenotype;
  // empty when no PT could be confirmed (the assessment then looks nothing up).
  std::vector<MeddraTerm> meddra_pt;
  Provenance prov;
};

// A non-JAK management strategy the literature reports for paradoxical reactions.
struct Strategy {
  Location loc;
  std::string id, name;
  std::string action;  // continue-with-topicals | stop-biologic | switch-class | dual-therapy
  std::vector<std::string> culprit_classes;  // empty: any class
  std::vector<std::string> phenotypes;       // empty: any phenotype
  std::vector<SeverityGrade> severities;     // empty: any
  std::optional<std::string> evidence;       // outcome numbers as printed
  std::string text;
  Provenance prov;
};

struct PrCase {
  Location loc;
  std::string id;
  PrCaseKind kind = PrCaseKind::kTreatedWithJak;
  std::optional<std::string> culprit, culprit_class;
  std::string reaction, drug;
  std::optional<std::string> dose;
  std::optional<std::int64_t> patients;
  std::string outcome;
  std::optional<std::string> time_to_response;
  // The phenotype of the reaction the case describes (a pr_pattern phenotype); absent when the
  // report does not say (then it is cited for no reaction).
  std::optional<std::string> phenotype;
  Provenance prov;
};

// The proposed mechanism of a paradoxical reaction: a culprit class, and the reaction phenotype
// it explains (absent: any phenotype of the class without its own entry). The axes replace the
// class's blocked / released axes for this reaction.
struct PrMechanism {
  Location loc;
  std::string id, culprit_class;
  std::optional<std::string> phenotype;
  std::vector<std::string> blocked_axes, released_axes;
  std::string text;
  Provenance prov;
};

struct SafetyFinding {
  Location loc;
  std::string id, study, topic, comparison, population, measure;
  double estimate = 0;
  std::optional<double> ci_low, ci_high;
  Provenance prov;
};

// What in the record puts a patient in a regulatory risk group.
enum class RiskGroupMatch { kAge, kSmoking, kCvRisk, kCancer, kVteRisk, kAnyOfVteCancerMace };

struct RiskGroup {
  Location loc;
  std::string id, name, criterion;
  RiskGroupMatch match = RiskGroupMatch::kAge;
  std::optional<double> min_age_years;
  RiskGroupMeasure measure = RiskGroupMeasure::kCaution;
  std::vector<std::string> applies_to;
  Provenance prov;
};

struct RegulatoryAction {
  Location loc;
  std::string id, agency, date, text;
  std::vector<std::string> applies_to;
  Provenance prov;
};

// --- formulas and scores (e.g. CKD-EPI 2021, Child-Pugh) --------------------------------------

struct FormulaConstant {
  Location loc;
  std::string id;                      // "ckd-epi-2021.kappa.female"
  std::string formula;                 // "ckd-epi-2021"
  std::string name;                    // "kappa"
  std::optional<std::string> applies;  // "female", "male", ...
  double value = 0;
  std::optional<std::string> unit;
  Provenance prov;
};

struct ScoreBand {
  Location loc;
  std::string id;  // "child-pugh.bilirubin.2"
  ScoreKind score = ScoreKind::kNaranjo;
  std::string factor;  // "bilirubin", "albumin", "inr", "ascites", "encephalopathy", "total"
  std::optional<double> min, max;  // numeric band as printed; absent for text bands
  std::optional<bool> min_inclusive, max_inclusive;  // absent = inclusive ("<2.0" sets false)
  std::optional<std::string> unit;
  std::optional<std::string> text;  // e.g. "none", "easily controlled"
  std::optional<double> points;
  std::optional<std::string> category;  // for totals: "A", "B", "C"
  Provenance prov;
};

// --- the whole knowledge base ----------------------------------------------------------------

struct KnowledgeBase {
  std::vector<Source> sources;
  std::vector<Kinase> kinases;
  std::vector<Cytokine> cytokines;
  std::vector<Axis> axes;
  std::vector<Disease> diseases;
  std::vector<Lab> labs;
  std::vector<UnitConversion> unit_conversions;
  std::vector<AnswerCode> answer_codes;
  std::vector<FhirCode> fhir_codes;
  std::vector<RegionCountry> region_countries;
  std::vector<Vaccine> vaccines;
  std::vector<BiologicClass> biologic_classes;
  std::vector<Biologic> biologics;
  std::vector<InteractionClass> interaction_classes;
  std::vector<Drug> drugs;
  std::vector<PrPattern> pr_patterns;
  std::vector<RiskFactor> risk_factors;
  std::vector<PrCase> pr_cases;
  std::vector<PrMechanism> pr_mechanisms;
  std::vector<Phenotype> phenotypes;
  std::vector<Strategy> strategies;
  std::vector<SafetyFinding> safety_findings;
  std::vector<RiskGroup> risk_groups;
  std::vector<RegulatoryAction> regulatory_actions;
  std::vector<FormulaConstant> formula_constants;
  std::vector<ScoreBand> score_bands;

  // Number of facts (tables with provenance) per Confidence, indexed by the enum value.
  std::array<std::size_t, kConfidenceLevels> facts_by_confidence{};
  // Content hash of the KB files (hex), recorded with every result for audit.
  std::string version;

  const Source* find_source(std::string_view id) const;
  const Cytokine* find_cytokine(std::string_view id) const;
  const Disease* find_disease(std::string_view id) const;
  const Drug* find_drug(std::string_view id) const;
  const Biologic* find_biologic(std::string_view id) const;
  const BiologicClass* find_biologic_class(std::string_view id) const;
  const InteractionClass* find_interaction_class(std::string_view id) const;
  // The KB's dosing-interval constants (kb/formulas.toml, formula "dosing-interval"): the hours
  // between doses of a repeated frequency (qd, bid); absent for once / as-directed.
  std::optional<double> dosing_interval_h(std::string_view frequency) const;
  // A kb/formulas.toml constant by id ("ckd-epi-2021.kappa.female"); absent when the KB has none.
  std::optional<double> formula_constant(std::string_view id) const;
  // The frequency whose dosing interval is `hours` (e.g. 12 -> bid), when the KB has one.
  std::optional<std::string> frequency_of_interval(double hours) const;
  // Every age (years) at which a rule's outcome can change: the minimum ages of indications,
  // doses and risk groups, the age after a dose's maximum (a "12-17" row ends at 18), and the
  // age constants the engine reads (adult age, the eGFR equations'). Sorted, unique. An age
  // known only to lie in [a, b] reads the same under every rule when none lies in (a, b].
  std::vector<double> age_limits() const;

  // Effective evidence grade of a fact: its own override, else its first source's grade.
  std::optional<Grade> grade_of(const Provenance& p) const;

  // Id -> position indexes, built by the loader (find_* falls back to a scan without them, e.g.
  // for a KnowledgeBase assembled by hand). Rebuild after editing the vectors.
  void build_indexes();
  // Hashed with heterogeneous look-up: every rule resolves ids, so a look-up must cost one hash,
  // not a tree walk of string comparisons, and a string_view must not be copied to look up.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using IdIndex = std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>>;
  IdIndex source_index, cytokine_index, disease_index, drug_index, biologic_index,
      biologic_class_index;
  // Disease id -> its parent chain, nearest first (at most 16 deep), built with the indexes: every
  // rule asks whether a KB row's disease is related to the patient's, many times per assessment.
  std::unordered_map<std::string, std::vector<std::string>, IdHash, std::equal_to<>>
      disease_ancestors;
  // kb::rule_state() of every drug x region (us, eu) x category, then x interaction class for
  // the interaction category, as CellState values (paraderm/rule_matrix.h), built with the
  // indexes: the assessment asks for ~60 cells per patient and each is a scan of the drug's rows.
  std::vector<std::uint8_t> rule_states;
};

// The region of an ISO 3166-1 country code (alpha-2 or alpha-3, any case) in the KB's
// region_country rows; nullopt when no row lists it.
std::optional<Region> region_of_country(const KnowledgeBase& kb, std::string_view country);

struct ValidationIssue {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;
  std::string path;               // e.g. drug[0].dose[3].amount
  std::string message;            // names the value and what was expected
  std::string to_string() const;  // "file:line: path: message"
};

struct LoadResult {
  std::optional<KnowledgeBase> kb;  // present only when there is no error
  std::vector<ValidationIssue> issues;
  std::size_t error_count() const;
};

// One KB file in memory; `name` is its path relative to the KB root.
struct SourceFile {
  std::string name;
  std::string content;
};

// Loads and validates the KB compiled into the binary.
LoadResult load_embedded();
// Loads and validates every *.toml below `root` (for reviewers editing the KB).
LoadResult load_directory(const std::filesystem::path& root);
// Loads and validates the given files (used by tests).
LoadResult load_files(std::span<const SourceFile> files);

// The kinds a KB file may contain, in documentation order (e.g. "source", "drug").
std::span<const std::string_view> kind_names();
// Number of entries of `kind` ("drug", "cytokine", ...); nullopt for an unknown kind.
std::optional<std::size_t> count_of(const KnowledgeBase& kb, std::string_view kind);

// The whole KB as JSON (the TOML structure, one array per kind, plus "version").
std::string export_json(const KnowledgeBase& kb, int indent = 2);
// (id, name) of every entry of `kind`; nullopt for an unknown kind.
std::optional<std::vector<std::pair<std::string, std::string>>> list_kind(const KnowledgeBase& kb,
                                                                          std::string_view kind);
// JSON of every entry whose id is `id`, in any kind, as {"kind": ..., "entry": ...} objects.
std::vector<std::string> show_entry(const KnowledgeBase& kb, std::string_view id, int indent = 2);

}  // namespace paraderm::kb
