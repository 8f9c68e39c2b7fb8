// Small text helpers shared by modules (did-you-mean suggestions for KB ids and case names).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace paraderm::common {

// The key a name is matched by: lower case, letters and digits, every run of other ASCII
// characters one space, non-ASCII bytes (®, ™) dropped. One function for the case reader's name
// matching (clinical::normalise_name) and the KB check that a name identifies one lab, so the two
// can never disagree.
inline std::string name_key(std::string_view s) {
  std::string out;
  bool space = false;
  for (unsigned char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else if (c < 0x80) {
      space = true;
    }
  }
  return out;
}

// At most `max_bytes` of `value` for a message (inputs can be megabytes): cut at a UTF-8 character
// boundary, with "..." appended when cut.
inline std::string excerpt(std::string_view value, std::size_t max_bytes = 80) {
  if (value.size() <= max_bytes) return std::string(value);
  std::size_t cut = max_bytes > 3 ? max_bytes - 3 : 0;
  // Never end inside a multi-byte character (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0U) == 0x80U) --cut;
  return std::string(value.substr(0, cut)) + "...";
}

// Levenshtein distance (insert, delete, substitute all cost 1).
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// edit_distance(a, b) == 1, in one pass and no allocation: the FAERS drug-name normaliser asks it
// of every KB name for every distinct verbatim name of a quarter (the full distance was 70 % of
// the FAERS fuzzer's time).
inline bool one_edit_apart(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);  // a is the shorter
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (a.size() == b.size()) {
    // One substitution at i, the rest equal (a == b is distance 0).
    return i < a.size() && a.substr(i + 1) == b.substr(i + 1);
  }
  return a.substr(i) == b.substr(i + 1);  // one insertion into a at i
}

}  // namespace paraderm::common
