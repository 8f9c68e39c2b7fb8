// Disproportionality statistics and the MGPS fit (standards-and-anchors.md §3.2).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include "paraderm/pv.h"

namespace paraderm::pv {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ975 = 1.959963984540054;  // standard normal 97.5 % quantile

// Series for P(a, x), x < a + 1.
double gamma_p_series(double a, double x) {
  double sum = 1 / a, term = sum;
  for (int n = 1; n < 10000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::abs(term) < std::abs(sum) * 1e-16) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Continued fraction for Q(a, x) = 1 - P(a, x), x >= a + 1 (modified Lentz).
double gamma_q_cf(double a, double x) {
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
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

// log of the negative-binomial marginal of n under Gamma(alpha, beta) and Poisson(lambda * e).
double log_nb(double n, double alpha, double beta, double e) {
  return std::lgamma(alpha + n) - std::lgamma(alpha) - std::lgamma(n + 1) + alpha * std::log(beta / (beta + e)) +
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
  return x < a + 1 ? gamma_p_series(a, x) : 1 - gamma_q_cf(a, x);
}

double gamma_quantile(double shape, double rate, double p) {
  // Bisection on the CDF in x = rate * lambda, then Newton polish.
  double lo = 0, hi = std::max(1.0, shape);
  while (gamma_p(shape, hi) < p) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    double mid = (lo + hi) / 2;
    (gamma_p(shape, mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2 / rate;
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
  double l1 = std::log(t.p) + log_nb(n, t.alpha1, t.beta1, e);
  double l2 = std::log1p(-t.p) + log_nb(n, t.alpha2, t.beta2, e);
  if (min_count > 0) {
    l1 -= std::log1p(-nb_cdf_below(min_count, t.alpha1, t.beta1, e));
    l2 -= std::log1p(-nb_cdf_below(min_count, t.alpha2, t.beta2, e));
  }
  out.q = std::exp(l1 - log_add(l1, l2));
  double a1 = t.alpha1 + n, b1 = t.beta1 + e, a2 = t.alpha2 + n, b2 = t.beta2 + e;
  double elog = out.q * (digamma(a1) - std::log(b1)) + (1 - out.q) * (digamma(a2) - std::log(b2));
  out.ebgm = std::exp(elog);
  auto cdf = [&](double lambda) { return out.q * gamma_p(a1, b1 * lambda) + (1 - out.q) * gamma_p(a2, b2 * lambda); };
  auto quantile = [&](double p) {
    double lo = 0, hi = 1;
    while (cdf(hi) < p && hi < 1e5) hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
      double mid = (lo + hi) / 2;
      (cdf(mid) < p ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
  };
  out.eb05 = quantile(0.05);
  out.eb95 = quantile(0.95);
  return out;
}

}  // namespace paraderm::pv
