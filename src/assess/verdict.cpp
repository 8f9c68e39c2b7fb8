// The one string table of verdicts and severities: renderers and tests go through it, so a
// misspelt verdict cannot rank anywhere.
#include <array>
#include <utility>

#include "paraderm/assess.h"

namespace paraderm::assess {
namespace {

constexpr std::array<std::pair<Verdict, std::string_view>, 5> kVerdicts{{
    {Verdict::kPreferred, "preferred"},
    {Verdict::kAcceptable, "acceptable"},
    {Verdict::kCaution, "caution"},
    {Verdict::kAvoid, "avoid"},
    {Verdict::kContraindicated, "contraindicated"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 4> kSeverities{{
    {Severity::kInfo, "info"},
    {Severity::kCaution, "caution"},
    {Severity::kWarning, "warning"},
    {Severity::kBlock, "block"},
}};

}  // namespace

std::string_view to_string(Verdict v) {
  for (const auto& [e, name] : kVerdicts) {
    if (e == v) return name;
  }
  return "?";
}

std::string_view to_string(Severity s) {
  for (const auto& [e, name] : kSeverities) {
    if (e == s) return name;
  }
  return "?";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  for (const auto& [e, n] : kVerdicts) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace paraderm::assess
