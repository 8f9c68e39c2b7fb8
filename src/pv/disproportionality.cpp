// ROR, PRR with chi-square and the shrinkage IC of one drug-event 2x2 table
// (standards-and-anchors.md §3).
#include <cmath>

#include "paraderm/pv.h"
#include "pv/special.h"

namespace paraderm::pv {

using namespace detail;

Disproportionality disproportionality(double a, double n_drug, double n_event, double total,
                                      double expected, bool ic_interval) {
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

}  // namespace paraderm::pv
