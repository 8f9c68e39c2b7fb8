// Renderers of an Assessment: versioned JSON, an 80-column text report, a self-contained HTML
// report with inline SVG (no scripts, no network).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "paraderm/report.h"
#include "report/json_writer.h"

namespace paraderm::report {
// The renderers present the assessment's types throughout.
using namespace assess;  // NOLINT(google-build-using-namespace)

namespace {

// Percentages and scores are shown to one decimal.
std::optional<double> one_decimal(const std::optional<double>& v) {
  return v ? std::optional<double>(std::round(*v * 10) / 10) : std::nullopt;
}
// The Naranjo category's name; "" without a score (as the reports always printed it).
std::string_view naranjo_name(const PrAssessment& p) {
  return p.naranjo_category ? to_string(*p.naranjo_category) : std::string_view();
}

// The assay of a modelled inhibition; "" when there is none.
std::string_view assay_name(const std::optional<pharm::Assay>& a) {
  return a ? pharm::to_string(*a) : std::string_view();
}
// Its short label in the text report's table: wb (whole blood), cell, enz (enzymatic-derived).
std::string_view short_assay_name(const std::optional<pharm::Assay>& a) {
  if (!a) return "";
  switch (*a) {
    case pharm::Assay::kWholeBlood:
      return "wb";
    case pharm::Assay::kCellular:
      return "cell";
    case pharm::Assay::kEnzymaticDerived:
      return "enz";
  }
  return "";
}

std::optional<std::string> nonempty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

void write_reasons(JsonWriter& w, const std::vector<Reason>& rs) {
  w.begin_array();
  for (const auto& r : rs) {
    w.begin_object()
        .field("code", to_string(r.code))
        .field("severity", to_string(r.severity))
        .field("text", r.text)
        .field("sources", r.sources)
        .end_object();
  }
  w.end_array();
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

std::string esc(std::string_view s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += ch;
    }
  }
  return o;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// An undefined statistic is said so in the text report ("undefined") and shown as a dash in tables.
std::string stat_text(const std::optional<double>& v) {
  return v ? fmt::format("{:g}", *v) : "undefined";
}
std::string stat_cell(const std::optional<double>& v) { return v ? fmt::format("{:g}", *v) : "–"; }

// "n 5, E 0.037, ROR 250 [78.4 to 797], PRR 167 (chi2 662), IC025 1.83, EBGM undefined [...]"
std::string signal_numbers(const ReportingSignal& s) {
  return fmt::format(
      "n {:g}, E {:g}, ROR {} [{} to {}], PRR {} (chi2 {}), IC025 {}, EBGM {} [EB05 {} to EB95 {}]",
      s.n, s.expected, stat_text(s.ror), stat_text(s.ror_lo), stat_text(s.ror_hi), stat_text(s.prr),
      stat_text(s.prr_chi2), stat_text(s.ic025), stat_text(s.ebgm), stat_text(s.eb05),
      stat_text(s.eb95));
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
void write_pr(JsonWriter& w, const PrAssessment& p) {
  w.begin_object();
  w.field("classification", p.classification)
      .field("source", nonempty(p.source))
      .field("kind", p.source.empty() ? std::nullopt : std::optional(p.kind));
  w.field("onset", p.onset).field("severity", p.severity).field("condition", p.condition);
  w.field("condition_pointer", p.condition_pointer)
      .field("sites", p.sites)
      .field("record_notes", p.record_notes);
  w.field("score", one_decimal(p.score)).field("naranjo_category", p.naranjo_category);
  w.key("components").begin_array();
  for (const auto& n : p.components) {
    w.begin_object()
        .field("item", n.item)
        .field("answer", n.answer)
        .field("points", n.points)
        .field("basis", n.basis)
        .field("sources", n.sources)
        .end_object();
  }
  w.end_array();
  w.key("culprits").begin_array();
  for (const auto& c : p.culprits) {
    w.begin_object()
        .field("biologic", c.biologic)
        .field("class", c.biologic_class)
        .field("start", c.start)
        .field("days_to_onset", c.days_to_onset)
        .end_object();
  }
  w.end_array();
  w.field("phenotype", p.phenotype).field("primary_disease", p.primary_disease);
  w.field("reaction_disease", p.reaction_disease).field("matching_patterns", p.matching_patterns);
  w.field("expected_phenotypes", p.expected_phenotypes);
  w.key("latency").begin_array();
  for (const auto& l : p.latency) {
    w.begin_object()
        .field("pattern", l.pattern)
        .field("published", l.published)
        .field("published_days", one_decimal(l.published_days))
        .field("low_days", one_decimal(l.low_days))
        .field("high_days", one_decimal(l.high_days))
        .field("unit", l.unit)
        .field("onset_in_unit", one_decimal(l.onset_in_unit))
        .field("within_range", l.within_range)
        .field("sources", l.sources)
        .end_object();
  }
  w.end_array();
  w.key("risk_factors").begin_array();
  for (const auto& r : p.risk_factors) {
    w.begin_object()
        .field("id", r.id)
        .field("factor", r.factor)
        .field("measure", r.measure)
        .field("estimate", r.estimate)
        .field("ci_low", r.ci_low)
        .field("ci_high", r.ci_high)
        .field("direction", r.direction)
        .field("group", r.group)
        .field("in_multiplier", r.in_multiplier)
        .field("detail", r.detail)
        .field("sources", r.sources)
        .end_object();
  }
  w.end_array();
  w.field("risk_multiplier", one_decimal(p.risk_multiplier))
      .field("differentials", p.differentials);
  w.key("mechanism")
      .begin_object()
      .field("text", p.mechanism)
      .field("blocked_axes", p.blocked_axes)
      .field("released_axes", p.released_axes)
      .field("sources", p.mechanism_sources)
      .end_object();
  w.key("axis_profiles").begin_array();
  for (const auto& ap : p.axis_profiles) {
    w.begin_object()
        .field("disease", ap.disease)
        .field("dominant_axes", ap.dominant_axes)
        .field("present_axes", ap.present_axes)
        .field("reduced_axes", ap.reduced_axes)
        .field("sources", ap.sources)
        .end_object();
  }
  w.end_array();
  if (p.reporting_signals) {
    const auto& rs = *p.reporting_signals;
    w.key("reporting_signals").begin_object();
    w.field("store", rs.store)
        .field("reports", rs.reports)
        .field("label", rs.label)
        .field("note", nonempty(rs.note));
    w.key("citations").begin_array();
    for (const auto& c : rs.citations) {
      w.begin_object()
          .field("drug", c.drug)
          .field("event", c.event)
          .field("found", c.found)
          .field("label", c.label)
          .field("source", c.source);
      if (c.signal) {
        // Store statistics as they are (no rounding); null when undefined or not finite.
        const auto& sg = *c.signal;
        w.key("signal")
            .begin_object()
            .field("n", sg.n)
            .field("expected", sg.expected)
            .field("ror", sg.ror)
            .field("ror_lo", sg.ror_lo)
            .field("ror_hi", sg.ror_hi)
            .field("prr", sg.prr)
            .field("prr_chi2", sg.prr_chi2)
            .field("ic", sg.ic)
            .field("ic025", sg.ic025)
            .field("ic975", sg.ic975)
            .field("ebgm", sg.ebgm)
            .field("eb05", sg.eb05)
            .field("eb95", sg.eb95)
            .end_object();
      } else {
        w.null_field("signal").field("absent", kPairAbsent);
      }
      w.key("rules").begin_array();
      for (const auto& rule : c.rules) {
        w.begin_object()
            .field("rule", rule.rule)
            .field("criterion", rule.criterion)
            .field("met", rule.met)
            .field("sources", rule.sources)
            .end_object();
      }
      w.end_array();
      w.field("sources", c.sources).end_object();
    }
    w.end_array();
    w.key("published").begin_array();
    for (const auto& ps : rs.published) {
      w.begin_object()
          .field("pattern", ps.pattern)
          .field("text", ps.text)
          .field("sources", ps.sources)
          .end_object();
    }
    w.end_array();
    w.end_object();
  } else {
    w.null_field("reporting_signals");
  }
  w.key("reasons");
  write_reasons(w, p.reasons);
  w.end_object();
}

// One line of paradoxical_reaction_candidates: enough to see every reaction assessed.
void write_candidate(JsonWriter& w, const PrAssessment& p) {
  w.begin_object()
      .field("source", p.source)
      .field("condition", p.condition)
      .field("condition_pointer", p.condition_pointer)
      .field("phenotype", p.phenotype)
      .field("kind", p.kind)
      .field("onset", p.onset);
  if (p.culprits.empty()) {
    w.null_field("culprit");
  } else {
    w.field("culprit", p.culprits.front().biologic);
  }
  w.field("classification", p.classification)
      .field("score", one_decimal(p.score))
      .field("naranjo_category", p.naranjo_category)
      .field("reaction_disease", p.reaction_disease);
  w.key("reason_codes").begin_array();
  for (const auto& r : p.reasons) w.value(to_string(r.code));
  w.end_array().end_object();
}

// One line of text about a reaction candidate.
std::string candidate_line(const PrAssessment& p) {
  return fmt::format("{} {} ({}){}{}: {}{}", p.phenotype, to_string(p.kind), p.onset.value_or("?"),
                     p.condition ? " from " + *p.condition : std::string(),
                     p.culprits.empty() ? std::string() : " on " + p.culprits.front().biologic,
                     to_string(p.classification),
                     p.score ? fmt::format(" (Naranjo {:g})", *p.score) : std::string());
}

}  // namespace

std::string to_json(const Assessment& a, int indent) {
  JsonWriter w(indent);
  w.begin_object();
  w.field("schema_version", a.schema_version)
      .field("kb_version", a.kb_version)
      .field("engine_version", a.engine_version)
      .field("region", a.region)
      .field("as_of", a.as_of)
      .field("input_kind", a.input_kind);
  w.key("paradoxical_reaction");
  write_pr(w, a.pr);
  w.key("paradoxical_reaction_candidates").begin_array();
  for (const auto& c : a.pr_candidates) write_candidate(w, c);
  w.end_array();
  w.field("option_diseases", a.option_diseases);
  w.key("options").begin_array();
  for (const auto& o : a.options) {
    w.begin_object()
        .field("kind", o.kind)
        .field(to_string(o.kind), o.id)
        .field("name", o.name)
        .field("verdict", to_string(o.verdict));
    if (o.dose) {
      w.key("dose")
          .begin_object()
          .field("amount", o.dose->amount)
          .field("unit", o.dose->unit)
          .field("frequency", o.dose->frequency)
          .field("formulation", o.dose->formulation)
          .field("indication", o.dose->indication)
          .field("adjustments", o.dose->adjustments)
          .end_object();
    } else {
      w.null_field("dose");
    }
    w.key("coverage")
        .begin_object()
        .field("primary_pct", one_decimal(o.coverage.primary_pct))
        .field("reaction_pct", one_decimal(o.coverage.reaction_pct))
        .field("both_pct", one_decimal(o.coverage.both_pct))
        .field("basis", o.coverage.basis)
        .field("regimen", o.coverage.regimen)
        .field("quantitative_both_pct", one_decimal(o.coverage.quantitative_both_pct))
        .field("quantitative_assay", assay_name(o.coverage.quantitative_assay));
    w.key("diseases").begin_array();
    for (const auto& d : o.coverage.diseases) {
      w.begin_object()
          .field("disease", d.disease)
          .field("pct", one_decimal(d.pct))
          .field("quantitative_pct", one_decimal(d.quantitative_pct))
          .end_object();
    }
    w.end_array().end_object();
    w.key("label").begin_array();
    for (const auto& l : o.label) {
      w.begin_object()
          .field("disease", l.disease)
          .field("status", l.status)
          .field("min_age_years", l.min_age_years)
          .field("sources", l.sources)
          .end_object();
    }
    w.end_array();
    w.field("pr_evidence", o.pr_evidence);
    w.key("adverse_reactions").begin_array();
    for (const kb::AdverseReaction* ar : o.adverse_reactions) {
      w.begin_object()
          .field("term", ar->term)
          .field("study", ar->study)
          .field("dose", ar->dose)
          .field("drug_pct", ar->drug_pct)
          .field("placebo_pct", ar->placebo_pct)
          .field("rate_per_100py", ar->rate_per_100py)
          .field("placebo_rate_per_100py", ar->placebo_rate_per_100py)
          .field("sources", ar->prov.src)
          .end_object();
    }
    w.end_array();
    w.key("reasons");
    write_reasons(w, o.reasons);
    w.end_object();
  }
  w.end_array();
  w.key("safety_plan")
      .begin_object()
      .field("for_drug", a.plan.for_drug)
      .field("start_date", a.plan.start_date);
  w.key("screening").begin_array();
  for (const auto& sc : a.plan.screening) {
    w.begin_object()
        .field("item", sc.item)
        .field("status", sc.status)
        .field("last_date", sc.last_date)
        .field("detail", sc.detail)
        .field("text", sc.text)
        .field("sources", sc.sources)
        .end_object();
  }
  w.end_array();
  w.key("monitoring").begin_array();
  for (const auto& m : a.plan.monitoring) {
    w.begin_object()
        .field("test", m.test)
        .field("date", nonempty(m.date))
        .field("text", m.text)
        .field("sources", m.sources)
        .end_object();
  }
  w.end_array();
  w.key("alerts").begin_array();
  for (const auto& al : a.plan.alerts) {
    w.begin_object()
        .field("code", to_string(al.code))
        .field("drug", al.drug)
        .field("lab", al.lab)
        .field("date", al.date)
        .field("value", al.value);
    // Only for a result given as a bound: "value" is then the bound, not a measurement.
    if (!al.comparator.empty()) w.field("comparator", al.comparator);
    w.field("unit", al.unit)
        .field("threshold", al.threshold)
        .field("action", al.action)
        .field("text", al.text)
        .field("sources", al.sources)
        .end_object();
  }
  w.end_array().end_object();
  w.key("warnings").begin_array();
  for (const auto& wr : a.warnings)
    w.begin_object().field("pointer", wr.pointer).field("message", wr.message).end_object();
  w.end_array();
  w.end_object();
  return w.take();
}

std::string to_text(const Assessment& a, const kb::KnowledgeBase&) {
  std::string o;
  const auto& p = a.pr;
  o += wrap(fmt::format("paraderm assessment  region {}  as of {}  KB {}", a.region, a.as_of,
                        a.kb_version),
            0);
  o += std::string(79, '=') + "\n";
  o += fmt::format("PARADOXICAL REACTION: {}", to_string(p.classification));
  if (p.score) o += fmt::format("  (Naranjo {:g}, {})", *p.score, naranjo_name(p));
  o += "\n";
  for (const auto& c : p.culprits) {
    o += wrap(
        fmt::format("Culprit: {} ({}), started {}{}", c.biologic, c.biologic_class,
                    c.start.value_or("?"),
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
  for (const auto& r : p.reasons) o += wrap(fmt::format("[{}] {}", to_string(r.code), r.text), 2);
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
      for (const auto& r : c.rules)
        o += wrap(fmt::format("{} ({}): {}", r.rule, r.criterion, rule_state(r)), 4);
    }
    for (const auto& ps : rs.published) {
      o += wrap(fmt::format("Published: {} ({})", ps.text, join(ps.sources, ", ")), 2);
    }
  }
  o += "\nOPTIONS (ranked)\n" + std::string(79, '-') + "\n";
  if (!a.option_diseases.empty()) o += wrap("For: " + join(a.option_diseases, ", "), 2);
  // cover% is the pair-level (qualitative) coverage that ranks; the modelled inhibition is shown
  // beside it with its assay and never ranks.
  o += fmt::format("  {:<3} {:<26} {:<15} {:<14} {:>7} {:<8}\n", "#", "option", "verdict", "dose",
                   "cover%", "model%");
  int i = 0;
  for (const auto& opt : a.options) {
    std::string_view short_assay = short_assay_name(opt.coverage.quantitative_assay);
    o += fmt::format(
        "  {:<3} {:<26} {:<15} {:<14} {:>7} {:<8}\n", ++i, opt.name.substr(0, 26),
        to_string(opt.verdict), dose_text(opt.dose).substr(0, 14),
        opt.coverage.both_pct ? fmt::format("{:.0f}", *opt.coverage.both_pct) : "unknown",
        opt.coverage.quantitative_both_pct
            ? fmt::format("{:.0f} {}", *opt.coverage.quantitative_both_pct, short_assay)
            : "unknown");
  }
  o += "\nREASONS\n";
  for (const auto& opt : a.options) {
    if (opt.verdict > Verdict::kCaution && opt.kind == OptionKind::kStrategy) continue;
    o += wrap(fmt::format("{} - {}", opt.name, to_string(opt.verdict)), 2);
    for (const auto& r : opt.reasons) {
      // Every reason is printed (the starting dose with its condition, the biologic to stop first,
      // labs not recorded are all informational yet change what the prescriber does), except the
      // coverage statements, which are the table's cover% column.
      if (r.code == ReasonCode::kCoverageBoth || r.code == ReasonCode::kCoverageUnknown) continue;
      o += wrap(fmt::format("[{}] {}", to_string(r.code), r.text), 4);
    }
  }
  o += "\nSAFETY PLAN" + (a.plan.for_drug ? " for " + *a.plan.for_drug : std::string()) +
       " (start " + a.plan.start_date + ")\n";
  for (const auto& s : a.plan.screening) {
    o += wrap(fmt::format("[{}] {}: {}", s.status == ScreeningStatus::kRecorded ? "x" : " ",
                          kb::to_string(s.item), s.detail.empty() ? s.text : s.detail),
              2);
  }
  for (const auto& m : a.plan.monitoring) {
    o += wrap(fmt::format("{} {}: {}", m.date.empty() ? "ongoing   " : m.date, m.test, m.text), 2);
  }
  for (const auto& al : a.plan.alerts)
    o += wrap("ALERT " + std::string(to_string(al.code)) + ": " + al.text, 2);
  if (!a.warnings.empty()) {
    o += "\nWARNINGS\n";
    for (const auto& w : a.warnings) o += wrap(w.to_string(), 2);
  }
  o += "\n" +
       wrap("Sources: `paraderm kb show <id>`. Decision support only; check the current label.", 0);
  return o;
}

std::string to_html(const Assessment& a, const kb::KnowledgeBase& kb) {
  std::string h;
  h +=
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>paraderm "
      "assessment</title>"
      "<style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}"
      "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px "
      "6px;"
      "text-align:left;vertical-align:top}.v-preferred{color:#0a6b2f}.v-acceptable{color:#1d4f91}"
      ".v-caution{color:#9a6200}.v-avoid,.v-contraindicated{color:#a11}small{color:#555}"
      "@media print{body{margin:0}}</style></head><body>";
  h += fmt::format(
      "<h1>Paradoxical reaction: {}</h1><p><small>region {} · as of {} · KB {} · schema "
      "{}</small></p>",
      esc(to_string(a.pr.classification)), esc(a.region), esc(a.as_of), esc(a.kb_version),
      esc(a.schema_version));
  if (a.pr.score) {
    h += fmt::format("<p>Naranjo score {:g} ({})</p>", *a.pr.score, esc(naranjo_name(a.pr)));
  }
  if (!a.pr.mechanism.empty()) h += "<p>" + esc(a.pr.mechanism) + "</p>";
  // Immune-axis profile of the two diseases: one row per axis, a cell per disease.
  std::vector<std::string> axes;
  axes.reserve(kb.axes.size());
  for (const auto& ax : kb.axes) axes.push_back(ax.id);
  if (!a.pr.axis_profiles.empty()) {
    int w = 140 + 120 * static_cast<int>(a.pr.axis_profiles.size()),
        hgt = 30 + 24 * static_cast<int>(axes.size());
    h += fmt::format(
        "<h2>Immune axes</h2><svg role=\"img\" aria-label=\"immune-axis profile\" width=\"{}\" "
        "height=\"{}\">",
        w, hgt);
    for (std::size_t d = 0; d < a.pr.axis_profiles.size(); ++d) {
      h += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"12\">{}</text>", 140 + 120 * d,
                       esc(a.pr.axis_profiles[d].disease));
    }
    for (std::size_t i = 0; i < axes.size(); ++i) {
      int y = 30 + 24 * static_cast<int>(i);
      h += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"12\">{}{}</text>", y + 15, esc(axes[i]),
                       std::find(a.pr.blocked_axes.begin(), a.pr.blocked_axes.end(), axes[i]) !=
                               a.pr.blocked_axes.end()
                           ? " (blocked)"
                           : (std::find(a.pr.released_axes.begin(), a.pr.released_axes.end(),
                                        axes[i]) != a.pr.released_axes.end()
                                  ? " (released)"
                                  : ""));
      for (std::size_t d = 0; d < a.pr.axis_profiles.size(); ++d) {
        const auto& ap = a.pr.axis_profiles[d];
        auto has = [&](const std::vector<std::string>& v) {
          return std::find(v.begin(), v.end(), axes[i]) != v.end();
        };
        std::string fill = has(ap.dominant_axes)  ? "#1d4f91"
                           : has(ap.present_axes) ? "#8fb0dd"
                           : has(ap.reduced_axes) ? "#eee"
                                                  : "#fafafa";
        h += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"100\" height=\"18\" fill=\"{}\" stroke=\"#ccc\"/>",
            140 + 120 * d, y + 2, fill);
      }
    }
    h += "</svg><p><small>dark: dominant · light: present · grey: reduced (KB disease "
         "signatures)</small></p>";
  }
  h += "<h2>Reasons</h2><ul>";
  for (const auto& r : a.pr.reasons) {
    h += fmt::format("<li><b>{}</b> {} <small>{}</small></li>", esc(std::string(to_string(r.code))),
                     esc(r.text), esc(join(r.sources, ", ")));
  }
  h += "</ul>";
  if (a.pr_candidates.size() > 1) {
    h += "<h2>Other reactions assessed</h2><ul>";
    for (std::size_t i = 1; i < a.pr_candidates.size(); ++i)
      h += "<li>" + esc(candidate_line(a.pr_candidates[i])) + "</li>";
    h += "</ul>";
  }
  if (a.pr.reporting_signals) {
    const auto& rs = *a.pr.reporting_signals;
    h += fmt::format(
        "<h2>Reporting signals</h2><p><b>A {}.</b> <small>Store: {} ({:g} reports in the "
        "store)</small></p>",
        esc(rs.label), esc(rs.store), rs.reports);
    if (!rs.note.empty()) h += "<p>" + esc(rs.note) + "</p>";
    if (!rs.citations.empty()) {
      h += "<table><tr><th>drug x event</th><th>n</th><th>E</th><th>ROR [95% CI]</th><th>PRR "
           "(chi2)</th>"
           "<th>IC025</th><th>EBGM [EB05 to EB95]</th><th>rules</th></tr>";
      for (const auto& c : rs.citations) {
        std::string pair = esc(c.drug) + " x " + esc(c.event) + " <small>" +
                           esc(join(c.sources, ", ")) + "</small>";
        if (!c.signal) {
          h += fmt::format("<tr><td>{}</td><td colspan=\"7\">{}</td></tr>", pair, kPairAbsent);
          continue;
        }
        const auto& sg = *c.signal;
        std::string rules;
        for (const auto& r : c.rules) {
          rules += fmt::format("{} ({}): {}<br>", esc(r.rule), esc(r.criterion), rule_state(r));
        }
        h += fmt::format(
            "<tr><td>{}</td><td>{:g}</td><td>{:g}</td><td>{} [{} to {}]</td><td>{} "
            "({})</td><td>{}</td>"
            "<td>{} [{} to {}]</td><td><small>{}</small></td></tr>",
            pair, sg.n, sg.expected, stat_cell(sg.ror), stat_cell(sg.ror_lo), stat_cell(sg.ror_hi),
            stat_cell(sg.prr), stat_cell(sg.prr_chi2), stat_cell(sg.ic025), stat_cell(sg.ebgm),
            stat_cell(sg.eb05), stat_cell(sg.eb95), rules);
      }
      h += "</table>";
    }
    for (const auto& ps : rs.published) {
      h += fmt::format("<p><small>Published: {} [{}]</small></p>", esc(ps.text),
                       esc(join(ps.sources, ", ")));
    }
  }
  h += "<h2>Options</h2>";
  if (!a.option_diseases.empty())
    h += "<p><small>for " + esc(join(a.option_diseases, ", ")) + "</small></p>";
  h += "<table><tr><th>#</th><th>option</th><th>verdict</th><th>dose</th><th>coverage of the "
       "diseases</th></tr>";
  int i = 0;
  for (const auto& o : a.options) {
    double pct = o.coverage.both_pct.value_or(0);
    std::string bar =
        o.coverage.both_pct
            ? fmt::format(
                  "<svg width=\"120\" height=\"12\" role=\"img\" aria-label=\"{:.0f}%\"><rect "
                  "width=\"120\" height=\"12\" fill=\"#eee\"/>"
                  "<rect width=\"{:.0f}\" height=\"12\" fill=\"#1d4f91\"/></svg> {:.0f}% "
                  "<small>{}</small>",
                  pct, 1.2 * pct, pct, esc(o.coverage.basis))
            : "<small>unknown</small>";
    if (o.coverage.quantitative_both_pct) {
      bar += fmt::format("<br><small>modelled inhibition {:.0f}% ({})</small>",
                         *o.coverage.quantitative_both_pct,
                         esc(assay_name(o.coverage.quantitative_assay)));
    }
    h += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"v-{}\">{}</td><td>{}</td><td>{}</td></tr>", ++i,
        esc(o.name), esc(std::string(to_string(o.verdict))), esc(std::string(to_string(o.verdict))),
        esc(dose_text(o.dose)), bar);
    h += "<tr><td></td><td colspan=\"4\"><small>";
    for (const auto& r : o.reasons) {
      h += fmt::format("<b>{}</b> {} [{}]<br>", esc(std::string(to_string(r.code))), esc(r.text),
                       esc(join(r.sources, ", ")));
    }
    h += "</small></td></tr>";
  }
  h += "</table><h2>Safety plan" +
       (a.plan.for_drug ? " — " + esc(*a.plan.for_drug) : std::string()) + "</h2><ul>";
  for (const auto& s : a.plan.screening) {
    h += fmt::format("<li>{} <b>{}</b>: {} <small>{}</small></li>",
                     s.status == ScreeningStatus::kRecorded ? "&#9745;" : "&#9744;",
                     esc(kb::to_string(s.item)), esc(s.detail.empty() ? s.text : s.detail),
                     esc(join(s.sources, ", ")));
  }
  h += "</ul><table><tr><th>date</th><th>test</th><th>what</th></tr>";
  for (const auto& m : a.plan.monitoring) {
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                     esc(m.date.empty() ? "ongoing" : m.date), esc(m.test), esc(m.text));
  }
  h += "</table>";
  for (const auto& al : a.plan.alerts)
    h += "<p class=\"v-avoid\"><b>" + esc(std::string(to_string(al.code))) + "</b> " +
         esc(al.text) + "</p>";
  if (!a.warnings.empty()) {
    h += "<h2>Input warnings</h2><ul>";
    for (const auto& w : a.warnings) h += "<li>" + esc(w.to_string()) + "</li>";
    h += "</ul>";
  }
  h += "<p><small>Decision support only; check the current label. Sources: paraderm kb show "
       "&lt;id&gt;.</small></p></body></html>\n";
  return h;
}

}  // namespace paraderm::report
