// Closed-form pharmacokinetics of linear oral models: one or two compartments, first-order or
// zero-order absorption, optional lag time; single dose, multiple doses by superposition and
// analytic steady state.
//
// Units: doses in mg, volumes in L, clearances in L/h, rates in 1/h, times in h; concentrations
// are returned in mg/L (= µg/mL). Contract: parameters are positive and finite (validate() says
// which is not); for zero-order input the duration must not exceed the dosing interval.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "paraderm/status.h"

namespace paraderm::pharm {

struct PkParams {
  int compartments = 1;                // 1 or 2
  double cl_l_h = 0;                   // clearance (apparent, CL/F, when f == 1)
  double v1_l = 0;                     // central volume (V/F)
  double q_l_h = 0;                    // inter-compartmental clearance (2 compartments)
  double v2_l = 0;                     // peripheral volume (2 compartments)
  double ka_per_h = 0;                 // first-order absorption rate; ignored with zero-order input
  std::optional<double> zero_order_h;  // duration of zero-order input, instead of ka
  double lag_h = 0;                    // absorption lag time
  double f = 1;                        // bioavailability applied to the dose
};

Status validate(const PkParams& p);

// A linear system's unit response as a sum of exponentials: C(t) = sum coef_i * exp(-rate_i t)
// per mg absorbed into the central compartment (mg/L per mg).
struct Disposition {
  int terms = 1;
  std::array<double, 2> coef{};
  std::array<double, 2> rate{};
};
Disposition disposition(const PkParams& p);

// Concentration after a single dose given at time 0; 0 before the dose (or its lag).
double single_dose(const PkParams& p, double dose_mg, double t_h);
// Concentration at t after `n_doses` doses given every `tau_h` from time 0 (superposition).
double multiple_dose(const PkParams& p, double dose_mg, double tau_h, int n_doses, double t_h);
// Concentration at steady state, t hours after a dose (any t; reduced modulo tau).
double steady_state(const PkParams& p, double dose_mg, double tau_h, double t_h);

// steady_state() at t = 0, step, 2·step, ... for every element of `out` (sized by the caller),
// with the regimen's constant factors computed once.
void steady_state_grid(const PkParams& p, double dose_mg, double tau_h, double step_h,
                       std::vector<double>& out);

// Converts mg/L to nM for a molecule of molar mass `mw_g_mol`.
inline double mg_per_l_to_nm(double c_mg_l, double mw_g_mol) { return c_mg_l * 1e6 / mw_g_mol; }

}  // namespace paraderm::pharm
