// Numbers in reason texts: the same text as printf "%g" (fmt "{:g}": 6 significant digits, trailing
// zeros dropped, exponent outside [1e-4, 1e6)) without fmt's precision path, which took ~1 200
// instructions per number and a sixth of an assessment's time (docs/assessment.md §4).
//
// Contract: fmt::format("{:g}", G{v}) == fmt::format("{:g}", v) for every double v (checked by a
// property test in tests/text/number_test.cpp). The fast paths are exact: an integer below 1e6
// prints its digits; a value whose shortest round-trip text (Dragonbox, fmt "{}") has at most six
// significant digits and no exponent is what "%g" prints (rounding to six digits leaves it
// unchanged). Everything else goes to fmt's "{:g}".
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string_view>

namespace paraderm::text {

struct G {
  double v;
};

// Writes "%g" text of v into buf (at least 32 bytes); returns the length.
inline std::size_t format_g(double v, char* buf) {
  if (std::isfinite(v) && std::fabs(v) < 1e6) {
    if (v == std::trunc(v) && !(v == 0 && std::signbit(v))) {
      auto r = fmt::format_to(buf, "{}", static_cast<std::int64_t>(v));
      return static_cast<std::size_t>(r - buf);
    }
    if (std::fabs(v) >= 1e-4) {
      char* end = fmt::format_to(buf, "{}", v);
      std::string_view s(buf, static_cast<std::size_t>(end - buf));
      if (s.find_first_of("eE") == std::string_view::npos) {
        int significant = 0;
        bool leading = true;
        for (char c : s) {
          if (c < '0' || c > '9') continue;
          if (leading && c == '0') continue;
          leading = false;
          ++significant;
        }
        if (significant <= 6) return s.size();
      }
    }
  }
  auto r = fmt::format_to(buf, "{:g}", v);
  return static_cast<std::size_t>(r - buf);
}

// v to `significant` digits: a converted measurement (4.6 mmol/L = 7.41218 g/dL, 55 lb = 24.9476
// kg) shown with the digits of a measurement, not of the conversion. Printed with G, never with an
// exponent below 1e6.
inline double round_significant(double v, int significant = 4) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale =
      std::pow(10.0, significant - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

}  // namespace paraderm::text

// "{:g}" (or "{}") of G{v}: the text above.
template <>
struct fmt::formatter<paraderm::text::G> {
  constexpr auto parse(fmt::format_parse_context& ctx) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it == 'g') ++it;
    if (it != ctx.end() && *it != '}') throw fmt::format_error("G takes only {:g}");
    return it;
  }
  template <class Context>
  auto format(paraderm::text::G g, Context& ctx) const {
    char buf[40];
    std::size_t n = paraderm::text::format_g(g.v, buf);
    return std::copy(buf, buf + n, ctx.out());
  }
};
