// Disproportionality statistics and the MGPS fit (standards-and-anchors.md §3.2).
//
// The posterior quantiles are Halley steps on the mixture CDF in log lambda, safeguarded by a
// bracket.
#include <math.h>  // lgamma_r: std::lgamma writes the global signgam, a data race between threads

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "paraderm/pv.h"

namespace paraderm::pv {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ975 = 1.959963984540054;  // standard normal 97.5 % quantile
constexpr double kTwoPi = 6.283185307179586;

// Thread-safe log|Gamma(x)|.
double lgam(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2) for a >= 50 (Stirling series; the first
// omitted term is below 1e-18 there).
double stirling_error(double a) {
  double r = 1 / a, r2 = r * r;
  return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
}

// log(x^a e^-x / Gamma(a)) (x times the Gamma(a, 1) density); `lga` = lgamma(a). For large
// shapes it is written around x = a so that no large terms cancel: the error is then of order
// eps * |x - a| instead of eps * a * |log x|.
double log_gamma_kernel(double a, double lga, double x) {
  if (a >= 50) {
    double t = (x - a) / a;
    return a * (std::log1p(t) - t) + 0.5 * std::log(a / kTwoPi) - stirling_error(a);
  }
  return a * std::log(x) - x - lga;
}

struct GammaCdf {
  double p = 0;       // P(a, x)
  double kernel = 0;  // x^a e^-x / Gamma(a), i.e. x times the density, dP/d(log x)
};

// Regularised lower incomplete gamma with its kernel: the series for x < a + 1, else the
// continued fraction for Q (modified Lentz).
GammaCdf gamma_cdf(double a, double lga, double x) {
  if (x <= 0) return {0, 0};
  double k = std::exp(log_gamma_kernel(a, lga, x));
  if (x < a + 1) {
    double sum = 1 / a, term = sum;
    for (int n = 1; n < 10000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-16) break;
    }
    return {sum * k, k};
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-16) break;
  }
  return {1 - k * h, k};
}

// Approximate standard normal quantile (Abramowitz & Stegun 26.2.23, |error| < 4.5e-4): only a
// starting point.
double approx_normal_quantile(double p) {
  double pp = p < 0.5 ? p : 1 - p;
  double t = std::sqrt(-2 * std::log(pp));
  double z = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return p < 0.5 ? -z : z;
}

// Approximate p-quantile of Gamma(a, 1): Wilson-Hilferty, or the small-x form
// (p Gamma(a + 1))^(1/a) where that is not usable. Only a starting point.
double approx_gamma_quantile(double a, double p) {
  if (a >= 1) {
    double c = 1 / (9 * a), w = 1 - c + approx_normal_quantile(p) * std::sqrt(c);
    if (w > 0.05) return a * w * w * w;
  }
  return std::exp((std::log(p) + lgam(a + 1)) / a);
}

struct GammaTerm {
  double weight, shape, rate, lga;
};

// The p-quantile (0 < p < 1) of a mixture of gamma distributions: Halley steps on F(exp(u)) - p in
// u = log lambda (F' and F'' in u come from the kernels for free), safeguarded by the bracket the
// evaluations build; a step out of the bracket is replaced by bisection.
template <std::size_t K>
double mixture_quantile(const std::array<GammaTerm, K>& terms, double p) {
  // Start as if the components did not overlap: with components ordered by mean, the quantile is
  // in the one where the cumulative weight passes p, at the matching quantile of that component.
  std::array<std::size_t, K> order;
  for (std::size_t j = 0; j < K; ++j) order[j] = j;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return terms[a].shape * terms[b].rate < terms[b].shape * terms[a].rate;
  });
  double below = 0, u = kNaN;
  for (std::size_t j : order) {
    const auto& t = terms[j];
    if (t.weight <= 0) continue;
    double local = (p - below) / t.weight;
    below += t.weight;
    if (local < 1 || below >= 1) {
      u = std::log(approx_gamma_quantile(t.shape, std::clamp(local, 1e-12, 1 - 1e-12)) / t.rate);
      break;
    }
  }
  if (!std::isfinite(u)) u = 0;
  double lo = -kInf, hi = kInf;
  for (int it = 0; it < 200; ++it) {
    double f = -p, f1 = 0, f2 = 0;
    for (const auto& t : terms) {
      if (t.weight == 0) continue;
      double x = t.rate * std::exp(u);
      GammaCdf g = gamma_cdf(t.shape, t.lga, x);
      f += t.weight * g.p;
      f1 += t.weight * g.kernel;
      f2 += t.weight * g.kernel * (t.shape - x);
    }
    if (f == 0) return std::exp(u);
    (f < 0 ? lo : hi) = u;
    double step = kNaN, done = 0;
    if (f1 > 0) {
      double newton = -f / f1, halley = -2 * f * f1 / (2 * f1 * f1 - f * f2);
      // Halley where it agrees in direction with Newton and is not much longer. The error after
      // a step of size s is of order s^3 (Halley) or s^2 (Newton): stop when that is far below
      // 1e-15.
      if (std::isfinite(halley) && halley * newton > 0 && std::abs(halley) <= 2 * std::abs(newton)) {
        step = halley;
        done = 1e-7;
      } else {
        step = newton;
        done = 1e-10;
      }
      if (std::abs(step) <= done * std::max(1.0, std::abs(u))) return std::exp(u + step);
      step = std::clamp(step, -4.0, 4.0);
    }
    double next = u + step;
    if (!(next > lo && next < hi)) {  // also catches NaN
      if (std::isfinite(lo) && std::isfinite(hi)) {
        next = 0.5 * (lo + hi);
      } else {
        next = std::isfinite(lo) ? lo + 4 : hi - 4;
      }
    }
    if (hi - lo <= 1e-15 * std::max(1.0, std::abs(u))) return std::exp(next);
    u = next;
  }
  return std::exp(u);
}

// log of the negative-binomial marginal of n under Gamma(alpha, beta) and Poisson(lambda * e).
double log_nb(double n, double alpha, double beta, double e) {
  return lgam(alpha + n) - lgam(alpha) - lgam(n + 1) + alpha * std::log(beta / (beta + e)) +
         n * std::log(e / (beta + e));
}

double log_add(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

// Probability that a negative binomial count is below `k` (for the conditional likelihood).
double nb_cdf_below(int k, double alpha, double beta, double e) {
  if (k == 1) return std::exp(alpha * std::log(beta / (beta + e)));  // P(n = 0), no lgamma needed
  double s = 0;
  for (int i = 0; i < k; ++i) s += std::exp(log_nb(i, alpha, beta, e));
  return s;
}

// log P(N = n | N >= min_count). For min_count 1, 1 - P(N = 0) = -expm1(-alpha log1p(e / beta))
// keeps its precision when alpha e / beta is small.
double log_conditional_nb(double n, double alpha, double beta, double e, int min_count) {
  double l = log_nb(n, alpha, beta, e);
  if (min_count == 1) {
    l -= std::log(-std::expm1(-alpha * std::log1p(e / beta)));
  } else if (min_count > 1) {
    l -= std::log1p(-nb_cdf_below(min_count, alpha, beta, e));
  }
  return l;
}

MgpsPrior from_vector(const std::array<double, 5>& v) {
  return {std::exp(v[0]), std::exp(v[1]), std::exp(v[2]), std::exp(v[3]), 1 / (1 + std::exp(-v[4]))};
}

std::array<double, 5> to_vector(const MgpsPrior& t) {
  return {std::log(t.alpha1), std::log(t.beta1), std::log(t.alpha2), std::log(t.beta2), std::log(t.p / (1 - t.p))};
}

// Nelder-Mead minimisation; returns the best point and whether the simplex converged.
template <class F>
std::pair<std::array<double, 5>, bool> nelder_mead(F f, std::array<double, 5> x0, int max_iter) {
  constexpr int n = 5;
  std::array<std::array<double, 5>, n + 1> s;
  std::array<double, n + 1> fs;
  s[0] = x0;
  for (int i = 0; i < n; ++i) {
    s[i + 1] = x0;
    s[i + 1][static_cast<std::size_t>(i)] += 0.5;
  }
  for (int i = 0; i <= n; ++i) fs[i] = f(s[i]);
  for (int it = 0; it < max_iter; ++it) {
    std::array<int, n + 1> idx;
    for (int i = 0; i <= n; ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](int a, int b) { return fs[a] < fs[b]; });
    auto sorted_s = s;
    auto sorted_f = fs;
    for (int i = 0; i <= n; ++i) {
      s[i] = sorted_s[idx[i]];
      fs[i] = sorted_f[idx[i]];
    }
    double spread = std::abs(fs[n] - fs[0]);
    double size = 0;
    for (int i = 1; i <= n; ++i) {
      for (int j = 0; j < n; ++j) size = std::max(size, std::abs(s[i][j] - s[0][j]));
    }
    if (spread < 1e-9 * (1 + std::abs(fs[0])) && size < 1e-7) return {s[0], true};
    std::array<double, 5> c{};
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) c[j] += s[i][j] / n;
    }
    auto along = [&](double t) {
      std::array<double, 5> p;
      for (int j = 0; j < n; ++j) p[j] = c[j] + t * (s[n][j] - c[j]);
      return p;
    };
    auto r = along(-1);
    double fr = f(r);
    if (fr < fs[0]) {
      auto e = along(-2);
      double fe = f(e);
      if (fe < fr) { s[n] = e; fs[n] = fe; } else { s[n] = r; fs[n] = fr; }
    } else if (fr < fs[n - 1]) {
      s[n] = r;
      fs[n] = fr;
    } else {
      auto k = along(fr < fs[n] ? -0.5 : 0.5);
      double fk = f(k);
      if (fk < std::min(fr, fs[n])) {
        s[n] = k;
        fs[n] = fk;
      } else {
        for (int i = 1; i <= n; ++i) {
          for (int j = 0; j < n; ++j) s[i][j] = s[0][j] + 0.5 * (s[i][j] - s[0][j]);
          fs[i] = f(s[i]);
        }
      }
    }
  }
  int best = static_cast<int>(std::min_element(fs.begin(), fs.end()) - fs.begin());
  return {s[best], false};
}

}  // namespace

double digamma(double x) {
  double r = 0;
  while (x < 12) {
    r -= 1 / x;
    x += 1;
  }
  double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

double gamma_p(double a, double x) {
  if (x <= 0) return 0;
  return gamma_cdf(a, lgam(a), x).p;
}

double gamma_quantile(double shape, double rate, double p) {
  if (p <= 0) return 0;
  if (p >= 1) return kInf;
  return mixture_quantile(std::array<GammaTerm, 1>{{{1.0, shape, rate, lgam(shape)}}}, p);
}

Disproportionality disproportionality(double a, double n_drug, double n_event, double total, double expected) {
  Disproportionality s;
  double b = n_drug - a, c = n_event - a, d = total - n_drug - n_event + a;
  s.n = a;
  s.expected = expected;
  s.rr = expected > 0 ? a / expected : kNaN;
  if (a > 0 && b > 0 && c > 0 && d > 0) {
    s.ror = a * d / (b * c);
    double se = std::sqrt(1 / a + 1 / b + 1 / c + 1 / d);
    s.ror_lo = std::exp(std::log(s.ror) - kZ975 * se);
    s.ror_hi = std::exp(std::log(s.ror) + kZ975 * se);
  } else {
    s.ror = (b * c == 0) ? kInf : a * d / (b * c);
    s.ror_lo = s.ror_hi = kNaN;
  }
  if (a > 0 && c > 0 && n_drug > 0 && c + d > 0) {
    s.prr = (a / (a + b)) / (c / (c + d));
    double se = std::sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d));
    s.prr_lo = std::exp(std::log(s.prr) - kZ975 * se);
    s.prr_hi = std::exp(std::log(s.prr) + kZ975 * se);
  } else {
    s.prr = c == 0 ? kInf : kNaN;
    s.prr_lo = s.prr_hi = kNaN;
  }
  double denom = (a + b) * (c + d) * (a + c) * (b + d);
  double ad_bc = a * d - b * c;
  s.chi2 = denom > 0 ? total * ad_bc * ad_bc / denom : kNaN;
  double yates = std::max(0.0, std::abs(ad_bc) - total / 2);
  s.chi2_yates = denom > 0 ? total * yates * yates / denom : kNaN;
  s.ic = std::log2((a + 0.5) / (expected + 0.5));
  s.ic025 = std::log2(gamma_quantile(a + 0.5, expected + 0.5, 0.025));
  s.ic975 = std::log2(gamma_quantile(a + 0.5, expected + 0.5, 0.975));
  return s;
}

double mgps_neg_log_lik(const MgpsPrior& t, std::span<const double> n, std::span<const double> e,
                        std::span<const double> w, int min_count) {
  double total = 0;
  double lp = std::log(t.p), lq = std::log1p(-t.p);
  for (std::size_t i = 0; i < n.size(); ++i) {
    double l1 = log_nb(n[i], t.alpha1, t.beta1, e[i]);
    double l2 = log_nb(n[i], t.alpha2, t.beta2, e[i]);
    if (min_count > 0) {  // each component conditioned on n >= min_count
      l1 -= std::log1p(-nb_cdf_below(min_count, t.alpha1, t.beta1, e[i]));
      l2 -= std::log1p(-nb_cdf_below(min_count, t.alpha2, t.beta2, e[i]));
    }
    double li = log_add(lp + l1, lq + l2);
    total -= (w.empty() ? 1.0 : w[i]) * li;
  }
  return std::isfinite(total) ? total : std::numeric_limits<double>::max();
}

MgpsFit fit_mgps(std::span<const double> n, std::span<const double> e, std::span<const double> w, int min_count) {
  // The openEBGM example start and the PhViD default, then spread variants.
  const std::vector<MgpsPrior> starts = {
      {0.2, 0.1, 2, 4, 1.0 / 3}, {0.2, 0.06, 1.4, 1.8, 0.1}, {0.5, 0.5, 3, 3, 0.2},
      {1, 1, 5, 2, 0.5},         {0.1, 0.1, 10, 10, 0.05},   {2, 1, 0.5, 0.5, 0.7}};
  auto f = [&](const std::array<double, 5>& v) {
    for (double x : v) {
      if (!std::isfinite(x) || std::abs(x) > 30) return std::numeric_limits<double>::max();
    }
    return mgps_neg_log_lik(from_vector(v), n, e, w, min_count);
  };
  MgpsFit best;
  best.neg_log_lik = std::numeric_limits<double>::max();
  std::vector<double> values;
  for (const auto& s0 : starts) {
    auto [v, ok] = nelder_mead(f, to_vector(s0), 20000);
    double fv = f(v);
    ++best.starts;
    if (ok) {
      ++best.starts_converged;
      values.push_back(fv);
    }
    if (fv < best.neg_log_lik) {
      best.neg_log_lik = fv;
      best.theta = from_vector(v);
    }
  }
  for (double v : values) best.starts_agreeing += std::abs(v - best.neg_log_lik) < 1e-3 * (1 + std::abs(best.neg_log_lik));
  // As openEBGM's autoHyper: trust the optimum when at least two converged starts agree on it.
  best.converged = best.starts_agreeing >= 2;
  best.message = best.converged ? "converged" : "fewer than two converged start points agree on the optimum";
  // Order the components so the first is the one with the smaller prior mean (a reporting
  // convention: the fitted mixture is the same either way).
  if (best.theta.alpha1 / best.theta.beta1 > best.theta.alpha2 / best.theta.beta2) {
    auto& t = best.theta;
    t = {t.alpha2, t.beta2, t.alpha1, t.beta1, 1 - t.p};
  }
  return best;
}

Squashed squash(std::span<const double> n, std::span<const double> e, const SquashOptions& o) {
  Squashed out;
  std::map<double, std::vector<double>> by_count;
  for (std::size_t i = 0; i < n.size(); ++i) by_count[n[i]].push_back(e[i]);
  for (auto& [count, es] : by_count) {
    if (es.size() < o.min_pts || o.bin_size < 2) {
      for (double x : es) {
        out.n.push_back(count);
        out.e.push_back(x);
        out.weight.push_back(1);
      }
      continue;
    }
    std::sort(es.begin(), es.end());
    std::size_t keep_from = es.size() > o.keep_pts ? es.size() - o.keep_pts : 0;
    for (std::size_t i = 0; i < keep_from; i += o.bin_size) {
      std::size_t end = std::min(keep_from, i + o.bin_size);
      double sum = 0;
      for (std::size_t j = i; j < end; ++j) sum += es[j];
      out.n.push_back(count);
      out.e.push_back(sum / static_cast<double>(end - i));
      out.weight.push_back(static_cast<double>(end - i));
    }
    for (std::size_t j = keep_from; j < es.size(); ++j) {
      out.n.push_back(count);
      out.e.push_back(es[j]);
      out.weight.push_back(1);
    }
  }
  return out;
}

Posterior mgps_posterior(const MgpsPrior& t, double n, double e, int min_count) {
  Posterior out;
  // The component weights use the same (conditional) component likelihoods the prior was fitted
  // with; otherwise a component fitted near alpha -> 0 (a log-series in the conditional model)
  // would get no posterior weight at all.
  double l1 = std::log(t.p) + log_conditional_nb(n, t.alpha1, t.beta1, e, min_count);
  double l2 = std::log1p(-t.p) + log_conditional_nb(n, t.alpha2, t.beta2, e, min_count);
  out.q = std::exp(l1 - log_add(l1, l2));
  double a1 = t.alpha1 + n, b1 = t.beta1 + e, a2 = t.alpha2 + n, b2 = t.beta2 + e;
  double elog = out.q * (digamma(a1) - std::log(b1)) + (1 - out.q) * (digamma(a2) - std::log(b2));
  out.ebgm = std::exp(elog);
  const std::array<GammaTerm, 2> posterior{{{out.q, a1, b1, lgam(a1)}, {1 - out.q, a2, b2, lgam(a2)}}};
  out.eb05 = mixture_quantile(posterior, 0.05);
  out.eb95 = mixture_quantile(posterior, 0.95);
  return out;
}

}  // namespace paraderm::pv
