// Disproportionality statistics and the MGPS fit (standards-and-anchors.md §3.2).
//
// The MGPS fit minimises -log L with BFGS (analytic gradient, strong-Wolfe line search) on
// log/logit parameters from six start points run in parallel; identical (n, E) points are merged
// and the log-gamma differences are computed once per distinct count. The posterior quantiles are
// Halley steps on the mixture CDF in log lambda, safeguarded by a bracket.
#include <math.h>  // lgamma_r: std::lgamma writes the global signgam, a data race between threads

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <vector>

#include <tbb/parallel_for.h>

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

// Above this shape the series and the continued fraction would need more than ~10^4 terms near
// x = a (a fitted near-point-mass component has shapes of 10^9 and more).
constexpr double kLargeShape = 1e6;

// Temme's uniform asymptotic form (Temme 1979; DiDonato & Morris 1986), first term:
// P(a, x) = erfc(-eta sqrt(a/2)) / 2 - exp(-a eta^2 / 2) / sqrt(2 pi a) * C0(eta), with lambda = x/a,
// eta = sign(lambda - 1) sqrt(2 (lambda - 1 - log lambda)), C0 = 1/(lambda - 1) - 1/eta. The omitted
// terms are O(a^-3/2): below 1e-9 for a >= 1e6.
double gamma_p_large(double a, double x) {
  double lambda = x / a, d = lambda - 1;
  // lambda - 1 - log(lambda) without cancellation near lambda = 1.
  double q = d - std::log1p(d);
  double eta = std::copysign(std::sqrt(2 * std::max(q, 0.0)), d);
  double c0;
  if (std::abs(eta) < 1e-3) {
    c0 = -1.0 / 3 + eta / 12 - 2 * eta * eta / 135;  // the series of 1/(lambda - 1) - 1/eta at eta = 0
  } else {
    c0 = 1 / d - 1 / eta;
  }
  double p = 0.5 * std::erfc(-eta * std::sqrt(a / 2)) - std::exp(-a * eta * eta / 2) / std::sqrt(kTwoPi * a) * c0;
  return std::clamp(p, 0.0, 1.0);
}

// Regularised lower incomplete gamma with its kernel: the series for x < a + 1, else the
// continued fraction for Q (modified Lentz); Temme's asymptotic form for very large shapes.
GammaCdf gamma_cdf(double a, double lga, double x) {
  if (x <= 0) return {0, 0};
  double k = std::exp(log_gamma_kernel(a, lga, x));
  if (a >= kLargeShape) return {gamma_p_large(a, x), k};
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

using Vec5 = std::array<double, 5>;

MgpsPrior from_vector(const Vec5& v) {
  return {std::exp(v[0]), std::exp(v[1]), std::exp(v[2]), std::exp(v[3]), 1 / (1 + std::exp(-v[4]))};
}

Vec5 to_vector(const MgpsPrior& t) {
  return {std::log(t.alpha1), std::log(t.beta1), std::log(t.alpha2), std::log(t.beta2), std::log(t.p / (1 - t.p))};
}

// -log L of the MGPS model as the fit evaluates it: identical (n, E) points merged (weights
// summed), lgamma(alpha + n) - lgamma(alpha) and its alpha-derivative computed once per distinct
// count and evaluation, log(1 + E / beta) shared by the marginal and the truncation term.
class Objective {
 public:
  Objective(std::span<const double> n, std::span<const double> e, std::span<const double> w, int min_count)
      : min_count_(min_count) {
    std::vector<std::size_t> order(n.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    bool finite = true;
    for (std::size_t i = 0; i < n.size(); ++i) finite = finite && std::isfinite(n[i]) && std::isfinite(e[i]);
    if (finite) {  // (NaN would break the ordering; such data is left unmerged)
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return n[a] != n[b] ? n[a] < n[b] : e[a] < e[b];
      });
    }
    for (std::size_t i : order) {
      double wi = w.empty() ? 1.0 : w[i];
      if (finite && !points_.empty() && points_.back().n == n[i] && points_.back().e == e[i]) {
        points_.back().w += wi;
      } else {
        points_.push_back({n[i], e[i], wi, std::log(e[i]), 0, 0});
      }
    }
    for (const auto& p : points_) counts_.push_back(p.n);
    // Pairs with different counts share their E (E depends on the margins only: caers has 1 140
    // distinct E among 1 723 distinct (n, E)); the terms that depend on E alone are computed once
    // per distinct E and evaluation.
    for (const auto& p : points_) es_.push_back(p.e);
    std::sort(es_.begin(), es_.end());
    es_.erase(std::unique(es_.begin(), es_.end()), es_.end());
    for (auto& p : points_) {
      p.e_index = static_cast<std::uint32_t>(std::lower_bound(es_.begin(), es_.end(), p.e) - es_.begin());
      // NaN E (left unmerged) is not found; it keeps index 0 and is evaluated on its own below.
      if (!(p.e_index < es_.size() && es_[p.e_index] == p.e)) p.e_index = kOwnE;
    }
    for (int k = 0; k < min_count_ && min_count_ > 1; ++k) counts_.push_back(k);
    std::sort(counts_.begin(), counts_.end());
    counts_.erase(std::unique(counts_.begin(), counts_.end()), counts_.end());
    auto index = [&](double c) {
      return static_cast<std::uint32_t>(std::lower_bound(counts_.begin(), counts_.end(), c) - counts_.begin());
    };
    for (auto& p : points_) {
      p.count = index(p.n);
      log_factorials_ += p.w * lgam(p.n + 1);
    }
    for (int k = 0; k < min_count_ && min_count_ > 1; ++k) {
      below_.push_back({static_cast<double>(k), lgam(k + 1.0), index(k)});
    }
  }

  std::size_t points() const { return points_.size(); }

  // -log L at t (+inf where it is not finite); with `grad`, also its derivatives with respect to
  // (alpha1, beta1, alpha2, beta2, p).
  double operator()(const MgpsPrior& t, Vec5* grad) const {
    return grad ? eval<true>(t, grad) : eval<false>(t, nullptr);
  }

 private:
  static constexpr std::uint32_t kOwnE = UINT32_MAX;
  struct Point {
    double n, e, w, log_e;
    std::uint32_t count;    // index in counts_
    std::uint32_t e_index;  // index in es_, or kOwnE
  };
  struct Below {
    double k, log_factorial;
    std::uint32_t count;
  };

  // A[i] = lgamma(alpha + c_i) - lgamma(alpha) and dA[i] its alpha-derivative: running sums of
  // log(alpha + k) and 1 / (alpha + k) for integer counts, log-gamma and digamma otherwise.
  void gamma_ratios(double alpha, double* a_out, double* da_out) const {
    double acc = 0, dacc = 0, k = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      double c = counts_[i];
      if (c >= k && c == std::floor(c) && c - k <= 64) {
        for (; k < c; k += 1) {
          acc += std::log(alpha + k);
          dacc += 1 / (alpha + k);
        }
        a_out[i] = acc;
        da_out[i] = dacc;
      } else {
        a_out[i] = lgam(alpha + c) - lgam(alpha);
        da_out[i] = digamma(alpha + c) - digamma(alpha);
      }
    }
  }

  template <bool Grad>
  double eval(const MgpsPrior& t, Vec5* grad) const {
    const std::size_t nc = counts_.size();
    std::vector<double> tables(4 * nc);
    const double alpha[2] = {t.alpha1, t.alpha2}, beta[2] = {t.beta1, t.beta2};
    const double* ga[2] = {tables.data(), tables.data() + 2 * nc};
    const double* gda[2] = {tables.data() + nc, tables.data() + 3 * nc};
    gamma_ratios(alpha[0], tables.data(), tables.data() + nc);
    gamma_ratios(alpha[1], tables.data() + 2 * nc, tables.data() + 3 * nc);
    const double log_beta[2] = {std::log(beta[0]), std::log(beta[1])};
    const double log_w[2] = {std::log(t.p), std::log1p(-t.p)};
    // Per distinct E and component: l = log(1 + E / beta), and for min_count 1 the truncation
    // term log(1 - P0) with P0 / (1 - P0), P0 = exp(-alpha l).
    const std::size_t ne = es_.size();
    std::vector<double> by_e(6 * ne);
    double* e_l[2] = {by_e.data(), by_e.data() + ne};
    double* e_trunc[2] = {by_e.data() + 2 * ne, by_e.data() + 3 * ne};
    double* e_ratio[2] = {by_e.data() + 4 * ne, by_e.data() + 5 * ne};
    auto truncation = [&](double a, double l, double& trunc, double& ratio) {
      double em = std::expm1(-a * l);  // P0 - 1
      trunc = std::log(-em);
      ratio = (1 + em) / -em;  // P0 / (1 - P0)
    };
    for (int j = 0; j < 2; ++j) {
      for (std::size_t k = 0; k < ne; ++k) {
        e_l[j][k] = std::log1p(es_[k] / beta[j]);
        if (min_count_ == 1) truncation(alpha[j], e_l[j][k], e_trunc[j][k], e_ratio[j][k]);
      }
    }
    double sum = 0;
    Vec5 g{};
    for (const Point& pt : points_) {
      double lf[2], da[2], db[2];
      const bool own = pt.e_index == kOwnE;
      for (int j = 0; j < 2; ++j) {
        const double a = alpha[j], b = beta[j];
        const double l = own ? std::log1p(pt.e / b) : e_l[j][pt.e_index];  // log((b + e) / b)
        lf[j] = ga[j][pt.count] - a * l + pt.n * (pt.log_e - log_beta[j] - l);
        if constexpr (Grad) {
          da[j] = gda[j][pt.count] - l;
          db[j] = a / b - (a + pt.n) / (b + pt.e);
        }
        if (min_count_ == 1) {  // conditional on N >= 1: minus log(1 - P0)
          double trunc, ratio;
          if (own) {
            truncation(a, l, trunc, ratio);
          } else {
            trunc = e_trunc[j][pt.e_index];
            ratio = e_ratio[j][pt.e_index];
          }
          lf[j] -= trunc;
          if constexpr (Grad) {
            da[j] -= l * ratio;
            db[j] += ratio * a * pt.e / (b * (b + pt.e));
          }
        } else if (min_count_ > 1) {
          double s = 0, sa = 0, sb = 0;
          for (const Below& k : below_) {
            double nb = std::exp(ga[j][k.count] - k.log_factorial - a * l +
                                 (k.k == 0 ? 0.0 : k.k * (pt.log_e - log_beta[j] - l)));
            s += nb;
            if constexpr (Grad) {
              sa += nb * (gda[j][k.count] - l);
              sb += nb * (a / b - (a + k.k) / (b + pt.e));
            }
          }
          lf[j] -= std::log1p(-s);
          if constexpr (Grad) {
            da[j] += sa / (1 - s);
            db[j] += sb / (1 - s);
          }
        }
      }
      const double u0 = log_w[0] + lf[0], u1 = log_w[1] + lf[1];
      const double top = std::max(u0, u1), d = std::exp(std::min(u0, u1) - top);
      sum += pt.w * (top + std::log1p(d));
      if constexpr (Grad) {
        const double r_top = 1 / (1 + d), r_other = d * r_top;
        const double r0 = u0 >= u1 ? r_top : r_other, r1 = u0 >= u1 ? r_other : r_top;
        g[0] += pt.w * r0 * da[0];
        g[1] += pt.w * r0 * db[0];
        g[2] += pt.w * r1 * da[1];
        g[3] += pt.w * r1 * db[1];
        g[4] += pt.w * (r0 / t.p - r1 / (1 - t.p));
      }
    }
    const double value = log_factorials_ - sum;
    if constexpr (Grad) {
      for (int i = 0; i < 5; ++i) (*grad)[i] = -g[i];
    }
    return std::isfinite(value) ? value : kInf;
  }

  std::vector<Point> points_;
  std::vector<double> es_;      // distinct expected counts, ascending
  std::vector<double> counts_;  // distinct counts, ascending (with 0 .. min_count - 1 when min_count > 1)
  std::vector<Below> below_;    // the counts below min_count when min_count > 1
  int min_count_;
  double log_factorials_ = 0;   // sum of w lgamma(n + 1)
};

double dot(const Vec5& a, const Vec5& b) {
  double s = 0;
  for (std::size_t i = 0; i < 5; ++i) s += a[i] * b[i];
  return s;
}

double max_abs(const Vec5& a) {
  double m = 0;
  for (double x : a) m = std::max(m, std::abs(x));
  return m;
}

struct LineSearch {
  bool ok = false;
  double step = 0, f = 0;
  Vec5 x{}, g{};
};

// Strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6, cubic interpolation in the
// zoom); an infinite value (outside the box or a non-finite likelihood) counts as too far.
template <class FG>
LineSearch wolfe_search(FG& fg, const Vec5& x0, double f0, const Vec5& d, double slope0, double step, double max_step) {
  constexpr double c1 = 1e-4, c2 = 0.9;
  LineSearch at;
  auto eval = [&](double a) {
    LineSearch r;
    r.step = a;
    for (std::size_t i = 0; i < 5; ++i) r.x[i] = x0[i] + a * d[i];
    r.f = fg(r.x, r.g);
    return r;
  };
  auto slope = [&](const LineSearch& r) { return std::isfinite(r.f) ? dot(r.g, d) : kNaN; };
  auto zoom = [&](LineSearch lo, double slo, LineSearch hi, double shi) {
    for (int i = 0; i < 40; ++i) {
      double a = kNaN;
      if (std::isfinite(hi.f) && std::isfinite(shi) && std::isfinite(slo)) {
        double d1 = slo + shi - 3 * (lo.f - hi.f) / (lo.step - hi.step);
        double disc = d1 * d1 - slo * shi;
        if (disc >= 0) {
          double d2 = (hi.step > lo.step ? 1 : -1) * std::sqrt(disc);
          a = hi.step - (hi.step - lo.step) * (shi + d2 - d1) / (shi - slo + 2 * d2);
        }
      }
      double left = std::min(lo.step, hi.step), right = std::max(lo.step, hi.step), width = right - left;
      if (!std::isfinite(a) || a < left + 0.1 * width || a > right - 0.1 * width) a = 0.5 * (lo.step + hi.step);
      LineSearch r = eval(a);
      double sr = slope(r);
      if (!std::isfinite(r.f) || r.f > f0 + c1 * a * slope0 || r.f >= lo.f) {
        hi = r;
        shi = sr;
      } else {
        if (std::abs(sr) <= -c2 * slope0) {
          r.ok = true;
          return r;
        }
        if (sr * (hi.step - lo.step) >= 0) {
          hi = lo;
          shi = slo;
        }
        lo = r;
        slo = sr;
      }
      if (std::abs(hi.step - lo.step) * max_abs(d) < 1e-15 * (1 + max_abs(x0))) break;
    }
    lo.ok = lo.step > 0;  // sufficient decrease without the curvature condition
    return lo;
  };
  LineSearch prev;
  prev.step = 0;
  prev.f = f0;
  prev.x = x0;
  double sprev = slope0;
  for (int i = 0; i < 40; ++i) {
    LineSearch r = eval(step);
    double sr = slope(r);
    if (!std::isfinite(r.f) || r.f > f0 + c1 * step * slope0 || (i > 0 && r.f >= prev.f)) {
      return zoom(prev, sprev, r, sr);
    }
    if (std::abs(sr) <= -c2 * slope0) {
      r.ok = true;
      return r;
    }
    if (sr >= 0) return zoom(r, sr, prev, sprev);
    if (step >= max_step) {
      r.ok = true;
      return r;
    }
    prev = r;
    sprev = sr;
    step = std::min(3 * step, max_step);
  }
  return at;
}

struct StartResult {
  Vec5 x{};
  double f = kInf;
  bool converged = false;
  const char* method = "BFGS";
};

// Converged when the largest gradient component (log/logit units) is below this times 1 + |f|.
constexpr double kGradTol = 1e-8;
// Where the line search can make no more progress, a gradient below this counts as converged
// (the value is then limited by rounding).
constexpr double kGradTolStalled = 1e-6;

// BFGS on the inverse Hessian; the first step is scaled to move no coordinate by more than 1 and
// no step moves a coordinate by more than 10.
template <class FG>
StartResult bfgs(FG& fg, Vec5 x, int max_iter) {
  StartResult out;
  Vec5 g;
  double f = fg(x, g);
  out.x = x;
  out.f = f;
  if (!std::isfinite(f)) return out;
  std::array<Vec5, 5> h{};
  auto identity = [&] {
    for (std::size_t i = 0; i < 5; ++i) {
      h[i].fill(0);
      h[i][i] = 1;
    }
  };
  identity();
  bool scaled = false;
  for (int it = 0; it < max_iter; ++it) {
    if (max_abs(g) <= kGradTol * (1 + std::abs(f))) {
      out.converged = true;
      break;
    }
    Vec5 d;
    for (std::size_t i = 0; i < 5; ++i) d[i] = -dot(h[i], g);
    double slope = dot(g, d);
    if (!(slope < 0)) {
      identity();
      scaled = false;
      for (std::size_t i = 0; i < 5; ++i) d[i] = -g[i];
      slope = -dot(g, g);
    }
    double dmax = max_abs(d);
    double first_step = std::min(1.0, (scaled ? 10 : 1) / dmax);
    LineSearch ls = wolfe_search(fg, x, f, d, slope, first_step, 10 / dmax);
    if (!ls.ok) {
      if (!scaled) {
        out.converged = max_abs(g) <= kGradTolStalled * (1 + std::abs(f));
        break;
      }
      identity();  // retry once along the steepest descent
      scaled = false;
      continue;
    }
    Vec5 s, y;
    for (std::size_t i = 0; i < 5; ++i) {
      s[i] = ls.x[i] - x[i];
      y[i] = ls.g[i] - g[i];
    }
    x = ls.x;
    f = ls.f;
    g = ls.g;
    double sy = dot(s, y), yy = dot(y, y);
    if (sy > 1e-12 * std::sqrt(dot(s, s) * yy)) {
      if (!scaled) {
        identity();
        for (std::size_t i = 0; i < 5; ++i) h[i][i] = sy / yy;
        scaled = true;
      }
      Vec5 hy;
      for (std::size_t i = 0; i < 5; ++i) hy[i] = dot(h[i], y);
      double yhy = dot(y, hy);
      for (std::size_t i = 0; i < 5; ++i) {
        for (std::size_t j = 0; j < 5; ++j) {
          h[i][j] += ((sy + yhy) * s[i] * s[j]) / (sy * sy) - (hy[i] * s[j] + s[i] * hy[j]) / sy;
        }
      }
    }
  }
  out.x = x;
  out.f = f;
  return out;
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


// The openEBGM example start and the PhViD default, then spread variants.
const std::array<MgpsPrior, 6> kStarts = {{{0.2, 0.1, 2, 4, 1.0 / 3},
                                           {0.2, 0.06, 1.4, 1.8, 0.1},
                                           {0.5, 0.5, 3, 3, 0.2},
                                           {1, 1, 5, 2, 0.5},
                                           {0.1, 0.1, 10, 10, 0.05},
                                           {2, 1, 0.5, 0.5, 0.7}}};

bool in_box(const Vec5& v) {
  for (double x : v) {
    if (!std::isfinite(x) || std::abs(x) > 30) return false;
  }
  return true;
}

// -log L on log/logit parameters (the largest double outside |x| <= 30 or where not finite).
double value_at(const Objective& objective, const Vec5& v) {
  if (!in_box(v)) return std::numeric_limits<double>::max();
  double f = objective(from_vector(v), nullptr);
  return std::isfinite(f) ? f : std::numeric_limits<double>::max();
}

// -log L and its gradient on log/logit parameters (+inf outside the box).
double value_and_gradient_at(const Objective& objective, const Vec5& v, Vec5& g) {
  if (!in_box(v)) return kInf;
  MgpsPrior t = from_vector(v);
  Vec5 d;
  double f = objective(t, &d);
  g = {d[0] * t.alpha1, d[1] * t.beta1, d[2] * t.alpha2, d[3] * t.beta2, d[4] * t.p * (1 - t.p)};
  return f;
}

// Combines the starts as openEBGM's autoHyper: the best value, and trust in it when at least two
// converged starts agree on it.
MgpsFit summarise(const std::vector<StartResult>& results) {
  MgpsFit best;
  best.neg_log_lik = std::numeric_limits<double>::max();
  std::vector<double> values;
  for (const auto& r : results) {
    double fv = std::isfinite(r.f) ? r.f : std::numeric_limits<double>::max();
    ++best.starts;
    if (r.converged) {
      ++best.starts_converged;
      values.push_back(fv);
    }
    if (fv < best.neg_log_lik) {
      best.neg_log_lik = fv;
      best.theta = from_vector(r.x);
    }
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    best.start_table.push_back({kStarts[i % kStarts.size()], from_vector(r.x),
                                std::isfinite(r.f) ? r.f : std::numeric_limits<double>::max(), r.converged, r.method});
  }
  for (double v : values) best.starts_agreeing += std::abs(v - best.neg_log_lik) < 1e-3 * (1 + std::abs(best.neg_log_lik));
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

Disproportionality disproportionality(double a, double n_drug, double n_event, double total, double expected,
                                      bool ic_interval) {
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
  if (ic_interval) {
    s.ic025 = std::log2(gamma_quantile(a + 0.5, expected + 0.5, 0.025));
    s.ic975 = std::log2(gamma_quantile(a + 0.5, expected + 0.5, 0.975));
  } else {
    s.ic025 = s.ic975 = kNaN;
  }
  return s;
}

double mgps_neg_log_lik(const MgpsPrior& t, std::span<const double> n, std::span<const double> e,
                        std::span<const double> w, int min_count) {
  // The direct evaluation, point by point (the fit uses the Objective above; tests compare them).
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

MgpsNegLogLikGradient mgps_neg_log_lik_gradient(const MgpsPrior& theta, std::span<const double> n,
                                                std::span<const double> e, std::span<const double> weights,
                                                int min_count) {
  Objective objective(n, e, weights, min_count);
  MgpsNegLogLikGradient out;
  Vec5 g{};
  double f = objective(theta, &g);
  out.value = std::isfinite(f) ? f : std::numeric_limits<double>::max();
  out.gradient = g;
  return out;
}

namespace {

// About `target` weighted points standing for (n, e, w): within each count value, points sorted
// by E are merged in runs of equal length (weight summed, E weight-averaged). The same idea as
// squash(), for inputs that may already carry weights; used only to steer the Nelder-Mead search.
Squashed coarsen(std::span<const double> n, std::span<const double> e, std::span<const double> w, std::size_t target) {
  std::vector<std::size_t> idx(n.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return n[a] != n[b] ? n[a] < n[b] : e[a] < e[b]; });
  const std::size_t run = std::max<std::size_t>(1, (n.size() + target - 1) / target);
  Squashed out;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    double weight = 0, we = 0;
    while (j < idx.size() && j - i < run && n[idx[j]] == n[idx[i]]) {
      double wj = w.empty() ? 1.0 : w[idx[j]];
      weight += wj;
      we += wj * e[idx[j]];
      ++j;
    }
    out.n.push_back(n[idx[i]]);
    out.e.push_back(we / weight);
    out.weight.push_back(weight);
    i = j;
  }
  return out;
}

}  // namespace

MgpsFit fit_mgps(std::span<const double> n, std::span<const double> e, std::span<const double> w, int min_count) {
  const Objective objective(n, e, w, min_count);
  auto fg = [&](const Vec5& v, Vec5& g) { return value_and_gradient_at(objective, v, g); };
  auto f = [&](const Vec5& v) { return value_at(objective, v); };
  // Nelder-Mead needs thousands of evaluations: on a large input it searches about 5 000 binned
  // points (the same likelihood, coarser; as DuMouchel & Pregibon's squashing) and BFGS then
  // polishes on every point, so the optimum reported is the one of the data given.
  constexpr std::size_t kCoarseAbove = 5000;
  std::optional<Squashed> squashed;
  std::optional<Objective> coarse;
  if (n.size() > kCoarseAbove) {
    squashed = coarsen(n, e, w, kCoarseAbove);
    coarse.emplace(squashed->n, squashed->e, squashed->weight, min_count);
  }
  auto f_search = [&](const Vec5& v) { return value_at(coarse ? *coarse : objective, v); };
  // Nelder-Mead from x0, then BFGS from where it stopped (sharper than its simplex test).
  auto nelder_mead_then_bfgs = [&](const Vec5& x0) {
    auto [v, ok] = nelder_mead(f_search, x0, 20000);
    StartResult r = bfgs(fg, v, 1000);
    double fv = f(v);
    if (!(r.f <= fv)) r = {v, fv, ok && !coarse, ""};
    r.converged = r.converged || (ok && !coarse);  // a coarse search alone says nothing of the full optimum
    return r;
  };
  auto for_each_start = [&](auto&& body) {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, kStarts.size(), 1),
        [&](const tbb::blocked_range<std::size_t>& range) {
          for (std::size_t i = range.begin(); i != range.end(); ++i) body(i);
        },
        tbb::simple_partitioner());
  };
  std::vector<StartResult> results(kStarts.size());
  for_each_start([&](std::size_t i) {
    StartResult r = bfgs(fg, to_vector(kStarts[i]), 1000);
    if (!r.converged) {  // fall back to Nelder-Mead from where BFGS stopped
      StartResult nm = nelder_mead_then_bfgs(std::isfinite(r.f) ? r.x : to_vector(kStarts[i]));
      nm.method = "BFGS, then Nelder-Mead and BFGS from where it stopped";
      if (nm.converged || nm.f < r.f) r = nm;
    }
    results[i] = r;
  });
  // BFGS follows the slope into the nearest basin; Nelder-Mead's first, large simplex moves
  // reach further. Two cases are therefore run again as the previous fit ran them (Nelder-Mead
  // from the start point, then BFGS), a better result replacing the start's: every start when
  // fewer than two agree on the best value, except those that reached it; and any start that
  // stopped at a mixture that is effectively one gamma (components within 1 %, or p within 1e-8
  // of 0 or 1), a stationary point of the likelihood from which a better one, often at the edge
  // (a near-point-mass component), may still be reachable.
  auto one_gamma = [](const Vec5& x) {
    return (std::abs(x[0] - x[2]) < 1e-2 && std::abs(x[1] - x[3]) < 1e-2) || std::abs(x[4]) > 18.4;
  };
  const MgpsFit first = summarise(results);
  std::vector<char> rerun(kStarts.size());
  bool any = false;
  for (std::size_t i = 0; i < kStarts.size(); ++i) {
    bool agrees = results[i].converged &&
                  std::abs(results[i].f - first.neg_log_lik) < 1e-3 * (1 + std::abs(first.neg_log_lik));
    rerun[i] = (first.starts_agreeing < 2 && !agrees) || one_gamma(results[i].x);
    any = any || rerun[i];
  }
  if (any) {
    for_each_start([&](std::size_t i) {
      if (!rerun[i]) return;
      StartResult r = nelder_mead_then_bfgs(to_vector(kStarts[i]));
      r.method = "Nelder-Mead from the start, then BFGS (rerun)";
      if (r.f < results[i].f || (r.converged && !results[i].converged && r.f <= results[i].f + 1e-9)) results[i] = r;
    });
  }
  return summarise(results);
}

MgpsFit fit_mgps_nelder_mead(std::span<const double> n, std::span<const double> e, std::span<const double> w,
                             int min_count) {
  const Objective objective(n, e, w, min_count);
  auto f = [&](const Vec5& v) { return value_at(objective, v); };
  std::vector<StartResult> results;
  for (const auto& s0 : kStarts) {
    auto [v, ok] = nelder_mead(f, to_vector(s0), 20000);
    results.push_back({v, f(v), ok, "Nelder-Mead"});
  }
  return summarise(results);
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

const char* to_string(QnRule rule) { return rule == QnRule::kPublished ? "published" : "conditional"; }

double mgps_qn(const MgpsPrior& t, double n, double e, QnRule rule, int min_count) {
  double l1 = std::log(t.p), l2 = std::log1p(-t.p);
  if (rule == QnRule::kConditional) {
    l1 += log_conditional_nb(n, t.alpha1, t.beta1, e, min_count);
    l2 += log_conditional_nb(n, t.alpha2, t.beta2, e, min_count);
  } else {
    l1 += log_nb(n, t.alpha1, t.beta1, e);
    l2 += log_nb(n, t.alpha2, t.beta2, e);
  }
  return std::exp(l1 - log_add(l1, l2));
}

double mgps_posterior_quantile(const MgpsPrior& t, double n, double e, double q, double p) {
  if (!(p > 0)) return 0;
  if (!(p < 1)) return kInf;
  double a1 = t.alpha1 + n, b1 = t.beta1 + e, a2 = t.alpha2 + n, b2 = t.beta2 + e;
  const std::array<GammaTerm, 2> posterior{{{q, a1, b1, lgam(a1)}, {1 - q, a2, b2, lgam(a2)}}};
  return mixture_quantile(posterior, p);
}

Posterior mgps_posterior(const MgpsPrior& t, double n, double e, QnRule rule, int min_count) {
  Posterior out;
  out.q = mgps_qn(t, n, e, rule, min_count);
  double a1 = t.alpha1 + n, b1 = t.beta1 + e, a2 = t.alpha2 + n, b2 = t.beta2 + e;
  double elog = out.q * (digamma(a1) - std::log(b1)) + (1 - out.q) * (digamma(a2) - std::log(b2));
  out.ebgm = std::exp(elog);
  const std::array<GammaTerm, 2> posterior{{{out.q, a1, b1, lgam(a1)}, {1 - out.q, a2, b2, lgam(a2)}}};
  out.eb05 = mixture_quantile(posterior, 0.05);
  out.eb95 = mixture_quantile(posterior, 0.95);
  return out;
}

MgpsStandardErrors mgps_standard_errors(const MgpsPrior& theta, std::span<const double> n, std::span<const double> e,
                                        std::span<const double> w, int min_count) {
  MgpsStandardErrors out;
  out.se.fill(kNaN);
  const Objective objective(n, e, w, min_count);
  const Vec5 x0 = {theta.alpha1, theta.beta1, theta.alpha2, theta.beta2, theta.p};
  auto gradient = [&](const Vec5& x) {
    Vec5 g{};
    double f = objective({x[0], x[1], x[2], x[3], x[4]}, &g);
    if (!std::isfinite(f)) g.fill(kNaN);
    return g;
  };
  // Relative steps (the parameters differ by orders of magnitude); p's step keeps it inside (0, 1).
  Vec5 h;
  for (std::size_t i = 0; i < 4; ++i) h[i] = 1e-5 * x0[i];
  h[4] = 1e-5 * std::min(x0[4], 1 - x0[4]);
  auto& hs = out.hessian;
  for (std::size_t j = 0; j < 5; ++j) {
    Vec5 up = x0, down = x0;
    up[j] += h[j];
    down[j] -= h[j];
    Vec5 gu = gradient(up), gd = gradient(down);
    for (std::size_t i = 0; i < 5; ++i) hs[i][j] = (gu[i] - gd[i]) / (2 * h[j]);
  }
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < i; ++j) hs[i][j] = hs[j][i] = 0.5 * (hs[i][j] + hs[j][i]);
  }
  // Cholesky: it fails exactly when the Hessian is not positive definite.
  std::array<Vec5, 5> l{};
  for (std::size_t j = 0; j < 5; ++j) {
    double d = hs[j][j];
    for (std::size_t k = 0; k < j; ++k) d -= l[j][k] * l[j][k];
    if (!(d > 0) || !std::isfinite(d)) {
      out.message = "the Hessian of -log L is not positive definite at this theta (not a strict minimum)";
      return out;
    }
    l[j][j] = std::sqrt(d);
    for (std::size_t i = j + 1; i < 5; ++i) {
      double v = hs[i][j];
      for (std::size_t k = 0; k < j; ++k) v -= l[i][k] * l[j][k];
      l[i][j] = v / l[j][j];
    }
  }
  // H = L L^T, so diag(H^-1)_i = |L^-1 e_i|^2.
  for (std::size_t i = 0; i < 5; ++i) {
    Vec5 y{};  // solve L y = e_i
    for (std::size_t r = 0; r < 5; ++r) {
      double v = r == i ? 1.0 : 0.0;
      for (std::size_t k = 0; k < r; ++k) v -= l[r][k] * y[k];
      y[r] = v / l[r][r];
    }
    double var = 0;
    for (double yk : y) var += yk * yk;
    out.se[i] = std::sqrt(var);
  }
  out.ok = true;
  out.message = "from the observed information (inverse Hessian of -log L)";
  return out;
}

}  // namespace paraderm::pv
