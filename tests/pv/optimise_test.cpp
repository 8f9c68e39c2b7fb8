// The MGPS optimisers on functions whose minimum is known (src/pv/optimise.h): a fit that stops
// early or walks the wrong way shows up here before it shows up as a worse -log L on caers.
#include <gtest/gtest.h>

#include <cmath>

#include "pv/optimise.h"

namespace paraderm::pv::detail {
namespace {

// f(x) = sum_i (i + 1) (x_i - c_i)^2: minimum 0 at c.
constexpr Vec5 kCentre = {1.0, -2.0, 0.5, 3.0, -0.25};

double quadratic(const Vec5& x, Vec5* g) {
  double f = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    double d = x[i] - kCentre[i];
    f += static_cast<double>(i + 1) * d * d;
    if (g) (*g)[i] = 2 * static_cast<double>(i + 1) * d;
  }
  return f;
}

// Rosenbrock in the first two coordinates (minimum at (1, 1)), a quadratic bowl in the others.
double rosenbrock(const Vec5& x, Vec5* g) {
  double a = 1 - x[0], b = x[1] - x[0] * x[0];
  double f = a * a + 100 * b * b + x[2] * x[2] + x[3] * x[3] + x[4] * x[4];
  if (g) *g = {-2 * a - 400 * x[0] * b, 200 * b, 2 * x[2], 2 * x[3], 2 * x[4]};
  return f;
}

TEST(PvOptimise, BfgsFindsTheMinimumOfAQuadratic) {
  auto fg = [](const Vec5& x, Vec5& g) { return quadratic(x, &g); };
  auto r = bfgs(fg, Vec5{0, 0, 0, 0, 0}, 200);
  EXPECT_TRUE(r.converged);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_NEAR(r.x[i], kCentre[i], 1e-6) << i;
  EXPECT_LT(r.f, 1e-10);
}

TEST(PvOptimise, BfgsFollowsTheRosenbrockValley) {
  auto fg = [](const Vec5& x, Vec5& g) { return rosenbrock(x, &g); };
  auto r = bfgs(fg, Vec5{-1.2, 1, 0.5, -0.5, 0.25}, 500);
  EXPECT_NEAR(r.x[0], 1, 1e-5);
  EXPECT_NEAR(r.x[1], 1, 1e-5);
  EXPECT_LT(r.f, 1e-9);
}

TEST(PvOptimise, NelderMeadFindsTheMinimumOfAQuadratic) {
  auto f = [](const Vec5& x) { return quadratic(x, nullptr); };
  auto [x, converged] = nelder_mead(f, Vec5{0, 0, 0, 0, 0}, 5000);
  EXPECT_TRUE(converged);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_NEAR(x[i], kCentre[i], 1e-3) << i;
}

}  // namespace
}  // namespace paraderm::pv::detail
