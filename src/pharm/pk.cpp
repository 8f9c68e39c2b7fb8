#include "paraderm/pk.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace paraderm::pharm {
namespace {

// Relative gap under which two rate constants are treated as equal (the closed form's
// denominator ka - lambda vanishes there and the limit form is used instead).
constexpr double kEqualRates = 1e-9;

// Response at time s >= 0 to a unit first-order input (rate ka) into one exponential term:
// integral_0^s ka e^{-ka u} e^{-lambda (s-u)} du.
double first_order_term(double ka, double lambda, double s) {
  if (std::fabs(ka - lambda) <= kEqualRates * std::max(ka, lambda))
    return ka * s * std::exp(-ka * s);
  return ka / (ka - lambda) * (std::exp(-lambda * s) - std::exp(-ka * s));
}

// Response at time s >= 0 to a unit amount spread evenly over duration d (zero-order input).
double zero_order_term(double d, double lambda, double s) {
  double rate = 1.0 / d;
  if (s <= d) return rate / lambda * (1 - std::exp(-lambda * s));
  return rate / lambda * (std::exp(-lambda * (s - d)) - std::exp(-lambda * s));
}

}  // namespace

Status validate(const PkParams& p) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (p.compartments != 1 && p.compartments != 2) {
    return Status::invalid_input(
        fmt::format("compartments: value {}: expected 1 or 2", p.compartments));
  }
  if (!positive(p.cl_l_h))
    return Status::invalid_input(fmt::format("cl_l_h: value {}: expected > 0", p.cl_l_h));
  if (!positive(p.v1_l))
    return Status::invalid_input(fmt::format("v1_l: value {}: expected > 0", p.v1_l));
  if (p.compartments == 2 && !(positive(p.q_l_h) && positive(p.v2_l))) {
    return Status::invalid_input("q_l_h, v2_l: expected > 0 for a two-compartment model");
  }
  if (p.zero_order_h ? !positive(*p.zero_order_h) : !positive(p.ka_per_h)) {
    return Status::invalid_input("absorption: expected ka_per_h > 0 or zero_order_h > 0");
  }
  if (!(std::isfinite(p.lag_h) && p.lag_h >= 0))
    return Status::invalid_input("lag_h: expected >= 0");
  if (!(p.f > 0 && p.f <= 1))
    return Status::invalid_input(fmt::format("f: value {}: expected in (0, 1]", p.f));
  return Status::ok();
}

Disposition disposition(const PkParams& p) {
  Disposition d;
  double k10 = p.cl_l_h / p.v1_l;
  if (p.compartments == 1) {
    d.terms = 1;
    d.coef[0] = 1.0 / p.v1_l;
    d.rate[0] = k10;
    return d;
  }
  double k12 = p.q_l_h / p.v1_l;
  double k21 = p.q_l_h / p.v2_l;
  double sum = k10 + k12 + k21;
  double root = std::sqrt(sum * sum - 4 * k10 * k21);
  double alpha = 0.5 * (sum + root);
  double beta = 0.5 * (sum - root);
  d.terms = 2;
  d.rate = {alpha, beta};
  d.coef = {(alpha - k21) / ((alpha - beta) * p.v1_l), (k21 - beta) / ((alpha - beta) * p.v1_l)};
  return d;
}

double single_dose(const PkParams& p, double dose_mg, double t_h) {
  double s = t_h - p.lag_h;
  if (s < 0) return 0;
  Disposition d = disposition(p);
  double c = 0;
  for (int i = 0; i < d.terms; ++i) {
    double unit = p.zero_order_h ? zero_order_term(*p.zero_order_h, d.rate[i], s)
                                 : first_order_term(p.ka_per_h, d.rate[i], s);
    c += d.coef[i] * unit;
  }
  return p.f * dose_mg * c;
}

double multiple_dose(const PkParams& p, double dose_mg, double tau_h, int n_doses, double t_h) {
  double c = 0;
  for (int k = 0; k < n_doses; ++k) {
    double t_dose = k * tau_h;
    if (t_dose > t_h) break;
    c += single_dose(p, dose_mg, t_h - t_dose);
  }
  return c;
}

double steady_state(const PkParams& p, double dose_mg, double tau_h, double t_h) {
  // Time since the last dose's input began, in [0, tau).
  double s = std::fmod(t_h - p.lag_h, tau_h);
  if (s < 0) s += tau_h;
  Disposition d = disposition(p);
  double c = 0;
  for (int i = 0; i < d.terms; ++i) {
    double lambda = d.rate[i];
    double acc = 1.0 / (1 - std::exp(-lambda * tau_h));  // sum over all past doses
    double unit;
    if (p.zero_order_h) {
      double dur = *p.zero_order_h;
      // The current dose (possibly still being absorbed) plus every earlier, completed one.
      double after_end = (std::exp(lambda * dur) - 1) / (dur * lambda);
      unit = zero_order_term(dur, lambda, s) + after_end * std::exp(-lambda * (s + tau_h)) * acc;
    } else {
      double ka = p.ka_per_h;
      if (std::fabs(ka - lambda) <= kEqualRates * std::max(ka, lambda)) {
        // Limit ka -> lambda of the geometric sum of ka (s + k tau) e^{-ka (s + k tau)}.
        double q = std::exp(-ka * tau_h);
        unit = ka * std::exp(-ka * s) * (s / (1 - q) + tau_h * q / ((1 - q) * (1 - q)));
      } else {
        double acc_ka = 1.0 / (1 - std::exp(-ka * tau_h));
        unit = ka / (ka - lambda) * (std::exp(-lambda * s) * acc - std::exp(-ka * s) * acc_ka);
      }
    }
    c += d.coef[i] * unit;
  }
  return p.f * dose_mg * c;
}

void steady_state_grid(const PkParams& p, double dose_mg, double tau_h, double step_h,
                       std::vector<double>& out) {
  // Same closed form as steady_state(), with the per-regimen factors (disposition, the geometric
  // sums) computed once instead of at every point: the pathway grid calls this for every profile.
  Disposition d = disposition(p);
  const double ka = p.ka_per_h;
  struct Term {
    double coef, lambda, acc, acc_ka, after_end;
    bool equal;
  };
  std::array<Term, 2> terms{};
  for (int i = 0; i < d.terms; ++i) {
    Term& t = terms[static_cast<std::size_t>(i)];
    t.coef = d.coef[i];
    t.lambda = d.rate[i];
    t.acc = 1.0 / (1 - std::exp(-t.lambda * tau_h));
    t.equal = !p.zero_order_h && std::fabs(ka - t.lambda) <= kEqualRates * std::max(ka, t.lambda);
    t.acc_ka = p.zero_order_h ? 0 : 1.0 / (1 - std::exp(-ka * tau_h));
    if (p.zero_order_h) {
      double dur = *p.zero_order_h;
      t.after_end = (std::exp(t.lambda * dur) - 1) / (dur * t.lambda);
    }
  }
  for (std::size_t k = 0; k < out.size(); ++k) {
    double t_h = static_cast<double>(k) * step_h;
    double s = std::fmod(t_h - p.lag_h, tau_h);
    if (s < 0) s += tau_h;
    double c = 0;
    for (int i = 0; i < d.terms; ++i) {
      const Term& t = terms[static_cast<std::size_t>(i)];
      double unit;
      if (p.zero_order_h) {
        unit = zero_order_term(*p.zero_order_h, t.lambda, s) +
               t.after_end * std::exp(-t.lambda * (s + tau_h)) * t.acc;
      } else if (t.equal) {
        double q = std::exp(-ka * tau_h);
        unit = ka * std::exp(-ka * s) * (s / (1 - q) + tau_h * q / ((1 - q) * (1 - q)));
      } else {
        unit =
            ka / (ka - t.lambda) * (std::exp(-t.lambda * s) * t.acc - std::exp(-ka * s) * t.acc_ka);
      }
      c += t.coef * unit;
    }
    out[k] = p.f * dose_mg * c;
  }
}

}  // namespace paraderm::pharm
