#include "common.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace paraderm::cli {

std::optional<kb::KnowledgeBase> load_kb(const std::string& dir, bool print_warnings,
                                         std::size_t* warnings) {
  kb::LoadResult r = dir.empty() ? kb::load_embedded() : kb::load_directory(dir);
  std::size_t n_warn = 0;
  for (const auto& issue : r.issues) {
    if (issue.severity == kb::ValidationIssue::Severity::kWarning) {
      ++n_warn;
      if (!print_warnings) continue;
    }
    fmt::print(stderr, "{}\n", issue.to_string());
  }
  if (warnings) *warnings = n_warn;
  if (!r.kb) {
    fmt::print(stderr, "knowledge base {} is invalid: {} error(s)\n",
               dir.empty() ? "(embedded)" : dir, r.error_count());
  }
  return std::move(r.kb);
}

std::optional<double> parse_with_unit(const std::string& text, const std::string& unit) {
  if (text.size() <= unit.size() ||
      text.compare(text.size() - unit.size(), unit.size(), unit) != 0) {
    return std::nullopt;
  }
  double v = 0;
  const char* end = text.data() + text.size() - unit.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !(v > 0) || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace paraderm::cli
