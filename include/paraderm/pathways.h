// JAK-pathway inhibition at clinical doses: PK (published or derived model, exposure modifiers)
// × potency (cellular or enzymatic-derived, unbound concentration, active metabolites) →
// steady-state inhibition of every JAK-dependent cytokine pathway over 24 h, aggregated per
// T-helper axis and per disease signature.
//
// Contract:
//  * Nothing unknown becomes 0. A pathway without usable potency or PK is `Basis::kUnknown` with
//    every number absent and the reason in `notes`; an aggregate over no known pathway is absent.
//  * Every number carries its basis, whether it is a bound, and the KB sources it came from.
//  * All percentages are in [0, 100] and hours in [0, 24].
//  * Pure functions of the KnowledgeBase; thread-safe.
//
// Every modelling rule (pair combination, unbound concentration, metabolites, derived models,
// exposure modifiers, coverage score) is written down in docs/pharmacology.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/kb.h"
#include "paraderm/pk.h"
#include "paraderm/status.h"

namespace paraderm::pharm {

// --- regimens -------------------------------------------------------------------------------

struct Regimen {
  double amount_mg = 0;
  double tau_h = 24;  // dosing interval
  std::optional<std::string> formulation;
  std::vector<std::string> roles;  // the KB dose roles this regimen appears with
  // The KB frequency name of tau_h (qd, bid) as frequency_label gives it; set by
  // approved_regimens and compute_profile, "" for a regimen built by hand (then "<tau>h").
  std::string frequency;
};

// "qd" / "bid" (the KB frequency with this dosing interval) or "12h" style label.
std::string frequency_label(const kb::KnowledgeBase& kb, double tau_h);
// The regimen's own label: its frequency, else "<tau>h".
std::string frequency_label(const Regimen& r);

// Every distinct oral regimen (amount in mg, frequency, formulation) among the drug's KB doses,
// in ascending amount. Topical and "as-directed" doses are not regimens the PK model can take.
std::vector<Regimen> approved_regimens(const kb::KnowledgeBase& kb, const kb::Drug& drug);

// --- exposure modifiers ---------------------------------------------------------------------

struct ExposureModifier {
  std::string id;                      // interaction class or patient condition
  std::optional<std::string> example;  // e.g. "ketoconazole"
  double auc_change_pct = 0;           // as printed in the KB
  std::vector<std::string> sources;
  std::string confidence;
};

// The drug's KB exposure change for `spec`, written "<class-or-condition>[:<example>]". When the
// KB lists several entries for the class and no example is given, the largest |AUC change| is
// taken (the conservative reading both for toxicity and for loss of effect).
Result<ExposureModifier> find_modifier(const kb::Drug& drug, std::string_view spec);
// The specs find_modifier accepts for this drug.
std::vector<std::string> modifier_names(const kb::Drug& drug);

// --- PK -------------------------------------------------------------------------------------

struct PkInput {
  std::string quantity;  // "bioavailability", "half_life", ...
  double value = 0;
  std::string unit;
  std::vector<std::string> sources;
  std::string how;  // which KB value was taken and why (e.g. "midpoint of 5.7-7.3")
};

struct ResolvedPk {
  PkParams params;
  std::string origin;  // "published-model" | "derived"
  std::string description;
  std::optional<std::string> formulation;  // the formulation the model describes, if stated
  std::vector<std::string> sources;
  std::vector<PkInput> inputs;  // derived models: every input with its source
};

// A one-compartment model derived from label F, Tmax, half-life and volume (or clearance).
// Fails naming the missing inputs.
Result<ResolvedPk> derive_one_compartment(const kb::Drug& drug);
// The first usable published model, else the derived one.
Result<ResolvedPk> resolve_pk(const kb::Drug& drug);

// --- potency --------------------------------------------------------------------------------

// What a pathway value rests on. Values of different bases (and, within `kQuantitative`, of
// different assays) are never combined in an aggregate.
//  kQuantitative: an inhibition computed from an absolute potency and a PK curve (see Assay);
//  kQualitative:  a cited statement that the pathway is inhibited or spared at clinical exposure
//                 (or at the application site of a topical product), no number;
//  kUnknown:      neither;
//  kNotJakDependent: the cytokine does not signal through a JAK pair (e.g. IL-17A/F, TNF), so a
//                 JAK inhibitor does not block its receptor signalling directly.
enum class Basis { kQuantitative, kQualitative, kUnknown, kNotJakDependent };
std::string_view to_string(Basis b);

// The assay behind a quantitative value. Whole-blood potency is compared with total plasma
// concentration, cellular and enzymatic potency with unbound concentration.
enum class Assay { kWholeBlood, kCellular, kEnzymaticDerived };
std::string_view to_string(Assay a);
std::optional<Assay> assay_from_string(std::string_view s);

// The assay a mean of pathway inhibitions rests on. Values of different assays are never
// averaged (one scale per number), so a mean exists only while its basis is a single assay.
class AssayBasis {
 public:
  void add(Assay a);              // one more value, measured in `a`
  void add(const AssayBasis& b);  // the values behind another mean
  bool empty() const { return state_ == State::kNone; }
  bool mixed() const { return state_ == State::kMixed; }
  std::optional<Assay> single() const;  // the assay, while there is exactly one
  // The output field: "" (no value) | the assay's name | "mixed".
  std::string_view name() const;
  bool operator==(const AssayBasis&) const = default;

 private:
  enum class State { kNone, kOne, kMixed };
  State state_ = State::kNone;
  Assay assay_ = Assay::kCellular;  // meaningful in kOne only
};

using Effect = kb::PathwayState;  // one name table: the KB's

// How the reported inhibition relates to the truth, given the data's qualifiers.
enum class Bound {
  kEstimate,     // point estimate under the documented model
  kUpperBound,   // an IC50 was printed as "> x": true inhibition is at most this
  kLowerBound,   // an active metabolite of unknown potency was left out: at least this
  kApproximate,  // both of the above: neither bound holds
};
std::string_view to_string(Bound b);

// The qualitative effect on one cytokine's pathway, resolved from the drug's cited statements:
// a statement on the cytokine, else on its JAK pair, else from kinase statements (a pair signals
// only when both kinases are active, so inhibiting either inhibits it; it is spared only when
// both kinases are).
struct QualitativeEffect {
  Effect effect = Effect::kInhibited;
  kb::Exposure exposure = kb::Exposure::kClinical;  // kMixed: kinase statements of both kinds
  std::string how;                                  // which statement(s) decided it
  std::vector<std::string> sources;
};
std::optional<QualitativeEffect> qualitative_effect(const kb::Drug& drug,
                                                    const kb::Cytokine& cytokine);

struct PathwayPotency {
  Basis basis = Basis::kUnknown;  // kQuantitative when an absolute potency was found
  Assay assay = Assay::kCellular;
  std::string method;  // e.g. "measured pair IC50", "kinase IC50s, independent action"
  std::optional<double> pair_ic50_nm;       // measured on the pair
  std::optional<double> kinase_ic50_nm[2];  // per kinase of the pair (same order as pair)
  bool versus_total = false;  // whole-blood potency: compare with total plasma concentration
  bool at_most = false;   // an IC50 was printed as "> x": inhibition is at most the computed value
  bool at_least = false;  // an IC50 was printed as "< x": inhibition is at least the computed value
  std::vector<std::string> sources;
  std::string unknown_reason;
};

// The potency of `drug` on the pathway of `cytokine` (its KB JAK pair). Order: a measured pair
// IC50 (whole blood, then cells; higher confidence first), kinase-level cellular IC50s, enzymatic
// kinase IC50s. With `only`, values of other assays are not used.
PathwayPotency pathway_potency(const kb::Drug& drug, const kb::Cytokine& cytokine,
                               std::optional<Assay> only = std::nullopt);

// Fractional inhibition (0..1) at an effective concentration `c_nm` (same scale as the IC50s).
double inhibition_at(const PathwayPotency& p, double c_nm);

// The concentration giving 50 % inhibition under `p` (the pair IC50, or for kinase-level IC50s
// a, b the root of (1 + c/a)(1 + c/b) = 2); nullopt when the potency is unknown.
std::optional<double> effective_ic50(const PathwayPotency& p);

// --- steady-state profile -------------------------------------------------------------------

struct PathwayResult {
  std::string cytokine;
  std::string jak_pair;  // "JAK1/JAK3"; empty for pathways that do not signal through JAKs
  Basis basis = Basis::kUnknown;
  std::optional<Assay> assay;  // quantitative rows
  // The cited qualitative effect, when one resolves (on every row, so the pair-level coverage
  // can use the same kind of value for every product).
  std::optional<QualitativeEffect> effect;
  // An enzymatic-derived value more than 10x away from the drug's cellular scale: shown with a
  // warning, kept out of every aggregate.
  bool excluded_from_aggregates = false;
  Bound bound = Bound::kEstimate;
  std::optional<double> avg_inhibition_pct, hours_above_50pct, peak_inhibition_pct,
      trough_inhibition_pct;
  std::string method;
  std::vector<std::string> sources;
  std::vector<std::string> notes;
  // Inhibition (%) every 15 minutes over the 24 h window (97 points, 0..24 h); empty if unknown.
  std::vector<double> series_pct;
};

struct AxisCoverage {
  std::string axis;
  std::optional<double> avg_inhibition_pct;  // mean over its JAK cytokines with known values
  int known = 0, jak = 0, non_jak = 0;       // cytokine counts
  // The assay of the values averaged; when the known values rest on different assays no average
  // is given.
  AssayBasis basis;
};

struct ProfileOptions {
  int steps_per_hour = 60;     // 1-minute resolution
  std::optional<Assay> assay;  // use quantitative values of this assay only
};

struct PathwayProfile {
  std::string drug;
  Regimen regimen;
  std::optional<Regimen> modelled_as;  // when a published equivalence stands in (ER → IR)
  std::vector<std::string> equivalence_sources;
  std::optional<ExposureModifier> modifier;
  // Topical products: the cited systemic-exposure statement; no PK curve is drawn.
  std::optional<kb::TextFact> topical;
  // Irreversible (covalent) binding: a concentration-driven Hill model does not apply.
  bool covalent = false;
  std::optional<ResolvedPk> pk;
  std::optional<double> unbound_fraction;
  std::vector<std::string> unbound_fraction_sources;
  std::vector<std::string> metabolites_modelled;
  std::vector<PathwayResult> pathways;  // KB cytokine order
  std::vector<AxisCoverage> axes;       // KB axis order
  std::vector<std::string> warnings;    // what limits the numbers (PK unknown, metabolites, ...)
  // Where a pair has both a cellular IC50 and enzymatic kinase IC50s: the range of
  // cellular / enzymatic-derived effective IC50 — how far apart the two scales are for this drug.
  std::optional<double> cellular_over_enzymatic_min, cellular_over_enzymatic_max;
  // Effective unbound (or total, for whole-blood potency) parent-equivalent concentration over
  // the 24-h window, in nM, at steps_per_hour resolution; empty when PK is unknown.
  std::vector<double> unbound_nm;
  std::vector<double> total_nm;
  int steps_per_hour = 60;
};

PathwayProfile compute_profile(const kb::KnowledgeBase& kb, const kb::Drug& drug,
                               const Regimen& regimen, const ExposureModifier* modifier = nullptr,
                               const ProfileOptions& options = {});

// Coverage of one disease's immune signature by a profile.
struct DiseaseCoverage {
  std::string disease;
  bool has_signature = false;
  // Pair-level (qualitative) coverage, the like-for-like measure every product has: the share of
  // the scored JAK-dependent signature cytokines (dominant, else present) whose pathway a cited
  // statement says is inhibited; absent when any of them has no statement.
  std::optional<double> pair_coverage_pct;
  std::vector<std::string> inhibited, spared, effect_unknown;
  std::optional<kb::Exposure> exposure;  // of the statements used; absent when none was
  // Quantitative: mean average inhibition over the dominant JAK-dependent cytokines with known
  // values (over the "present" ones when the signature names no dominant JAK-dependent cytokine);
  // absent when those values rest on different assays.
  std::optional<double> score_pct;
  std::string scored_on;  // "dominant" | "present" | ""
  std::optional<double> dominant_avg_pct, present_avg_pct;
  std::vector<std::string> not_jak_dependent;  // signature cytokines a JAK inhibitor cannot block
  std::vector<std::string> unknown;            // JAK-dependent but inhibition unknown
  std::vector<std::string> sources;            // the signature's sources
  AssayBasis basis;  // of the values averaged (score_pct is absent when mixed)
};

DiseaseCoverage disease_coverage(const kb::KnowledgeBase& kb, const PathwayProfile& profile,
                                 std::string_view disease_id);

// The profile (and optionally disease coverages) as JSON, documented in docs/pharmacology.md.
// With `curves`, the 15-minute series are included: "curve" (t_h, total_nm, unbound_nm) and each
// pathway's "series_pct".
std::string to_json(const PathwayProfile& profile,
                    const std::vector<DiseaseCoverage>& coverage = {}, int indent = 2,
                    bool curves = false);

}  // namespace paraderm::pharm
