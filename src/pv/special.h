// Special functions of the PV statistics (private to src/pv): thread-safe log-gamma, the
// regularised incomplete gamma with its large-shape expansion, and quantiles of gamma mixtures
// (Halley steps in log lambda, safeguarded by a bracket). The public entry points (digamma,
// gamma_p, gamma_quantile) are declared below and defined in special.cpp (the IC interval in
// corpus.cpp and the tests use them).
#pragma once

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

namespace paraderm::pv {

double digamma(double x);
// Regularised lower incomplete gamma P(shape, x).
double gamma_p(double shape, double x);
// The p-quantile of Gamma(shape, rate).
double gamma_quantile(double shape, double rate, double p);

}  // namespace paraderm::pv

namespace paraderm::pv::detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kZ975 = 1.959963984540054;  // standard normal 97.5 % quantile
inline constexpr double kTwoPi = 6.283185307179586;

// Thread-safe log|Gamma(x)|.
inline double lgam(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2) for a >= 50 (Stirling series; the first
// omitted term is below 1e-18 there).
inline double stirling_error(double a) {
  double r = 1 / a, r2 = r * r;
  return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
}

// log(x^a e^-x / Gamma(a)) (x times the Gamma(a, 1) density); `lga` = lgamma(a). For large
// shapes it is written around x = a so that no large terms cancel: the error is then of order
// eps * |x - a| instead of eps * a * |log x|.
inline double log_gamma_kernel(double a, double lga, double x) {
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
inline constexpr double kLargeShape = 1e6;

// Temme's uniform asymptotic form (Temme 1979; DiDonato & Morris 1986), first term:
// P(a, x) = erfc(-eta sqrt(a/2)) / 2 - exp(-a eta^2 / 2) / sqrt(2 pi a) * C0(eta), with lambda =
// x/a, eta = sign(lambda - 1) sqrt(2 (lambda - 1 - log lambda)), C0 = 1/(lambda - 1) - 1/eta. The
// omitted terms are O(a^-3/2): below 1e-9 for a >= 1e6.
inline double gamma_p_large(double a, double x) {
  double lambda = x / a, d = lambda - 1;
  // lambda - 1 - log(lambda) without cancellation near lambda = 1.
  double q = d - std::log1p(d);
  double eta = std::copysign(std::sqrt(2 * std::max(q, 0.0)), d);
  double c0;
  if (std::abs(eta) < 1e-3) {
    c0 = -1.0 / 3 + eta / 12 -
         2 * eta * eta / 135;  // the series of 1/(lambda - 1) - 1/eta at eta = 0
  } else {
    c0 = 1 / d - 1 / eta;
  }
  double p = 0.5 * std::erfc(-eta * std::sqrt(a / 2)) -
             std::exp(-a * eta * eta / 2) / std::sqrt(kTwoPi * a) * c0;
  return std::clamp(p, 0.0, 1.0);
}

// Regularised lower incomplete gamma with its kernel: the series for x < a + 1, else the
// continued fraction for Q (modified Lentz); Temme's asymptotic form for very large shapes.
inline GammaCdf gamma_cdf(double a, double lga, double x) {
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
inline double approx_normal_quantile(double p) {
  double pp = p < 0.5 ? p : 1 - p;
  double t = std::sqrt(-2 * std::log(pp));
  double z = t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                     (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return p < 0.5 ? -z : z;
}

// Approximate p-quantile of Gamma(a, 1): Wilson-Hilferty, or the small-x form
// (p Gamma(a + 1))^(1/a) where that is not usable. Only a starting point.
inline double approx_gamma_quantile(double a, double p) {
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
inline double mixture_quantile(const std::array<GammaTerm, K>& terms, double p) {
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
      if (std::isfinite(halley) && halley * newton > 0 &&
          std::abs(halley) <= 2 * std::abs(newton)) {
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

}  // namespace paraderm::pv::detail
