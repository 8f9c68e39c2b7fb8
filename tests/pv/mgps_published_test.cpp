// MGPS as published: the posterior of DuMouchel 1999 (eq. 6 for Q_n, eqs. 9-11 for EBGM, the
// posterior mixture's quantiles) under openEBGM's published caers hyperparameters, against a
// reference written here from the paper in long double: Q_n from the untruncated
// negative-binomial marginals, the digamma by recurrence and its asymptotic series, the gamma CDF
// by its power series alone (no continued fraction, no asymptotic form) and the quantiles by
// plain bisection on lambda. Nothing here is taken from paraderm's output.
//
// Data: tests/pv/data/caers_unstratified_subset.csv — 39 drug-event pairs of shared/data/caers.csv
// (openEBGM 0.9.1's caers data) with N and E as openEBGM's processRaw(caers) counts them
// (unstratified: N = unique reports naming both, E = n_drug * n_event / 3356 reports), computed
// with an independent Python count of the CSV and written at full precision. The first six rows
// are the ones openEBGM's posterior vignette prints.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "../test_support.h"
#include "paraderm/pv_data.h"

namespace paraderm::pv {
namespace {

using Real = long double;

// openEBGM 0.9.1, vignette "Hyperparameter Estimation"
// (inst/doc/vignette03-hyperparameterEstimation.html, https://CRAN.R-project.org/package=openEBGM):
// hyper_estimates_full$estimates, the full-data autoHyper (nlminb) fit on processRaw(caers):
// "3.25596685 0.39998994 2.02376139 1.90614108 0.06530755", minimum 4162.456.
constexpr MgpsPrior kCaersFull{3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755};
// openEBGM 0.9.1, vignette "Empirical Bayes Metrics" (vignette04-posteriorCalculation.html):
// theta_hat from the twice-squashed data, "3.25379356 0.39988854 2.02612692 1.90807970 0.06534557",
// with which it prints Q_n, EBGM, QUANT_05 and QUANT_95 of the first rows of processRaw(caers).
constexpr MgpsPrior kCaersVignette{3.25379356, 0.39988854, 2.02612692, 1.90807970, 0.06534557};

struct Pair {
  std::string drug, event;
  double n, e;
};

std::vector<Pair> subset() {
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) +
                   "/tests/pv/data/caers_unstratified_subset.csv");
  std::vector<Pair> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // N and E are the last two fields (names may hold quoted commas).
    std::size_t c2 = line.rfind(','), c1 = line.rfind(',', c2 - 1);
    Pair p;
    p.drug = line.substr(0, c1);
    p.n = std::stod(line.substr(c1 + 1, c2 - c1 - 1));
    p.e = std::stod(line.substr(c2 + 1));
    out.push_back(p);
  }
  return out;
}

// --- the reference, from the paper -------------------------------------------------------------

// log f(n) of the negative binomial with size alpha and probability beta / (beta + e) (eq. 5).
Real log_nb(Real n, Real alpha, Real beta, Real e) {
  return std::lgamma(alpha + n) - std::lgamma(alpha) - std::lgamma(n + 1) +
         alpha * std::log(beta / (beta + e)) + n * std::log(e / (beta + e));
}

// Eq. 6 with the untruncated marginals; with `truncate_below` > 0 each marginal is divided by
// P(N >= truncate_below) under its component (the conditional rule).
Real qn(const MgpsPrior& t, Real n, Real e, int truncate_below = 0) {
  Real l1 = log_nb(n, t.alpha1, t.beta1, e), l2 = log_nb(n, t.alpha2, t.beta2, e);
  if (truncate_below > 0) {
    Real below1 = 0, below2 = 0;
    for (int k = 0; k < truncate_below; ++k) {
      below1 += std::exp(log_nb(k, t.alpha1, t.beta1, e));
      below2 += std::exp(log_nb(k, t.alpha2, t.beta2, e));
    }
    l1 -= std::log(1 - below1);
    l2 -= std::log(1 - below2);
  }
  Real p = t.p;
  return 1 / (1 + (1 - p) / p * std::exp(l2 - l1));
}

Real digamma(Real x) {
  Real r = 0;
  for (; x < 30; x += 1) r -= 1 / x;
  Real f = 1 / (x * x);
  // psi(x) ~ ln x - 1/(2x) - sum B_2k / (2k x^2k)
  return r + std::log(x) - 1 / (2 * x) -
         f * (Real(1) / 12 - f * (Real(1) / 120 -
                                  f * (Real(1) / 252 - f * (Real(1) / 240 - f * (Real(1) / 132)))));
}

// Regularised lower incomplete gamma by its power series only:
// P(a, x) = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a + 1) ... (a + k)).
Real gamma_p(Real a, Real x) {
  if (x <= 0) return 0;
  Real term = 1, sum = 1;
  for (int k = 1; k < 100000; ++k) {
    term *= x / (a + k);
    sum += term;
    if (term < sum * 1e-21L) break;
  }
  return std::exp(a * std::log(x) - x - std::lgamma(a + 1)) * sum;
}

struct Reference {
  Real q, ebgm;
  Real quantile(Real p) const {
    Real lo = 0, hi = 1;
    while (cdf(hi) < p) hi *= 2;
    for (int i = 0; i < 200; ++i) {
      Real mid = (lo + hi) / 2;
      (cdf(mid) < p ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
  }
  Real cdf(Real lambda) const {
    return q * gamma_p(t.alpha1 + n, (t.beta1 + e) * lambda) +
           (1 - q) * gamma_p(t.alpha2 + n, (t.beta2 + e) * lambda);
  }
  MgpsPrior t;
  Real n, e;
};

Reference reference(const MgpsPrior& t, Real n, Real e, int truncate_below = 0) {
  Reference r;
  r.t = t;
  r.n = n;
  r.e = e;
  r.q = qn(t, n, e, truncate_below);
  // Eqs. 9-11: EBGM = exp(E[ln lambda]) with E[ln lambda | component j] = psi(alpha_j + n) -
  // ln(beta_j + e).
  Real elog = r.q * (digamma(t.alpha1 + n) - std::log(t.beta1 + e)) +
              (1 - r.q) * (digamma(t.alpha2 + n) - std::log(t.beta2 + e));
  r.ebgm = std::exp(elog);
  return r;
}

double rel(double got, Real want) { return static_cast<double>(std::abs((got - want) / want)); }

// --- the tests ---------------------------------------------------------------------------------

TEST(PvMgpsPublished, SubsetMatchesEquationSixAndTheGammaMixturePosterior) {
  auto pairs = subset();
  ASSERT_EQ(pairs.size(), 39u);
  for (const auto& p : pairs) {
    Reference want = reference(kCaersFull, p.n, p.e);
    Posterior got = mgps_posterior(kCaersFull, p.n, p.e);  // the default rule: as published
    std::string where = p.drug + " N " + std::to_string(p.n) + " E " + std::to_string(p.e);
    EXPECT_LT(rel(got.q, want.q), 1e-12) << where;
    EXPECT_LT(rel(got.ebgm, want.ebgm), 1e-12) << where;
    EXPECT_LT(rel(got.eb05, want.quantile(0.05L)), 1e-9) << where;
    EXPECT_LT(rel(got.eb95, want.quantile(0.95L)), 1e-9) << where;
    for (Real prob : {0.025L, 0.5L, 0.975L}) {
      EXPECT_LT(rel(mgps_posterior_quantile(kCaersFull, p.n, p.e, got.q, static_cast<double>(prob)),
                    want.quantile(prob)),
                1e-9)
          << where << " p " << static_cast<double>(prob);
    }
  }
}

// The conditional rule is a different weight (each marginal divided by 1 - f(0)); it matches the
// truncated reference and not the published one.
TEST(PvMgpsPublished, ConditionalRuleDividesEachMarginalByOneMinusFZero) {
  int differ = 0;
  for (const auto& p : subset()) {
    Reference want = reference(kCaersFull, p.n, p.e, 1),
              published = reference(kCaersFull, p.n, p.e);
    Posterior got = mgps_posterior(kCaersFull, p.n, p.e, QnRule::kConditional, 1);
    EXPECT_LT(rel(got.q, want.q), 1e-12) << p.drug;
    EXPECT_LT(rel(got.ebgm, want.ebgm), 1e-12) << p.drug;
    EXPECT_LT(rel(got.eb05, want.quantile(0.05L)), 1e-9) << p.drug;
    differ += rel(got.ebgm, published.ebgm) > 1e-3;
  }
  EXPECT_GT(differ, 20);  // at this theta the two rules disagree (> 0.1 %) on most pairs
}

// openEBGM's own printed output (vignette04): Q_n to 7 digits ("0.2819737 0.3409653 0.3482317
// 0.2819737 0.2226356 0.2556670"), EBGM rounded to 2 decimals (ebgm(), digits = 2) and
// QUANT_05 / QUANT_95 from quantBisect (bisection to a half-width of 0.005, then rounded to 2
// decimals: within 0.01 of the exact quantile).
TEST(PvMgpsPublished, MatchesTheValuesOpenEbgmPrints) {
  auto pairs = subset();
  ASSERT_GE(pairs.size(), 6u);
  const double qn_printed[] = {0.2819737, 0.3409653, 0.3482317, 0.2819737, 0.2226356, 0.2556670};
  const double ebgm_printed[] = {2.23, 2.58, 2.63, 2.23, 1.92, 2.09};
  const double q05_printed[] = {0.49, 0.52, 0.52, 0.49, 0.47, 0.48};
  const double q95_printed[] = {13.85, 15.78, 16.02, 13.85, 11.77, 12.95};
  for (std::size_t i = 0; i < 6; ++i) {
    Posterior got = mgps_posterior(kCaersVignette, pairs[i].n, pairs[i].e);
    EXPECT_NEAR(got.q, qn_printed[i], 5e-8) << i;
    EXPECT_NEAR(got.ebgm, ebgm_printed[i], 0.005 + 1e-12) << i;
    EXPECT_NEAR(got.eb05, q05_printed[i], 0.01) << i;
    EXPECT_NEAR(got.eb95, q95_printed[i], 0.01) << i;
    // The conditional weights do not reproduce openEBGM (the reason the default changed).
    EXPECT_GT(
        std::abs(mgps_posterior(kCaersVignette, pairs[i].n, pairs[i].e, QnRule::kConditional).q -
                 qn_printed[i]),
        1e-3)
        << i;
  }
}

// On the whole of caers.csv (unstratified, as processRaw(caers)): -log L at openEBGM's full-data
// optimum is its printed minimum (4162.456), and scoring with a given prior (no fit) gives
// openEBGM's summary(qn) (vignette04: "Min. 0.0001205 ... Mean 0.2846021 ... Max. 0.9999997").
TEST(PvMgpsPublished, CaersWithAGivenPriorMatchesOpenEbgmsSummaries) {
  std::string path = paraderm::testing::shared_data("caers.csv");
  if (path.empty()) GTEST_SKIP() << "shared/data/caers.csv not present";
  auto data = read_long_csv(path, CsvColumns{"id", "var1", "var2", {}});
  ASSERT_TRUE(data.is_ok());
  ScoreOptions options;
  options.prior = kCaersFull;
  SignalTable full = score(data.value().corpus, options);
  EXPECT_TRUE(full.prior_given);
  EXPECT_EQ(full.fit.theta.alpha1, kCaersFull.alpha1);  // given, not refitted or reordered
  EXPECT_NEAR(full.fit.neg_log_lik, 4162.456, 5e-4);
  options.prior = kCaersVignette;
  SignalTable t = score(data.value().corpus, options);
  ASSERT_EQ(t.scores.size(), 17189u);
  Real sum = 0;
  double lo = 1, hi = 0;
  for (const auto& s : t.scores) {
    sum += s.post.q;
    lo = std::min(lo, s.post.q);
    hi = std::max(hi, s.post.q);
  }
  EXPECT_NEAR(static_cast<double>(sum / t.scores.size()), 0.2846021, 5e-8);
  // score() computes the posterior and the IC interval once per distinct (n, E): every pair still
  // gets exactly what its own computation gives.
  for (std::size_t i = 0; i < t.scores.size(); i += 7) {
    const Score& s = t.scores[i];
    Posterior one = mgps_posterior(kCaersVignette, s.n, s.expected);
    Disproportionality d = disproportionality(s.n, s.n_drug, s.n_event, s.total, s.expected);
    ASSERT_EQ(s.post.q, one.q);
    ASSERT_EQ(s.post.ebgm, one.ebgm);
    ASSERT_EQ(s.post.eb05, one.eb05);
    ASSERT_EQ(s.post.eb95, one.eb95);
    ASSERT_EQ(s.d.ic025, d.ic025);
    ASSERT_EQ(s.d.ic975, d.ic975);
    ASSERT_EQ(s.d.chi2, d.chi2);
  }
  EXPECT_NEAR(lo, 0.0001205, 5e-8);
  EXPECT_NEAR(hi, 0.9999997, 5e-8);
  // Every subset pair's N and E are the counts of the whole file.
  for (const auto& p : subset()) {
    bool found = false;
    for (const auto& s : t.scores) {
      if (s.n == p.n && s.expected == p.e) found = true;
    }
    EXPECT_TRUE(found) << p.drug << " N " << p.n << " E " << p.e;
  }
}

// Standard errors: the Hessian from the analytic gradient against second differences of the
// point-by-point likelihood, and the SEs are the square roots of the inverse's diagonal.
TEST(PvMgpsPublished, StandardErrorsComeFromTheHessianOfTheLikelihood) {
  std::string path = paraderm::testing::shared_data("caers.csv");
  if (path.empty()) GTEST_SKIP() << "shared/data/caers.csv not present";
  auto data = read_long_csv(path, CsvColumns{"id", "var1", "var2", {}});
  ASSERT_TRUE(data.is_ok());
  std::vector<double> n, e;
  for (const auto& p : count_pairs(data.value().corpus)) {
    n.push_back(p.n);
    e.push_back(p.expected);
  }
  MgpsFit fit = fit_mgps(n, e);
  ASSERT_TRUE(fit.converged);
  MgpsStandardErrors se = mgps_standard_errors(fit.theta, n, e);
  ASSERT_TRUE(se.ok) << se.message;
  const double x0[5] = {fit.theta.alpha1, fit.theta.beta1, fit.theta.alpha2, fit.theta.beta2,
                        fit.theta.p};
  auto f = [&](const double* x) { return mgps_neg_log_lik({x[0], x[1], x[2], x[3], x[4]}, n, e); };
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      double hi = 1e-3 * x0[i], hj = 1e-3 * x0[j];
      double x[5];
      auto at = [&](double si, double sj) {
        std::copy(x0, x0 + 5, x);
        x[i] += si * hi;
        x[j] += sj * hj;
        return f(x);
      };
      double h2 = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hi * hj);
      EXPECT_NEAR(se.hessian[i][j], h2,
                  2e-3 * std::sqrt(std::abs(se.hessian[i][i] * se.hessian[j][j])))
          << i << "," << j;
    }
  }
  // The SEs against the inverse by Gauss-Jordan elimination.
  double a[5][10] = {};
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) a[i][j] = se.hessian[i][j];
    a[i][5 + i] = 1;
  }
  for (int c = 0; c < 5; ++c) {
    int piv = c;
    for (int r = c + 1; r < 5; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[piv][c])) piv = r;
    }
    std::swap(a[c], a[piv]);
    for (int r = 0; r < 5; ++r) {
      if (r == c) continue;
      double m = a[r][c] / a[c][c];
      for (int k = 0; k < 10; ++k) a[r][k] -= m * a[c][k];
    }
  }
  for (int i = 0; i < 5; ++i)
    EXPECT_NEAR(se.se[i], std::sqrt(a[i][5 + i] / a[i][i]), 1e-9 * se.se[i]) << i;
  // The per-start table has every start.
  EXPECT_EQ(fit.start_table.size(), 6u);
  // Two equal components: p is not identified (the Hessian's p row is zero), so the SEs are
  // undefined, not made up.
  MgpsStandardErrors off = mgps_standard_errors(
      {fit.theta.alpha1, fit.theta.beta1, fit.theta.alpha1, fit.theta.beta1, 0.5}, n, e);
  EXPECT_FALSE(off.ok);
  EXPECT_TRUE(std::isnan(off.se[0]));
}

}  // namespace
}  // namespace paraderm::pv

namespace paraderm::pv {
namespace {

// Several stratum columns combine (openEBGM's strat* columns): the strata are the value
// combinations. By hand, for drug A x event X (reports r1 A-X F/young, r2 B-X F/old, r3 A-Y F/old,
// r4 B-Y M/young): strata F|young {r1}: 1*1/1; F|old {r2, r3}: 1*1/2; M|young {r4}: 0 -> E = 1.5.
// With sex alone E = 2*2/3 = 1.333..., with age alone 1*1/2 + 1*1/2 = 1, unstratified 2*2/4 = 1.
TEST(PvMgpsPublished, SeveralStratumColumnsCombine) {
  std::string path = ::testing::TempDir() + "/paraderm_two_strata.csv";
  {
    std::ofstream out(path);
    out << "id,drug,event,sex,age\n1,A,X,F,young\n2,B,X,F,old\n3,A,Y,F,old\n4,B,Y,M,young\n";
  }
  auto expected_ax = [&](std::vector<std::string> strata) {
    auto data = read_long_csv(path, CsvColumns{"id", "drug", "event", strata});
    EXPECT_TRUE(data.is_ok());
    const Corpus& c = data.value().corpus;
    for (const auto& p : count_pairs(c)) {
      if (c.drugs[p.drug] == "A" && c.events[p.event] == "X") return p.expected;
    }
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(expected_ax({"sex", "age"}), 1.5);
  EXPECT_DOUBLE_EQ(expected_ax({"sex"}), 4.0 / 3);
  EXPECT_DOUBLE_EQ(expected_ax({"age"}), 1.0);
  EXPECT_DOUBLE_EQ(expected_ax({}), 1.0);
  auto missing = read_long_csv(path, CsvColumns{"id", "drug", "event", {"sex", "nope"}});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("--stratum-col: value \"nope\""), std::string::npos);
}

}  // namespace
}  // namespace paraderm::pv
