// Public special functions of the PV statistics (paraderm/pv.h).
#include "pv/special.h"

#include "paraderm/pv.h"

namespace paraderm::pv {

using namespace detail;

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

}  // namespace paraderm::pv
