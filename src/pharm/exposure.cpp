// Regimens, exposure modifiers and the derived one-compartment model: everything that decides the
// concentration curve before potency is applied.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "paraderm/pathways.h"
#include "paraderm/pk_model.h"

namespace paraderm::pharm {
namespace {

int confidence_rank(kb::Confidence c) {
  switch (c) {
    case kb::Confidence::kConfirmed:
      return 0;
    case kb::Confidence::kSecondary:
      return 1;
    case kb::Confidence::kDerived:
      return 2;
    case kb::Confidence::kUnconfirmed:
      return 3;
  }
  return 4;
}

// The KB value the derivation uses: highest confidence first, then the order listed; a point value
// as printed, else the midpoint of the printed range (said so in `how`).
struct Picked {
  double value = 0;
  const kb::Quantity* q = nullptr;
  std::string how;
};

std::optional<Picked> pick(const std::vector<kb::Quantity>& qs,
                           std::initializer_list<std::string_view> units) {
  const kb::Quantity* best = nullptr;
  for (const auto& q : qs) {
    if (std::find(units.begin(), units.end(), q.unit) == units.end()) continue;
    if (!q.value && !(q.low && q.high)) continue;
    if (!best || confidence_rank(q.prov.conf) < confidence_rank(best->prov.conf)) best = &q;
  }
  if (!best) return std::nullopt;
  Picked p{0, best, ""};
  if (best->value) {
    p.value = *best->value;
    p.how = fmt::format("{} {} ({})", p.value, best->unit, kb::to_string(best->prov.conf));
  } else {
    p.value = (*best->low + *best->high) / 2;
    p.how = fmt::format("midpoint of {}-{} {} ({})", *best->low, *best->high, best->unit,
                        kb::to_string(best->prov.conf));
  }
  return p;
}

PkInput input_of(std::string quantity, double value, std::string unit, const Picked& p) {
  return PkInput{std::move(quantity), value, std::move(unit), p.q->prov.src, p.how};
}

// tmax = ln(ka/k)/(ka − k) is strictly decreasing in ka on (k, ∞), from 1/k down to 0.
std::optional<double> ka_from_tmax(double k, double tmax) {
  if (tmax <= 0 || tmax >= 1 / k) return std::nullopt;
  auto tmax_of = [k](double ka) { return std::log(ka / k) / (ka - k); };
  double lo = k * (1 + 1e-9), hi = k * 2;
  while (tmax_of(hi) > tmax) hi *= 2;
  for (int i = 0; i < 200 && (hi - lo) > 1e-12 * hi; ++i) {
    double mid = std::sqrt(lo * hi);
    (tmax_of(mid) > tmax ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

}  // namespace

std::string frequency_label(const kb::KnowledgeBase& kb, double tau_h) {
  if (auto name = kb.frequency_of_interval(tau_h)) return *name;
  return fmt::format("{:g}h", tau_h);
}

std::string frequency_label(const Regimen& r) {
  return r.frequency.empty() ? fmt::format("{:g}h", r.tau_h) : r.frequency;
}

std::vector<Regimen> approved_regimens(const kb::KnowledgeBase& kb, const kb::Drug& drug) {
  std::vector<Regimen> out;
  if (drug.route != kb::Route::kOral) return out;
  for (const auto& d : drug.dose) {
    auto tau = kb.dosing_interval_h(d.frequency);  // once / as-directed: not a repeated regimen
    if (d.unit != "mg" || !tau) continue;
    // A dose without a formulation is the same regimen as one stating it (the KB lists the
    // US and EU entries separately, one of them often without the formulation).
    auto same = std::find_if(out.begin(), out.end(), [&](const Regimen& r) {
      return r.amount_mg == d.amount && r.tau_h == *tau &&
             (r.formulation == d.formulation || !r.formulation || !d.formulation);
    });
    if (same == out.end()) {
      out.push_back(Regimen{
          d.amount, *tau, d.formulation, {std::string(kb::to_string(d.role))}, d.frequency});
    } else {
      if (!same->formulation) same->formulation = d.formulation;
      std::string role(kb::to_string(d.role));
      if (std::find(same->roles.begin(), same->roles.end(), role) == same->roles.end()) {
        same->roles.push_back(std::move(role));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Regimen& a, const Regimen& b) {
    return std::tie(a.amount_mg, a.tau_h) < std::tie(b.amount_mg, b.tau_h);
  });
  return out;
}

std::vector<std::string> modifier_names(const kb::Drug& drug) {
  std::set<std::string> names;
  for (const auto& e : drug.exposure_change) {
    if (!e.auc_change_pct) continue;
    std::string id = e.perpetrator ? *e.perpetrator : *e.condition;
    names.insert(id);
    if (e.example) names.insert(id + ":" + *e.example);
  }
  return {names.begin(), names.end()};
}

Result<ExposureModifier> find_modifier(const kb::Drug& drug, std::string_view spec) {
  std::string_view id = spec, example;
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    id = spec.substr(0, colon);
    example = spec.substr(colon + 1);
  }
  const kb::ExposureChange* best = nullptr;
  for (const auto& e : drug.exposure_change) {
    std::string_view eid = e.perpetrator ? *e.perpetrator : *e.condition;
    if (eid != id || !e.auc_change_pct) continue;
    if (!example.empty() && e.example != example) continue;
    if (!best || std::abs(*e.auc_change_pct) > std::abs(*best->auc_change_pct)) best = &e;
  }
  if (!best) {
    std::string known;
    for (const auto& n : modifier_names(drug)) known += (known.empty() ? "" : ", ") + n;
    return Status::invalid_input(fmt::format(
        "modifier: value '{}': the KB holds no AUC change for {} with it (the effect is unknown); "
        "expected one of: {}",
        spec, drug.id, known.empty() ? "(none for this drug)" : known));
  }
  return ExposureModifier{std::string(id), best->example, *best->auc_change_pct, best->prov.src,
                          std::string(kb::to_string(best->prov.conf))};
}

Result<ResolvedPk> derive_one_compartment(const kb::Drug& drug) {
  if (!drug.pk) return Status::not_found(fmt::format("{}: no PK parameters in the KB", drug.id));
  const auto& pk = *drug.pk;
  auto f = pick(pk.bioavailability, {"%"});
  auto tmax = pick(pk.tmax, {"h"});
  auto half = pick(pk.half_life, {"h"});
  auto cl = pick(pk.clearance, {"L/h", "mL/min"});
  auto vol = pick(pk.volume, {"L"});
  std::vector<std::string> missing;
  if (!f) missing.emplace_back("bioavailability");
  if (!tmax) missing.emplace_back("tmax");
  if (!half) missing.emplace_back("half-life");
  if (!vol && !cl) missing.emplace_back("volume or clearance");
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Status::not_found(
        fmt::format("{}: cannot derive a PK model: unknown {}", drug.id, list));
  }
  ResolvedPk out;
  out.origin = "derived";
  double fraction = f->value / 100;
  double k = std::log(2.0) / half->value;
  out.inputs.push_back(input_of("bioavailability", f->value, "%", *f));
  out.inputs.push_back(input_of("half_life", half->value, "h", *half));
  out.inputs.push_back(input_of("tmax", tmax->value, "h", *tmax));
  // A measured clearance fixes the AUC (what average inhibition depends on); prefer it over a
  // volume, which for multi-compartment drugs (Vss) would not reproduce the AUC.
  if (cl) {
    double cl_value = cl->value * (cl->q->unit == "mL/min" ? 60.0 / 1000.0 : 1.0);
    out.inputs.push_back(input_of("clearance", cl->value, cl->q->unit, *cl));
    out.params.cl_l_h = cl_value / fraction;
    out.params.v1_l = out.params.cl_l_h / k;
    out.description = "one compartment derived from clearance, bioavailability, half-life, tmax";
  } else {
    out.inputs.push_back(input_of("volume", vol->value, "L", *vol));
    out.params.v1_l = vol->value / fraction;
    out.params.cl_l_h = k * out.params.v1_l;
    out.description = "one compartment derived from volume, bioavailability, half-life, tmax";
  }
  auto ka = ka_from_tmax(k, tmax->value);
  if (!ka) {
    return Status::invalid_input(
        fmt::format("{}: cannot derive a PK model: tmax {} h is not below 1/k = {:.3g} h", drug.id,
                    tmax->value, 1 / k));
  }
  out.params.compartments = 1;
  out.params.ka_per_h = *ka;
  for (const auto& in : out.inputs) {
    for (const auto& s : in.sources) {
      if (std::find(out.sources.begin(), out.sources.end(), s) == out.sources.end()) {
        out.sources.push_back(s);
      }
    }
  }
  return out;
}

Result<ResolvedPk> resolve_pk(const kb::Drug& drug) {
  auto model = model_from_kb(drug);
  if (model.is_ok()) {
    const auto& m = *model.value().model;
    ResolvedPk out;
    out.params = model.value().params;
    out.origin = "published-model";
    out.description = fmt::format("{}-compartment population-PK model, {}{}", m.compartments,
                                  m.population, m.n ? fmt::format(" (n={})", *m.n) : "");
    out.formulation = m.formulation;
    out.sources = m.prov.src;
    return out;
  }
  auto derived = derive_one_compartment(drug);
  if (derived.is_ok()) return derived;
  return Status::not_found(
      fmt::format("PK unknown: {}; {}", model.status().message(), derived.status().message()));
}

}  // namespace paraderm::pharm
