#include "pathways_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common.h"
#include "paraderm/pathways.h"

namespace paraderm::cli {
namespace {

std::string cell(const std::optional<double>& v, const char* spec) {
  return v ? fmt::format(fmt::runtime(spec), *v) : "unknown";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::string regimen_text(const pharm::Regimen& r) {
  return fmt::format("{:g} mg {}{}", r.amount_mg, pharm::frequency_label(r),
                     r.formulation ? " (" + *r.formulation + ")" : "");
}

// The basis column: "quantitative/whole-blood", "qualitative: inhibited", "unknown".
std::string basis_text(const pharm::PathwayResult& r) {
  if (r.basis == pharm::Basis::kQuantitative && r.assay) {
    return fmt::format("{}{}", pharm::to_string(*r.assay),
                       r.excluded_from_aggregates ? " (!)" : "");
  }
  if (r.basis == pharm::Basis::kQualitative && r.effect) {
    return fmt::format("qualitative: {}{}", kb::to_string(r.effect->effect),
                       r.effect->exposure == kb::Exposure::kApplicationSite ? " (site)" : "");
  }
  return std::string(pharm::to_string(r.basis));
}

void print_table(const pharm::PathwayProfile& p,
                 const std::vector<pharm::DiseaseCoverage>& coverage) {
  if (p.topical) {
    fmt::print("{} (topical)\n", p.drug);
  } else {
    fmt::print(
        "{} {}{}\n", p.drug, regimen_text(p.regimen),
        p.regimen.roles.empty() ? "" : "  [dose roles: " + join(p.regimen.roles, ", ") + "]");
  }
  if (p.modelled_as) fmt::print("  modelled as {}\n", regimen_text(*p.modelled_as));
  if (p.modifier) {
    fmt::print("  modifier {}{}: AUC {:+g}% [{}; {}]\n", p.modifier->id,
               p.modifier->example ? " (" + *p.modifier->example + ")" : "",
               p.modifier->auc_change_pct, join(p.modifier->sources, ", "), p.modifier->confidence);
  }
  if (p.pk) {
    fmt::print("  PK: {} — CL/F {:.3g} L/h, V/F {:.3g} L, ka {:.3g}/h [{}]\n", p.pk->description,
               p.pk->params.cl_l_h, p.pk->params.v1_l, p.pk->params.ka_per_h,
               join(p.pk->sources, ", "));
    for (const auto& in : p.pk->inputs) {
      fmt::print("    {} = {} [{}]\n", in.quantity, in.how, join(in.sources, ", "));
    }
  }
  if (!p.topical)
    fmt::print("  unbound fraction: {}\n", p.unbound_fraction
                                               ? fmt::format("{:g} [{}]", *p.unbound_fraction,
                                                             join(p.unbound_fraction_sources, ", "))
                                               : std::string("unknown"));
  for (const auto& w : p.warnings) fmt::print("  ! {}\n", w);
  auto dash = [&](const pharm::PathwayResult& r, const std::optional<double>& v, const char* spec) {
    return r.basis == pharm::Basis::kQuantitative ? cell(v, spec) : std::string("-");
  };
  fmt::print("\n  {:<15} {:<10} {:>7} {:>7} {:>7} {:>7}  {:<28} {:<12} {}\n", "cytokine",
             "JAK pair", "avg %", "h>50%", "peak %", "trough", "basis", "bound", "qualitative");
  for (const auto& r : p.pathways) {
    if (r.basis == pharm::Basis::kNotJakDependent) continue;
    fmt::print("  {:<15} {:<10} {:>7} {:>7} {:>7} {:>7}  {:<28} {:<12} {}\n", r.cytokine,
               r.jak_pair, dash(r, r.avg_inhibition_pct, "{:.1f}"),
               dash(r, r.hours_above_50pct, "{:.1f}"), dash(r, r.peak_inhibition_pct, "{:.1f}"),
               dash(r, r.trough_inhibition_pct, "{:.1f}"), basis_text(r),
               r.basis == pharm::Basis::kQuantitative ? std::string(pharm::to_string(r.bound)) : "",
               r.effect ? fmt::format("{} [{}]", kb::to_string(r.effect->effect),
                                      join(r.effect->sources, ", "))
                        : "unknown");
  }
  if (std::any_of(p.pathways.begin(), p.pathways.end(),
                  [](const pharm::PathwayResult& r) { return r.excluded_from_aggregates; })) {
    fmt::print(
        "  (!) kept out of aggregates: more than 10x away from this drug's cellular scale\n");
  }
  std::vector<std::string> non_jak;
  for (const auto& r : p.pathways) {
    if (r.basis == pharm::Basis::kNotJakDependent) non_jak.push_back(r.cytokine);
  }
  if (!non_jak.empty()) {
    fmt::print("  not JAK-dependent (not blocked directly): {}\n", join(non_jak, ", "));
  }
  fmt::print("\n  axis   avg % (known/JAK cytokines) assay\n");
  for (const auto& a : p.axes) {
    fmt::print("  {:<6} {:>7} ({}/{}) {}\n", a.axis, cell(a.avg_inhibition_pct, "{:.1f}"), a.known,
               a.jak, a.basis.mixed() ? "mixed assays: not averaged" : a.basis.name());
  }
  for (const auto& c : coverage) {
    if (!c.has_signature) {
      fmt::print("  disease {}: no immune signature in the KB (coverage unknown)\n", c.disease);
      continue;
    }
    fmt::print(
        "  disease {}: pair coverage {} (qualitative{}, {} cytokines: inhibited {}; spared {}; "
        "no statement {})\n",
        c.disease, cell(c.pair_coverage_pct, "{:.0f}%"),
        c.exposure == kb::Exposure::kApplicationSite ? " at the application site" : "",
        c.scored_on.empty() ? "no JAK-dependent" : c.scored_on,
        c.inhibited.empty() ? "-" : join(c.inhibited, ", "),
        c.spared.empty() ? "-" : join(c.spared, ", "),
        c.effect_unknown.empty() ? "-" : join(c.effect_unknown, ", "));
    fmt::print("    quantitative {} ({}){}{}\n", cell(c.score_pct, "{:.1f}%"),
               c.basis.empty()   ? "no known values"
               : c.basis.mixed() ? "mixed assays: not averaged"
                                 : c.basis.name(),
               c.not_jak_dependent.empty()
                   ? ""
                   : "; not JAK-dependent: " + join(c.not_jak_dependent, ", "),
               c.unknown.empty() ? "" : "; unknown: " + join(c.unknown, ", "));
  }
  fmt::print("\n");
}

void print_csv_header() {
  fmt::print(
      "drug,amount_mg,frequency,formulation,modifier,cytokine,jak_pair,avg_inhibition_pct,"
      "hours_above_50pct,peak_inhibition_pct,trough_inhibition_pct,basis,assay,effect,"
      "excluded_from_aggregates,bound,sources\n");
}

std::string csv_field(std::string s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void print_csv(const pharm::PathwayProfile& p) {
  auto num = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.2f}", *v) : std::string();  // empty cell = unknown
  };
  for (const auto& r : p.pathways) {
    fmt::print("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", p.drug,
               p.topical ? std::string() : fmt::format("{:g}", p.regimen.amount_mg),
               p.topical ? "topical" : pharm::frequency_label(p.regimen),
               csv_field(p.regimen.formulation.value_or("")), p.modifier ? p.modifier->id : "",
               csv_field(r.cytokine), r.jak_pair, num(r.avg_inhibition_pct),
               num(r.hours_above_50pct), num(r.peak_inhibition_pct), num(r.trough_inhibition_pct),
               pharm::to_string(r.basis), r.assay ? std::string(pharm::to_string(*r.assay)) : "",
               r.effect ? std::string(kb::to_string(r.effect->effect)) : "",
               r.excluded_from_aggregates ? "true" : "false",
               r.basis == pharm::Basis::kQuantitative ? std::string(pharm::to_string(r.bound)) : "",
               csv_field(join(r.sources, ";")));
  }
}

}  // namespace

void add_pathways_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "pathways",
      "Steady-state inhibition of every JAK-dependent cytokine pathway over 24 h, per T-helper "
      "axis and per disease signature");
  static std::string drug_id, dose_text, every_text = "24h", format = "table", assay_text;
  static std::vector<std::string> modifiers, diseases;
  cmd->add_option("--drug", drug_id, "Drug id (see `paraderm kb list drug`)")->required();
  cmd->add_option("--dose", dose_text, "Dose, e.g. 15mg (default: every approved regimen)");
  cmd->add_option("--every", every_text, "Dosing interval with --dose, e.g. 12h")
      ->capture_default_str();
  cmd->add_option("--modifier", modifiers,
                  "Exposure modifier: an interaction class or condition, optionally :example "
                  "(e.g. strong-cyp3a4-inhibitor, renal-moderate)");
  cmd->add_option("--disease", diseases, "Disease id(s) whose signature coverage to report");
  cmd->add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--assay", assay_text,
                  "Use quantitative potency of one assay only: whole-blood, cellular or "
                  "enzymatic-derived (default: the best per pathway)");
  cmd->callback([&] {
    auto fail = [&](const std::string& msg) {
      fmt::print(stderr, "{}\n", msg);
      exit_code = kExitBadInput;
    };
    auto kb = load_kb(kb_dir);
    if (!kb) return fail("the knowledge base is invalid: run `paraderm kb validate`");
    const kb::Drug* drug = kb->find_drug(drug_id);
    if (!drug) {
      return fail(
          fmt::format("--drug: value \"{}\": no such drug (see `paraderm kb list drug`)", drug_id));
    }
    for (const auto& d : diseases) {
      if (!kb->find_disease(d)) {
        return fail(fmt::format(
            "--disease: value \"{}\": no such disease (see `paraderm kb list disease`)", d));
      }
    }
    if (modifiers.size() > 1) {
      return fail(
          "--modifier: given more than once: combined modifiers are not modelled "
          "(their interaction is unknown)");
    }
    std::optional<pharm::ExposureModifier> modifier;
    if (!modifiers.empty()) {
      auto m = pharm::find_modifier(*drug, modifiers.front());
      if (!m.is_ok()) return fail("--" + m.status().message());
      modifier = m.value();
    }
    pharm::ProfileOptions options;
    if (!assay_text.empty()) {
      options.assay = pharm::assay_from_string(assay_text);
      if (!options.assay) {
        return fail(
            fmt::format("--assay: value \"{}\": expected whole-blood, cellular or "
                        "enzymatic-derived",
                        assay_text));
      }
    }
    std::vector<pharm::Regimen> regimens;
    auto approved = pharm::approved_regimens(*kb, *drug);
    if (drug->route == kb::Route::kTopical) {
      // A topical product has no systemic regimen to model: one profile, qualitative at the
      // application site (a --dose is not used).
      regimens.push_back(pharm::Regimen{0, 24, std::string("topical"), {}});
    } else if (!dose_text.empty()) {
      auto dose = parse_with_unit(dose_text, "mg");
      if (!dose) {
        return fail(fmt::format("--dose: value \"{}\": expected a positive amount in mg, e.g. 15mg",
                                dose_text));
      }
      auto tau = parse_with_unit(every_text, "h");
      if (!tau || *tau > 24 * 7) {
        return fail(fmt::format(
            "--every: value \"{}\": expected a positive interval of at most 168 h, e.g. 12h",
            every_text));
      }
      bool matched = false;
      for (const auto& r : approved) {
        if (r.amount_mg == *dose && r.tau_h == *tau) {
          regimens.push_back(r);
          matched = true;
        }
      }
      if (!matched) regimens.push_back(pharm::Regimen{*dose, *tau, std::nullopt, {}});
    } else {
      regimens = approved;
      if (regimens.empty()) {
        return fail(fmt::format("{}: no oral regimen in mg is encoded (route {}); give --dose",
                                drug->id, kb::to_string(drug->route)));
      }
    }
    nlohmann::json all = nlohmann::json::array();
    if (format == "csv") print_csv_header();
    for (const auto& r : regimens) {
      auto profile =
          pharm::compute_profile(*kb, *drug, r, modifier ? &*modifier : nullptr, options);
      bool approved_regimen = !r.roles.empty() || drug->route == kb::Route::kTopical;
      if (!approved_regimen) {
        profile.warnings.insert(profile.warnings.begin(),
                                "not an approved regimen in the KB for this drug");
      }
      std::vector<pharm::DiseaseCoverage> coverage;
      coverage.reserve(diseases.size());
      for (const auto& d : diseases) coverage.push_back(pharm::disease_coverage(*kb, profile, d));
      if (format == "json") {
        all.push_back(nlohmann::json::parse(pharm::to_json(profile, coverage, -1)));
      } else if (format == "csv") {
        print_csv(profile);
      } else {
        print_table(profile, coverage);
      }
    }
    if (format == "json") fmt::print("{}\n", all.dump(2));
    if (format == "table") {
      fmt::print(
          "Inhibition = steady-state pSTAT-pathway inhibition, Hill 1: whole-blood potency "
          "against total, other assays against unbound plasma concentration. Bases "
          "(quantitative by assay, qualitative, unknown) are never averaged together; "
          "limits: docs/pharmacology.md. Sources: `paraderm kb show <id>`.\n");
    }
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
