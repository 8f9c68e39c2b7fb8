// One string table per closed set: an enum's names are written once, as an array of
// {value, name} pairs, and both directions go through it, so a name cannot be misspelt in one
// place and ranked or matched differently in another.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace paraderm::common {

// The table's name for `value`; "?" for a value the table lacks (a programming error the tests of
// each table catch by round-tripping every enumerator).
template <class Enum, std::size_t N>
constexpr std::string_view name_of(const std::pair<Enum, std::string_view> (&table)[N],
                                   Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> value_of(const std::pair<Enum, std::string_view> (&table)[N],
                                       std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace paraderm::common
