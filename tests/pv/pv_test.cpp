// Disproportionality statistics: the worked 2x2 example of standards-and-anchors.md §3.2, the
// gamma quantiles and EB quantiles against independent numerical integration, recovery of a
// known MGPS prior from simulated data, unique-report counting, and the caers.csv dataset.
#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "../test_support.h"
#include "paraderm/pv_data.h"
#include "pv/special.h"

namespace paraderm::pv {
namespace {

// Cells a=5, b=10, c=20, d=10000 (N=10035); check values recomputed in the reference.
TEST(PvStats, WorkedTwoByTwoExample) {
  double a = 5, n_drug = 15, n_event = 25, total = 10035;
  auto s = disproportionality(a, n_drug, n_event, total, n_drug * n_event / total);
  EXPECT_NEAR(s.expected, 0.037369, 1e-6);
  EXPECT_NEAR(s.rr, 133.80, 5e-3);
  EXPECT_NEAR(s.ror, 250.0, 1e-9);
  EXPECT_NEAR(s.ror_lo, 78.3954, 1e-4);
  EXPECT_NEAR(s.ror_hi, 797.2409, 1e-4);
  EXPECT_NEAR(s.prr, 167.0, 1e-9);
  EXPECT_NEAR(s.prr_lo, 72.1694, 1e-4);
  EXPECT_NEAR(s.prr_hi, 386.4381, 1e-4);
  EXPECT_NEAR(s.chi2, 661.6724, 1e-4);
  EXPECT_NEAR(s.chi2_yates, 535.0581, 1e-4);
  EXPECT_NEAR(s.ic, 3.3554, 1e-4);
  EXPECT_NEAR(s.ic025, 1.8280, 1e-4);
}

TEST(PvStats, ZeroCellsAreInfiniteOrUndefinedNotZero) {
  auto s = disproportionality(3, 3, 10, 100, 0.3);  // b = 0
  EXPECT_TRUE(std::isinf(s.ror));
  EXPECT_TRUE(std::isnan(s.ror_lo));
}

TEST(PvSpecial, DigammaKnownValues) {
  EXPECT_NEAR(digamma(1), -0.5772156649015329, 1e-12);
  EXPECT_NEAR(digamma(0.5), -1.9635100260214235, 1e-12);
  EXPECT_NEAR(digamma(10), 2.251752589066721, 1e-12);
}

// Independent check: integrate the gamma density numerically up to the quantile.
double gamma_mass(double shape, double rate, double upper) {
  // Simpson's rule after x = u^2, which removes the x^(shape-1) singularity at 0 for shape < 1.
  auto g = [&](double uu) {
    double x = uu * uu;
    if (uu <= 0)
      return shape < 0.5 ? 0.0
                         : (shape == 0.5 ? 2 * std::sqrt(rate) / std::exp(std::lgamma(0.5)) : 0.0);
    return 2 * uu *
           std::exp(shape * std::log(rate) + (shape - 1) * std::log(x) - rate * x -
                    std::lgamma(shape));
  };
  const int n = 200000;  // even
  double b = std::sqrt(upper), h = b / n, sum = g(0) + g(b);
  for (int i = 1; i < n; ++i) sum += (i % 2 ? 4 : 2) * g(i * h);
  return sum * h / 3;
}

TEST(PvSpecial, GammaQuantilesMatchNumericalIntegration) {
  for (auto [shape, rate] : {std::pair{5.5, 0.537369}, {0.5, 2.0}, {3.0, 1.0}, {40.5, 12.3}}) {
    for (double p : {0.025, 0.05, 0.5, 0.95, 0.975}) {
      double q = gamma_quantile(shape, rate, p);
      EXPECT_NEAR(gamma_mass(shape, rate, q), p, 1e-8) << shape << " " << rate << " " << p;
    }
  }
}

TEST(PvMgps, PosteriorQuantilesMatchNumericalIntegration) {
  MgpsPrior t{0.2, 0.1, 2, 4, 1.0 / 3};
  for (auto [n, e] : {std::pair{1.0, 0.2}, {5.0, 0.5}, {20.0, 3.0}}) {
    auto post = mgps_posterior(t, n, e);
    // The posterior component weight, recomputed from the NB marginals (DuMouchel 1999 eq. 6) and,
    // for the conditional rule, from the marginals conditional on n >= 1.
    auto nb = [&](double a, double b, bool conditional) {
      double l = std::lgamma(a + n) - std::lgamma(a) - std::lgamma(n + 1) +
                 a * std::log(b / (b + e)) + n * std::log(e / (b + e));
      return std::exp(l) / (conditional ? 1 - std::pow(b / (b + e), a) : 1.0);
    };
    auto weight = [&](bool c) {
      return t.p * nb(t.alpha1, t.beta1, c) /
             (t.p * nb(t.alpha1, t.beta1, c) + (1 - t.p) * nb(t.alpha2, t.beta2, c));
    };
    EXPECT_NEAR(weight(true), mgps_posterior(t, n, e, QnRule::kConditional).q, 1e-12);
    double q = weight(false);
    EXPECT_NEAR(q, post.q, 1e-12);
    auto mass = [&](double x) {
      return q * gamma_mass(t.alpha1 + n, t.beta1 + e, x) +
             (1 - q) * gamma_mass(t.alpha2 + n, t.beta2 + e, x);
    };
    EXPECT_NEAR(mass(post.eb05), 0.05, 1e-7) << n;
    EXPECT_NEAR(mass(post.eb95), 0.95, 1e-7) << n;
    EXPECT_LT(post.eb05, post.ebgm);
    EXPECT_LT(post.ebgm, post.eb95);
  }
}

// Pairs with n >= 1 simulated from the MGPS model: E log-uniform on [0.05, 5], lambda from the
// prior mixture, n ~ Poisson(lambda E).
std::pair<std::vector<double>, std::vector<double>> simulate(const MgpsPrior& truth,
                                                             std::size_t count,
                                                             std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> log_e(std::log(0.05), std::log(5.0));
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> n, e;
  while (n.size() < count) {
    double ei = std::exp(log_e(rng));
    bool first = u(rng) < truth.p;
    std::gamma_distribution<double> g(first ? truth.alpha1 : truth.alpha2,
                                      1 / (first ? truth.beta1 : truth.beta2));
    std::poisson_distribution<int> pois(g(rng) * ei);
    int k = pois(rng);
    if (k >= 1) {
      n.push_back(k);
      e.push_back(ei);
    }
  }
  return {n, e};
}

// Data simulated from a known prior: the fit is at least as likely as the truth and, with the
// component weights of the likelihood it was fitted with (conditional on n >= 1), gives the same
// EBGMs. The fitted first component is at the log-series edge (alpha1 ~ 1e-11: on n >= 1 data
// the likelihood hardly tells it from the truth's alpha1 = 0.2), where eq. 6's untruncated
// marginal f1(n) is proportional to alpha1: with Q_n as published that component gets no weight
// and the EBGM of a high-RR pair collapses (the reason `--qn conditional` exists).
TEST(PvMgps, RecoversAKnownPriorFromSimulatedData) {
  MgpsPrior truth{0.2, 0.1, 2, 4, 1.0 / 3};
  auto [n, e] = simulate(truth, 4000, 20261127);
  MgpsFit fit = fit_mgps(n, e);
  EXPECT_TRUE(fit.converged) << fit.message;
  EXPECT_LE(fit.neg_log_lik, mgps_neg_log_lik(truth, n, e) + 1e-6);
  for (auto [ni, ei] : {std::pair{1.0, 1.0}, {3.0, 0.5}, {10.0, 1.0}, {2.0, 4.0}}) {
    double want = mgps_posterior(truth, ni, ei, QnRule::kConditional).ebgm,
           got = mgps_posterior(fit.theta, ni, ei, QnRule::kConditional).ebgm;
    EXPECT_NEAR(got / want, 1.0, 0.12) << ni << " " << ei;
  }
  ASSERT_LT(fit.theta.alpha1, 1e-6);
  EXPECT_LT(mgps_posterior(fit.theta, 10, 1).q, 1e-4);
  EXPECT_GT(mgps_posterior(truth, 10, 1).q, 0.99);
  EXPECT_LT(mgps_posterior(fit.theta, 10, 1).ebgm, 0.5 * mgps_posterior(truth, 10, 1).ebgm);
}

TEST(PvMgps, SquashingKeepsTheWeightAndTheFit) {
  MgpsPrior truth{0.2, 0.1, 2, 4, 1.0 / 3};
  auto [n, e] = simulate(truth, 6000, 7);
  Squashed sq = squash(n, e);
  double total_weight = 0, n_weighted = 0, n_plain = 0;
  for (std::size_t i = 0; i < sq.n.size(); ++i) {
    total_weight += sq.weight[i];
    n_weighted += sq.weight[i] * sq.n[i];
  }
  for (double x : n) n_plain += x;
  EXPECT_DOUBLE_EQ(total_weight, static_cast<double>(n.size()));  // every pair is in one point
  EXPECT_DOUBLE_EQ(n_weighted, n_plain);
  EXPECT_LT(sq.n.size(), n.size() / 3);  // and there are far fewer points
  MgpsFit full = fit_mgps(n, e), squashed = fit_mgps(sq.n, sq.e, sq.weight);
  for (auto [ni, ei] : {std::pair{1.0, 1.0}, {3.0, 0.5}, {10.0, 1.0}}) {
    EXPECT_NEAR(
        mgps_posterior(squashed.theta, ni, ei).ebgm / mgps_posterior(full.theta, ni, ei).ebgm, 1.0,
        0.05);
  }
}

TEST(PvData, CountsFromUniqueReportIdsWithStrata) {
  // Report 1 lists drug A twice with event X (counted once); report 2 has A+B with X and Y.
  std::vector<Row> rows = {{"1", "A", "X", "f"}, {"1", "A", "X", "f"}, {"2", "A", "X", "m"},
                           {"2", "A", "Y", "m"}, {"2", "B", "X", "m"}, {"3", "B", "Y", "m"},
                           {"4", "C", "Z", "f"}};
  Corpus corpus = corpus_from_rows(rows);
  auto pairs = count_pairs(corpus);
  auto find = [&](const std::string& d, const std::string& ev) {
    for (const auto& p : pairs) {
      if (corpus.drugs[p.drug] == d && corpus.events[p.event] == ev) return p;
    }
    return PairCount{};
  };
  PairCount ax = find("A", "X");
  EXPECT_EQ(ax.n, 2);
  EXPECT_EQ(ax.n_drug, 2);
  EXPECT_EQ(ax.n_event, 2);
  EXPECT_EQ(ax.total, 4);
  // Stratum f: reports 1, 4 (A in 1, X in 1) -> 1*1/2; stratum m: reports 2, 3 (A in 1, X in 1) ->
  // 1*1/2.
  EXPECT_DOUBLE_EQ(ax.expected, 0.5 + 0.5);
  PairCount by = find("B", "Y");
  EXPECT_EQ(by.n, 1);
  EXPECT_DOUBLE_EQ(by.expected,
                   2.0 * 2.0 / 2.0);  // stratum m only: B in 2 reports, Y in 2, 2 reports
  EXPECT_EQ(pairs.size(), 5u);        // AX AY BX BY CZ
}

TEST(PvData, CaersDatasetFitsAndMalformedRowsAreCounted) {
  std::string path = paraderm::testing::shared_data("caers.csv");
  if (path.empty()) GTEST_SKIP() << "shared/data/caers.csv not present";
  CsvColumns cols{"id", "var1", "var2", {"strat1"}};
  auto data = read_long_csv(path, cols);
  ASSERT_TRUE(data.is_ok()) << data.status().message();
  ASSERT_GT(data.value().input.rows_read, 20000u - 200);
  // Unique report ids, counted independently of the corpus.
  std::set<std::string> ids;
  {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      if (!line.empty()) ids.insert(line.substr(0, line.find(',')));
    }
  }
  EXPECT_EQ(data.value().corpus.reports(), ids.size());
  auto pairs = count_pairs(data.value().corpus);
  ASSERT_FALSE(pairs.empty());
  double sum_e = 0;
  for (const auto& p : pairs) {
    EXPECT_EQ(p.total, static_cast<double>(ids.size()));
    EXPECT_LE(p.n, std::min(p.n_drug, p.n_event));
    sum_e += p.expected;
  }
  EXPECT_GT(sum_e, 0);
  std::vector<double> n, e;
  for (const auto& p : pairs) {
    n.push_back(p.n);
    e.push_back(p.expected);
  }
  MgpsFit fit = fit_mgps(n, e);
  EXPECT_TRUE(fit.converged) << fit.message;
  EXPECT_LT(fit.neg_log_lik, mgps_neg_log_lik({0.2, 0.1, 2, 4, 1.0 / 3}, n, e));
  auto missing = read_long_csv(path, CsvColumns{"id", "drug", "var2", {}});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("--drug-col: value \"drug\": no such column"),
            std::string::npos);
}

}  // namespace
}  // namespace paraderm::pv

namespace paraderm::pv {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// Each report of a corpus as its set of (drug, event) names.
std::set<std::set<std::pair<std::string, std::string>>> corpus_reports(const Corpus& c) {
  std::set<std::set<std::pair<std::string, std::string>>> out;
  for (std::size_t r = 0; r < c.reports(); ++r) {
    std::set<std::pair<std::string, std::string>> pairs;
    for (auto i = c.report_begin[r]; i < c.report_begin[r + 1]; ++i) {
      pairs.insert({c.drugs[Corpus::drug_of(c.pairs[i])], c.events[Corpus::event_of(c.pairs[i])]});
    }
    out.insert(pairs);
  }
  return out;
}

TEST(PvFaers, NormalisesDrugNamesToKbIngredients) {
  static const kb::LoadResult kb = kb::load_embedded();
  DrugNormaliser n(kb_drug_names(*kb.kb));
  EXPECT_EQ(n.ingredient("XELJANZ 5 MG TABLET"), std::optional<std::string>("tofacitinib"));
  EXPECT_EQ(n.ingredient("Tofacitinib citrate"), std::optional<std::string>("tofacitinib"));
  EXPECT_EQ(n.ingredient("DUPIXENT (DUPILUMAB) INJECTION"),
            std::optional<std::string>("dupilumab"));
  EXPECT_EQ(n.ingredient("adalimumab"), std::optional<std::string>("adalimumab"));
  EXPECT_EQ(n.ingredient("ADALIMUMAB-ATTO"),
            std::nullopt);  // a biosimilar suffix is not a misspelling
  EXPECT_EQ(n.ingredient("UPADACITINB"),
            std::optional<std::string>("upadacitinib"));  // one letter missing
  EXPECT_EQ(n.ingredient("OPZELURA CREAM"), std::optional<std::string>("ruxolitinib"));
  EXPECT_EQ(n.ingredient("METFORMIN"), std::nullopt);
}

// Two quarters: case 100 has versions 1 (Q1) and 2 (Q2), case 200 is deleted, case 300 has a
// concomitant drug and a malformed line; roles PS/SS kept by default.
TEST(PvFaers, DeduplicatesDropsDeletedFiltersRolesAndCountsMalformedRows) {
  static const kb::LoadResult kb = kb::load_embedded();
  DrugNormaliser n(kb_drug_names(*kb.kb));
  fs::path dir = fs::temp_directory_path() / ("paraderm_faers_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "q1" / "ASCII");
  fs::create_directories(dir / "q2" / "ASCII");
  fs::create_directories(dir / "q2" / "Deleted");
  write(dir / "q1/ASCII/DEMO24Q1.txt",
        "primaryid$caseid$caseversion$i_f_code$fda_dt\n1001$100$1$I$20240105\n2001$200$1$I$"
        "20240106\n3001$300$1$I$20240107\n");
  write(dir / "q1/ASCII/DRUG24Q1.txt",
        "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai\n1001$100$1$PS$DUPIXENT$DUPILUMAB\n"
        "2001$200$1$PS$HUMIRA$ADALIMUMAB\n3001$300$1$PS$Secukinumab$\n3001$300$2$C$XELJANZ$"
        "TOFACITINIB CITRATE\n"
        "3001$300$3$SS$broken line\n");
  write(dir / "q1/ASCII/REAC24Q1.txt",
        "primaryid$caseid$pt$drug_rec_act\n1001$100$Psoriasis$\n2001$200$Psoriasis$\n3001$300$"
        "Eczema$\n");
  write(dir / "q2/ASCII/DEMO24Q2.txt",
        "primaryid$caseid$caseversion$i_f_code$fda_dt\n1002$100$2$F$20240402\n");
  write(dir / "q2/ASCII/DRUG24Q2.txt",
        "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai\n1002$100$1$PS$DUPIXENT$"
        "DUPILUMAB\n1002$100$2$SS$FOOBARINE$\n");
  write(dir / "q2/ASCII/REAC24Q2.txt",
        "primaryid$caseid$pt$drug_rec_act\n1002$100$Psoriasis$\n1002$100$Arthralgia$\n");
  write(dir / "q2/Deleted/DELETE24Q2.txt", "200\n");
  auto r = read_faers({dir.string()}, n);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const FaersReport& d = r.value().input;
  const Corpus& c = r.value().corpus;
  EXPECT_EQ(d.reports_read, 4u);
  EXPECT_EQ(d.superseded, 1u);
  EXPECT_EQ(d.deleted, 1u);
  EXPECT_EQ(d.reports_kept, 2u);  // case 100 (version 2) and case 300
  EXPECT_EQ(d.malformed, 1u);
  ASSERT_FALSE(d.problems.empty());
  EXPECT_NE(d.problems[0].find("DRUG24Q1.txt:6: expected 6 fields, found 5"), std::string::npos)
      << d.problems[0];
  EXPECT_EQ(corpus_reports(c),
            (std::set<std::set<std::pair<std::string, std::string>>>{
                {{"dupilumab", "PSORIASIS"},
                 {"dupilumab", "ARTHRALGIA"},
                 {"FOOBARINE", "PSORIASIS"},
                 {"FOOBARINE", "ARTHRALGIA"}},   // case 100, version 2
                {{"secukinumab", "ECZEMA"}}}));  // the concomitant tofacitinib is filtered out
  ASSERT_EQ(d.unmapped.size(), 1u);
  EXPECT_EQ(d.unmapped[0].first, "FOOBARINE");
  FaersOptions all;
  all.roles = {"PS", "SS", "C", "I"};
  auto with_c = read_faers({dir.string()}, n, all);
  ASSERT_TRUE(with_c.is_ok());
  EXPECT_EQ(with_c.value().corpus.pairs.size(), 6u);
  fs::remove_all(dir);
}

// Writes a zip with the given (entry name, content) pairs, as FDA's faers_ascii_*.zip are laid out.
void write_zip(const fs::path& p, const std::vector<std::pair<std::string, std::string>>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  ASSERT_EQ(archive_write_open_filename(a, p.c_str()), ARCHIVE_OK);
  for (const auto& [name, text] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(text.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, text.data(), text.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// A legacy LAERS quarter (ISR/CASE keys, no caseversion, no prod_ai) in a folder and a FAERS
// quarter in a zip. Case 500 has two ISRs (the later one wins); case 600 moved from LAERS to FAERS
// (the FAERS version wins); LAERS ISR 6001 of case 700 has the same number as FAERS primaryid 6001
// of case 600 and must stay a different report.
TEST(PvFaers, ReadsZipFilesAndTheLegacyLaersLayout) {
  static const kb::LoadResult kb = kb::load_embedded();
  DrugNormaliser n(kb_drug_names(*kb.kb));
  fs::path dir = fs::temp_directory_path() / ("paraderm_laers_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "aers" / "ascii");
  write(
      dir / "aers/ascii/DEMO12Q2.TXT",
      "ISR$CASE$I_F_COD$FOLL_SEQ$FDA_DT\r\n4000001$500$I$$20120401\r\n4000002$500$F$1$20120502\r\n"
      "4000003$600$I$$20120403\r\n6001$700$I$$20120404\r\n");
  write(dir / "aers/ascii/DRUG12Q2.TXT",
        "ISR$DRUG_SEQ$ROLE_COD$DRUGNAME\r\n4000001$1$PS$HUMIRA\r\n4000002$1$PS$REMICADE\r\n4000003$"
        "1$PS$ENBREL\r\n"
        "6001$1$SS$COSENTYX\r\n");
  write(
      dir / "aers/ascii/REAC12Q2.TXT",
      "ISR$PT\r\n4000001$Arthralgia\r\n4000002$Psoriasis\r\n4000003$Psoriasis\r\n6001$Eczema\r\n");
  write_zip(
      dir / "faers_ascii_2013q1.zip",
      {{"ASCII/DEMO13Q1.txt",
        "primaryid$caseid$caseversion$i_f_code$fda_dt\n6001$600$1$F$20130105\n"},
       {"ASCII/DRUG13Q1.txt",
        "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai\n6001$600$1$PS$Enbrel$ETANERCEPT\n"},
       {"ASCII/REAC13Q1.txt", "primaryid$caseid$pt$drug_rec_act\n6001$600$Lupus-like syndrome$\n"},
       {"ASCII/ASC_NTS.pdf", "not text"}});
  // The folder (with the zip inside) and, separately, the zip alone.
  auto r = read_faers({dir.string()}, n);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const FaersReport& d = r.value().input;
  EXPECT_EQ(d.reports_read, 5u);
  EXPECT_EQ(d.laers_reports, 4u);
  EXPECT_EQ(d.superseded, 2u);
  EXPECT_EQ(d.reports_kept, 3u);
  EXPECT_EQ(d.malformed, 0u);
  EXPECT_EQ(corpus_reports(r.value().corpus),
            (std::set<std::set<std::pair<std::string, std::string>>>{
                {{"infliximab", "PSORIASIS"}},
                {{"etanercept", "LUPUS-LIKE SYNDROME"}},
                {{"secukinumab", "ECZEMA"}}}));
  auto zip_only = read_faers({(dir / "faers_ascii_2013q1.zip").string()}, n);
  ASSERT_TRUE(zip_only.is_ok()) << zip_only.status().message();
  EXPECT_EQ(corpus_reports(zip_only.value().corpus),
            (std::set<std::set<std::pair<std::string, std::string>>>{
                {{"etanercept", "LUPUS-LIKE SYNDROME"}}}));
  // Bad inputs name the value and what was expected.
  auto missing = read_faers({(dir / "nope").string()}, n);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("expected a folder of FAERS/LAERS quarterly files"),
            std::string::npos);
  write(dir / "broken.zip", "PK not really a zip");
  auto broken = read_faers({(dir / "broken.zip").string()}, n);
  ASSERT_FALSE(broken.is_ok());
  EXPECT_NE(broken.status().message().find("broken.zip"), std::string::npos)
      << broken.status().message();
  fs::remove_all(dir);
}

// Report 1001: adalimumab given for psoriasis, reactions psoriasis and pneumonia; report 2001:
// adalimumab for Crohn's disease, reaction psoriasis (a paradoxical reaction). Dropping indication
// events removes only 1001's psoriasis.
TEST(PvFaers, DropsReactionsThatAreTheReportsIndicationOnlyWhenAsked) {
  static const kb::LoadResult kb = kb::load_embedded();
  DrugNormaliser n(kb_drug_names(*kb.kb));
  fs::path dir = fs::temp_directory_path() / ("paraderm_indi_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  write(dir / "DEMO24Q1.txt",
        "primaryid$caseid$caseversion$fda_dt\n1001$100$1$20240101\n2001$200$1$20240101\n");
  write(dir / "DRUG24Q1.txt",
        "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai\n1001$100$1$PS$HUMIRA$ADALIMUMAB\n"
        "2001$200$1$PS$HUMIRA$ADALIMUMAB\n");
  write(dir / "REAC24Q1.txt",
        "primaryid$caseid$pt$drug_rec_act\n1001$100$Psoriasis$\n1001$100$Pneumonia$\n"
        "2001$200$Psoriasis$\n");
  write(
      dir / "INDI24Q1.txt",
      "primaryid$caseid$indi_drug_seq$indi_pt\n1001$100$1$psoriasis\n2001$200$1$Crohn's disease\n");
  using Reports = std::set<std::set<std::pair<std::string, std::string>>>;
  auto kept = read_faers({dir.string()}, n);
  ASSERT_TRUE(kept.is_ok()) << kept.status().message();
  EXPECT_EQ(corpus_reports(kept.value().corpus),
            (Reports{{{"adalimumab", "PSORIASIS"}, {"adalimumab", "PNEUMONIA"}},
                     {{"adalimumab", "PSORIASIS"}}}));
  EXPECT_EQ(kept.value().input.indication_events_dropped, 0u);
  FaersOptions drop;
  drop.drop_indication_events = true;
  auto dropped = read_faers({dir.string()}, n, drop);
  ASSERT_TRUE(dropped.is_ok()) << dropped.status().message();
  EXPECT_EQ(corpus_reports(dropped.value().corpus),
            (Reports{{{"adalimumab", "PNEUMONIA"}}, {{"adalimumab", "PSORIASIS"}}}));
  EXPECT_EQ(dropped.value().input.indication_events_dropped, 1u);
  // Asked for, but no INDI file: said, not ignored.
  fs::remove(dir / "INDI24Q1.txt");
  auto missing = read_faers({dir.string()}, n, drop);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("no INDI file"), std::string::npos)
      << missing.status().message();
  fs::remove_all(dir);
}

// Blocks far smaller than the files: lines split across blocks are reassembled and line numbers
// in problems stay right.
TEST(PvFaers, SmallBlocksGiveTheSameCorpusAndLineNumbers) {
  static const kb::LoadResult kb = kb::load_embedded();
  DrugNormaliser n(kb_drug_names(*kb.kb));
  fs::path dir = fs::temp_directory_path() / ("paraderm_blocks_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string demo = "primaryid$caseid$caseversion$fda_dt\n",
              drug = "primaryid$role_cod$drugname$prod_ai\n", reac = "primaryid$pt\n";
  for (int i = 1; i <= 3000; ++i) {
    demo += fmt::format("{}1${}$1$20240101\n", i, i);
    drug += fmt::format("{}1$PS$DRUG{}$\n", i, i % 7);
    reac += fmt::format("{}1$EVENT{}\n", i, i % 11);
  }
  reac += "not-a-number$X\n";  // line 3002
  write(dir / "DEMO24Q1.txt", demo);
  write(dir / "DRUG24Q1.txt", drug);
  write(dir / "REAC24Q1.txt", reac);
  FaersOptions small;
  small.block_bytes = 100;  // raised to the 4 KiB minimum: still ~10 blocks per file
  auto a = read_faers({dir.string()}, n, small);
  auto b = read_faers({dir.string()}, n);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(a.value().corpus.reports(), 3000u);
  EXPECT_EQ(a.value().corpus.pairs, b.value().corpus.pairs);
  EXPECT_EQ(a.value().corpus.drugs, b.value().corpus.drugs);
  ASSERT_EQ(a.value().input.problems.size(), 1u);
  EXPECT_NE(a.value().input.problems[0].find("REAC24Q1.txt:3002: primaryid must be a number"),
            std::string::npos)
      << a.value().input.problems[0];
  fs::remove_all(dir);
}

}  // namespace
}  // namespace paraderm::pv

namespace paraderm::pv {
namespace {

TEST(PvStore, RoundTripsTheCorpusAndScoresAndRejectsADamagedStore) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("paraderm_pvstore_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::vector<Row> rows = {{"1", "dupilumab", "PSORIASIS", "F"},
                           {"1", "dupilumab", "ARTHRALGIA", "F"},
                           {"2", "secukinumab", "ECZEMA", ""},
                           {"3", "a,b \"quoted\"", "X", "M"}};
  Corpus c = corpus_from_rows(rows);
  SignalTable t = score(c);
  ASSERT_TRUE(save_store(dir.string(), c, &t, {"test", ""}).is_ok());
  auto back = load_store_corpus(dir.string());
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back.value().drugs, c.drugs);
  EXPECT_EQ(back.value().events, c.events);
  EXPECT_EQ(back.value().strata, c.strata);
  EXPECT_EQ(back.value().report_stratum, c.report_stratum);
  EXPECT_EQ(back.value().report_begin, c.report_begin);
  EXPECT_EQ(back.value().pairs, c.pairs);
  auto scores = load_store_signals(dir.string());
  ASSERT_TRUE(scores.is_ok()) << scores.status().message();
  ASSERT_EQ(scores.value().scores.size(), t.scores.size());
  EXPECT_EQ(scores.value().source, "test");
  EXPECT_EQ(scores.value().fit.theta.alpha2, t.fit.theta.alpha2);
  const Score* s = scores.value().find("Dupilumab", "psoriasis");  // case-insensitive
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->n, 1);
  EXPECT_EQ(s->post.eb05, t.find("dupilumab", "PSORIASIS")->post.eb05);
  EXPECT_EQ(scores.value().find("dupilumab", "ECZEMA"), nullptr);  // never reported together
  // Without scores the store still loads its corpus and says it has no scores.
  ASSERT_TRUE(save_store(dir.string(), c, nullptr, {"test", ""}).is_ok());
  EXPECT_EQ(load_store_signals(dir.string()).status().code(), Status::Code::kNotFound);
  fs::resize_file(dir / "pairs.u64", 10);  // truncated
  auto damaged = load_store_corpus(dir.string());
  ASSERT_FALSE(damaged.is_ok());
  EXPECT_NE(damaged.status().message().find("truncated or damaged"), std::string::npos);
  EXPECT_FALSE(load_store_corpus((dir / "missing").string()).is_ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace paraderm::pv
