#include "pk_command.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common.h"
#include "paraderm/kb.h"
#include "paraderm/pathways.h"
#include "paraderm/pk_model.h"

namespace paraderm::cli {
namespace {

struct Grid {
  double from = 0, to = 0, step = 0;
};

std::optional<Grid> parse_grid(const std::string& text) {
  Grid g;
  if (std::sscanf(text.c_str(), "%lf:%lf:%lf", &g.from, &g.to, &g.step) != 3) return std::nullopt;
  if (!(g.from >= 0 && g.to > g.from && g.step > 0) || (g.to - g.from) / g.step > 100000) {
    return std::nullopt;
  }
  return g;
}

// No systemic curve for a topical product: say why instead of failing.
void print_topical(const kb::Drug& drug, const std::string& format) {
  std::string why = drug.systemic_exposure ? drug.systemic_exposure->text
                                           : "systemic exposure not described in the KB";
  std::string wsrc;
  if (drug.systemic_exposure) {
    for (const auto& s : drug.systemic_exposure->prov.src) wsrc += (wsrc.empty() ? "" : ", ") + s;
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["drug"] = drug.id;
    j["topical"] = {{"systemic_exposure", why},
                    {"sources", drug.systemic_exposure ? drug.systemic_exposure->prov.src
                                                       : std::vector<std::string>{}}};
    j["points"] = nlohmann::ordered_json::array();
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}: topical: {} [{}]; no systemic concentration curve is modelled\n", drug.id, why,
               wsrc);
  }
}

// The regimen the curve is drawn for: the one given, or its published exposure equivalent.
struct Drawn {
  double dose = 0, tau = 0;
  std::optional<std::string> note;
  std::vector<std::string> sources;
};

// A product regimen with a published exposure equivalence (upadacitinib ER 15 mg QD = IR 6 mg BID)
// is drawn as its equivalent, and the output says so: no ER model has values.
Drawn equivalent_regimen(const kb::KnowledgeBase& kb, const kb::Drug& drug, double dose,
                         double tau) {
  Drawn out{dose, tau, std::nullopt, {}};
  for (const auto& r : pharm::approved_regimens(kb, drug)) {
    if (r.amount_mg != dose || r.tau_h != tau || !r.formulation) continue;
    for (const auto& eq : drug.pk_equivalence) {
      if (eq.formulation != *r.formulation || eq.amount != dose ||
          pharm::frequency_label(kb, tau) != eq.frequency) {
        continue;
      }
      auto modelled_tau = kb.dosing_interval_h(eq.modelled_frequency);
      if (!modelled_tau) continue;  // kb validate: pk_equivalence frequencies are qd or bid
      out.dose = eq.modelled_amount;
      out.tau = *modelled_tau;
      out.note = fmt::format("{:g} mg {} {} drawn as its published equivalent {:g} mg {} {}: {}",
                             dose, eq.frequency, eq.formulation, eq.modelled_amount,
                             eq.modelled_frequency, eq.modelled_formulation, eq.text);
      out.sources = eq.prov.src;
    }
  }
  return out;
}

struct Point {
  double t, mg_l;
};

struct Curve {
  const kb::Drug& drug;
  double dose, tau;  // as asked
  bool single;
  const pharm::ResolvedPk& resolved;
  std::optional<double> mw;
  Drawn drawn;
  std::vector<Point> points;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void print_json(const Curve& c) {
  const auto& p = c.resolved.params;
  nlohmann::ordered_json j;
  j["drug"] = c.drug.id;
  j["dose_mg"] = c.dose;
  j["interval_h"] = c.tau;
  j["steady_state"] = !c.single;
  j["model"] = {
      {"origin", c.resolved.origin},
      {"description", c.resolved.description},
      {"compartments", p.compartments},
      {"cl_f_l_h", p.cl_l_h},
      {"v1_f_l", p.v1_l},
      {"ka_per_h", p.ka_per_h},
      {"lag_h", p.lag_h},
      {"formulation", c.resolved.formulation ? nlohmann::ordered_json(*c.resolved.formulation)
                                             : nlohmann::ordered_json()},
      {"sources", c.resolved.sources}};
  for (const auto& in : c.resolved.inputs) {
    j["model"]["inputs"].push_back({{"quantity", in.quantity},
                                    {"value", in.value},
                                    {"unit", in.unit},
                                    {"taken", in.how},
                                    {"sources", in.sources}});
  }
  j["molecular_weight_g_mol"] = c.mw ? nlohmann::ordered_json(*c.mw) : nlohmann::ordered_json();
  j["concentration"] = "total plasma (parent)";
  if (c.drawn.note) {
    j["drawn_as"] = {{"dose_mg", c.drawn.dose},
                     {"interval_h", c.drawn.tau},
                     {"note", *c.drawn.note},
                     {"sources", c.drawn.sources}};
  }
  auto arr = nlohmann::ordered_json::array();
  for (const auto& pt : c.points) {
    arr.push_back({{"t_h", pt.t},
                   {"conc_ng_ml", pt.mg_l * 1000},
                   {"conc_nm", c.mw ? nlohmann::ordered_json(pharm::mg_per_l_to_nm(pt.mg_l, *c.mw))
                                    : nlohmann::ordered_json()}});
  }
  j["points"] = arr;
  fmt::print("{}\n", j.dump(2));
}

void print_csv(const Curve& c) {
  fmt::print("t_h,conc_ng_ml,conc_nm\n");
  for (const auto& pt : c.points) {
    fmt::print("{},{:.6g},{}\n", pt.t, pt.mg_l * 1000,
               c.mw ? fmt::format("{:.6g}", pharm::mg_per_l_to_nm(pt.mg_l, *c.mw)) : "unknown");
  }
}

void print_table(const Curve& c) {
  fmt::print("{}\n", c.single ? fmt::format("{} {} mg single dose", c.drug.id, c.drawn.dose)
                              : fmt::format("{} {} mg every {} h, steady state", c.drug.id,
                                            c.drawn.dose, c.drawn.tau));
  if (c.drawn.note) {
    fmt::print("drawn as equivalent: {} [{}]\n", *c.drawn.note, joined(c.drawn.sources));
  }
  fmt::print("PK: {} ({}) [{}]\n", c.resolved.description, c.resolved.origin,
             joined(c.resolved.sources));
  for (const auto& in : c.resolved.inputs) {
    fmt::print("  input {}: {} [{}]\n", in.quantity, in.how, joined(in.sources));
  }
  // The model's formulation may differ from the product given (e.g. an IR model for an ER
  // tablet): say so rather than let the curve pass for the product's own.
  fmt::print("formulation modelled: {}\n",
             c.resolved.formulation.value_or("not stated in the source"));
  fmt::print("concentration: total plasma, parent drug\n");
  fmt::print("{:>8}  {:>12}  {:>10}\n", "t (h)", "C (ng/mL)", "C (nM)");
  for (const auto& pt : c.points) {
    fmt::print("{:>8.2f}  {:>12.4g}  {:>10}\n", pt.t, pt.mg_l * 1000,
               c.mw ? fmt::format("{:.4g}", pharm::mg_per_l_to_nm(pt.mg_l, *c.mw)) : "unknown");
  }
  if (!c.mw) fmt::print("nM unknown: the KB has no molecular weight for {}\n", c.drug.id);
}

}  // namespace

void add_pk_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* pk = app.add_subcommand("pk",
                                "Concentration-time curve (ng/mL and nM) from a published "
                                "population-PK model or one derived from label values");
  static std::string drug_id, dose_text, every_text = "24h", times_text, format = "table";
  static bool single = false;
  static std::optional<std::size_t> model_index;
  pk->add_option("--drug", drug_id, "Drug id (see `paraderm kb list drug`)")->required();
  pk->add_option("--dose", dose_text, "Dose, e.g. 5mg")->required();
  pk->add_option("--every", every_text, "Dosing interval, e.g. 12h")->capture_default_str();
  pk->add_option("--times", times_text, "Time grid FROM:TO:STEP in hours (default 0:interval:0.5)");
  pk->add_flag("--single", single, "A single dose at t = 0 instead of steady state");
  pk->add_option("--model", model_index,
                 "Index of the drug's pk_model to use (default: first usable)");
  pk->add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  pk->callback([&] {
    auto fail = [&](const std::string& msg) {
      fmt::print(stderr, "{}\n", msg);
      exit_code = kExitBadInput;
    };
    auto dose = parse_with_unit(dose_text, "mg");
    if (!dose)
      return fail(fmt::format("--dose: value \"{}\": expected a positive amount in mg, e.g. 5mg",
                              dose_text));
    auto tau = parse_with_unit(every_text, "h");
    if (!tau)
      return fail(fmt::format(
          "--every: value \"{}\": expected a positive interval in hours, e.g. 12h", every_text));
    std::string grid_text = times_text.empty() ? fmt::format("0:{}:0.5", *tau) : times_text;
    auto grid = parse_grid(grid_text);
    if (!grid)
      return fail(
          fmt::format("--times: value \"{}\": expected FROM:TO:STEP hours with 0 <= FROM < TO, "
                      "STEP > 0, at most 100000 points",
                      grid_text));

    auto loaded = load_kb(kb_dir);
    if (!loaded) return fail("the knowledge base is invalid: run `paraderm kb validate`");
    const kb::KnowledgeBase& kb = *loaded;
    const kb::Drug* drug = kb.find_drug(drug_id);
    if (!drug)
      return fail(
          fmt::format("--drug: value \"{}\": no such drug (see `paraderm kb list drug`)", drug_id));
    if (drug->route == kb::Route::kTopical) {
      print_topical(*drug, format);
      exit_code = 0;
      return;
    }
    const Drawn drawn = model_index ? Drawn{*dose, *tau, std::nullopt, {}}
                                    : equivalent_regimen(kb, *drug, *dose, *tau);
    // An explicit --model picks a published model; otherwise the first usable published model,
    // else a one-compartment model derived from label values.
    std::optional<pharm::ResolvedPk> resolved;
    if (model_index) {
      auto choice = pharm::model_from_kb(*drug, model_index);
      if (!choice.is_ok()) return fail(choice.status().message());
      const kb::PkModel& m = *choice.value().model;
      resolved = pharm::ResolvedPk{
          choice.value().params,
          "published-model",
          fmt::format("model {}: {} ({}-compartment, {} absorption)", *model_index, m.population,
                      m.compartments, kb::to_string(m.absorption)),
          m.formulation,
          m.prov.src,
          {}};
    } else {
      auto r = pharm::resolve_pk(*drug);
      if (!r.is_ok()) return fail(r.status().message());
      resolved = r.value();
    }
    const auto& p = resolved->params;
    Curve curve{*drug, *dose, *tau, single, *resolved, pharm::molecular_weight(*drug), drawn, {}};
    for (double t = grid->from; t <= grid->to + 1e-9; t += grid->step) {
      double c = single ? pharm::single_dose(p, drawn.dose, t)
                        : pharm::steady_state(p, drawn.dose, drawn.tau, t);
      curve.points.push_back({t, c});
    }
    if (format == "json") {
      print_json(curve);
    } else if (format == "csv") {
      print_csv(curve);
    } else {
      print_table(curve);
    }
    exit_code = 0;
  });
}

}  // namespace paraderm::cli
