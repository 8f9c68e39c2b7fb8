// Disproportionality statistics and the MGPS fit (standards-and-anchors.md §3.2).
//
// The MGPS fit minimises -log L with BFGS (analytic gradient, strong-Wolfe line search) on
// log/logit parameters from six start points run in parallel; identical (n, E) points are merged
// and the log-gamma differences are computed once per distinct count. The posterior quantiles are
// Halley steps on the mixture CDF in log lambda, safeguarded by a bracket.
#include <tbb/parallel_for.h>

#include "paraderm/pv.h"
#include "pv/optimise.h"
#include "pv/special.h"

namespace paraderm::pv {
namespace {

using namespace detail;

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

MgpsPrior from_vector(const Vec5& v) {
  return {std::exp(v[0]), std::exp(v[1]), std::exp(v[2]), std::exp(v[3]),
          1 / (1 + std::exp(-v[4]))};
}

Vec5 to_vector(const MgpsPrior& t) {
  return {std::log(t.alpha1), std::log(t.beta1), std::log(t.alpha2), std::log(t.beta2),
          std::log(t.p / (1 - t.p))};
}

// -log L of the MGPS model as the fit evaluates it: identical (n, E) points merged (weights
// summed), lgamma(alpha + n) - lgamma(alpha) and its alpha-derivative computed once per distinct
// count and evaluation, log(1 + E / beta) shared by the marginal and the truncation term.
class Objective {
 public:
  Objective(std::span<const double> n, std::span<const double> e, std::span<const double> w,
            int min_count)
      : min_count_(min_count) {
    std::vector<std::size_t> order(n.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    bool finite = true;
    for (std::size_t i = 0; i < n.size(); ++i)
      finite = finite && std::isfinite(n[i]) && std::isfinite(e[i]);
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
      p.e_index =
          static_cast<std::uint32_t>(std::lower_bound(es_.begin(), es_.end(), p.e) - es_.begin());
      // NaN E (left unmerged) is not found; it keeps index 0 and is evaluated on its own below.
      if (!(p.e_index < es_.size() && es_[p.e_index] == p.e)) p.e_index = kOwnE;
    }
    for (int k = 0; k < min_count_ && min_count_ > 1; ++k) counts_.push_back(k);
    std::sort(counts_.begin(), counts_.end());
    counts_.erase(std::unique(counts_.begin(), counts_.end()), counts_.end());
    auto index = [&](double c) {
      return static_cast<std::uint32_t>(std::lower_bound(counts_.begin(), counts_.end(), c) -
                                        counts_.begin());
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
  std::vector<double> es_;  // distinct expected counts, ascending
  std::vector<double>
      counts_;  // distinct counts, ascending (with 0 .. min_count - 1 when min_count > 1)
  std::vector<Below> below_;  // the counts below min_count when min_count > 1
  int min_count_;
  double log_factorials_ = 0;  // sum of w lgamma(n + 1)
};

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
                                std::isfinite(r.f) ? r.f : std::numeric_limits<double>::max(),
                                r.converged, r.method});
  }
  for (double v : values)
    best.starts_agreeing +=
        std::abs(v - best.neg_log_lik) < 1e-3 * (1 + std::abs(best.neg_log_lik));
  best.converged = best.starts_agreeing >= 2;
  best.message =
      best.converged ? "converged" : "fewer than two converged start points agree on the optimum";
  // Order the components so the first is the one with the smaller prior mean (a reporting
  // convention: the fitted mixture is the same either way).
  if (best.theta.alpha1 / best.theta.beta1 > best.theta.alpha2 / best.theta.beta2) {
    auto& t = best.theta;
    t = {t.alpha2, t.beta2, t.alpha1, t.beta1, 1 - t.p};
  }
  return best;
}

}  // namespace

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
                                                std::span<const double> e,
                                                std::span<const double> weights, int min_count) {
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
Squashed coarsen(std::span<const double> n, std::span<const double> e, std::span<const double> w,
                 std::size_t target) {
  std::vector<std::size_t> idx(n.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return n[a] != n[b] ? n[a] < n[b] : e[a] < e[b]; });
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

MgpsFit fit_mgps(std::span<const double> n, std::span<const double> e, std::span<const double> w,
                 int min_count) {
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
    r.converged =
        r.converged || (ok && !coarse);  // a coarse search alone says nothing of the full optimum
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
    bool agrees = results[i].converged && std::abs(results[i].f - first.neg_log_lik) <
                                              1e-3 * (1 + std::abs(first.neg_log_lik));
    rerun[i] = (first.starts_agreeing < 2 && !agrees) || one_gamma(results[i].x);
    any = any || rerun[i];
  }
  if (any) {
    for_each_start([&](std::size_t i) {
      if (!rerun[i]) return;
      StartResult r = nelder_mead_then_bfgs(to_vector(kStarts[i]));
      r.method = "Nelder-Mead from the start, then BFGS (rerun)";
      if (r.f < results[i].f ||
          (r.converged && !results[i].converged && r.f <= results[i].f + 1e-9))
        results[i] = r;
    });
  }
  return summarise(results);
}

MgpsFit fit_mgps_nelder_mead(std::span<const double> n, std::span<const double> e,
                             std::span<const double> w, int min_count) {
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

const char* to_string(QnRule rule) {
  return rule == QnRule::kPublished ? "published" : "conditional";
}

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
  const std::array<GammaTerm, 2> posterior{
      {{out.q, a1, b1, lgam(a1)}, {1 - out.q, a2, b2, lgam(a2)}}};
  out.eb05 = mixture_quantile(posterior, 0.05);
  out.eb95 = mixture_quantile(posterior, 0.95);
  return out;
}

MgpsStandardErrors mgps_standard_errors(const MgpsPrior& theta, std::span<const double> n,
                                        std::span<const double> e, std::span<const double> w,
                                        int min_count) {
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
      out.message =
          "the Hessian of -log L is not positive definite at this theta (not a strict minimum)";
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