// The optimisers of the MGPS fit (private to src/pv): BFGS on the inverse Hessian with a
// strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6) and a Nelder-Mead fallback,
// over five log/logit parameters.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "pv/special.h"

namespace paraderm::pv::detail {

using Vec5 = std::array<double, 5>;

inline double dot(const Vec5& a, const Vec5& b) {
  double s = 0;
  for (std::size_t i = 0; i < 5; ++i) s += a[i] * b[i];
  return s;
}

inline double max_abs(const Vec5& a) {
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
inline LineSearch wolfe_search(FG& fg, const Vec5& x0, double f0, const Vec5& d, double slope0,
                               double step, double max_step) {
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
      double left = std::min(lo.step, hi.step), right = std::max(lo.step, hi.step),
             width = right - left;
      if (!std::isfinite(a) || a < left + 0.1 * width || a > right - 0.1 * width)
        a = 0.5 * (lo.step + hi.step);
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
inline constexpr double kGradTol = 1e-8;
// Where the line search can make no more progress, a gradient below this counts as converged
// (the value is then limited by rounding).
inline constexpr double kGradTolStalled = 1e-6;

// BFGS on the inverse Hessian; the first step is scaled to move no coordinate by more than 1 and
// no step moves a coordinate by more than 10.
template <class FG>
inline StartResult bfgs(FG& fg, Vec5 x, int max_iter) {
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
inline std::pair<std::array<double, 5>, bool> nelder_mead(F f, std::array<double, 5> x0,
                                                          int max_iter) {
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
      if (fe < fr) {
        s[n] = e;
        fs[n] = fe;
      } else {
        s[n] = r;
        fs[n] = fr;
      }
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

}  // namespace paraderm::pv::detail
