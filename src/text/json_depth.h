// Nesting depth of a JSON text without parsing it, so that no recursive code ever sees a document
// deeper than a limit (the case reader and the HTTP gate share this one scan).
#pragma once

#include <cstddef>
#include <string_view>

namespace paraderm::text {

inline constexpr std::size_t kDepthWithinLimit = static_cast<std::size_t>(-1);

// The offset of the first '{' or '[' that opens a level deeper than `limit`, or kDepthWithinLimit.
// Brackets inside strings do not count.
inline std::size_t json_too_deep_at(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return i;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return kDepthWithinLimit;
}

}  // namespace paraderm::text
