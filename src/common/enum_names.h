// One string table per closed set: an enum's names are written once, as an array (a C array or a
// std::array) of {value, name} pairs, and both directions go through it, so a name cannot be
// misspelt in one place and ranked or matched differently in another.
#pragma once

#include <iterator>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace paraderm::common {

// The table's name for `value`; "?" for a value the table lacks (a programming error the tests of
// each table catch by round-tripping every enumerator).
template <class Table, class Enum>
constexpr std::string_view name_of(const Table& table, Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

template <class Table>
constexpr auto value_of(const Table& table, std::string_view name)
    -> std::optional<std::remove_cvref_t<decltype(std::begin(table)->first)>> {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace paraderm::common
