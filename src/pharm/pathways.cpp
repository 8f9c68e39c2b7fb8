// Potency resolution, inhibition and the steady-state pathway profile. The modelling rules are
// documented in docs/pharmacology.md ("Pathway inhibition"); keep the two in step.
#include "paraderm/pathways.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "paraderm/pk_model.h"

namespace paraderm::pharm {
namespace {

// One kinase-level IC50 with where it came from.
struct KinaseIc50 {
  double nm = 0;
  bool at_most = false;   // IC50 printed as "> x": x understates it
  bool at_least = false;  // IC50 printed as "< x"
  bool whole_blood = false;
  std::vector<std::string> sources;
  std::string how;
};

bool is_lower_qualifier(const std::optional<kb::Qualifier>& q) {
  return q == kb::Qualifier::kGreater || q == kb::Qualifier::kGreaterOrEqual;
}
bool is_upper_qualifier(const std::optional<kb::Qualifier>& q) {
  return q == kb::Qualifier::kLess || q == kb::Qualifier::kLessOrEqual;
}
std::string_view qualifier_text(const std::optional<kb::Qualifier>& q) {
  return q ? kb::to_string(*q) : "";
}

void add_sources(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

std::string_view exposure_text(kb::Exposure e) {
  switch (e) {
    case kb::Exposure::kClinical:
      return "clinical exposure";
    case kb::Exposure::kApplicationSite:
      return "the application site";
    case kb::Exposure::kMixed:
      return "clinical exposure / the application site";
  }
  return "clinical exposure";
}

// level: enzymatic or cellular. A direct value for the kinase first; else a selectivity fold
// against a kinase with a direct value at the same level (IC50_k = fold × IC50_reference).
std::optional<KinaseIc50> kinase_ic50(const kb::Drug& drug, const std::string& kinase,
                                      kb::PotencyAssay level) {
  auto direct = [&](const std::string& k) -> std::optional<KinaseIc50> {
    for (const auto& p : drug.potency) {
      if (p.assay != level || p.target != k || !p.ic50_nm) continue;
      KinaseIc50 out{*p.ic50_nm,
                     is_lower_qualifier(p.qualifier),
                     is_upper_qualifier(p.qualifier),
                     p.matrix == kb::PotencyMatrix::kWholeBlood,
                     p.prov.src,
                     fmt::format("{} IC50 {}{:g} nM", kb::to_string(level),
                                 qualifier_text(p.qualifier), *p.ic50_nm)};
      return out;
    }
    return std::nullopt;
  };
  if (auto d = direct(kinase)) return d;
  const kb::PotencyAssay fold_assay = level == kb::PotencyAssay::kEnzymatic
                                          ? kb::PotencyAssay::kEnzymatic
                                          : kb::PotencyAssay::kCellularSelectivity;
  for (const auto& p : drug.potency) {
    if (p.assay != fold_assay || !p.fold || p.versus != kinase) continue;
    auto ref = direct(p.target);
    if (!ref) continue;
    KinaseIc50 out = *ref;
    out.nm = *p.fold * ref->nm;
    out.at_most = ref->at_most || is_lower_qualifier(p.qualifier);
    out.at_least = ref->at_least || is_upper_qualifier(p.qualifier);
    add_sources(out.sources, p.prov.src);
    out.how =
        fmt::format("{} × {}-fold selectivity of {} over {}", ref->how, *p.fold, p.target, kinase);
    return out;
  }
  return std::nullopt;
}

std::string pair_name(const kb::JakPair& pair) { return pair.kinases[0] + "/" + pair.kinases[1]; }

double midpoint(const kb::Quantity& q) {
  return q.value ? *q.value : (q.low && q.high ? (*q.low + *q.high) / 2 : NAN);
}

std::optional<double> unbound_fraction(const kb::Drug& drug, std::vector<std::string>& sources) {
  if (!drug.pk) return std::nullopt;
  for (const auto& q : drug.pk->unbound_fraction) {
    double v = midpoint(q);
    if (std::isfinite(v) && v > 0 && v <= 1) {
      sources = q.prov.src;
      return v;
    }
  }
  for (const auto& q : drug.pk->protein_binding) {
    double v = midpoint(q);
    if (q.unit == "%" && std::isfinite(v) && v >= 0 && v < 100) {
      sources = q.prov.src;
      return 1 - v / 100;
    }
  }
  return std::nullopt;
}

// An active metabolite the model can include: its potency relative to the parent, its AUC
// relative to the parent and its half-life are all in the KB.
struct MetaboliteModel {
  std::string name;
  double potency = 0, exposure = 0, half_life_h = 0;
};

Bound combine(bool at_most, bool at_least) {
  if (at_most && at_least) return Bound::kApproximate;
  if (at_most) return Bound::kUpperBound;
  if (at_least) return Bound::kLowerBound;
  return Bound::kEstimate;
}

// Division by a power of ten (exact) keeps the printed value short, e.g. 65.6
// not 65.60000000000001.
double round_to(double v, int decimals) {
  double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

}  // namespace

std::string_view to_string(Basis b) {
  switch (b) {
    case Basis::kQuantitative:
      return "quantitative";
    case Basis::kQualitative:
      return "qualitative";
    case Basis::kUnknown:
      return "unknown";
    case Basis::kNotJakDependent:
      return "not-jak-dependent";
  }
  return "unknown";
}

std::string_view to_string(Assay a) {
  switch (a) {
    case Assay::kWholeBlood:
      return "whole-blood";
    case Assay::kCellular:
      return "cellular";
    case Assay::kEnzymaticDerived:
      return "enzymatic-derived";
  }
  return "cellular";
}

void AssayBasis::add(Assay a) {
  if (state_ == State::kNone) {
    state_ = State::kOne;
    assay_ = a;
  } else if (state_ == State::kOne && assay_ != a) {
    state_ = State::kMixed;
  }
}

void AssayBasis::add(const AssayBasis& b) {
  if (b.state_ == State::kOne) add(b.assay_);
  if (b.state_ == State::kMixed) state_ = State::kMixed;
}

std::optional<Assay> AssayBasis::single() const {
  return state_ == State::kOne ? std::optional<Assay>(assay_) : std::nullopt;
}

std::string_view AssayBasis::name() const {
  switch (state_) {
    case State::kNone:
      return "";
    case State::kOne:
      return to_string(assay_);
    case State::kMixed:
      return "mixed";
  }
  return "";
}

std::optional<Assay> assay_from_string(std::string_view s) {
  for (Assay a : {Assay::kWholeBlood, Assay::kCellular, Assay::kEnzymaticDerived}) {
    if (to_string(a) == s) return a;
  }
  if (s == "enzymatic") return Assay::kEnzymaticDerived;
  return std::nullopt;
}

std::string_view to_string(Bound b) {
  switch (b) {
    case Bound::kEstimate:
      return "estimate";
    case Bound::kUpperBound:
      return "upper-bound";
    case Bound::kLowerBound:
      return "lower-bound";
    case Bound::kApproximate:
      return "approximate";
  }
  return "approximate";
}

std::optional<QualitativeEffect> qualitative_effect(const kb::Drug& drug,
                                                    const kb::Cytokine& cytokine) {
  if (!cytokine.pair) return std::nullopt;
  const auto& k = cytokine.pair->kinases;
  auto of = [](const kb::PathwayEffect& e) {
    return QualitativeEffect{e.effect, e.exposure,
                             fmt::format("{} {}: {}", e.target, kb::to_string(e.effect), e.text),
                             e.prov.src};
  };
  for (const auto& e : drug.pathway_effect) {
    if (e.target == cytokine.id) return of(e);
  }
  for (const auto& e : drug.pathway_effect) {
    if (e.target == k[0] + "/" + k[1] || e.target == k[1] + "/" + k[0]) return of(e);
  }
  auto kinase = [&](const std::string& id) -> const kb::PathwayEffect* {
    for (const auto& e : drug.pathway_effect) {
      if (e.target == id) return &e;
    }
    return nullptr;
  };
  const kb::PathwayEffect* a = kinase(k[0]);
  const kb::PathwayEffect* b = kinase(k[1]);
  // Signalling needs both kinases of the pair: inhibiting either one inhibits the pathway.
  for (const auto* e : {a, b}) {
    if (e && e->effect == Effect::kInhibited) {
      auto q = of(*e);
      q.how = fmt::format("{} inhibited (the pair needs both kinases): {}", e->target, e->text);
      return q;
    }
  }
  if (a && b && a->effect == Effect::kSpared && b->effect == Effect::kSpared) {
    auto q = of(*a);
    q.how = a == b
                ? fmt::format("{} spared (both kinases of the homodimer): {}", a->target, a->text)
                : fmt::format("{} and {} spared: {}", a->target, b->target, a->text);
    for (const auto& s : b->prov.src) {
      if (std::find(q.sources.begin(), q.sources.end(), s) == q.sources.end())
        q.sources.push_back(s);
    }
    if (a->exposure != b->exposure) q.exposure = kb::Exposure::kMixed;
    return q;
  }
  return std::nullopt;
}

PathwayPotency pathway_potency(const kb::Drug& drug, const kb::Cytokine& cytokine,
                               std::optional<Assay> only) {
  PathwayPotency out;
  if (!cytokine.pair) {
    out.basis = Basis::kNotJakDependent;
    out.unknown_reason = "does not signal through a JAK pair";
    return out;
  }
  const auto& k = cytokine.pair->kinases;
  // 1. An IC50 measured on this pair (either order): whole blood first (compared with total
  // concentration, no unbound fraction needed), then cells; higher confidence first.
  const kb::Potency* best = nullptr;
  auto rank = [](const kb::Potency& p) {
    int conf = p.prov.conf == kb::Confidence::kConfirmed   ? 0
               : p.prov.conf == kb::Confidence::kSecondary ? 1
               : p.prov.conf == kb::Confidence::kDerived   ? 2
                                                           : 3;
    return (p.matrix == kb::PotencyMatrix::kWholeBlood ? 0 : 10) + conf;
  };
  for (const auto& p : drug.potency) {
    if (p.assay != kb::PotencyAssay::kCellular || !p.ic50_nm) continue;
    if (p.target != k[0] + "/" + k[1] && p.target != k[1] + "/" + k[0]) continue;
    Assay assay =
        p.matrix == kb::PotencyMatrix::kWholeBlood ? Assay::kWholeBlood : Assay::kCellular;
    if (only && *only != assay) continue;
    if (!best || rank(p) < rank(*best)) best = &p;
  }
  if (best) {
    const auto& p = *best;
    out.basis = Basis::kQuantitative;
    out.assay = p.matrix == kb::PotencyMatrix::kWholeBlood ? Assay::kWholeBlood : Assay::kCellular;
    out.method = fmt::format("{} {} IC50 {}{:g} nM{}", to_string(out.assay), p.target,
                             qualifier_text(p.qualifier), *p.ic50_nm,
                             p.conditions ? " (" + *p.conditions + ")" : "");
    out.pair_ic50_nm = p.ic50_nm;
    out.versus_total = p.matrix == kb::PotencyMatrix::kWholeBlood;
    out.at_most = is_lower_qualifier(p.qualifier);
    out.at_least = is_upper_qualifier(p.qualifier);
    out.sources = p.prov.src;
    return out;
  }
  // 2./3. Kinase-level IC50s for both kinases, cellular first, then enzymatic.
  for (kb::PotencyAssay level : {kb::PotencyAssay::kCellular, kb::PotencyAssay::kEnzymatic}) {
    Assay assay =
        level == kb::PotencyAssay::kCellular ? Assay::kCellular : Assay::kEnzymaticDerived;
    if (only && *only != assay) continue;
    auto a = kinase_ic50(drug, k[0], level);
    auto b = kinase_ic50(drug, k[1], level);
    if (!a || !b) continue;
    out.basis = Basis::kQuantitative;
    out.assay = a->whole_blood && b->whole_blood ? Assay::kWholeBlood : assay;
    out.kinase_ic50_nm[0] = a->nm;
    out.kinase_ic50_nm[1] = b->nm;
    out.method =
        k[0] == k[1]
            ? fmt::format("{} {}; both kinases of the homodimer, independent action", k[0], a->how)
            : fmt::format("{} {}; {} {}; independent action", k[0], a->how, k[1], b->how);
    out.versus_total = a->whole_blood && b->whole_blood;
    out.at_most = a->at_most || b->at_most;
    out.at_least = a->at_least || b->at_least;
    add_sources(out.sources, a->sources);
    add_sources(out.sources, b->sources);
    return out;
  }
  std::vector<std::string> missing;
  for (const auto& kinase : {k[0], k[1]}) {
    if (!kinase_ic50(drug, kinase, kb::PotencyAssay::kCellular) &&
        !kinase_ic50(drug, kinase, kb::PotencyAssay::kEnzymatic) &&
        std::find(missing.begin(), missing.end(), kinase) == missing.end()) {
      missing.push_back(kinase);
    }
  }
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  out.unknown_reason = only ? fmt::format("no {} potency for {} in the KB", to_string(*only),
                                          pair_name(*cytokine.pair))
                       : missing.empty() ? fmt::format("no {} IC50 at a single assay level",
                                                       pair_name(*cytokine.pair))
                                         : fmt::format("no absolute IC50 for {} in the KB", list);
  return out;
}

double inhibition_at(const PathwayPotency& p, double c_nm) {
  if (c_nm <= 0) return 0;
  if (p.pair_ic50_nm) {
    double x = c_nm / *p.pair_ic50_nm;
    return x / (1 + x);
  }
  if (p.kinase_ic50_nm[0] && p.kinase_ic50_nm[1]) {
    // Signalling needs both kinases of the pair; each is occupied independently (Hill 1).
    double remaining = 1 / ((1 + c_nm / *p.kinase_ic50_nm[0]) * (1 + c_nm / *p.kinase_ic50_nm[1]));
    return 1 - remaining;
  }
  return 0;
}

std::optional<double> effective_ic50(const PathwayPotency& p) {
  if (p.pair_ic50_nm) return p.pair_ic50_nm;
  if (p.kinase_ic50_nm[0] && p.kinase_ic50_nm[1]) {
    double a = *p.kinase_ic50_nm[0], b = *p.kinase_ic50_nm[1];
    return (-(a + b) + std::sqrt((a + b) * (a + b) + 4 * a * b)) / 2;
  }
  return std::nullopt;
}

namespace {

// A row an aggregate may average: quantitative and not kept out by the 10x rule.
bool aggregable(const PathwayResult& r) {
  return r.basis == Basis::kQuantitative && r.avg_inhibition_pct && r.assay &&
         !r.excluded_from_aggregates;
}

}  // namespace

// How far apart the cellular and enzymatic-derived scales are for this drug, where a pair has both
// (a ratio from a "< x" cellular IC50 is only an upper limit); enzymatic-derived values too far
// from the cellular scale are kept out of aggregates, and mixed assays are said.
void compare_assay_scales(const kb::KnowledgeBase& kb, const kb::Drug& drug, PathwayProfile& out) {
  bool ratio_bounded = false;
  std::vector<std::string> pairs_seen;
  const bool has_enzymatic =
      std::any_of(drug.potency.begin(), drug.potency.end(),
                  [](const kb::Potency& p) { return p.assay == kb::PotencyAssay::kEnzymatic; });
  for (const auto& c : kb.cytokines) {
    if (!c.pair || !has_enzymatic) continue;
    std::string pair = pair_name(*c.pair);  // potency depends on the pair only
    if (std::find(pairs_seen.begin(), pairs_seen.end(), pair) != pairs_seen.end()) continue;
    pairs_seen.push_back(pair);
    auto cell = pathway_potency(drug, c, Assay::kCellular);
    if (cell.basis != Basis::kQuantitative || !cell.pair_ic50_nm) {
      cell = pathway_potency(drug, c, Assay::kWholeBlood);
      if (cell.basis != Basis::kQuantitative || !cell.pair_ic50_nm) continue;
    }
    auto a = kinase_ic50(drug, c.pair->kinases[0], kb::PotencyAssay::kEnzymatic);
    auto b = kinase_ic50(drug, c.pair->kinases[1], kb::PotencyAssay::kEnzymatic);
    if (!a || !b) continue;
    PathwayPotency enz;
    enz.kinase_ic50_nm[0] = a->nm;
    enz.kinase_ic50_nm[1] = b->nm;
    double ratio = *cell.pair_ic50_nm / *effective_ic50(enz);
    ratio_bounded |= cell.at_least;
    out.cellular_over_enzymatic_min =
        std::min(out.cellular_over_enzymatic_min.value_or(ratio), ratio);
    out.cellular_over_enzymatic_max =
        std::max(out.cellular_over_enzymatic_max.value_or(ratio), ratio);
  }
  // Enzymatic-derived values more than 10x away from the drug's cellular scale overstate
  // inhibition by that much: shown, flagged, and kept out of every aggregate. The 10x limit is an
  // engine rule (issue 12), not a clinical number.
  constexpr double kScaleGapLimit = 10;
  if (out.cellular_over_enzymatic_max && *out.cellular_over_enzymatic_max > kScaleGapLimit &&
      !ratio_bounded) {
    int flagged = 0;
    for (auto& r : out.pathways) {
      if (r.assay == Assay::kEnzymaticDerived && r.avg_inhibition_pct) {
        r.excluded_from_aggregates = true;
        r.notes.emplace_back(
            "kept out of aggregates: enzymatic-derived values of this drug are "
            "more than 10x away from its cellular values");
        ++flagged;
      }
    }
    if (flagged > 0) {
      out.warnings.push_back(fmt::format(
          "{} enzymatic-derived pathway values are shown but kept out of every aggregate: this "
          "drug's cellular IC50s are {:.0f}-{:.0f}x its enzymatic-derived ones (more than 10x)",
          flagged, *out.cellular_over_enzymatic_min, *out.cellular_over_enzymatic_max));
    }
  }
  std::vector<std::string> assays;
  for (const auto& r : out.pathways) {
    if (!aggregable(r)) continue;
    std::string a(to_string(*r.assay));
    if (std::find(assays.begin(), assays.end(), a) == assays.end()) assays.push_back(a);
  }
  if (assays.size() > 1) {
    std::string list;
    for (const auto& a : assays) list += (list.empty() ? "" : ", ") + a;
    out.warnings.push_back(fmt::format(
        "quantitative values rest on different assays ({}{}): compare pathways within one assay; "
        "an aggregate over more than one assay is not given",
        list,
        out.cellular_over_enzymatic_min
            ? fmt::format("; cellular IC50s are {}{:.0f}-{:.0f}x the enzymatic-derived ones",
                          ratio_bounded ? "at most " : "", *out.cellular_over_enzymatic_min,
                          *out.cellular_over_enzymatic_max)
            : ""));
  }
}

// Per axis: the average modelled inhibition of its JAK-dependent cytokines, when all are known on
// one assay basis.
void aggregate_axes(const kb::KnowledgeBase& kb, PathwayProfile& out) {
  for (const auto& axis : kb.axes) {
    AxisCoverage a;
    a.axis = axis.id;
    double sum = 0;
    for (std::size_t i = 0; i < kb.cytokines.size(); ++i) {
      const auto& c = kb.cytokines[i];
      if (std::find(c.axes.begin(), c.axes.end(), axis.id) == c.axes.end()) continue;
      if (!c.pair) {
        ++a.non_jak;
        continue;
      }
      ++a.jak;
      const auto& row = out.pathways[i];
      if (aggregable(row)) {
        ++a.known;
        sum += *row.avg_inhibition_pct;
        a.basis.add(*row.assay);
      }
    }
    if (a.known > 0 && !a.basis.mixed()) a.avg_inhibition_pct = sum / a.known;
    out.axes.push_back(a);
  }
}

// Active metabolites: modelled when potency, exposure and half-life are known; otherwise left out
// (`missing`), which makes every computed inhibition a lower bound.
std::vector<MetaboliteModel> active_metabolites(const kb::Drug& drug, PathwayProfile& profile,
                                                bool& missing) {
  std::vector<MetaboliteModel> out;
  for (const auto& m : drug.metabolite) {
    if (!m.active) continue;
    double p = m.potency_vs_parent ? midpoint(*m.potency_vs_parent) : NAN;
    double e = m.exposure_vs_parent ? midpoint(*m.exposure_vs_parent) : NAN;
    double h = m.half_life ? midpoint(*m.half_life) : NAN;
    if (std::isfinite(p) && std::isfinite(e) && std::isfinite(h) && h > 0) {
      out.push_back({m.name, p, e, h});
      profile.metabolites_modelled.push_back(m.name);
    } else {
      missing = true;
      profile.warnings.push_back(fmt::format(
          "active metabolite {} left out (its potency, exposure or half-life is not in the KB): "
          "inhibition values are lower bounds",
          m.name));
    }
  }
  return out;
}

std::vector<double> with_metabolites(const std::vector<double>& total_nm,
                                     const std::vector<MetaboliteModel>& metabolites, int sph) {
  const int n = static_cast<int>(total_nm.size());
  // Each metabolite, in parent-equivalent nM (its molar mass is not in the KB; its printed
  // AUC ratio is applied to the parent's molar curve), formed in proportion to the parent
  // concentration and eliminated with its own half-life; stepped until periodic.
  std::vector<double> active = total_nm;
  for (const auto& m : metabolites) {
    double km = std::log(2.0) / m.half_life_h, dt = 1.0 / sph;
    // Formation rate s·C_parent with s = exposure·km keeps AUC_m = exposure × AUC_parent.
    double decay = std::exp(-km * dt), gain = m.exposure * (1 - decay);
    double cm = 0;
    int days = static_cast<int>(std::ceil(10 * m.half_life_h / 24)) + 1;
    std::vector<double> curve(n);
    for (int d = 0; d < days; ++d) {
      for (int i = 0; i < n; ++i) {
        if (d == days - 1) curve[i] = cm;
        cm = cm * decay + gain * total_nm[i];
      }
    }
    for (int i = 0; i < n; ++i) active[i] += m.potency * curve[i];
  }
  return active;
}

// The regimen the curve is computed for: the one given, or its published exposure equivalent
// (upadacitinib ER 15 mg QD = IR 6 mg BID), recorded in the profile with its source.
Regimen modelled_regimen(const kb::KnowledgeBase& kb, const kb::Drug& drug, const Regimen& regimen,
                         PathwayProfile& out) {
  Regimen modelled = regimen;
  for (const auto& eq : drug.pk_equivalence) {
    if (regimen.formulation == eq.formulation && regimen.amount_mg == eq.amount &&
        frequency_label(kb, regimen.tau_h) == eq.frequency) {
      auto tau = kb.dosing_interval_h(eq.modelled_frequency);
      if (!tau) continue;  // kb validate: pk_equivalence frequencies are qd or bid
      modelled =
          Regimen{eq.modelled_amount, *tau, eq.modelled_formulation, {}, eq.modelled_frequency};
      out.modelled_as = modelled;
      out.equivalence_sources = eq.prov.src;
      out.warnings.push_back(fmt::format("modelled as {:g} mg {} {}: {}", eq.modelled_amount,
                                         eq.modelled_frequency, eq.modelled_formulation, eq.text));
    }
  }
  return modelled;
}

PathwayProfile compute_profile(const kb::KnowledgeBase& kb, const kb::Drug& drug,
                               const Regimen& regimen, const ExposureModifier* modifier,
                               const ProfileOptions& options) {
  PathwayProfile out;
  out.drug = drug.id;
  out.regimen = regimen;
  out.regimen.frequency = frequency_label(kb, regimen.tau_h);
  out.steps_per_hour = options.steps_per_hour;
  out.covalent = drug.mechanism.binding == kb::Binding::kCovalent;
  if (modifier) out.modifier = *modifier;
  const bool topical = drug.route == kb::Route::kTopical;

  const Regimen modelled = topical ? regimen : modelled_regimen(kb, drug, regimen, out);

  std::string pk_gap;
  std::optional<double> mw = molecular_weight(drug);
  std::vector<std::string> fu_sources;
  out.unbound_fraction = unbound_fraction(drug, fu_sources);
  out.unbound_fraction_sources = fu_sources;
  if (topical) {
    // A topical product acts at the application site; its systemic curve is not the quantity
    // that matters and none is modelled.
    if (drug.systemic_exposure) {
      out.topical = *drug.systemic_exposure;
    } else {
      out.topical = kb::TextFact{"systemic exposure not described in the KB", {}};
    }
    pk_gap = "topical product: " + out.topical->text;
    out.warnings.push_back(
        fmt::format("topical: {} [{}]", out.topical->text, fmt::join(out.topical->prov.src, ", ")));
  } else {
    auto pk = resolve_pk(drug);
    if (!pk.is_ok()) {
      pk_gap = pk.status().message();
    } else if (!mw) {
      pk_gap = "molar mass unknown (cannot convert to nM)";
    } else {
      out.pk = pk.value();
      if (out.pk->formulation && modelled.formulation &&
          out.pk->formulation->find(*modelled.formulation) == std::string::npos &&
          modelled.formulation->find(*out.pk->formulation) == std::string::npos) {
        out.warnings.push_back(
            fmt::format("the PK model describes the {} formulation; the "
                        "regimen is {}",
                        *out.pk->formulation, *modelled.formulation));
      }
      if (modifier) out.pk->params.cl_l_h /= 1 + modifier->auc_change_pct / 100;
    }
    if (!pk_gap.empty()) out.warnings.push_back(pk_gap);
  }
  if (out.covalent) {
    out.warnings.emplace_back(
        "irreversible (covalent) binding: inhibition is set by target inactivation and "
        "resynthesis, not by the plasma concentration; no inactivation rate or resynthesis rate "
        "is in the KB, so pathways are given qualitatively");
  }

  bool metabolite_missing = false;
  const std::vector<MetaboliteModel> metabolites =
      topical ? std::vector<MetaboliteModel>{} : active_metabolites(drug, out, metabolite_missing);

  const int sph = std::max(1, options.steps_per_hour);
  const int n = 24 * sph;
  if (out.pk) {
    const auto& params = out.pk->params;
    out.total_nm.resize(n);
    steady_state_grid(params, modelled.amount_mg, modelled.tau_h, 1.0 / sph, out.total_nm);
    for (double& c : out.total_nm) c = mg_per_l_to_nm(c, *mw);
    out.total_nm = with_metabolites(out.total_nm, metabolites, sph);
    if (out.unbound_fraction) {
      out.unbound_nm.resize(n);
      for (int i = 0; i < n; ++i) out.unbound_nm[i] = out.total_nm[i] * *out.unbound_fraction;
    }
  }

  // Potency depends only on the JAK pair, so cytokines sharing a pair share the computation
  // (the qualitative effect can be stated per cytokine and is resolved for each).
  std::vector<PathwayResult> by_pair;
  std::vector<std::pair<std::string, std::optional<QualitativeEffect>>> effect_by_pair;
  for (const auto& c : kb.cytokines) {
    PathwayResult r;
    r.cytokine = c.id;
    // The effect depends on the pair unless a statement names this cytokine.
    std::optional<QualitativeEffect> effect;
    bool cytokine_stated =
        std::any_of(drug.pathway_effect.begin(), drug.pathway_effect.end(),
                    [&](const kb::PathwayEffect& e) { return e.target == c.id; });
    if (c.pair && !cytokine_stated) {
      std::string pair = pair_name(*c.pair);
      auto hit = std::find_if(effect_by_pair.begin(), effect_by_pair.end(),
                              [&](const auto& x) { return x.first == pair; });
      if (hit != effect_by_pair.end()) {
        effect = hit->second;
      } else {
        effect = qualitative_effect(drug, c);
        effect_by_pair.emplace_back(pair, effect);
      }
    } else {
      effect = qualitative_effect(drug, c);
    }
    auto finish = [&](PathwayResult& row) {
      row.effect = effect;
      if (row.basis == Basis::kUnknown && effect) {
        row.basis = Basis::kQualitative;
        add_sources(row.sources, effect->sources);
        row.notes.push_back(fmt::format("{} at {} ({})", to_string(effect->effect),
                                        exposure_text(effect->exposure), effect->how));
      }
    };
    if (c.pair) {
      r.jak_pair = pair_name(*c.pair);
      auto done = std::find_if(by_pair.begin(), by_pair.end(),
                               [&](const PathwayResult& x) { return x.jak_pair == r.jak_pair; });
      if (done != by_pair.end()) {
        r = *done;
        r.cytokine = c.id;
        finish(r);
        out.pathways.push_back(std::move(r));
        continue;
      }
    }
    auto potency = pathway_potency(drug, c, options.assay);
    r.basis = potency.basis;
    r.method = potency.method;
    r.sources = potency.sources;
    if (potency.basis == Basis::kNotJakDependent) {
      r.notes.emplace_back(
          "does not signal through a JAK pair: not blocked directly by a JAK "
          "inhibitor");
      out.pathways.push_back(std::move(r));
      continue;
    }
    auto unknown = [&](std::string why) {
      r.basis = Basis::kUnknown;
      r.method.clear();
      r.sources.clear();
      r.notes.push_back(std::move(why));
    };
    if (potency.basis == Basis::kUnknown) {
      r.notes.push_back("potency unknown: " + potency.unknown_reason);
    } else if (out.covalent) {
      unknown("quantitative value not computed: irreversible binding (see warnings)");
    } else if (!out.pk) {
      unknown((topical ? "no systemic curve: " : "PK unknown: ") + pk_gap);
    } else if (!potency.versus_total && !out.unbound_fraction) {
      unknown(
          "unbound fraction unknown: cannot compare plasma levels with a non-whole-blood "
          "IC50");
    } else {
      r.assay = potency.assay;
      const auto& conc = potency.versus_total ? out.total_nm : out.unbound_nm;
      double sum = 0, peak = 0, trough = 1;
      int above = 0;
      for (double c_nm : conc) {
        double inh = std::clamp(inhibition_at(potency, c_nm), 0.0, 1.0);
        sum += inh;
        peak = std::max(peak, inh);
        trough = std::min(trough, inh);
        above += inh > 0.5;
      }
      const int step = std::max(1, sph / 4);
      for (int i = 0; i <= n; i += step) {
        double c_nm = conc[static_cast<std::size_t>(i % n)];  // 24 h wraps to 0 h at steady state
        r.series_pct.push_back(100 * std::clamp(inhibition_at(potency, c_nm), 0.0, 1.0));
      }
      r.avg_inhibition_pct = 100 * sum / static_cast<double>(conc.size());
      r.peak_inhibition_pct = 100 * peak;
      r.trough_inhibition_pct = 100 * trough;
      r.hours_above_50pct = static_cast<double>(above) / sph;
      r.bound = combine(potency.at_most, potency.at_least || metabolite_missing);
      add_sources(r.sources, out.pk->sources);
      add_sources(r.sources,
                  potency.versus_total ? std::vector<std::string>{} : out.unbound_fraction_sources);
      add_sources(r.sources, out.equivalence_sources);
      if (modifier) add_sources(r.sources, modifier->sources);
      r.notes.emplace_back(potency.versus_total
                               ? "whole-blood potency against total plasma concentration"
                               : "potency against unbound plasma concentration");
      if (potency.assay == Assay::kEnzymaticDerived) {
        r.notes.emplace_back(
            "enzymatic IC50s (assay ATP) against unbound plasma levels: usually "
            "overstates inhibition in cells");
      }
    }
    by_pair.push_back(r);
    finish(r);
    out.pathways.push_back(std::move(r));
  }

  compare_assay_scales(kb, drug, out);
  aggregate_axes(kb, out);
  return out;
}

DiseaseCoverage disease_coverage(const kb::KnowledgeBase& kb, const PathwayProfile& profile,
                                 std::string_view disease_id) {
  DiseaseCoverage out;
  out.disease = std::string(disease_id);
  const kb::Disease* d = kb.find_disease(disease_id);
  if (!d || !d->signature) return out;
  out.has_signature = true;
  out.sources = d->signature->prov.src;
  auto row_of = [&](const std::string& id) -> const PathwayResult* {
    auto it = std::find_if(profile.pathways.begin(), profile.pathways.end(),
                           [&](const PathwayResult& r) { return r.cytokine == id; });
    return it == profile.pathways.end() ? nullptr : &*it;
  };
  auto push_once = [](std::vector<std::string>& v, const std::string& id) {
    if (std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);
  };
  auto mean_of = [&](const std::vector<std::string>& ids,
                     AssayBasis& assay) -> std::optional<double> {
    double sum = 0;
    int known = 0;
    for (const auto& id : ids) {
      const PathwayResult* r = row_of(id);
      if (!r) continue;
      if (r->basis == Basis::kNotJakDependent) {
        push_once(out.not_jak_dependent, id);
      } else if (!aggregable(*r)) {
        push_once(out.unknown, id);
      } else {
        sum += *r->avg_inhibition_pct;
        ++known;
        assay.add(*r->assay);
      }
    }
    if (known == 0 || assay.mixed()) return std::nullopt;
    return sum / known;
  };
  AssayBasis dominant_assay, present_assay;
  out.dominant_avg_pct = mean_of(d->signature->dominant, dominant_assay);
  out.present_avg_pct = mean_of(d->signature->present, present_assay);
  auto jak_dependent = [&](const std::vector<std::string>& ids) {
    return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) {
      const kb::Cytokine* c = kb.find_cytokine(id);
      return c && c->pair;
    });
  };
  const std::vector<std::string>* scored = nullptr;
  if (jak_dependent(d->signature->dominant)) {
    out.scored_on = "dominant";
    out.score_pct = out.dominant_avg_pct;
    out.basis = dominant_assay;
    scored = &d->signature->dominant;
  } else if (jak_dependent(d->signature->present)) {
    out.scored_on = "present";
    out.score_pct = out.present_avg_pct;
    out.basis = present_assay;
    scored = &d->signature->present;
  }
  // The like-for-like measure: the same kind of value (a cited qualitative statement) for every
  // product, whatever quantitative data it also has.
  if (scored) {
    int total = 0;
    for (const auto& id : *scored) {
      const PathwayResult* r = row_of(id);
      if (!r || r->basis == Basis::kNotJakDependent) continue;
      ++total;
      if (!r->effect) {
        push_once(out.effect_unknown, id);
        continue;
      }
      push_once(r->effect->effect == Effect::kInhibited ? out.inhibited : out.spared, id);
      if (!out.exposure)
        out.exposure = r->effect->exposure;
      else if (*out.exposure != r->effect->exposure)
        out.exposure = kb::Exposure::kMixed;
    }
    if (total > 0 && out.effect_unknown.empty()) {
      out.pair_coverage_pct = 100.0 * static_cast<double>(out.inhibited.size()) / total;
    }
  }
  return out;
}

namespace {

nlohmann::json opt(const std::optional<double>& v, int decimals) {
  return v ? nlohmann::json(round_to(*v, decimals)) : nlohmann::json(nullptr);
}

nlohmann::json regimen_json(const Regimen& r) {
  nlohmann::json j = {{"amount", r.amount_mg},
                      {"unit", "mg"},
                      {"frequency", frequency_label(r)},
                      {"interval_h", r.tau_h}};
  j["formulation"] = r.formulation ? nlohmann::json(*r.formulation) : nlohmann::json(nullptr);
  if (!r.roles.empty()) j["roles"] = r.roles;
  return j;
}

}  // namespace
std::string to_json(const PathwayProfile& p, const std::vector<DiseaseCoverage>& coverage,
                    int indent, bool curves) {
  nlohmann::json j;
  j["drug"] = p.drug;
  j["regimen"] = p.topical ? nlohmann::json({{"route", "topical"}}) : regimen_json(p.regimen);
  j["modelled_as"] = p.modelled_as ? regimen_json(*p.modelled_as) : nlohmann::json(nullptr);
  j["topical"] = p.topical ? nlohmann::json({{"systemic_exposure", p.topical->text},
                                             {"sources", p.topical->prov.src}})
                           : nlohmann::json(nullptr);
  j["covalent"] = p.covalent;
  if (p.modifier) {
    j["modifier"] = {{"id", p.modifier->id},
                     {"auc_change_pct", p.modifier->auc_change_pct},
                     {"sources", p.modifier->sources},
                     {"confidence", p.modifier->confidence}};
    if (p.modifier->example) j["modifier"]["example"] = *p.modifier->example;
  } else {
    j["modifier"] = nullptr;
  }
  if (p.pk) {
    nlohmann::json pk = {{"origin", p.pk->origin},
                         {"description", p.pk->description},
                         {"compartments", p.pk->params.compartments},
                         {"cl_f_l_h", p.pk->params.cl_l_h},
                         {"v_f_l", p.pk->params.v1_l},
                         {"ka_per_h", p.pk->params.ka_per_h},
                         {"lag_h", p.pk->params.lag_h},
                         {"sources", p.pk->sources}};
    if (p.pk->formulation) pk["formulation"] = *p.pk->formulation;
    for (const auto& in : p.pk->inputs) {
      pk["inputs"].push_back({{"quantity", in.quantity},
                              {"value", in.value},
                              {"unit", in.unit},
                              {"taken", in.how},
                              {"sources", in.sources}});
    }
    j["pk"] = pk;
  } else {
    j["pk"] = nullptr;
  }
  j["unbound_fraction"] =
      p.unbound_fraction ? nlohmann::json(*p.unbound_fraction) : nlohmann::json(nullptr);
  j["unbound_fraction_sources"] = p.unbound_fraction_sources;
  j["metabolites_modelled"] = p.metabolites_modelled;
  j["pathways"] = nlohmann::json::array();
  for (const auto& r : p.pathways) {
    nlohmann::json row = {
        {"cytokine", r.cytokine},
        {"jak_pair", r.jak_pair.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.jak_pair)},
        {"basis", to_string(r.basis)},
        {"assay", r.assay ? nlohmann::json(to_string(*r.assay)) : nlohmann::json(nullptr)},
        {"avg_inhibition_pct", opt(r.avg_inhibition_pct, 1)},
        {"hours_above_50pct", opt(r.hours_above_50pct, 2)},
        {"peak_inhibition_pct", opt(r.peak_inhibition_pct, 1)},
        {"trough_inhibition_pct", opt(r.trough_inhibition_pct, 1)},
        {"bound", r.basis == Basis::kQuantitative ? nlohmann::json(to_string(r.bound))
                                                  : nlohmann::json(nullptr)},
        {"excluded_from_aggregates", r.excluded_from_aggregates},
        {"method", r.method},
        {"sources", r.sources},
        {"notes", r.notes},
    };
    if (r.effect) {
      row["effect"] = to_string(r.effect->effect);
      row["effect_exposure"] = kb::to_string(r.effect->exposure);
      row["effect_statement"] = r.effect->how;
      row["effect_sources"] = r.effect->sources;
    } else {
      row["effect"] = nullptr;
    }
    j["pathways"].push_back(std::move(row));
  }
  j["axes"] = nlohmann::json::array();
  for (const auto& a : p.axes) {
    j["axes"].push_back({{"axis", a.axis},
                         {"avg_inhibition_pct", opt(a.avg_inhibition_pct, 1)},
                         {"jak_cytokines", a.jak},
                         {"known", a.known},
                         {"assay", a.basis.name()},
                         {"not_jak_dependent", a.non_jak}});
  }
  if (!coverage.empty()) {
    j["diseases"] = nlohmann::json::array();
    for (const auto& c : coverage) {
      j["diseases"].push_back({{"disease", c.disease},
                               {"has_signature", c.has_signature},
                               {"scored_on", c.scored_on},
                               {"pair_coverage_pct", opt(c.pair_coverage_pct, 1)},
                               {"inhibited", c.inhibited},
                               {"spared", c.spared},
                               {"effect_unknown", c.effect_unknown},
                               {"effect_exposure", c.exposure ? kb::to_string(*c.exposure) : ""},
                               {"score_pct", opt(c.score_pct, 1)},
                               {"assay", c.basis.name()},
                               {"dominant_avg_pct", opt(c.dominant_avg_pct, 1)},
                               {"present_avg_pct", opt(c.present_avg_pct, 1)},
                               {"not_jak_dependent", c.not_jak_dependent},
                               {"unknown", c.unknown},
                               {"sources", c.sources}});
    }
  }
  j["cellular_over_enzymatic"] = p.cellular_over_enzymatic_min
                                     ? nlohmann::json{{"min", *p.cellular_over_enzymatic_min},
                                                      {"max", *p.cellular_over_enzymatic_max}}
                                     : nlohmann::json(nullptr);
  j["warnings"] = p.warnings;
  if (curves && !p.total_nm.empty()) {
    const int step = std::max(1, p.steps_per_hour / 4), n = static_cast<int>(p.total_nm.size());
    nlohmann::json t = nlohmann::json::array(), tot = nlohmann::json::array(),
                   unb = nlohmann::json::array();
    for (int i = 0; i <= n; i += step) {
      t.push_back(static_cast<double>(i) / p.steps_per_hour);
      tot.push_back(round_to(p.total_nm[static_cast<std::size_t>(i % n)], 3));
      if (!p.unbound_nm.empty())
        unb.push_back(round_to(p.unbound_nm[static_cast<std::size_t>(i % n)], 3));
    }
    j["curve"] = {{"t_h", t},
                  {"total_nm", tot},
                  {"unbound_nm", unb},
                  {"drawn", p.modelled_as ? nlohmann::json(regimen_json(*p.modelled_as))
                                          : nlohmann::json(regimen_json(p.regimen))}};
    for (std::size_t i = 0; i < p.pathways.size(); ++i) {
      nlohmann::json s = nlohmann::json::array();
      for (double v : p.pathways[i].series_pct) s.push_back(round_to(v, 2));
      j["pathways"][i]["series_pct"] = s;
      // Which concentration the inhibition curve was computed against.
      if (p.pathways[i].assay) {
        j["pathways"][i]["versus"] =
            *p.pathways[i].assay == Assay::kWholeBlood ? "total" : "unbound";
      }
    }
  }
  return j.dump(indent);
}

}  // namespace paraderm::pharm
