// Pharmacovigilance reporting signals: for each culprit x each MedDRA preferred term of the
// eruption's phenotype, the store's disproportionality statistics and the KB signal rules they
// meet (kb/formulas.toml, score "pv-signal"). A reporting signal is never an incidence.
// Rules: docs/assessment.md §1; codes: docs/reason-codes.md.
#include <cmath>

#include "assess/internal.h"

namespace paraderm::assess::detail {
namespace {

constexpr kb::ScoreKind kScore = kb::ScoreKind::kPvSignal;

// The statistic a KB band names (the factor vocabulary the KB schema checks).
std::optional<double> statistic(const ReportingSignal& s, const std::string& name) {
  auto statistic = kb::parse_pv_statistic(name);
  if (!statistic) return std::nullopt;
  switch (*statistic) {
    case kb::PvStatistic::kN:
      return s.n;
    case kb::PvStatistic::kExpected:
      return s.expected;
    case kb::PvStatistic::kRor:
      return s.ror;
    case kb::PvStatistic::kRorLo:
      return s.ror_lo;
    case kb::PvStatistic::kRorHi:
      return s.ror_hi;
    case kb::PvStatistic::kPrr:
      return s.prr;
    case kb::PvStatistic::kPrrChi2:
      return s.prr_chi2;
    case kb::PvStatistic::kIc:
      return s.ic;
    case kb::PvStatistic::kIc025:
      return s.ic025;
    case kb::PvStatistic::kIc975:
      return s.ic975;
    case kb::PvStatistic::kEbgm:
      return s.ebgm;
    case kb::PvStatistic::kEb05:
      return s.eb05;
    case kb::PvStatistic::kEb95:
      return s.eb95;
  }
  return std::nullopt;
}

std::string statistic_label(const std::string& name) {
  switch (kb::parse_pv_statistic(name).value_or(kb::PvStatistic::kEbgm)) {
    case kb::PvStatistic::kExpected:
      return "E";
    case kb::PvStatistic::kRorLo:
      return "ROR025";
    case kb::PvStatistic::kRorHi:
      return "ROR975";
    case kb::PvStatistic::kPrrChi2:
      return "chi2";
    case kb::PvStatistic::kN:
      return "n";
    default:
      break;
  }
  std::string s = name;
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

std::string band_text(const kb::ScoreBand& b) {
  std::string label = statistic_label(b.factor), s;
  if (b.min)
    s += fmt::format("{} {} {}", label, b.min_inclusive.value_or(true) ? ">=" : ">",
                     fmt_num(*b.min));
  if (b.max) {
    s += fmt::format("{}{} {} {}", s.empty() ? "" : " and ", label,
                     b.max_inclusive.value_or(true) ? "<=" : "<", fmt_num(*b.max));
  }
  return s;
}

// nullopt when the statistic is undefined for the pair.
std::optional<bool> band_met(const kb::ScoreBand& b, const ReportingSignal& s) {
  std::optional<double> v = statistic(s, b.factor);
  if (!v || std::isnan(*v)) return std::nullopt;
  bool ok = true;
  if (b.min) ok = ok && (b.min_inclusive.value_or(true) ? *v >= *b.min : *v > *b.min);
  if (b.max) ok = ok && (b.max_inclusive.value_or(true) ? *v <= *b.max : *v < *b.max);
  return ok;
}

// Every KB rule (in KB order), judged on one pair: false when a band fails, unknown when none
// fails but one cannot be judged, true when all are met.
std::vector<SignalRuleResult> judge(const kb::KnowledgeBase& kb, const ReportingSignal& s) {
  std::vector<SignalRuleResult> rules;
  for (const auto& b : kb.score_bands) {
    if (b.score != kScore || !b.category) continue;
    auto it = std::find_if(rules.begin(), rules.end(),
                           [&](const SignalRuleResult& r) { return r.rule == *b.category; });
    if (it == rules.end()) {
      rules.push_back({*b.category, "", true, {}});
      it = std::prev(rules.end());
    }
    it->criterion += (it->criterion.empty() ? "" : " and ") + band_text(b);
    add_sources(it->sources, b.prov.src);
    std::optional<bool> m = band_met(b, s);
    if (m == std::optional<bool>(false)) {
      it->met = false;
    } else if (!m && it->met != std::optional<bool>(false)) {
      it->met = std::nullopt;
    }
  }
  return rules;
}

std::string opt_text(const std::optional<double>& v) {
  return v ? fmt_num(*v) : std::string("undefined");
}

std::string numbers_text(const ReportingSignal& s) {
  return fmt::format(
      "n {}, E {}, ROR {} [{} to {}], PRR {} (chi2 {}), IC025 {}, EBGM {} [EB05 {} to EB95 {}]",
      fmt_num(s.n), fmt_num(s.expected), opt_text(s.ror), opt_text(s.ror_lo), opt_text(s.ror_hi),
      opt_text(s.prr), opt_text(s.prr_chi2), opt_text(s.ic025), opt_text(s.ebgm), opt_text(s.eb05),
      opt_text(s.eb95));
}

}  // namespace

void cite_reporting_signals(const kb::KnowledgeBase& kb, const SignalSource& source,
                            PrAssessment& pr) {
  ReportingSignals rs;
  rs.store = source.description();
  rs.reports = source.reports();
  for (const auto& id : pr.matching_patterns) {
    for (const auto& p : kb.pr_patterns) {
      if (p.id == id && kb.grade_of(p.prov) == kb::Grade::kPharmacovigilance) {
        rs.published.push_back({p.id, p.text, p.prov.src});
      }
    }
  }
  const kb::Phenotype* phenotype = nullptr;
  for (const auto& p : kb.phenotypes) {
    if (p.id == pr.phenotype) phenotype = &p;
  }
  if (!phenotype || phenotype->meddra_pt.empty()) {
    rs.note = fmt::format(
        "No MedDRA preferred term is in the KB for the {} phenotype, so the store was "
        "not searched.",
        pr.phenotype);
    pr.reasons.push_back(reason(ReasonCode::kPvNoMeddraTerm, Severity::kInfo, rs.note,
                                phenotype ? phenotype->prov.src : std::vector<std::string>{}));
    pr.reporting_signals = std::move(rs);
    return;
  }
  for (const auto& culprit : pr.culprits) {
    for (const auto& term : phenotype->meddra_pt) {
      ReportingSignalCitation c;
      c.drug = culprit.biologic;
      c.event = term.pt;
      c.source = rs.store;
      c.sources = term.prov.src;
      std::optional<ReportingSignal> found = source.find(c.drug, c.event);
      if (!found) {
        pr.reasons.push_back(reason(ReasonCode::kPvPairAbsent, Severity::kInfo,
                                    fmt::format("No report in the store names both {} and {} ({}).",
                                                c.drug, c.event, rs.store),
                                    c.sources));
        rs.citations.push_back(std::move(c));
        continue;
      }
      c.found = true;
      c.signal = *found;
      c.rules = judge(kb, *found);
      std::string met, unknown;
      std::vector<std::string> sources = c.sources;
      for (const auto& r : c.rules) {
        if (r.met == std::optional<bool>(true)) {
          met += fmt::format("{}{} ({})", met.empty() ? "" : ", ", r.rule, r.criterion);
          add_sources(sources, r.sources);
        } else if (!r.met) {
          unknown += (unknown.empty() ? "" : ", ") + r.rule;
        }
      }
      std::string undefined =
          unknown.empty() ? ""
                          : fmt::format(" Not judged (a statistic is undefined): {}.", unknown);
      if (!met.empty()) {
        pr.reasons.push_back(
            reason(ReasonCode::kPvSignalReported, Severity::kInfo,
                   fmt::format("Reporting signal for {} x {}: {}; rules met: {}.{} A {} ({}).",
                               c.drug, c.event, numbers_text(*found), met, undefined,
                               kReportingSignalLabel, rs.store),
                   sources));
      } else {
        for (const auto& r : c.rules) add_sources(sources, r.sources);
        pr.reasons.push_back(
            reason(ReasonCode::kPvNoSignal, Severity::kInfo,
                   fmt::format("{} x {} is reported ({}) but meets no signal rule of the KB.{} "
                               "Disproportionality in "
                               "spontaneous reports, not an incidence ({}).",
                               c.drug, c.event, numbers_text(*found), undefined, rs.store),
                   sources));
      }
      rs.citations.push_back(std::move(c));
    }
  }
  pr.reporting_signals = std::move(rs);
}

}  // namespace paraderm::assess::detail
