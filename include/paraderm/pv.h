// Pharmacovigilance: disproportionality statistics from report-level data (long format: one row
// per report × drug × event). Formulas as in standards-and-anchors.md §3 (openEBGM, PhViD, pvda):
// counts from unique report ids, ROR, PRR with chi-square, the shrinkage IC, and EBGM with the
// MGPS two-gamma-mixture prior fitted by maximum likelihood.
//
// Contract: counts are non-negative; a statistic that is undefined for a table (a zero cell) is
// +inf or NaN as stated per field, never a silent 0.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "paraderm/status.h"

namespace paraderm::pv {

// --- frequentist and shrinkage statistics for one drug-event pair -------------------------------

struct Disproportionality {
  double n = 0, expected = 0, rr = 0;
  double ror = 0, ror_lo = 0, ror_hi = 0;  // inf / NaN when a cell is 0
  double prr = 0, prr_lo = 0, prr_hi = 0;
  double chi2 = 0, chi2_yates = 0;
  double ic = 0, ic025 = 0, ic975 = 0;
};

// a: reports with drug and event; n_drug, n_event: margins; total: reports; expected: E (the
// stratified E when strata are used, else n_drug * n_event / total).
// Without `ic_interval` ic025/ic975 are left NaN (they depend on a and expected only: a caller
// scoring many pairs computes them once per distinct (a, expected)).
Disproportionality disproportionality(double a, double n_drug, double n_event, double total,
                                      double expected, bool ic_interval = true);

// --- MGPS / EBGM -------------------------------------------------------------------------------

struct MgpsPrior {
  double alpha1 = 0, beta1 = 0, alpha2 = 0, beta2 = 0, p = 0;  // rate parametrisation
};

// One start point of the fit and where it ended (the per-start table of `pv fit`, as openEBGM's
// exploreHypers lists its guesses). `theta` is as the optimiser left it (components not reordered).
struct MgpsStart {
  MgpsPrior start, theta;
  double neg_log_lik = 0;
  bool converged = false;
  std::string method;  // "BFGS", or the Nelder-Mead fallbacks that replaced its result
};

struct MgpsFit {
  MgpsPrior theta;
  double neg_log_lik = 0;
  bool converged = false;
  int starts = 0, starts_converged = 0, starts_agreeing = 0;
  std::string message;
  std::vector<MgpsStart> start_table;
};

// -log L of the counts `n` (>= min_count) with expected counts `e`, conditional on n >= min_count
// (min_count 1: the "no zeros" likelihood), optional weights (data squashing).
double mgps_neg_log_lik(const MgpsPrior& theta, std::span<const double> n,
                        std::span<const double> e, std::span<const double> weights = {},
                        int min_count = 1);

// The same -log L with its gradient with respect to (alpha1, beta1, alpha2, beta2, p), evaluated
// as the fit does it (identical (n, E) points merged, log-gamma differences per distinct count);
// value is the largest double where -log L is not finite.
struct MgpsNegLogLikGradient {
  double value = 0;
  std::array<double, 5> gradient{};
};
MgpsNegLogLikGradient mgps_neg_log_lik_gradient(const MgpsPrior& theta, std::span<const double> n,
                                                std::span<const double> e,
                                                std::span<const double> weights = {},
                                                int min_count = 1);

// Maximum likelihood from six start points: BFGS with the analytic gradient on log/logit
// parameters (|x| <= 30), the starts run in parallel (oneTBB). Nelder-Mead takes over where BFGS
// does not converge, and reruns a start as the previous fit did (Nelder-Mead from the start point)
// when fewer than two starts agree or the start stopped at an effectively one-gamma mixture.
// converged: at least two converged starts agree on -log L (to 1e-3 relative); the first component
// is the one with the smaller prior mean.
MgpsFit fit_mgps(std::span<const double> n, std::span<const double> e,
                 std::span<const double> weights = {}, int min_count = 1);

// The previous optimiser, kept as a reference: Nelder-Mead from the same starts, one after
// another, same reporting (caers.csv on one core: 1.2 s against fit_mgps's 0.13 s).
MgpsFit fit_mgps_nelder_mead(std::span<const double> n, std::span<const double> e,
                             std::span<const double> weights = {}, int min_count = 1);

// Data squashing (DuMouchel & Pregibon 2001, as openEBGM's squashData): for each count value with
// at least `min_pts` pairs, sort by E, keep the `keep_pts` largest-E points as they are and replace
// the others by bins of `bin_size` consecutive points (count, mean E, weight = points in the bin).
struct Squashed {
  std::vector<double> n, e, weight;
};
struct SquashOptions {
  std::size_t bin_size = 50, min_pts = 500, keep_pts = 100;
};
Squashed squash(std::span<const double> n, std::span<const double> e,
                const SquashOptions& options = {});

// Standard errors of a fitted prior from the observed information: the Hessian of -log L in the
// natural parameters (alpha1, beta1, alpha2, beta2, p), as openEBGM's conf_ints (optimHess), by
// central differences of the analytic gradient. se is NaN when the Hessian is not positive
// definite (the optimum is on an edge or not a minimum); `message` then says so.
struct MgpsStandardErrors {
  std::array<std::array<double, 5>, 5> hessian{};
  std::array<double, 5> se{};
  bool ok = false;
  std::string message;
};
MgpsStandardErrors mgps_standard_errors(const MgpsPrior& theta, std::span<const double> n,
                                        std::span<const double> e,
                                        std::span<const double> weights = {}, int min_count = 1);

// How Q_n, the posterior weight of the first prior component, is computed.
enum class QnRule {
  // DuMouchel 1999 eq. 6, as openEBGM's Qn(): P f1(n) / (P f1(n) + (1 - P) f2(n)) with the
  // untruncated negative-binomial marginals f_j.
  kPublished,
  // Each marginal divided by 1 - P(N < min_count) under its component: the likelihood the prior
  // was fitted with (the counts seen are those >= min_count). Kept for comparison with earlier
  // paraderm output; under a component fitted near alpha -> 0 the published weights give that
  // component almost no posterior weight.
  kConditional,
};
const char* to_string(QnRule rule);

struct Posterior {
  double q = 0;  // posterior weight of the first component (Q_n)
  double ebgm = 0, eb05 = 0, eb95 = 0;
};
// Posterior of lambda for a pair observed n times with expected count e under the prior theta:
// Gamma(alpha1 + n, beta1 + e) with weight Q_n and Gamma(alpha2 + n, beta2 + e) with 1 - Q_n.
// `min_count` matters only for QnRule::kConditional (the one the prior was fitted with).
// EB05/EB95 are the posterior mixture's quantiles (to ~1e-10 relative). Pure and thread-safe.
Posterior mgps_posterior(const MgpsPrior& theta, double n, double e, QnRule qn = QnRule::kPublished,
                         int min_count = 1);
// Q_n alone.
double mgps_qn(const MgpsPrior& theta, double n, double e, QnRule qn = QnRule::kPublished,
               int min_count = 1);
// The p-quantile (0 < p < 1) of the posterior of lambda with first-component weight q (Q_n).
double mgps_posterior_quantile(const MgpsPrior& theta, double n, double e, double q, double p);

}  // namespace paraderm::pv
