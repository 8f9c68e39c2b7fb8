// Closed-form PK against the check values of docs/reference/standards-and-anchors.md §5.1
// (recomputed there from the formulas and cross-checked against RK4), and against an independent
// RK4 solution of the compartment ODEs written here.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "paraderm/pk.h"

namespace paraderm::pharm {
namespace {

constexpr double kRel = 1e-6;

void expect_rel(double actual, double expected) {
  EXPECT_NEAR(actual, expected, kRel * std::fabs(expected)) << "expected " << expected;
}

PkParams one_cmt() {  // the NONMEM/mrgsolve benchmark model: CL 1.1, V 20, ka 1.5
  PkParams p;
  p.cl_l_h = 1.1;
  p.v1_l = 20;
  p.ka_per_h = 1.5;
  return p;
}

PkParams two_cmt() {  // CL 1, V1 10, Q 4, V2 200, ka 1.3
  PkParams p;
  p.compartments = 2;
  p.cl_l_h = 1;
  p.v1_l = 10;
  p.q_l_h = 4;
  p.v2_l = 200;
  p.ka_per_h = 1.3;
  return p;
}

TEST(Pk, OneCompartmentSingleDoseCheckValues) {
  PkParams p = one_cmt();
  ASSERT_TRUE(validate(p).is_ok());
  expect_rel(single_dose(p, 100, 1), 3.754438);
  expect_rel(single_dose(p, 100, 2), 4.391248);
  expect_rel(single_dose(p, 100, 4), 4.152457);
  expect_rel(single_dose(p, 100, 8), 3.342718);
  expect_rel(single_dose(p, 100, 24), 1.386515);
  expect_rel(single_dose(p, 100, 48), 0.370387);
}

TEST(Pk, OneCompartmentCmaxAtTmax) {
  PkParams p = one_cmt();
  double k = p.cl_l_h / p.v1_l;
  double tmax = std::log(p.ka_per_h / k) / (p.ka_per_h - k);
  EXPECT_NEAR(tmax, 2.2878, 1e-4);
  expect_rel(single_dose(p, 100, tmax), 4.408825);
}

TEST(Pk, MultipleDoseAndSteadyStateCheckValues) {
  PkParams p = one_cmt();
  expect_rel(multiple_dose(p, 100, 24, 4, 73), 5.510968);
  expect_rel(steady_state(p, 100, 24, 1), 5.545104);
}

TEST(Pk, TwoCompartmentCheckValues) {
  PkParams p = two_cmt();
  ASSERT_TRUE(validate(p).is_ok());
  expect_rel(single_dose(p, 100, 1), 5.4373926);
  expect_rel(single_dose(p, 100, 4), 2.2585250);
  expect_rel(single_dose(p, 100, 24), 0.2877564);
  expect_rel(single_dose(p, 100, 96), 0.2176480);
}

// Independent reference: fixed-step RK4 on depot -> central <-> peripheral (test-only).
double rk4(const PkParams& p, double dose, double t_end, double zero_order_h = 0) {
  double k10 = p.cl_l_h / p.v1_l, k12 = p.compartments == 2 ? p.q_l_h / p.v1_l : 0,
         k21 = p.compartments == 2 ? p.q_l_h / p.v2_l : 0;
  double a0 = zero_order_h > 0 ? 0 : dose * p.f, a1 = 0, a2 = 0;
  double h = 1e-3;
  // Zero-order input is on for whole steps that start inside [lag, lag + D): D is a multiple
  // of h in the tests, so the input edge falls on a step boundary and RK4 stays 4th-order.
  double step_start = 0;
  auto input = [&](double) {
    double s = step_start - p.lag_h + h / 2;
    return zero_order_h > 0 && s >= 0 && s < zero_order_h ? dose * p.f / zero_order_h : 0.0;
  };
  auto deriv = [&](double t, double x0, double x1, double x2, double out[3]) {
    bool absorbing = t >= p.lag_h;
    double abs = absorbing ? p.ka_per_h * x0 : 0;
    out[0] = -abs;
    out[1] = abs + input(t) - (k10 + k12) * x1 + k21 * x2;
    out[2] = k12 * x1 - k21 * x2;
  };
  int steps = static_cast<int>(std::lround(t_end / h));
  for (int i = 0; i < steps; ++i) {
    double t = i * h, d1[3], d2[3], d3[3], d4[3];
    step_start = t;
    deriv(t, a0, a1, a2, d1);
    deriv(t + h / 2, a0 + h / 2 * d1[0], a1 + h / 2 * d1[1], a2 + h / 2 * d1[2], d2);
    deriv(t + h / 2, a0 + h / 2 * d2[0], a1 + h / 2 * d2[1], a2 + h / 2 * d2[2], d3);
    deriv(t + h, a0 + h * d3[0], a1 + h * d3[1], a2 + h * d3[2], d4);
    a0 += h / 6 * (d1[0] + 2 * d2[0] + 2 * d3[0] + d4[0]);
    a1 += h / 6 * (d1[1] + 2 * d2[1] + 2 * d3[1] + d4[1]);
    a2 += h / 6 * (d1[2] + 2 * d2[2] + 2 * d3[2] + d4[2]);
  }
  return a1 / p.v1_l;
}

TEST(Pk, TwoCompartmentAgreesWithOde) {
  PkParams p = two_cmt();
  for (double t : {0.5, 1.0, 3.0, 12.0, 24.0}) expect_rel(single_dose(p, 100, t), rk4(p, 100, t));
}

TEST(Pk, ZeroOrderInputAgreesWithOde) {
  PkParams p = two_cmt();
  p.zero_order_h = 0.7;  // integer multiples of the RK4 step keep the input edge exact
  for (double t : {0.3, 0.7, 2.0, 10.0}) {
    EXPECT_NEAR(single_dose(p, 100, t), rk4(p, 100, t, 0.7), 1e-6 * rk4(p, 100, t, 0.7) + 1e-9);
  }
}

TEST(Pk, LagTimeShiftsTheCurve) {
  PkParams p = one_cmt();
  PkParams lagged = p;
  lagged.lag_h = 0.5;
  EXPECT_EQ(single_dose(lagged, 100, 0.4), 0.0);
  expect_rel(single_dose(lagged, 100, 2.5), single_dose(p, 100, 2.0));
}

TEST(Pk, SteadyStateIsTheLimitOfRepeatedDosing) {
  for (PkParams p : {one_cmt(), two_cmt()}) {
    p.lag_h = 0.25;
    for (double t : {0.1, 0.5, 3.0, 11.9}) {
      double many = multiple_dose(p, 50, 12, 400, 399 * 12 + t);
      EXPECT_NEAR(steady_state(p, 50, 12, t), many, 1e-7 * many);
    }
    p.zero_order_h = 0.69;
    for (double t : {0.1, 0.5, 0.9, 3.0, 11.9}) {
      double many = multiple_dose(p, 50, 12, 400, 399 * 12 + t);
      EXPECT_NEAR(steady_state(p, 50, 12, t), many, 1e-7 * many);
    }
  }
}

TEST(Pk, EqualRatesUseTheLimitForm) {
  PkParams p = one_cmt();
  p.ka_per_h = p.cl_l_h / p.v1_l;  // ka == k: the general formula divides by zero
  double t = 5;
  double k = p.ka_per_h;
  EXPECT_NEAR(single_dose(p, 100, t), 100 / p.v1_l * k * t * std::exp(-k * t), 1e-12);
  double many = multiple_dose(p, 100, 24, 300, 299 * 24 + 3);
  EXPECT_NEAR(steady_state(p, 100, 24, 3), many, 1e-7 * many);
}

TEST(Pk, ValidateNamesTheBadParameter) {
  PkParams p = one_cmt();
  p.cl_l_h = -1;
  Status s = validate(p);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("cl_l_h"), std::string::npos);
  p = one_cmt();
  p.f = 1.5;
  EXPECT_NE(validate(p).message().find("f: value 1.5"), std::string::npos);
}

TEST(Pk, UnitConversion) {
  // tofacitinib MW 312.37 g/mol: 1 ng/mL = 3.20 nM (pharmacology.md §4a)
  EXPECT_NEAR(mg_per_l_to_nm(0.001, 312.37), 3.20, 0.005);
}

// The grid form hoists the regimen's constant factors; it must equal the pointwise closed form
// for every structure (1/2 compartments, first/zero order, lag, ka = lambda).
TEST(Pk, SteadyStateGridEqualsThePointwiseForm) {
  PkParams one;
  one.cl_l_h = 26.3;
  one.v1_l = 115.8;
  one.ka_per_h = 9.85;
  one.lag_h = 0.236;
  PkParams two = one;
  two.compartments = 2;
  two.v1_l = 146;
  two.v2_l = 64.3;
  two.q_l_h = 3.23;
  two.ka_per_h = 12.3;
  two.lag_h = 0.48;
  PkParams zero = one;
  zero.zero_order_h = 0.69;
  PkParams equal = one;
  equal.ka_per_h = one.cl_l_h / one.v1_l;
  for (const auto* p : {&one, &two, &zero, &equal}) {
    for (double tau : {12.0, 24.0}) {
      std::vector<double> grid(24 * 60);
      steady_state_grid(*p, 5, tau, 1.0 / 60, grid);
      for (std::size_t i = 0; i < grid.size(); i += 7) {
        double expected = steady_state(*p, 5, tau, static_cast<double>(i) / 60);
        EXPECT_NEAR(grid[i], expected, 1e-12 * std::max(1.0, expected)) << i;
      }
    }
  }
}

}  // namespace
}  // namespace paraderm::pharm
