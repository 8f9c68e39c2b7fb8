// Units of lab results, body weight and height: one converter for the case reader, the
// assessment's thresholds and the KB integrity checks.
//
// Contract:
//  * Unit strings are read as UCUM (case-sensitive): prefixes (k, d, c, m, u, n, p, ...), powers
//    of ten (10*3, 10^9), exponents (m2, mm3), '.' and '/', parentheses and annotations, which are
//    unity ({cells}/uL == /uL, mL/min/{1.73_m2} == mL/min). Atoms: g, m, L (or l), s, min, h, d,
//    a, mol, U, [iU] (== [IU]), %, [lb_av], [in_i].
//  * Pure dimensional algebra is code, exact by definition: prefixes, powers of ten, uL == mm3,
//    [lb_av] = 453.59237 g, [in_i] = 2.54 cm. Amount of substance (mol) is kept apart from counts
//    and [iU] apart from U, so a molar concentration never becomes a cell count.
//  * Anything that depends on the analyte (a molar mass: creatinine, bilirubin, haemoglobin in
//    mmol/L) comes only from a KB `unit_conversion` row naming that analyte, never from code and
//    never from another analyte's row.
//  * Common non-UCUM spellings are read (x10E3/uL, x10^3/uL, K/uL, G/L, cells/uL, cells/mm3, lb,
//    lbs, IU, the KB's mL/min/1.73m2, a micro sign); the result lists each one read, so that a
//    caller can warn.
//  * Nothing throws. A failure is a Status whose message names the unit and why (not a unit, or
//    a different dimension and no KB row for the analyte).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/kb.h"
#include "paraderm/status.h"

namespace paraderm::units {

// Base dimensions; counts (cells, 10*9) are dimensionless.
enum Dimension { kMass, kLength, kTime, kAmount, kInternationalUnit, kDimensions };

struct Unit {
  std::string text;  // as given
  std::string ucum;  // the UCUM expression read (differs from text for a non-UCUM spelling)
  double scale = 1;  // magnitude in g, m, s, mol, [iU]
  std::array<int, kDimensions> dims{};
  bool non_ucum() const { return ucum != text; }
  bool commensurable(const Unit& other) const { return dims == other.dims; }
  // "mass/volume", "number/volume", "amount/volume", "mass", "length", "number", ...
  std::string dimension() const;
};

Result<Unit> parse(std::string_view text);

struct Conversion {
  double value = 0;
  double factor = 0;  // value = factor × the value given
  // One line per non-UCUM spelling read: `"K/uL" is not UCUM: read as 10*3/uL`.
  std::vector<std::string> non_ucum;
  const kb::UnitConversion* via =
      nullptr;  // the KB row used when the conversion is analyte-specific
};

// `value` of `analyte` (a KB lab id) from unit `from` to unit `to`.
Result<Conversion> convert(const kb::KnowledgeBase& kb, std::string_view analyte, double value,
                           std::string_view from, std::string_view to);

// The converted value, or nullopt when `convert` fails.
std::optional<double> converted(const kb::KnowledgeBase& kb, std::string_view analyte, double value,
                                std::string_view from, std::string_view to);

// To the KB lab's unit; fails when the lab is not in the KB or has no unit.
Result<Conversion> to_lab_unit(const kb::KnowledgeBase& kb, std::string_view lab, double value,
                               std::string_view from);

// Units a value of `analyte` could be sent in to reach `to` (from a short list of common lab
// units plus the KB rows of the analyte): for messages that say what was expected.
std::vector<std::string> accepted_units(const kb::KnowledgeBase& kb, std::string_view analyte,
                                        std::string_view to);

}  // namespace paraderm::units
