// Helpers every CLI command shares: exit codes, loading the KB, parsing "5mg"-style values.
#pragma once

#include <optional>
#include <string>

#include "paraderm/kb.h"

namespace paraderm::cli {

inline constexpr int kExitOk = 0;
// The input was fine but the operation could not be completed (a database write failed).
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

// Loads the embedded KB (dir empty) or the one in `dir`, printing every error (and the warnings
// when asked) to stderr; nullopt when the KB is invalid.
std::optional<kb::KnowledgeBase> load_kb(const std::string& dir, bool print_warnings = false,
                                         std::size_t* warnings = nullptr);

// "5mg" -> 5 with unit "mg"; nullopt unless a positive finite number followed by exactly `unit`.
std::optional<double> parse_with_unit(const std::string& text, const std::string& unit);

}  // namespace paraderm::cli
