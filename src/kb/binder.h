// Binds TOML tables to the typed KB structs.
//
// Each struct has one Schema<T> specialisation: a list of Field<T> naming its TOML keys, their
// constraints and the member they fill. The same list drives validation (unknown keys, missing
// keys, types, ranges, allowed values, references), binding, and JSON export, so the three can
// never disagree.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "common/enum_names.h"
#include "paraderm/kb.h"

namespace paraderm::kb::detail {

using Json = nlohmann::ordered_json;

// A reference from one entry to another, resolved after every file is loaded.
struct RefUse {
  std::string kind;  // the kind that must define `id`
  std::string id;
  std::string file;
  int line = 0;
  std::string path;
};

struct BindContext {
  std::string file;
  std::vector<ValidationIssue>* issues = nullptr;
  std::vector<RefUse>* refs = nullptr;
  std::array<std::size_t, kConfidenceLevels>* facts = nullptr;

  void error(int line, const std::string& path, std::string message) const {
    issues->push_back({ValidationIssue::Severity::kError, file, line, path, std::move(message)});
  }
  // True when `path` of this file already has an error: a check that reads the field then sees
  // its default, not the value written, and says nothing more about it.
  bool has_error_at(const std::string& path) const {
    for (const auto& i : *issues) {
      if (i.severity == ValidationIssue::Severity::kError && i.file == file && i.path == path)
        return true;
    }
    return false;
  }
};

inline int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

// A short rendering of a TOML value for error messages.
inline std::string describe(const toml::node& n) {
  if (auto s = n.value<std::string>()) {
    std::string v = *s;
    if (v.size() > 60) v = v.substr(0, 57) + "...";
    return fmt::format("\"{}\"", v);
  }
  if (n.is_integer()) return std::to_string(*n.value<std::int64_t>());
  if (n.is_floating_point()) return fmt::format("{}", *n.value<double>());
  if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
  if (n.is_array()) return "an array";
  if (n.is_table()) return "a table";
  return "a date/time";
}

// Allowed names of an enum, specialised per enum type.
template <class E>
struct EnumNames;

template <class E>
std::string_view enum_name(E value) {
  return common::name_of(EnumNames<E>::kNames, value);
}

template <class E>
std::optional<E> enum_value(std::string_view name) {
  return common::value_of(EnumNames<E>::kNames, name);
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

struct FieldOpts {
  bool optional = false;           // a plain (non-optional, non-vector) member may still be absent
  bool nonempty = false;           // a vector must have at least one element (and is then required)
  std::optional<double> min, max;  // inclusive bounds for numbers
  std::string_view ref;            // the kind a string (or each string of a vector) must name
  std::vector<std::string_view> one_of;  // allowed values of a string
  bool id = false;                       // the entry's id: checked against the id pattern
  std::size_t exact_size = 0;            // a vector must have exactly this many elements
};

template <class T>
struct Field {
  std::string name;
  bool required = false;
  std::function<void(T&, const toml::node&, const BindContext&, const std::string&)> read;
  std::function<void(const T&, Json&)> write;
};

template <class T>
struct Schema;  // static const std::vector<Field<T>>& fields(); static void check(const T&, ...)

template <class T>
concept HasSchema = requires { Schema<T>::fields(); };
template <class T>
concept HasCheck = requires(const T& t, const BindContext& c, int line, const std::string& path) {
  Schema<T>::check(t, c, line, path);
};
template <class T>
concept HasLocation = requires(T t) { t.loc; };
template <class T>
concept HasProvenance = requires(T t) { t.prov.conf; };

inline bool valid_id(std::string_view id) {
  if (id.empty()) return false;
  auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return ok_first(c) || c == '-' || c == '.' || c == '+'; });
}

inline std::string join(const std::vector<std::string_view>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += v[i];
  }
  return out;
}

// ---- readers --------------------------------------------------------------------------------

template <class V>
bool read_value(V& out, const toml::node& n, const BindContext& ctx, const std::string& path,
                const FieldOpts& opts);

template <class T>
void bind_table(T& out, const toml::table& t, const BindContext& ctx, const std::string& path);

inline bool read_string(std::string& out, const toml::node& n, const BindContext& ctx,
                        const std::string& path, const FieldOpts& opts) {
  auto s = n.value<std::string>();
  if (!n.is_string() || !s) {
    ctx.error(line_of(n), path, fmt::format("value {}: expected a string", describe(n)));
    return false;
  }
  if (s->empty()) {
    ctx.error(line_of(n), path, "value \"\": expected a non-empty string");
    return false;
  }
  if (!opts.one_of.empty() &&
      std::find(opts.one_of.begin(), opts.one_of.end(), *s) == opts.one_of.end()) {
    ctx.error(line_of(n), path,
              fmt::format("value {}: expected one of {}", describe(n), join(opts.one_of)));
    return false;
  }
  if (opts.id && !valid_id(*s)) {
    ctx.error(line_of(n), path,
              fmt::format("value {}: expected a lower-case kebab-case id ([a-z0-9][a-z0-9.+-]*)",
                          describe(n)));
    return false;
  }
  if (!opts.ref.empty()) {
    ctx.refs->push_back({std::string(opts.ref), *s, ctx.file, line_of(n), path});
  }
  out = *s;
  return true;
}

inline bool read_number(double& out, const toml::node& n, const BindContext& ctx,
                        const std::string& path, const FieldOpts& opts) {
  if (!n.is_integer() && !n.is_floating_point()) {
    ctx.error(line_of(n), path, fmt::format("value {}: expected a number", describe(n)));
    return false;
  }
  double v = n.is_integer() ? static_cast<double>(*n.value<std::int64_t>()) : *n.value<double>();
  bool below = opts.min && v < *opts.min;
  bool above = opts.max && v > *opts.max;
  if (below || above) {
    std::string lo = opts.min ? fmt::format("{}", *opts.min) : "-inf";
    std::string hi = opts.max ? fmt::format("{}", *opts.max) : "+inf";
    ctx.error(line_of(n), path,
              fmt::format("value {}: expected a number in [{}, {}]", describe(n), lo, hi));
    return false;
  }
  out = v;
  return true;
}

template <class V>
bool read_value(V& out, const toml::node& n, const BindContext& ctx, const std::string& path,
                const FieldOpts& opts) {
  if constexpr (std::is_same_v<V, std::string>) {
    return read_string(out, n, ctx, path, opts);
  } else if constexpr (std::is_same_v<V, double>) {
    return read_number(out, n, ctx, path, opts);
  } else if constexpr (std::is_same_v<V, std::int64_t>) {
    if (!n.is_integer()) {
      ctx.error(line_of(n), path, fmt::format("value {}: expected an integer", describe(n)));
      return false;
    }
    double d = 0;
    if (!read_number(d, n, ctx, path, opts)) return false;
    out = *n.value<std::int64_t>();
    return true;
  } else if constexpr (std::is_same_v<V, bool>) {
    if (!n.is_boolean()) {
      ctx.error(line_of(n), path, fmt::format("value {}: expected true or false", describe(n)));
      return false;
    }
    out = *n.value<bool>();
    return true;
  } else if constexpr (std::is_enum_v<V>) {
    auto s = n.value<std::string>();
    std::vector<std::string_view> names;
    for (const auto& [e, name] : EnumNames<V>::kNames) {
      // `one_of` narrows an enum to the subset this field allows.
      if (!opts.one_of.empty() &&
          std::find(opts.one_of.begin(), opts.one_of.end(), name) == opts.one_of.end()) {
        continue;
      }
      names.push_back(name);
      if (n.is_string() && s && *s == name) {
        out = e;
        return true;
      }
    }
    ctx.error(line_of(n), path,
              fmt::format("value {}: expected one of {}", describe(n), join(names)));
    return false;
  } else if constexpr (is_optional<V>::value) {
    typename V::value_type inner{};
    if (!read_value(inner, n, ctx, path, opts)) return false;
    out = std::move(inner);
    return true;
  } else if constexpr (is_vector<V>::value) {
    const auto* arr = n.as_array();
    if (!arr) {
      ctx.error(line_of(n), path, fmt::format("value {}: expected an array", describe(n)));
      return false;
    }
    if (opts.nonempty && arr->empty()) {
      ctx.error(line_of(n), path, "value []: expected at least one element");
      return false;
    }
    if (opts.exact_size && arr->size() != opts.exact_size) {
      ctx.error(
          line_of(n), path,
          fmt::format("array of {} elements: expected exactly {}", arr->size(), opts.exact_size));
      return false;
    }
    bool ok = true;
    out.clear();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      typename V::value_type elem{};
      if (read_value(elem, *arr->get(i), ctx, fmt::format("{}[{}]", path, i), opts)) {
        out.push_back(std::move(elem));
      } else {
        ok = false;
      }
    }
    return ok;
  } else {
    static_assert(HasSchema<V>, "no reader for this type");
    const auto* tbl = n.as_table();
    if (!tbl) {
      ctx.error(line_of(n), path, fmt::format("value {}: expected a table", describe(n)));
      return false;
    }
    bind_table(out, *tbl, ctx, path);
    return true;
  }
}

// ---- writers --------------------------------------------------------------------------------

template <class V>
Json write_value(const V& v) {
  if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, double> ||
                std::is_same_v<V, std::int64_t> || std::is_same_v<V, bool>) {
    return Json(v);
  } else if constexpr (std::is_enum_v<V>) {
    for (const auto& [e, name] : EnumNames<V>::kNames) {
      if (e == v) return Json(std::string(name));
    }
    return Json();
  } else if constexpr (is_vector<V>::value) {
    Json arr = Json::array();
    for (const auto& e : v) arr.push_back(write_value(e));
    return arr;
  } else {
    Json obj = Json::object();
    for (const auto& f : Schema<V>::fields()) f.write(v, obj);
    return obj;
  }
}

// ---- field construction ---------------------------------------------------------------------

template <class T, class M>
Field<T> field(const std::string& name, M T::* member, const FieldOpts& opts = {}) {
  Field<T> f;
  f.name = name;
  if constexpr (is_optional<M>::value) {
    f.required = false;
  } else if constexpr (is_vector<M>::value) {
    f.required = opts.nonempty;
  } else {
    f.required = !opts.optional;
  }
  f.read = [member, opts](T& obj, const toml::node& n, const BindContext& ctx,
                          const std::string& path) { read_value(obj.*member, n, ctx, path, opts); };
  f.write = [member, name](const T& obj, Json& j) {
    const M& v = obj.*member;
    if constexpr (is_optional<M>::value) {
      if (v) j[name] = write_value(*v);
    } else if constexpr (is_vector<M>::value) {
      if (!v.empty()) j[name] = write_value(v);
    } else {
      j[name] = write_value(v);
    }
  };
  return f;
}

// The fields of an embedded struct (e.g. Provenance) flattened into T's table.
template <class T, class E>
std::vector<Field<T>> embed(E T::* member) {
  std::vector<Field<T>> out;
  for (const auto& inner : Schema<E>::fields()) {
    Field<T> f;
    f.name = inner.name;
    f.required = inner.required;
    f.read = [member, inner](T& obj, const toml::node& n, const BindContext& ctx,
                             const std::string& path) { inner.read(obj.*member, n, ctx, path); };
    f.write = [member, inner](const T& obj, Json& j) { inner.write(obj.*member, j); };
    out.push_back(std::move(f));
  }
  return out;
}

template <class T>
std::vector<Field<T>> concat(std::vector<Field<T>> a, const std::vector<Field<T>>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- table binding --------------------------------------------------------------------------

template <class T>
void bind_table(T& out, const toml::table& t, const BindContext& ctx, const std::string& path) {
  const auto& fields = Schema<T>::fields();
  const int table_line = line_of(t);
  for (const auto& [key, node] : t) {
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const Field<T>& f) { return f.name == key.str(); });
    if (it == fields.end()) {
      std::vector<std::string_view> names;
      names.reserve(fields.size());
      for (const auto& f : fields) names.push_back(f.name);
      ctx.error(static_cast<int>(key.source().begin.line), path + "." + std::string(key.str()),
                fmt::format("unknown field '{}': expected one of {}", key.str(), join(names)));
      continue;
    }
    it->read(out, node, ctx, path + "." + std::string(key.str()));
  }
  for (const auto& f : fields) {
    if (f.required && !t.contains(f.name)) {
      ctx.error(table_line, path + "." + f.name,
                fmt::format("missing required field '{}'", f.name));
    }
  }
  if constexpr (HasLocation<T>) {
    out.loc = Location{ctx.file, table_line};
  }
  if constexpr (HasProvenance<T>) {
    (*ctx.facts)[static_cast<std::size_t>(out.prov.conf)]++;
  }
  if constexpr (HasCheck<T>) {
    Schema<T>::check(out, ctx, table_line, path);
  }
}

}  // namespace paraderm::kb::detail
