// Renderers of an Assessment: versioned JSON, an 80-column text report, a self-contained HTML
// report with inline SVG (no scripts, no network).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "paraderm/assess.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::ordered_json;

Json opt(const std::optional<double>& v) {
  return v ? Json(std::round(*v * 10) / 10) : Json(nullptr);
}
template <class T>
Json opt_s(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json reasons_json(const std::vector<Reason>& rs) {
  Json a = Json::array();
  for (const auto& r : rs) {
    a.push_back({{"code", std::string(r.code)}, {"severity", std::string(r.severity)}, {"text", r.text}, {"sources", r.sources}});
  }
  return a;
}

std::string wrap(const std::string& text, std::size_t indent, std::size_t width = 80) {
  std::istringstream in(text);
  std::string word, line, out;
  std::string pad(indent, ' ');
  while (in >> word) {
    if (!line.empty() && pad.size() + line.size() + 1 + word.size() > width) {
      out += pad + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += pad + line + "\n";
  return out;
}

std::string esc(const std::string& s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += ch;
    }
  }
  return o;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// A store statistic as it is (no rounding); null when undefined.
Json stat_json(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? Json(*v) : Json(nullptr);
}

// An undefined statistic is said so in the text report ("undefined") and shown as a dash in tables.
std::string stat_text(const std::optional<double>& v) { return v ? fmt::format("{:g}", *v) : "undefined"; }
std::string stat_cell(const std::optional<double>& v) { return v ? fmt::format("{:g}", *v) : "–"; }

// "n 5, E 0.037, ROR 250 [78.4 to 797], PRR 167 (chi2 662), IC025 1.83, EBGM undefined [...]"
std::string signal_numbers(const ReportingSignal& s) {
  return fmt::format("n {:g}, E {:g}, ROR {} [{} to {}], PRR {} (chi2 {}), IC025 {}, EBGM {} [EB05 {} to EB95 {}]",
                     s.n, s.expected, stat_text(s.ror), stat_text(s.ror_lo), stat_text(s.ror_hi),
                     stat_text(s.prr), stat_text(s.prr_chi2), stat_text(s.ic025), stat_text(s.ebgm),
                     stat_text(s.eb05), stat_text(s.eb95));
}

std::string rule_state(const SignalRuleResult& r) {
  return r.met ? (*r.met ? "met" : "not met") : "not judged (statistic undefined)";
}

constexpr const char* kPairAbsent = "no report in the store names both";

std::string dose_text(const std::optional<Dose>& d) {
  if (!d) return "-";
  return fmt::format("{:g} {} {}", d->amount, d->unit, d->frequency);
}

// The paradoxical_reaction object (docs/case-format.md).
Json pr_json(const PrAssessment& p) {
  Json pr;
  pr["classification"] = p.classification;
  pr["source"] = p.source.empty() ? Json(nullptr) : Json(p.source);
  pr["kind"] = p.kind.empty() ? Json(nullptr) : Json(p.kind);
  pr["onset"] = opt_s(p.onset);
  pr["severity"] = opt_s(p.severity);
  pr["condition"] = opt_s(p.condition);
  pr["condition_pointer"] = opt_s(p.condition_pointer);
  pr["sites"] = p.sites;
  pr["record_notes"] = p.record_notes;
  pr["score"] = opt(p.score);
  pr["naranjo_category"] = p.naranjo_category;
  pr["components"] = Json::array();
  for (const auto& n : p.components) {
    pr["components"].push_back({{"item", n.item}, {"answer", n.answer}, {"points", n.points},
                                {"basis", n.basis}, {"sources", n.sources}});
  }
  pr["culprits"] = Json::array();
  for (const auto& c : p.culprits) {
    pr["culprits"].push_back({{"biologic", c.biologic}, {"class", c.biologic_class},
                              {"start", opt_s(c.start)}, {"days_to_onset", opt_s(c.days_to_onset)}});
  }
  pr["phenotype"] = p.phenotype;
  pr["primary_disease"] = opt_s(p.primary_disease);
  pr["reaction_disease"] = opt_s(p.reaction_disease);
  pr["matching_patterns"] = p.matching_patterns;
  pr["expected_phenotypes"] = p.expected_phenotypes;
  pr["latency"] = Json::array();
  for (const auto& l : p.latency) {
    pr["latency"].push_back({{"pattern", l.pattern}, {"published", l.published},
                             {"published_days", opt(l.published_days)}, {"low_days", opt(l.low_days)},
                             {"high_days", opt(l.high_days)}, {"unit", l.unit},
                             {"onset_in_unit", opt(l.onset_in_unit)}, {"within_range", opt_s(l.within_range)},
                             {"sources", l.sources}});
  }
  pr["risk_factors"] = Json::array();
  for (const auto& r : p.risk_factors) {
    pr["risk_factors"].push_back({{"id", r.id}, {"factor", r.factor}, {"measure", r.measure},
                                  {"estimate", r.estimate}, {"ci_low", opt_s(r.ci_low)},
                                  {"ci_high", opt_s(r.ci_high)}, {"direction", r.direction},
                                  {"group", opt_s(r.group)}, {"in_multiplier", r.in_multiplier},
                                  {"detail", r.detail}, {"sources", r.sources}});
  }
  pr["risk_multiplier"] = opt(p.risk_multiplier);
  pr["differentials"] = p.differentials;
  pr["mechanism"] = {{"text", p.mechanism}, {"blocked_axes", p.blocked_axes},
                     {"released_axes", p.released_axes}, {"sources", p.mechanism_sources}};
  pr["axis_profiles"] = Json::array();
  for (const auto& ap : p.axis_profiles) {
    pr["axis_profiles"].push_back({{"disease", ap.disease}, {"dominant_axes", ap.dominant_axes},
                                   {"present_axes", ap.present_axes}, {"reduced_axes", ap.reduced_axes},
                                   {"sources", ap.sources}});
  }
  if (p.reporting_signals) {
    const auto& rs = *p.reporting_signals;
    Json r;
    r["store"] = rs.store;
    r["reports"] = rs.reports;
    r["label"] = rs.label;
    r["note"] = rs.note.empty() ? Json(nullptr) : Json(rs.note);
    r["citations"] = Json::array();
    for (const auto& c : rs.citations) {
      Json cj;
      cj["drug"] = c.drug;
      cj["event"] = c.event;
      cj["found"] = c.found;
      cj["label"] = c.label;
      cj["source"] = c.source;
      if (c.signal) {
        const auto& sg = *c.signal;
        cj["signal"] = {{"n", sg.n},          {"expected", sg.expected}, {"ror", stat_json(sg.ror)},
                        {"ror_lo", stat_json(sg.ror_lo)}, {"ror_hi", stat_json(sg.ror_hi)}, {"prr", stat_json(sg.prr)},
                        {"prr_chi2", stat_json(sg.prr_chi2)}, {"ic", stat_json(sg.ic)}, {"ic025", stat_json(sg.ic025)},
                        {"ic975", stat_json(sg.ic975)}, {"ebgm", stat_json(sg.ebgm)}, {"eb05", stat_json(sg.eb05)},
                        {"eb95", stat_json(sg.eb95)}};
      } else {
        cj["signal"] = nullptr;
        cj["absent"] = kPairAbsent;
      }
      cj["rules"] = Json::array();
      for (const auto& rule : c.rules) {
        cj["rules"].push_back({{"rule", rule.rule}, {"criterion", rule.criterion}, {"met", opt_s(rule.met)},
                               {"sources", rule.sources}});
      }
      cj["sources"] = c.sources;
      r["citations"].push_back(cj);
    }
    r["published"] = Json::array();
    for (const auto& ps : rs.published) {
      r["published"].push_back({{"pattern", ps.pattern}, {"text", ps.text}, {"sources", ps.sources}});
    }
    pr["reporting_signals"] = r;
  } else {
    pr["reporting_signals"] = nullptr;
  }
  pr["reasons"] = reasons_json(p.reasons);
  return pr;
}

// One line of paradoxical_reaction_candidates: enough to see every reaction assessed.
Json candidate_json(const PrAssessment& p) {
  Json codes = Json::array();
  for (const auto& r : p.reasons) codes.push_back(std::string(r.code));
  return {{"source", p.source},
          {"condition", opt_s(p.condition)},
          {"condition_pointer", opt_s(p.condition_pointer)},
          {"phenotype", p.phenotype},
          {"kind", p.kind},
          {"onset", opt_s(p.onset)},
          {"culprit", p.culprits.empty() ? Json(nullptr) : Json(p.culprits.front().biologic)},
          {"classification", p.classification},
          {"score", opt(p.score)},
          {"naranjo_category", p.naranjo_category},
          {"reaction_disease", opt_s(p.reaction_disease)},
          {"reason_codes", codes}};
}

// One line of text about a reaction candidate.
std::string candidate_line(const PrAssessment& p) {
  return fmt::format("{} {} ({}){}{}: {}{}", p.phenotype, p.kind, p.onset.value_or("?"),
                     p.condition ? " from " + *p.condition : std::string(),
                     p.culprits.empty() ? std::string() : " on " + p.culprits.front().biologic, p.classification,
                     p.score ? fmt::format(" (Naranjo {:g})", *p.score) : std::string());
}

}  // namespace

std::string to_json(const Assessment& a, int indent) {
  Json j;
  j["schema_version"] = a.schema_version;
  j["kb_version"] = a.kb_version;
  j["engine_version"] = a.engine_version;
  j["region"] = a.region;
  j["as_of"] = a.as_of;
  j["input_kind"] = a.input_kind;
  j["paradoxical_reaction"] = pr_json(a.pr);
  j["paradoxical_reaction_candidates"] = Json::array();
  for (const auto& c : a.pr_candidates) j["paradoxical_reaction_candidates"].push_back(candidate_json(c));
  j["option_diseases"] = a.option_diseases;
  j["options"] = Json::array();
  for (const auto& o : a.options) {
    Json oj;
    oj["kind"] = o.kind;
    oj[o.kind == "drug" ? "drug" : "strategy"] = o.id;
    oj["name"] = o.name;
    oj["verdict"] = o.verdict;
    if (o.dose) {
      oj["dose"] = {{"amount", o.dose->amount}, {"unit", o.dose->unit}, {"frequency", o.dose->frequency},
                    {"formulation", opt_s(o.dose->formulation)}, {"indication", o.dose->indication},
                    {"adjustments", o.dose->adjustments}};
    } else {
      oj["dose"] = nullptr;
    }
    oj["coverage"] = {{"primary_pct", opt(o.coverage.primary_pct)},
                      {"reaction_pct", opt(o.coverage.reaction_pct)},
                      {"both_pct", opt(o.coverage.both_pct)}, {"basis", o.coverage.basis},
                      {"regimen", o.coverage.regimen},
                      {"quantitative_both_pct", opt(o.coverage.quantitative_both_pct)},
                      {"quantitative_assay", o.coverage.quantitative_assay}};
    oj["coverage"]["diseases"] = Json::array();
    for (const auto& d : o.coverage.diseases) {
      oj["coverage"]["diseases"].push_back({{"disease", d.disease}, {"pct", opt(d.pct)},
                                            {"quantitative_pct", opt(d.quantitative_pct)}});
    }
    oj["label"] = Json::array();
    for (const auto& l : o.label) {
      oj["label"].push_back({{"disease", l.disease}, {"status", l.status},
                             {"min_age_years", opt_s(l.min_age_years)}, {"sources", l.sources}});
    }
    oj["pr_evidence"] = o.pr_evidence;
    oj["adverse_reactions"] = Json::array();
    for (const kb::AdverseReaction* ar : o.adverse_reactions) {
      oj["adverse_reactions"].push_back({{"term", ar->term}, {"study", opt_s(ar->study)}, {"dose", opt_s(ar->dose)},
                                         {"drug_pct", opt_s(ar->drug_pct)}, {"placebo_pct", opt_s(ar->placebo_pct)},
                                         {"rate_per_100py", opt_s(ar->rate_per_100py)},
                                         {"placebo_rate_per_100py", opt_s(ar->placebo_rate_per_100py)},
                                         {"sources", ar->prov.src}});
    }
    oj["reasons"] = reasons_json(o.reasons);
    j["options"].push_back(oj);
  }
  Json plan;
  plan["for_drug"] = opt_s(a.plan.for_drug);
  plan["start_date"] = a.plan.start_date;
  plan["screening"] = Json::array();
  for (const auto& s : a.plan.screening) {
    plan["screening"].push_back({{"item", s.item}, {"status", s.status}, {"last_date", opt_s(s.last_date)},
                                 {"detail", s.detail}, {"text", s.text}, {"sources", s.sources}});
  }
  plan["monitoring"] = Json::array();
  for (const auto& m : a.plan.monitoring) {
    plan["monitoring"].push_back({{"test", m.test}, {"date", m.date.empty() ? Json(nullptr) : Json(m.date)},
                                  {"text", m.text}, {"sources", m.sources}});
  }
  plan["alerts"] = Json::array();
  for (const auto& al : a.plan.alerts) {
    plan["alerts"].push_back({{"code", al.code}, {"drug", al.drug}, {"lab", al.lab}, {"date", al.date},
                              {"value", al.value}, {"unit", al.unit}, {"threshold", al.threshold},
                              {"action", al.action}, {"text", al.text}, {"sources", al.sources}});
  }
  j["safety_plan"] = plan;
  j["warnings"] = Json::array();
  for (const auto& w : a.warnings) j["warnings"].push_back({{"pointer", w.pointer}, {"message", w.message}});
  return j.dump(indent);
}

std::string to_text(const Assessment& a, const kb::KnowledgeBase&) {
  std::string o;
  const auto& p = a.pr;
  o += wrap(fmt::format("paraderm assessment  region {}  as of {}  KB {}", a.region, a.as_of, a.kb_version), 0);
  o += std::string(79, '=') + "\n";
  o += fmt::format("PARADOXICAL REACTION: {}", p.classification);
  if (p.score) o += fmt::format("  (Naranjo {:g}, {})", *p.score, p.naranjo_category);
  o += "\n";
  for (const auto& c : p.culprits) {
    o += wrap(fmt::format("Culprit: {} ({}), started {}{}", c.biologic, c.biologic_class, c.start.value_or("?"),
                          c.days_to_onset ? fmt::format(", onset after {} days", *c.days_to_onset) : ""),
              2);
  }
  if (!p.mechanism.empty()) o += wrap("Mechanism: " + p.mechanism, 2);
  for (const auto& ap : p.axis_profiles) {
    o += wrap(fmt::format("{}: dominant {}; present {}", ap.disease, join(ap.dominant_axes, "/"),
                          ap.present_axes.empty() ? "-" : join(ap.present_axes, "/")),
              2);
  }
  if (!p.components.empty()) {
    std::string items = "Causality (Naranjo items):";
    for (const auto& n : p.components) items += fmt::format(" {}={:+g}", n.item, n.points);
    o += wrap(items, 2);
  }
  for (const auto& r : p.reasons) o += wrap(fmt::format("[{}] {}", r.code, r.text), 2);
  if (!p.differentials.empty()) o += wrap("Differentials: " + join(p.differentials, ", "), 2);
  for (std::size_t i = 1; i < a.pr_candidates.size(); ++i) {
    o += wrap(fmt::format("Also assessed: {}", candidate_line(a.pr_candidates[i])), 2);
  }
  if (p.reporting_signals) {
    const auto& rs = *p.reporting_signals;
    o += "\nREPORTING SIGNALS\n" + std::string(79, '-') + "\n";
    o += wrap("A " + rs.label + ".", 2);
    o += wrap(fmt::format("Store: {} ({:g} reports in the store)", rs.store, rs.reports), 2);
    if (!rs.note.empty()) o += wrap(rs.note, 2);
    for (const auto& c : rs.citations) {
      if (!c.signal) {
        o += wrap(fmt::format("{} x {}: {}", c.drug, c.event, kPairAbsent), 2);
        continue;
      }
      o += wrap(fmt::format("{} x {}: {}", c.drug, c.event, signal_numbers(*c.signal)), 2);
      for (const auto& r : c.rules) o += wrap(fmt::format("{} ({}): {}", r.rule, r.criterion, rule_state(r)), 4);
    }
    for (const auto& ps : rs.published) {
      o += wrap(fmt::format("Published: {} ({})", ps.text, join(ps.sources, ", ")), 2);
    }
  }
  o += "\nOPTIONS (ranked)\n" + std::string(79, '-') + "\n";
  if (!a.option_diseases.empty()) o += wrap("For: " + join(a.option_diseases, ", "), 2);
  // cover% is the pair-level (qualitative) coverage that ranks; the modelled inhibition is shown
  // beside it with its assay and never ranks.
  o += fmt::format("  {:<3} {:<26} {:<15} {:<14} {:>7} {:<8}\n", "#", "option", "verdict", "dose", "cover%",
                   "model%");
  int i = 0;
  for (const auto& opt : a.options) {
    // model% carries its assay: wb (whole blood), cell, enz (enzymatic-derived).
    std::string_view assay = opt.coverage.quantitative_assay;
    std::string_view short_assay = assay == "whole-blood" ? "wb" : assay == "cellular" ? "cell" : "enz";
    o += fmt::format("  {:<3} {:<26} {:<15} {:<14} {:>7} {:<8}\n", ++i, opt.name.substr(0, 26), opt.verdict,
                     dose_text(opt.dose).substr(0, 14),
                     opt.coverage.both_pct ? fmt::format("{:.0f}", *opt.coverage.both_pct) : "unknown",
                     opt.coverage.quantitative_both_pct
                         ? fmt::format("{:.0f} {}", *opt.coverage.quantitative_both_pct, short_assay)
                         : "unknown");
  }
  o += "\nREASONS\n";
  for (const auto& opt : a.options) {
    if (verdict_rank(opt.verdict) > verdict_rank("caution") && opt.kind == "strategy") continue;
    o += wrap(fmt::format("{} - {}", opt.name, opt.verdict), 2);
    for (const auto& r : opt.reasons) {
      if (r.severity == "info" && r.code != "LABEL_APPROVED" && r.code != "PR_CASE_EVIDENCE" && r.code != "CURRENT_JAK") continue;
      o += wrap(fmt::format("[{}] {}", r.code, r.text), 4);
    }
  }
  o += "\nSAFETY PLAN" + (a.plan.for_drug ? " for " + *a.plan.for_drug : std::string()) +
       " (start " + a.plan.start_date + ")\n";
  for (const auto& s : a.plan.screening) {
    o += wrap(fmt::format("[{}] {}: {}", s.status == "recorded" ? "x" : " ", s.item,
                          s.detail.empty() ? s.text : s.detail),
              2);
  }
  for (const auto& m : a.plan.monitoring) {
    o += wrap(fmt::format("{} {}: {}", m.date.empty() ? "ongoing   " : m.date, m.test, m.text), 2);
  }
  for (const auto& al : a.plan.alerts) o += wrap("ALERT " + al.code + ": " + al.text, 2);
  if (!a.warnings.empty()) {
    o += "\nWARNINGS\n";
    for (const auto& w : a.warnings) o += wrap(w.to_string(), 2);
  }
  o += "\n" + wrap("Sources: `paraderm kb show <id>`. Decision support only; check the current label.", 0);
  return o;
}

std::string to_html(const Assessment& a, const kb::KnowledgeBase& kb) {
  std::string h;
  h += "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>paraderm assessment</title>"
       "<style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}"
       "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;"
       "text-align:left;vertical-align:top}.v-preferred{color:#0a6b2f}.v-acceptable{color:#1d4f91}"
       ".v-caution{color:#9a6200}.v-avoid,.v-contraindicated{color:#a11}small{color:#555}"
       "@media print{body{margin:0}}</style></head><body>";
  h += fmt::format("<h1>Paradoxical reaction: {}</h1><p><small>region {} · as of {} · KB {} · schema {}</small></p>",
                   esc(a.pr.classification), esc(a.region), esc(a.as_of), esc(a.kb_version), esc(a.schema_version));
  if (a.pr.score) {
    h += fmt::format("<p>Naranjo score {:g} ({})</p>", *a.pr.score, esc(a.pr.naranjo_category));
  }
  if (!a.pr.mechanism.empty()) h += "<p>" + esc(a.pr.mechanism) + "</p>";
  // Immune-axis profile of the two diseases: one row per axis, a cell per disease.
  std::vector<std::string> axes;
  for (const auto& ax : kb.axes) axes.push_back(ax.id);
  if (!a.pr.axis_profiles.empty()) {
    int w = 140 + 120 * static_cast<int>(a.pr.axis_profiles.size()), hgt = 30 + 24 * static_cast<int>(axes.size());
    h += fmt::format("<h2>Immune axes</h2><svg role=\"img\" aria-label=\"immune-axis profile\" width=\"{}\" height=\"{}\">", w, hgt);
    for (std::size_t d = 0; d < a.pr.axis_profiles.size(); ++d) {
      h += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"12\">{}</text>", 140 + 120 * d,
                       esc(a.pr.axis_profiles[d].disease));
    }
    for (std::size_t i = 0; i < axes.size(); ++i) {
      int y = 30 + 24 * static_cast<int>(i);
      h += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"12\">{}{}</text>", y + 15, esc(axes[i]),
                       std::find(a.pr.blocked_axes.begin(), a.pr.blocked_axes.end(), axes[i]) != a.pr.blocked_axes.end()
                           ? " (blocked)"
                           : (std::find(a.pr.released_axes.begin(), a.pr.released_axes.end(), axes[i]) != a.pr.released_axes.end()
                                  ? " (released)"
                                  : ""));
      for (std::size_t d = 0; d < a.pr.axis_profiles.size(); ++d) {
        const auto& ap = a.pr.axis_profiles[d];
        auto has = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), axes[i]) != v.end(); };
        std::string fill = has(ap.dominant_axes) ? "#1d4f91" : has(ap.present_axes) ? "#8fb0dd"
                                                          : has(ap.reduced_axes)  ? "#eee" : "#fafafa";
        h += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"100\" height=\"18\" fill=\"{}\" stroke=\"#ccc\"/>",
                         140 + 120 * d, y + 2, fill);
      }
    }
    h += "</svg><p><small>dark: dominant · light: present · grey: reduced (KB disease signatures)</small></p>";
  }
  h += "<h2>Reasons</h2><ul>";
  for (const auto& r : a.pr.reasons) {
    h += fmt::format("<li><b>{}</b> {} <small>{}</small></li>", esc(std::string(r.code)), esc(r.text), esc(join(r.sources, ", ")));
  }
  h += "</ul>";
  if (a.pr_candidates.size() > 1) {
    h += "<h2>Other reactions assessed</h2><ul>";
    for (std::size_t i = 1; i < a.pr_candidates.size(); ++i) h += "<li>" + esc(candidate_line(a.pr_candidates[i])) + "</li>";
    h += "</ul>";
  }
  if (a.pr.reporting_signals) {
    const auto& rs = *a.pr.reporting_signals;
    h += fmt::format("<h2>Reporting signals</h2><p><b>A {}.</b> <small>Store: {} ({:g} reports in the store)</small></p>",
                     esc(rs.label), esc(rs.store), rs.reports);
    if (!rs.note.empty()) h += "<p>" + esc(rs.note) + "</p>";
    if (!rs.citations.empty()) {
      h += "<table><tr><th>drug x event</th><th>n</th><th>E</th><th>ROR [95% CI]</th><th>PRR (chi2)</th>"
           "<th>IC025</th><th>EBGM [EB05 to EB95]</th><th>rules</th></tr>";
      for (const auto& c : rs.citations) {
        std::string pair = esc(c.drug) + " x " + esc(c.event) + " <small>" + esc(join(c.sources, ", ")) + "</small>";
        if (!c.signal) {
          h += fmt::format("<tr><td>{}</td><td colspan=\"7\">{}</td></tr>", pair, kPairAbsent);
          continue;
        }
        const auto& sg = *c.signal;
        std::string rules;
        for (const auto& r : c.rules) {
          rules += fmt::format("{} ({}): {}<br>", esc(r.rule), esc(r.criterion), rule_state(r));
        }
        h += fmt::format("<tr><td>{}</td><td>{:g}</td><td>{:g}</td><td>{} [{} to {}]</td><td>{} ({})</td><td>{}</td>"
                         "<td>{} [{} to {}]</td><td><small>{}</small></td></tr>",
                         pair, sg.n, sg.expected, stat_cell(sg.ror), stat_cell(sg.ror_lo), stat_cell(sg.ror_hi),
                         stat_cell(sg.prr), stat_cell(sg.prr_chi2), stat_cell(sg.ic025), stat_cell(sg.ebgm),
                         stat_cell(sg.eb05), stat_cell(sg.eb95), rules);
      }
      h += "</table>";
    }
    for (const auto& ps : rs.published) {
      h += fmt::format("<p><small>Published: {} [{}]</small></p>", esc(ps.text), esc(join(ps.sources, ", ")));
    }
  }
  h += "<h2>Options</h2>";
  if (!a.option_diseases.empty()) h += "<p><small>for " + esc(join(a.option_diseases, ", ")) + "</small></p>";
  h += "<table><tr><th>#</th><th>option</th><th>verdict</th><th>dose</th><th>coverage of the diseases</th></tr>";
  int i = 0;
  for (const auto& o : a.options) {
    double pct = o.coverage.both_pct.value_or(0);
    std::string bar = o.coverage.both_pct
                          ? fmt::format("<svg width=\"120\" height=\"12\" role=\"img\" aria-label=\"{:.0f}%\"><rect width=\"120\" height=\"12\" fill=\"#eee\"/>"
                                        "<rect width=\"{:.0f}\" height=\"12\" fill=\"#1d4f91\"/></svg> {:.0f}% <small>{}</small>",
                                        pct, 1.2 * pct, pct, esc(o.coverage.basis))
                          : "<small>unknown</small>";
    if (o.coverage.quantitative_both_pct) {
      bar += fmt::format("<br><small>modelled inhibition {:.0f}% ({})</small>",
                         *o.coverage.quantitative_both_pct, esc(o.coverage.quantitative_assay));
    }
    h += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"v-{}\">{}</td><td>{}</td><td>{}</td></tr>", ++i,
                     esc(o.name), esc(o.verdict), esc(o.verdict), esc(dose_text(o.dose)), bar);
    h += "<tr><td></td><td colspan=\"4\"><small>";
    for (const auto& r : o.reasons) {
      h += fmt::format("<b>{}</b> {} [{}]<br>", esc(std::string(r.code)), esc(r.text), esc(join(r.sources, ", ")));
    }
    h += "</small></td></tr>";
  }
  h += "</table><h2>Safety plan" + (a.plan.for_drug ? " — " + esc(*a.plan.for_drug) : std::string()) + "</h2><ul>";
  for (const auto& s : a.plan.screening) {
    h += fmt::format("<li>{} <b>{}</b>: {} <small>{}</small></li>", s.status == "recorded" ? "&#9745;" : "&#9744;",
                     esc(s.item), esc(s.detail.empty() ? s.text : s.detail), esc(join(s.sources, ", ")));
  }
  h += "</ul><table><tr><th>date</th><th>test</th><th>what</th></tr>";
  for (const auto& m : a.plan.monitoring) {
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(m.date.empty() ? "ongoing" : m.date),
                     esc(m.test), esc(m.text));
  }
  h += "</table>";
  for (const auto& al : a.plan.alerts) h += "<p class=\"v-avoid\"><b>" + esc(al.code) + "</b> " + esc(al.text) + "</p>";
  if (!a.warnings.empty()) {
    h += "<h2>Input warnings</h2><ul>";
    for (const auto& w : a.warnings) h += "<li>" + esc(w.to_string()) + "</li>";
    h += "</ul>";
  }
  h += "<p><small>Decision support only; check the current label. Sources: paraderm kb show &lt;id&gt;.</small></p></body></html>\n";
  return h;
}

}  // namespace paraderm::assess
