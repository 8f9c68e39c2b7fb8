// UCUM unit algebra and analyte-aware conversion (include/paraderm/units.h).
#include "paraderm/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace paraderm::units {
namespace {

using Dims = std::array<int, kDimensions>;

// The decimal a converted value stands for. Scales are binary doubles (1e-3 L, 1e-6 u), so
// 0.5 x 10^9/L came out as 500.00000000000006 /uL: a result sent as "< 0.5 x 10^9/L" then did not
// settle a "below 500 cells/uL" threshold, and 500 /uL counted as below the EU's "< 0.5 x
// 10^9/L". Twelve significant digits are far more than any lab reports and far fewer than a
// double's rounding noise (~16).
double as_decimal(double x) {
  if (x == 0 || !std::isfinite(x)) return x;
  char buf[32];
  auto end = fmt::format_to_n(buf, sizeof buf, "{:.12g}", x).out;
  double out = x;
  std::from_chars(buf, end, out);
  return out;
}

struct Magnitude {
  double scale = 1;
  Dims dims{};
};

Magnitude times(const Magnitude& a, const Magnitude& b, int sign) {
  Magnitude r;
  r.scale = sign > 0 ? a.scale * b.scale : a.scale / b.scale;
  for (std::size_t i = 0; i < r.dims.size(); ++i) r.dims[i] = a.dims[i] + sign * b.dims[i];
  return r;
}

Magnitude power(const Magnitude& a, int n) {
  Magnitude r;
  r.scale = std::pow(a.scale, n);
  for (std::size_t i = 0; i < r.dims.size(); ++i) r.dims[i] = a.dims[i] * n;
  return r;
}

constexpr Dims dim(int mass, int length, int time, int amount, int iu) {
  return {mass, length, time, amount, iu};
}

struct Atom {
  std::string_view code;
  double scale;
  Dims dims;
  bool metric;  // takes a prefix
};

// UCUM definitions (ucum-essence): the litre is dm3, U = umol/min, kat = mol/s (Nordic labs report
// enzymes in ukat/L: 1 ukat/L = 60 U/L), the avoirdupois pound is
// 7000 grains of 64.79891 mg = 453.59237 g, the international inch 2.54 cm; all exact.
// [iU] is an arbitrary unit: it converts only to itself.
const std::array<Atom, 18>& atoms() {
  static const std::array<Atom, 18> a = {{
      {"g", 1, dim(1, 0, 0, 0, 0), true},
      {"m", 1, dim(0, 1, 0, 0, 0), true},
      {"L", 1e-3, dim(0, 3, 0, 0, 0), true},
      {"l", 1e-3, dim(0, 3, 0, 0, 0), true},
      {"s", 1, dim(0, 0, 1, 0, 0), true},
      {"min", 60, dim(0, 0, 1, 0, 0), false},
      {"h", 3600, dim(0, 0, 1, 0, 0), false},
      {"d", 86400, dim(0, 0, 1, 0, 0), false},
      {"wk", 7 * 86400, dim(0, 0, 1, 0, 0), false},
      {"a", 365.25 * 86400, dim(0, 0, 1, 0, 0), false},
      {"mol", 1, dim(0, 0, 0, 1, 0), true},
      {"U", 1e-6 / 60, dim(0, 0, -1, 1, 0), true},
      {"kat", 1, dim(0, 0, -1, 1, 0), true},
      {"[iU]", 1, dim(0, 0, 0, 0, 1), true},
      {"[IU]", 1, dim(0, 0, 0, 0, 1), true},
      {"%", 1e-2, dim(0, 0, 0, 0, 0), false},
      {"[lb_av]", 453.59237, dim(1, 0, 0, 0, 0), false},
      {"[in_i]", 0.0254, dim(0, 1, 0, 0, 0), false},
  }};
  return a;
}

struct Prefix {
  std::string_view code;
  double factor;
};

const std::array<Prefix, 13>& prefixes() {
  static const std::array<Prefix, 13> p = {{
      {"da", 1e1},
      {"k", 1e3},
      {"h", 1e2},
      {"d", 1e-1},
      {"c", 1e-2},
      {"m", 1e-3},
      {"u", 1e-6},
      {"n", 1e-9},
      {"p", 1e-12},
      {"f", 1e-15},
      {"M", 1e6},
      {"G", 1e9},
      {"T", 1e12},
  }};
  return p;
}

std::optional<Magnitude> symbol(std::string_view s) {
  for (const auto& a : atoms()) {
    if (a.code == s) return Magnitude{a.scale, a.dims};
  }
  for (const auto& p : prefixes()) {
    if (s.size() <= p.code.size() || s.substr(0, p.code.size()) != p.code) continue;
    auto rest = s.substr(p.code.size());
    for (const auto& a : atoms()) {
      if (a.metric && a.code == rest) return Magnitude{p.factor * a.scale, a.dims};
    }
  }
  return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Recursive descent over the UCUM grammar: term := ['/'] component (('.'|'/') component)*;
// component := '(' term ')' | annotation | factor | 10*exp | simple-unit [exponent] [annotation].
// The whole UTF-8 character at s[i], so that a message quoting it stays valid UTF-8 (a lone lead
// byte of "⁹" made the text report invalid).
std::string_view character_at(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xE  ? 3
                  : (c >> 3) == 0x1E ? 4
                                     : 1;
  if (i + n > s.size()) n = 1;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return "?";
  }
  return n == 1 && c >= 0x80 ? std::string_view("?") : s.substr(i, n);
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Magnitude> run() {
    if (s_.empty()) return Magnitude{};
    auto m = term();
    if (!error_.empty()) return Status::invalid_input(error_);
    if (pos_ != s_.size())
      return Status::invalid_input(fmt::format("unexpected '{}'", character_at(s_, pos_)));
    return m;
  }

 private:
  Magnitude term() {
    Magnitude acc;
    if (peek('/')) {
      ++pos_;
      acc = times(acc, component(), -1);
    } else {
      acc = component();
    }
    while (error_.empty() && pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == '/')) {
      int sign = s_[pos_++] == '.' ? 1 : -1;
      acc = times(acc, component(), sign);
    }
    return acc;
  }

  Magnitude component() {
    if (pos_ >= s_.size()) return fail("a unit is missing after an operator");
    if (peek('(')) {
      ++pos_;
      Magnitude m = term();
      if (!peek(')')) return fail("a '(' is not closed");
      ++pos_;
      return m;
    }
    if (peek('{')) {
      annotation();
      return {};
    }
    if (s_.substr(pos_, 3) == "10*" || s_.substr(pos_, 3) == "10^") {
      pos_ += 3;
      auto e = exponent();
      if (!e) return fail("a power of ten needs its exponent (10*3, 10^9)");
      annotation();
      return Magnitude{std::pow(10.0, *e), {}};
    }
    if (is_digit(s_[pos_])) {
      std::size_t start = pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      double factor = 0;
      for (std::size_t i = start; i < pos_; ++i) factor = factor * 10 + (s_[i] - '0');
      annotation();
      return Magnitude{factor, {}};
    }
    std::size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '[') {
        auto close = s_.find(']', pos_);
        if (close == std::string_view::npos) return fail("a '[' is not closed");
        pos_ = close + 1;
        continue;
      }
      if (is_digit(c) || c == '+' || c == '-' || c == '.' || c == '/' || c == '{' || c == '(' ||
          c == ')') {
        break;
      }
      ++pos_;
    }
    auto name = s_.substr(start, pos_ - start);
    if (name.empty()) return fail(fmt::format("unexpected '{}'", character_at(s_, pos_)));
    auto m = symbol(name);
    if (!m) return fail(fmt::format("'{}' is not a unit symbol paraderm knows", name));
    if (pos_ < s_.size() && (is_digit(s_[pos_]) || s_[pos_] == '+' || s_[pos_] == '-')) {
      auto e = exponent();
      if (!e) return fail("an exponent needs digits");
      *m = power(*m, *e);
    }
    annotation();
    return *m;
  }

  std::optional<int> exponent() {
    int sign = 1;
    if (peek('+') || peek('-')) sign = s_[pos_++] == '-' ? -1 : 1;
    if (pos_ >= s_.size() || !is_digit(s_[pos_])) return std::nullopt;
    int v = 0;
    while (pos_ < s_.size() && is_digit(s_[pos_]) && v < 100) v = v * 10 + (s_[pos_++] - '0');
    return sign * v;
  }

  void annotation() {
    if (!peek('{')) return;
    auto close = s_.find('}', pos_);
    if (close == std::string_view::npos) {
      fail("a '{' is not closed");
      return;
    }
    pos_ = close + 1;
  }

  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  Magnitude fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    pos_ = s_.size();
    return {};
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

bool power_of_ten_spelling(std::string_view c, std::string& out) {
  // x10E3, x10^3, x10*3, X10E3, 10E3, 10e3 (a lab-report way of writing 10*3)
  std::string_view rest = c;
  if (!rest.empty() && (rest[0] == 'x' || rest[0] == 'X')) {
    rest.remove_prefix(1);
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);  // "x 10^9/L"
  }
  if (rest.size() < 4 || rest.substr(0, 2) != "10") return false;
  char op = rest[2];
  bool prefixed = rest.size() != c.size();
  if (!(op == 'E' || op == 'e' || (prefixed && (op == '^' || op == '*')))) return false;
  auto exp = rest.substr(3);
  std::size_t digits = exp[0] == '-' || exp[0] == '+' ? 1 : 0;
  if (digits >= exp.size()) return false;
  for (std::size_t i = digits; i < exp.size(); ++i) {
    if (!is_digit(exp[i])) return false;
  }
  out = "10*" + std::string(exp);
  return true;
}

// A non-UCUM component spelled as labs and EHR feeds send it -> its UCUM form ("" when none).
std::string ucum_component(std::string_view c, bool first, bool divided_next) {
  std::string out;
  if (power_of_ten_spelling(c, out)) return out;
  if (c == "cells" || c == "Cells" || c == "cell" || c == "CELLS") return "{cells}";
  if (c == "lb" || c == "lbs" || c == "LB" || c == "LBS" || c == "Lb" || c == "Lbs")
    return "[lb_av]";
  if (c == "in" || c == "inch" || c == "inches") return "[in_i]";
  if (c == "IU") return "[IU]";
  if (c.size() > 2 && c.substr(c.size() - 2) == "IU" && c.find('[') == std::string_view::npos) {
    return std::string(c.substr(0, c.size() - 2)) + "[IU]";  // mIU, kIU
  }
  if (c.size() > 2 && c.substr(0, 2) == "mc" && symbol("u" + std::string(c.substr(2)))) {
    return "u" + std::string(c.substr(2));  // mcg, mcL, mcmol
  }
  // K/uL, Thousand/uL, thou/uL, G/L, M/uL, T/L: thousands, giga, mega, tera per volume (K is
  // kelvin and G gauss in UCUM); Gpt/L, Tpt/L: German reports' giga and tera "particles" per litre.
  if (first && divided_next) {
    if (c == "K" || c == "k" || c == "Thousand" || c == "thousand" || c == "thou" || c == "Thou")
      return "10*3";
    if (c == "M") return "10*6";
    if (c == "G" || c == "Gpt" || c == "gpt" || c == "GPt") return "10*9";
    if (c == "T" || c == "Tpt" || c == "tpt" || c == "TPt") return "10*12";
  }
  return "";
}

// Superscript digits and minus as labs print them: after "10" an exponent of ten ("10³/µL" is
// 10*3/uL, "10⁹/L" 10*9/L), after a unit symbol its exponent ("m²" is m2). Read as plain digits,
// "10³" became the factor 103 and ALC 1.2 x 10³/µL read as 123.6 cells/uL.
std::string superscripts_to_ucum(const std::string& s) {
  static constexpr std::pair<std::string_view, char> kSuper[] = {
      {"\xE2\x81\xB0", '0'}, {"\xC2\xB9", '1'},     {"\xC2\xB2", '2'},     {"\xC2\xB3", '3'},
      {"\xE2\x81\xB4", '4'}, {"\xE2\x81\xB5", '5'}, {"\xE2\x81\xB6", '6'}, {"\xE2\x81\xB7", '7'},
      {"\xE2\x81\xB8", '8'}, {"\xE2\x81\xB9", '9'}, {"\xE2\x81\xBB", '-'}};
  auto superscript_at = [&](std::size_t i) -> std::pair<char, std::size_t> {
    for (const auto& [bytes, ch] : kSuper) {
      if (s.compare(i, bytes.size(), bytes) == 0) return {ch, bytes.size()};
    }
    return {'\0', 0};
  };
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    auto [ch, n] = superscript_at(i);
    if (n == 0) {
      out += s[i++];
      continue;
    }
    std::string exponent;
    while (n != 0) {
      exponent += ch;
      i += n;
      std::tie(ch, n) = i < s.size() ? superscript_at(i) : std::pair<char, std::size_t>{'\0', 0};
    }
    bool ten = out.size() >= 2 && out.compare(out.size() - 2, 2, "10") == 0 &&
               (out.size() == 2 || !is_digit(out[out.size() - 3]));
    out += (ten ? "*" : "") + exponent;
  }
  return out;
}

// "103/uL", "109/L", "10.3/uL": a leading factor that reads as 103 (or 10 x 3) in UCUM but is
// 10*3 with its superscript lost on the way. Ambiguous, so not read (100 = 10² and 1000 = 10³
// read the same either way and stay).
std::optional<std::string> lost_superscript(std::string_view ucum) {
  std::size_t end = 0;
  while (end < ucum.size() && is_digit(ucum[end])) ++end;
  std::string_view lead = ucum.substr(0, end);
  std::string_view exponent;
  if (end < ucum.size() && (ucum[end] == '/' || ucum[end] == '.') && lead.size() >= 3 &&
      lead.size() <= 4 && lead.substr(0, 2) == "10" && lead != "100" && lead != "1000") {
    exponent = lead.substr(2);
  } else if (lead == "10" && end < ucum.size() && ucum[end] == '.') {
    std::size_t e = end + 1;
    while (e < ucum.size() && is_digit(ucum[e])) ++e;
    if (e > end + 1 && e <= end + 3 && e < ucum.size() && ucum[e] == '/')
      exponent = ucum.substr(end + 1, e - end - 1);
  }
  if (exponent.empty()) return std::nullopt;
  return fmt::format(
      "its factor \"{}\" reads as a number in UCUM, but looks like 10*{} with the "
      "superscript lost; write 10*{} (or 10^{})",
      ucum.substr(0, ucum.find('/')), exponent, exponent, exponent);
}

// "10(3)/uL" and "x10(9)/L", as some EHR lab feeds print a power of ten: 10*3, x10*9. Only a
// whole-number exponent in parentheses right after "10" that is not part of a longer number.
std::string parenthesised_exponents(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool ten = s.compare(i, 3, "10(") == 0 && (i == 0 || !is_digit(s[i - 1]));
    std::size_t close = ten ? s.find(')', i + 3) : std::string::npos;
    if (close != std::string::npos) {
      std::string_view exp(s.data() + i + 3, close - i - 3);
      std::size_t sign = !exp.empty() && exp[0] == '-' ? 1 : 0;
      bool digits = exp.size() > sign && exp.size() <= sign + 2 &&
                    std::all_of(exp.begin() + static_cast<std::ptrdiff_t>(sign), exp.end(),
                                [](char c) { return is_digit(c); });
      if (digits) {
        out += "10*";
        out += exp;
        i = close + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// The UCUM expression for a unit string, rewriting the common non-UCUM spellings.
std::string to_ucum(std::string_view text) {
  std::string s(text);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  replace_all(s, "\xC2\xB5", "u");  // micro sign
  replace_all(s, "\xCE\xBC", "u");  // Greek mu
  s = superscripts_to_ucum(s);
  replace_all(s, "\xC3\x97", "x");  // multiplication sign
  s = parenthesised_exponents(s);
  for (std::string_view area : {"/1.73m2", "/1.73 m2", "/1.73m^2", "/1.73 m^2"}) {
    replace_all(s, area, "/{1.73_m2}");
  }
  // Components split at '.', '/', '(' and ')' outside annotations and brackets.
  std::vector<std::pair<std::string, char>> parts;  // component, separator after it
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    if (depth == 0 && (c == '.' || c == '/' || c == '(' || c == ')')) {
      parts.emplace_back(cur, c);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.emplace_back(cur, '\0');
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [c, sep] = parts[i];
    bool first = std::all_of(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i),
                             [](const auto& p) { return p.first.empty(); });
    auto rewritten = c.empty() ? "" : ucum_component(c, first, sep == '/');
    out += rewritten.empty() ? c : rewritten;
    if (sep) out += sep;
  }
  return out;
}

Result<Unit> parse_uncached(std::string_view text) {
  Unit u;
  u.text = std::string(text);
  u.ucum = to_ucum(text);
  if (auto lost = lost_superscript(u.ucum)) {
    return Status::invalid_input(
        fmt::format("\"{}\" is not a unit paraderm can read ({})", text, *lost));
  }
  auto m = Parser(u.ucum).run();
  if (!m.is_ok()) {
    return Status::invalid_input(
        fmt::format("\"{}\" is not a unit paraderm can read ({})", text, m.status().message()));
  }
  u.scale = m.value().scale;
  u.dims = m.value().dims;
  return u;
}

std::string_view base_name(int d, int exponent) {
  switch (d) {
    case kMass:
      return "mass";
    case kLength:
      return exponent == 2 ? "area" : exponent == 3 ? "volume" : "length";
    case kTime:
      return "time";
    case kAmount:
      return "amount of substance";
    default:
      return "international units";
  }
}

}  // namespace

std::string Unit::dimension() const {
  std::string num, den;
  Dims d = dims;
  if (d[kAmount] == 1 && d[kTime] == -1) {  // U, kat: enzyme activity
    num = "catalytic activity";
    d[kAmount] = 0;
    d[kTime] = 0;
  }
  for (int i = 0; i < kDimensions; ++i) {
    if (d[static_cast<std::size_t>(i)] == 0) continue;
    int e = d[static_cast<std::size_t>(i)];
    auto& side = e > 0 ? num : den;
    int n = std::abs(e);
    std::string name(base_name(i, n));
    if (!(i == kLength && (n == 2 || n == 3)) && n != 1) name += fmt::format("^{}", n);
    side += (side.empty() ? "" : "·") + name;
  }
  if (num.empty()) num = "number";
  return den.empty() ? num : num + "/" + den;
}

Result<Unit> parse(std::string_view text) {
  // Units repeat (every lab, every threshold): a small per-thread memo keeps parsing off the
  // assessment's hot path. Bounded, so that untrusted input cannot grow it.
  thread_local std::unordered_map<std::string, Result<Unit>> memo;
  std::string key(text);
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  auto r = parse_uncached(text);
  if (memo.size() >= 512) memo.clear();
  memo.emplace(std::move(key), r);
  return r;
}

Result<Conversion> convert(const kb::KnowledgeBase& kb, std::string_view analyte, double value,
                           std::string_view from, std::string_view to) {
  auto f = parse(from);
  if (!f.is_ok()) return f.status();
  auto t = parse(to);
  if (!t.is_ok()) return t.status();
  Conversion c;
  for (const Unit* u : {&f.value(), &t.value()}) {
    if (u->non_ucum() && !u->text.empty()) {
      c.non_ucum.push_back(fmt::format("\"{}\" is not UCUM: read as {}", u->text, u->ucum));
    }
  }
  const Unit& a = f.value();
  const Unit& b = t.value();
  if (a.commensurable(b)) {
    c.factor = a.scale / b.scale;
  } else {
    for (const auto& row : kb.unit_conversions) {
      if (row.analyte != analyte) continue;
      auto rf = parse(row.from), rt = parse(row.to);
      if (!rf.is_ok() || !rt.is_ok()) continue;
      if (a.commensurable(rf.value()) && rt.value().commensurable(b)) {
        c.factor = a.scale / rf.value().scale * row.factor * rt.value().scale / b.scale;
      } else if (a.commensurable(rt.value()) && rf.value().commensurable(b)) {
        c.factor = a.scale / rt.value().scale / row.factor * rf.value().scale / b.scale;
      } else {
        continue;
      }
      c.via = &row;
      break;
    }
    if (!c.via) {
      if (from.empty()) {
        return Status::invalid_input(
            fmt::format("no unit given; {} needs a unit of {}", analyte, b.dimension()));
      }
      return Status::invalid_input(fmt::format(
          "\"{}\" ({}) cannot be converted to \"{}\" ({}) for {}: no KB unit_conversion for {} "
          "links the two",
          from, a.dimension(), to, b.dimension(), analyte, analyte));
    }
  }
  c.value = as_decimal(value * c.factor);
  return c;
}

std::optional<double> converted(const kb::KnowledgeBase& kb, std::string_view analyte, double value,
                                std::string_view from, std::string_view to) {
  if (from == to) return value;
  auto r = convert(kb, analyte, value, from, to);
  if (!r.is_ok()) return std::nullopt;
  return r.value().value;
}

Result<Conversion> to_lab_unit(const kb::KnowledgeBase& kb, std::string_view lab, double value,
                               std::string_view from) {
  for (const auto& l : kb.labs) {
    if (l.id != lab) continue;
    if (!l.unit) return Status::not_found(fmt::format("lab {} has no unit in the KB", lab));
    return convert(kb, lab, value, from, *l.unit);
  }
  return Status::not_found(fmt::format("lab {} is not in the KB", lab));
}

std::vector<std::string> accepted_units(const kb::KnowledgeBase& kb, std::string_view analyte,
                                        std::string_view to) {
  std::vector<std::string> candidates = {std::string(to)};
  for (const char* u : {"10*9/L",
                        "10*3/uL",
                        "/uL",
                        "/mm3",
                        "g/dL",
                        "g/L",
                        "mg/dL",
                        "mg/L",
                        "umol/L",
                        "mmol/L",
                        "U/L",
                        "[iU]/L",
                        "mL/min/{1.73_m2}",
                        "kg",
                        "g",
                        "[lb_av]",
                        "cm",
                        "m",
                        "[in_i]",
                        "kg/m2",
                        "a"}) {
    candidates.emplace_back(u);
  }
  for (const auto& row : kb.unit_conversions) {
    if (row.analyte != analyte) continue;
    candidates.push_back(row.from);
    candidates.push_back(row.to);
  }
  std::vector<std::string> out;
  for (const auto& c : candidates) {
    if (std::find(out.begin(), out.end(), c) != out.end()) continue;
    if (convert(kb, analyte, 1, c, to).is_ok()) out.push_back(c);
  }
  return out;
}

}  // namespace paraderm::units
