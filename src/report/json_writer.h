// A streaming JSON writer for the hot output paths (assessment JSON: ~45 KB per response). It
// writes what nlohmann's dump() writes — the same layout for a given indent, the same string
// escapes, doubles with a ".0" when integral and null when not finite — without building a
// document first (building and copying an ordered_json tree cost ~0.5 ms per assessment).
// Invalid UTF-8 in a string (e.g. a text cut mid-character) becomes U+FFFD instead of an error.
#pragma once

#include <fmt/format.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cmath>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace paraderm::report {

class JsonWriter {
 public:
  // indent < 0: compact (no spaces); otherwise pretty, `indent` spaces per level.
  explicit JsonWriter(int indent = -1) : indent_(indent) { out_.reserve(std::size_t{64} * 1024); }

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    element();
    string(k);
    out_ += indent_ >= 0 ? ": " : ":";
    after_key_ = true;
    return *this;
  }

  JsonWriter& null() {
    element();
    out_ += "null";
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    element();
    string(s);
    return *this;
  }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) {
    element();
    out_ += b ? "true" : "false";
    return *this;
  }
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  JsonWriter& value(I v) {
    element();
    fmt::format_to(std::back_inserter(out_), "{}", v);
    return *this;
  }
  JsonWriter& value(double d) {
    element();
    if (!std::isfinite(d)) {
      out_ += "null";
      return *this;
    }
    const std::size_t start = out_.size();
    fmt::format_to(std::back_inserter(out_), "{}", d);
    if (out_.find_first_of(".eEn", start) == std::string::npos) out_ += ".0";
    return *this;
  }
  // A closed set is written by its one name (its to_string, found by argument-dependent lookup).
  template <class E>
    requires std::is_enum_v<E>
  JsonWriter& value(E e) {
    return value(std::string_view(to_string(e)));
  }
  template <class T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  JsonWriter& value(const std::vector<std::string>& v) {
    begin_array();
    for (const auto& s : v) value(s);
    return end_array();
  }

  // key(k).value(v) in one call.
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& null_field(std::string_view k) {
    key(k);
    return null();
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  struct Level {
    bool empty = true;
  };

  JsonWriter& open(char c) {
    element();
    out_ += c;
    levels_.push_back({});
    return *this;
  }
  JsonWriter& close(char c) {
    bool was_empty = levels_.back().empty;
    levels_.pop_back();
    if (!was_empty) newline();
    out_ += c;
    return *this;
  }
  // Before any value or key: the comma and the line break of its container.
  void element() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (levels_.empty()) return;
    if (!levels_.back().empty) out_ += ',';
    levels_.back().empty = false;
    newline();
  }
  void newline() {
    if (indent_ < 0) return;
    out_ += '\n';
    out_.append(levels_.size() * static_cast<std::size_t>(indent_), ' ');
  }

  void string(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size();) {
      // The common case: a run of printable ASCII that needs no escape, appended at once.
      std::size_t run = plain_run_end(s, i);
      if (run > i) {
        out_.append(s.substr(i, run - i));
        i = run;
        continue;
      }
      auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        switch (c) {
          case '"':
            out_ += "\\\"";
            break;
          case '\\':
            out_ += "\\\\";
            break;
          case '\b':
            out_ += "\\b";
            break;
          case '\f':
            out_ += "\\f";
            break;
          case '\n':
            out_ += "\\n";
            break;
          case '\r':
            out_ += "\\r";
            break;
          case '\t':
            out_ += "\\t";
            break;
          default:
            if (c < 0x20) {
              fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c);
            } else {
              out_ += static_cast<char>(c);
            }
        }
        ++i;
        continue;
      }
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out_ += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
        ++i;
      } else {
        out_.append(s.substr(i, n));
        i += n;
      }
    }
    out_ += '"';
  }

  static bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

  // The end of the run of plain bytes (printable ASCII other than '"' and '\\') from s[i]: 16 bytes
  // per step where SSE2 is there (every x86-64), since string escaping was the server's largest
  // user-space cost per assessment (~50 KB of JSON each).
  static std::size_t plain_run_end(std::string_view s, std::size_t i) {
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'),
                  backslash = _mm_set1_epi8('\\');
    while (i + 16 <= s.size()) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      // Signed compare: bytes >= 0x80 are negative, so "v < 0x20" also finds them.
      __m128i special =
          _mm_or_si128(_mm_cmplt_epi8(v, space),
                       _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      int mask = _mm_movemask_epi8(special);
      if (mask != 0)
        return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      i += 16;
    }
#endif
    while (i < s.size() && plain(static_cast<unsigned char>(s[i]))) ++i;
    return i;
  }

  // Length of the valid UTF-8 sequence at s[i] (lead byte >= 0x80), 0 when invalid.
  static std::size_t utf8_length(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(1) || !cont(2)) return 0;
      if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
      if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
      return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return 0;
      if (c == 0xF0 && b(1) < 0x90) return 0;
      if (c == 0xF4 && b(1) >= 0x90) return 0;
      return 4;
    }
    return 0;
  }

  int indent_;
  std::string out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace paraderm::report
