// The assessment's pharmacovigilance citations (src/assess/signals.cpp) against a fake
// SignalSource: what is looked up, what is cited, which KB rules are met, and how the renderers
// label it. The store numbers below are either the worked 2x2 check values of
// standards-and-anchors.md §3.2 (a=5, b=10, c=20, d=10000) or synthetic test values, never
// clinical figures.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/report.h"

namespace paraderm::assess {
namespace {

using report::to_html;
using report::to_json;
using report::to_text;

using Json = nlohmann::json;

using paraderm::testing::shipped;

// Exact-match lookups (a real store matches case-insensitively), recording every query.
class FakeSignalSource : public SignalSource {
 public:
  std::vector<ReportingSignal> pairs;
  mutable std::vector<std::pair<std::string, std::string>> queries;

  std::optional<ReportingSignal> find(const std::string& drug,
                                      const std::string& event) const override {
    queries.emplace_back(drug, event);
    for (const auto& p : pairs) {
      if (p.drug == drug && p.event == event) return p;
    }
    return std::nullopt;
  }
  std::string description() const override { return "test store, 10035 reports"; }
  double reports() const override { return 10035; }
};

// The §3.2 worked example: ROR 250 (78.3954-797.2409), PRR 167, chi2 661.6724, E 0.037369,
// IC 3.3554, IC025 1.8280; no MGPS fit (EBGM undefined).
ReportingSignal worked_example(const std::string& drug, const std::string& event) {
  ReportingSignal s;
  s.drug = drug;
  s.event = event;
  s.n = 5;
  s.expected = 0.037369;
  s.ror = 250;
  s.ror_lo = 78.3954;
  s.ror_hi = 797.2409;
  s.prr = 167;
  s.prr_chi2 = 661.6724;
  s.ic = 3.3554;
  s.ic025 = 1.8280;
  return s;
}

// Synthetic: reported, but no rule met.
ReportingSignal no_signal(const std::string& drug, const std::string& event) {
  ReportingSignal s;
  s.drug = drug;
  s.event = event;
  s.n = 2;
  s.expected = 2;
  s.ror = 1;
  s.ror_lo = 0.25;
  s.ror_hi = 4;
  s.prr = 1;
  s.prr_chi2 = 0;
  s.ic = 0;
  s.ic025 = -1.5;
  s.ic975 = 1.2;
  s.ebgm = 1;
  s.eb05 = 0.4;
  s.eb95 = 2.1;
  return s;
}

clinical::Case adalimumab_case(const std::string& phenotype) {
  Json c = {
      {"schema_version", "1"},
      {"region", "us"},
      {"as_of", "2026-11-01"},
      {"patient",
       {{"birth_date", "1980-01-01"}, {"sex", "female"}, {"smoking", {{"status", "never"}}}}},
      {"conditions", {{{"name", "rheumatoid arthritis"}, {"onset", "2015-01-01"}}}},
      {"medications", {{{"name", "adalimumab"}, {"start", "2025-01-01"}}}},
      {"eruption",
       {{"phenotype", phenotype},
        {"onset", "2025-09-01"},
        {"kind", "new"},
        {"severity", "moderate"}}},
  };
  auto parsed = clinical::parse_case(c.dump(), shipped(), {});
  EXPECT_TRUE(parsed.record) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  return *parsed.record;
}

Assessment run(const kb::KnowledgeBase& kb, const clinical::Case& c, const SignalSource* s) {
  static PathwayCache cache(shipped());
  AssessOptions o;
  o.cache = &cache;
  o.signals = s;
  return assess(kb, c, o);
}

bool has_code(const PrAssessment& pr, std::string_view code) {
  return std::any_of(pr.reasons.begin(), pr.reasons.end(),
                     [&](const Reason& r) { return to_string(r.code) == code; });
}

const kb::Phenotype& phenotype(const std::string& id) {
  for (const auto& p : shipped().phenotypes) {
    if (p.id == id) return p;
  }
  throw std::runtime_error("no phenotype " + id);
}

const SignalRuleResult& rule(const ReportingSignalCitation& c, const std::string& id) {
  for (const auto& r : c.rules) {
    if (r.rule == id) return r;
  }
  throw std::runtime_error("no rule " + id);
}

TEST(ReportingSignals, CitationCarriesTheStoresNumbersAndTheRulesMet) {
  FakeSignalSource store;
  store.pairs.push_back(worked_example("adalimumab", "Psoriasis"));
  Assessment a = run(shipped(), adalimumab_case("psoriasiform"), &store);
  ASSERT_TRUE(a.pr.reporting_signals);
  const auto& rs = *a.pr.reporting_signals;
  EXPECT_EQ(rs.store, "test store, 10035 reports");
  EXPECT_EQ(rs.reports, 10035);
  ASSERT_FALSE(rs.citations.empty());
  const auto& c = rs.citations.front();
  EXPECT_EQ(c.drug, "adalimumab");
  EXPECT_EQ(c.event, "Psoriasis");
  ASSERT_TRUE(c.found);
  ASSERT_TRUE(c.signal);
  EXPECT_EQ(c.signal->n, 5);
  EXPECT_DOUBLE_EQ(c.signal->expected, 0.037369);
  EXPECT_DOUBLE_EQ(*c.signal->ror_lo, 78.3954);
  EXPECT_DOUBLE_EQ(*c.signal->prr_chi2, 661.6724);
  EXPECT_DOUBLE_EQ(*c.signal->ic025, 1.8280);
  EXPECT_FALSE(c.signal->ebgm);
  EXPECT_EQ(c.label,
            "reporting signal (disproportionality in spontaneous reports), not an incidence");
  EXPECT_EQ(c.source, "test store, 10035 reports");
  EXPECT_EQ(rule(c, "ror").met, std::optional<bool>(true));
  EXPECT_EQ(rule(c, "ror").criterion, "ROR025 > 1");
  EXPECT_EQ(rule(c, "ic").met, std::optional<bool>(true));
  EXPECT_EQ(rule(c, "evans").met, std::optional<bool>(true));
  EXPECT_EQ(rule(c, "evans").criterion, "PRR >= 2 and chi2 >= 4 and n >= 3");
  EXPECT_EQ(rule(c, "mgps").met, std::nullopt) << "EB05 undefined: the rule cannot be judged";
  EXPECT_TRUE(has_code(a.pr, "PV_SIGNAL_REPORTED"));
  EXPECT_FALSE(has_code(a.pr, "PV_NO_SIGNAL"));
  // The KB's published TNFi x psoriasis signal (Kip 2013) is shown for comparison.
  bool kip = std::any_of(rs.published.begin(), rs.published.end(), [](const PublishedSignal& p) {
    return p.pattern == "kip-2013-tnfi-psoriasis-faers";
  });
  EXPECT_TRUE(kip);
}

TEST(ReportingSignals, AbsentEntirelyWithoutASource) {
  Assessment a = run(shipped(), adalimumab_case("psoriasiform"), nullptr);
  EXPECT_FALSE(a.pr.reporting_signals);
  for (const auto& r : a.pr.reasons)
    EXPECT_NE(to_string(r.code).substr(0, 3), "PV_") << to_string(r.code);
  Json j = Json::parse(to_json(a));
  EXPECT_TRUE(j["paradoxical_reaction"]["reporting_signals"].is_null());
  EXPECT_EQ(to_text(a, shipped()).find("REPORTING SIGNALS"), std::string::npos);
  EXPECT_EQ(to_html(a, shipped()).find("Reporting signals"), std::string::npos);
}

TEST(ReportingSignals, AbsentPairIsSaidSoWithoutStatistics) {
  FakeSignalSource store;  // holds no pair at all
  Assessment a = run(shipped(), adalimumab_case("psoriasiform"), &store);
  ASSERT_TRUE(a.pr.reporting_signals);
  ASSERT_EQ(a.pr.reporting_signals->citations.size(), phenotype("psoriasiform").meddra_pt.size());
  for (const auto& c : a.pr.reporting_signals->citations) {
    EXPECT_FALSE(c.found);
    EXPECT_FALSE(c.signal) << "no statistic (never a 0) for an absent pair";
    EXPECT_TRUE(c.rules.empty());
  }
  EXPECT_TRUE(has_code(a.pr, "PV_PAIR_ABSENT"));
  EXPECT_FALSE(has_code(a.pr, "PV_SIGNAL_REPORTED"));
  Json j = Json::parse(to_json(a));
  const Json& c0 = j["paradoxical_reaction"]["reporting_signals"]["citations"][0];
  EXPECT_TRUE(c0["signal"].is_null());
  EXPECT_EQ(c0["absent"], "no report in the store names both");
  EXPECT_NE(to_text(a, shipped()).find("adalimumab x Psoriasis: no report in the store names both"),
            std::string::npos);
}

TEST(ReportingSignals, LooksUpTheKbBiologicIdAndEveryKbPreferredTermExactly) {
  FakeSignalSource store;
  run(shipped(), adalimumab_case("psoriasiform"), &store);
  std::vector<std::pair<std::string, std::string>> want;
  for (const auto& t : phenotype("psoriasiform").meddra_pt) want.emplace_back("adalimumab", t.pt);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(store.queries, want);
  EXPECT_EQ(want.front().second, "Psoriasis") << "the KB's MedDRA spelling, not the phenotype id";
}

TEST(ReportingSignals, ThresholdsComeFromTheKb) {
  FakeSignalSource store;
  store.pairs.push_back(worked_example("adalimumab", "Psoriasis"));
  clinical::Case c = adalimumab_case("psoriasiform");
  Assessment before = run(shipped(), c, &store);
  ASSERT_EQ(rule(before.pr.reporting_signals->citations.front(), "ror").met,
            std::optional<bool>(true));
  ASSERT_EQ(rule(before.pr.reporting_signals->citations.front(), "evans").met,
            std::optional<bool>(true));

  kb::KnowledgeBase edited = shipped();
  bool changed_ror = false, changed_n = false;
  for (auto& b : edited.score_bands) {
    if (b.id == "pv-signal.ror.ror025") {
      b.min = 100;  // above the worked example's ROR025 (78.3954)
      changed_ror = true;
    }
    if (b.id == "pv-signal.evans.n") {
      b.min = 6;  // above its n (5)
      changed_n = true;
    }
  }
  ASSERT_TRUE(changed_ror && changed_n) << "the KB bands were renamed";
  Assessment after = run(edited, c, &store);
  const auto& cit = after.pr.reporting_signals->citations.front();
  EXPECT_EQ(rule(cit, "ror").met, std::optional<bool>(false));
  EXPECT_EQ(rule(cit, "ror").criterion, "ROR025 > 100");
  EXPECT_EQ(rule(cit, "evans").met, std::optional<bool>(false));
  EXPECT_EQ(rule(cit, "ic").met, std::optional<bool>(true));
}

TEST(ReportingSignals, ReportedButNoRuleMet) {
  FakeSignalSource store;
  store.pairs.push_back(no_signal("adalimumab", "Psoriasis"));
  Assessment a = run(shipped(), adalimumab_case("psoriasiform"), &store);
  const auto& c = a.pr.reporting_signals->citations.front();
  ASSERT_TRUE(c.found);
  for (const auto& r : c.rules) EXPECT_EQ(r.met, std::optional<bool>(false)) << r.rule;
  EXPECT_TRUE(has_code(a.pr, "PV_NO_SIGNAL"));
  EXPECT_FALSE(has_code(a.pr, "PV_SIGNAL_REPORTED"));
}

TEST(ReportingSignals, UndefinedStatisticsStayUndefined) {
  FakeSignalSource store;
  ReportingSignal s;
  s.drug = "adalimumab";
  s.event = "Psoriasis";
  s.n = 4;
  s.expected = 1.5;  // every ratio undefined (e.g. a zero cell)
  store.pairs.push_back(s);
  Assessment a = run(shipped(), adalimumab_case("psoriasiform"), &store);
  const auto& c = a.pr.reporting_signals->citations.front();
  for (const auto& r : c.rules) EXPECT_EQ(r.met, std::nullopt) << r.rule;
  EXPECT_TRUE(has_code(a.pr, "PV_NO_SIGNAL"));
  Json sig = Json::parse(
      to_json(a))["paradoxical_reaction"]["reporting_signals"]["citations"][0]["signal"];
  EXPECT_EQ(sig["n"], 4);
  EXPECT_TRUE(sig["ror"].is_null());
  EXPECT_TRUE(sig["eb05"].is_null());
}

TEST(ReportingSignals, PhenotypeWithoutPreferredTermsLooksNothingUp) {
  ASSERT_TRUE(phenotype("lupus-like").meddra_pt.empty()) << "pick another phenotype without PTs";
  FakeSignalSource store;
  store.pairs.push_back(worked_example("adalimumab", "Psoriasis"));
  Assessment a = run(shipped(), adalimumab_case("lupus-like"), &store);
  EXPECT_TRUE(store.queries.empty());
  ASSERT_TRUE(a.pr.reporting_signals);
  EXPECT_TRUE(a.pr.reporting_signals->citations.empty());
  EXPECT_NE(a.pr.reporting_signals->note.find("No MedDRA preferred term"), std::string::npos);
  EXPECT_TRUE(has_code(a.pr, "PV_NO_MEDDRA_TERM"));
  EXPECT_NE(to_text(a, shipped()).find("No MedDRA preferred term"), std::string::npos);
}

TEST(ReportingSignals, RenderersLabelItAsAReportingSignalNotAnIncidence) {
  FakeSignalSource store;
  store.pairs.push_back(worked_example("adalimumab", "Psoriasis"));
  Assessment a = run(shipped(), adalimumab_case("psoriasiform"), &store);
  Json rs = Json::parse(to_json(a))["paradoxical_reaction"]["reporting_signals"];
  EXPECT_EQ(rs["label"], kReportingSignalLabel);
  EXPECT_EQ(rs["store"], "test store, 10035 reports");
  EXPECT_DOUBLE_EQ(rs["citations"][0]["signal"]["ror_lo"].get<double>(), 78.3954);
  EXPECT_EQ(rs["citations"][0]["rules"][0]["rule"], "mgps");
  EXPECT_TRUE(rs["citations"][0]["rules"][0]["met"].is_null());
  std::string text = to_text(a, shipped());
  EXPECT_NE(text.find("REPORTING SIGNALS"), std::string::npos);
  EXPECT_NE(text.find("not an incidence"), std::string::npos);
  EXPECT_NE(text.find("adalimumab x Psoriasis: n 5, E 0.037369, ROR 250 [78.3954 to 797.241]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("EBGM undefined"), std::string::npos)
      << "an undefined statistic is said so, never 0";
  std::string html = to_html(a, shipped());
  EXPECT_NE(html.find("<h2>Reporting signals</h2>"), std::string::npos);
  EXPECT_NE(html.find("not an incidence"), std::string::npos);
  EXPECT_NE(html.find("test store, 10035 reports"), std::string::npos);
}

}  // namespace
}  // namespace paraderm::assess
