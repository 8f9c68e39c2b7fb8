#include "case/build.h"
#include "common/enum_names.h"
#include "common/text.h"
#include "text/json_depth.h"
#include "text/number.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <simdjson.h>

#include "paraderm/units.h"

namespace paraderm::clinical {
namespace {

constexpr std::pair<Sex, std::string_view> kSexes[] = {
    {Sex::kUnknown, "unknown"},
    {Sex::kFemale, "female"},
    {Sex::kMale, "male"},
    {Sex::kOther, "other"},
};
constexpr std::pair<EruptionKind, std::string_view> kEruptionKinds[] = {
    {EruptionKind::kNew, "new"},
    {EruptionKind::kWorsened, "worsened"},
};
constexpr std::pair<Comparator, std::string_view> kComparators[] = {
    {Comparator::kLess, "<"},
    {Comparator::kLessOrEqual, "<="},
    {Comparator::kGreater, ">"},
    {Comparator::kGreaterOrEqual, ">="},
};

}  // namespace

std::string_view to_string(Sex s) { return common::name_of(kSexes, s); }
std::optional<Sex> parse_sex(std::string_view name) { return common::value_of(kSexes, name); }
std::string_view to_string(EruptionKind k) { return common::name_of(kEruptionKinds, k); }
std::optional<EruptionKind> parse_eruption_kind(std::string_view name) {
  return common::value_of(kEruptionKinds, name);
}
std::string_view to_string(Comparator c) { return common::name_of(kComparators, c); }
std::optional<Comparator> parse_comparator(std::string_view text) {
  return common::value_of(kComparators, text);
}

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (text.size() > 10 && text[10] != 'T') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!y || !m || !d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(*y),
                                  std::chrono::month(static_cast<unsigned>(*m)),
                                  std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok() || *y < 1900) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

std::optional<std::int64_t> parse_instant(std::string_view text) {
  auto day = parse_date(text);
  if (!day || text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto num = [&](std::size_t pos) -> std::optional<std::int64_t> {
    if (pos + 2 > text.size() || text[pos] < '0' || text[pos] > '9' || text[pos + 1] < '0' ||
        text[pos + 1] > '9')
      return std::nullopt;
    return std::int64_t{text[pos] - '0'} * 10 + (text[pos + 1] - '0');
  };
  auto h = num(11), m = num(14), sec = num(17);
  if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  std::int64_t offset = 0;
  if (pos + 1 == text.size() && text[pos] == 'Z') {
    offset = 0;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    auto zh = num(pos + 1), zm = num(pos + 4);
    if (!zh || !zm || *zh > 14 || *zm > 59) return std::nullopt;
    offset = (text[pos] == '-' ? -1 : 1) * (*zh * 3600 + *zm * 60);
  } else {
    return std::nullopt;
  }
  const std::int64_t days = day->time_since_epoch().count();
  return days * 86400 + *h * 3600 + *m * 60 + *sec - offset;
}

std::optional<std::pair<Date, Date>> detail::parse_partial_date(std::string_view text) {
  auto digits = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (text.size() < pos + len) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  using namespace std::chrono;
  auto y = digits(0, 4);
  if (!y || *y < 1900) return std::nullopt;
  if (text.size() == 4) {
    return std::pair{Date(sys_days(year(*y) / January / 1)),
                     Date(sys_days(year(*y) / December / 31))};
  }
  auto m = text.size() == 7 && text[4] == '-' ? digits(5, 2) : std::nullopt;
  if (!m || *m < 1 || *m > 12) return std::nullopt;
  auto ym = year(*y) / month(static_cast<unsigned>(*m));
  return std::pair{Date(sys_days(ym / 1)), Date(sys_days(ym / last))};
}

std::string to_string(Date d) {
  std::chrono::year_month_day ymd{d};
  int y = static_cast<int>(ymd.year());
  unsigned m = static_cast<unsigned>(ymd.month()), day = static_cast<unsigned>(ymd.day());
  // Hand-formatted: dates are printed many times per assessment.
  std::string s = "0000-00-00";
  for (int i = 3; i >= 0; --i, y /= 10)
    s[static_cast<std::size_t>(i)] = static_cast<char>('0' + y % 10);
  s[5] = static_cast<char>('0' + m / 10);
  s[6] = static_cast<char>('0' + m % 10);
  s[8] = static_cast<char>('0' + day / 10);
  s[9] = static_cast<char>('0' + day % 10);
  return s;
}

int years_between(Date from, Date to) {
  std::chrono::year_month_day a{from}, b{to};
  int years = static_cast<int>(b.year()) - static_cast<int>(a.year());
  if (std::make_pair(static_cast<unsigned>(b.month()), static_cast<unsigned>(b.day())) <
      std::make_pair(static_cast<unsigned>(a.month()), static_cast<unsigned>(a.day()))) {
    --years;
  }
  return years;
}

std::optional<bool> LabResult::below(double threshold) const {
  if (value) return *value < threshold;
  if (!bound) return std::nullopt;
  const double b = bound->value;
  switch (bound->comparator) {
    case Comparator::kLess:  // true < b
      if (b <= threshold) return true;
      break;
    case Comparator::kLessOrEqual:  // true <= b
      if (b < threshold) return true;
      break;
    case Comparator::kGreater:  // true > b
    case Comparator::kGreaterOrEqual:
      if (b >= threshold) return false;
      break;
  }
  return std::nullopt;
}

std::optional<bool> LabResult::above(double threshold) const {
  if (value) return *value > threshold;
  if (!bound) return std::nullopt;
  const double b = bound->value;
  switch (bound->comparator) {
    case Comparator::kGreater:  // true > b
      if (b >= threshold) return true;
      break;
    case Comparator::kGreaterOrEqual:  // true >= b
      if (b > threshold) return true;
      break;
    case Comparator::kLess:  // true < b
    case Comparator::kLessOrEqual:
      if (b <= threshold) return false;
      break;
  }
  return std::nullopt;
}

std::string LabResult::value_text() const {
  if (value) return fmt::format("{:g}", text::G{*value});
  if (bound) return fmt::format("{} {:g}", to_string(bound->comparator), text::G{bound->value});
  return "";
}

std::string LabResult::shown() const {
  if (!value && !bound) return "";
  const double v = value ? *value : bound->value;
  if (computed) {
    // An equation's digits ("egfr 54.3783") claim a precision its inputs do not have: four
    // significant ones, as for a converted value.
    return fmt::format("{:g} {}{}", text::G{text::round_significant(v)}, unit,
                       derivation.empty() ? "" : " (" + derivation + ")");
  }
  if (given_unit.empty() || given_value == v || v == 0) return value_text() + " " + unit;
  // A conversion's digits ("7.41218 g/dL" from 4.6 mmol/L) claim a precision no lab reports: four
  // significant ones are shown, and where that rounds, the entry beside them (the clinician's own
  // number); an exact conversion (0.42 10^9/L = 420 cells/uL) needs neither.
  const double rounded = text::round_significant(v);
  if (std::fabs(rounded - v) <= 1e-9 * std::fabs(v)) return value_text() + " " + unit;
  const std::string cmp = bound ? std::string(to_string(bound->comparator)) + " " : "";
  return fmt::format("{}{:g} {} (entered as {}{:g} {})", cmp, text::G{rounded}, unit, cmp,
                     text::G{given_value}, given_unit);
}

bool Medication::active_on(Date d) const {
  if (start && *start > d) return false;
  if (stop && *stop < d) return false;
  return true;
}

bool Case::has_condition(std::string_view disease_id, const kb::KnowledgeBase& kb,
                         bool active_only) const {
  const auto& closure = active_only ? active_condition_closure : condition_closure;
  if (!closure.empty() || conditions.empty()) {
    return std::binary_search(closure.begin(), closure.end(), disease_id);
  }
  return first_condition(disease_id, kb, active_only) != nullptr;
}

const Condition* Case::first_condition(std::string_view disease_id, const kb::KnowledgeBase& kb,
                                       bool active_only) const {
  for (const auto& c : conditions) {
    if (active_only && c.status != ConditionStatus::kActive) continue;
    // The recorded disease or any of its ancestors equals the one asked for.
    std::string id = c.disease;
    for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
      if (id == disease_id) return &c;
      const kb::Disease* d = kb.find_disease(id);
      id = d && d->parent ? *d->parent : "";
    }
  }
  return nullptr;
}

bool Case::has_flag(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

const LabResult* Case::latest(std::string_view lab, Date on) const {
  const LabResult* best = nullptr;
  for (const auto& l : labs) {
    if (l.lab != lab || l.date > on) continue;
    if (!best || l.date > best->date ||
        (l.date == best->date && !(l.at && best->at && *l.at < *best->at)))
      best = &l;
  }
  return best;
}

std::vector<const LabResult*> Case::day_as_read(const LabResult& r) const {
  if (!r.disputed) return {&r};
  std::vector<const LabResult*> day;
  for (const auto& l : labs) {
    if (l.lab == r.lab && l.date == r.date) day.push_back(&l);
  }
  return day;
}

const LabResult* Case::latest_worst(std::string_view lab, Date on, bool higher_is_worse) const {
  const LabResult* worst = latest(lab, on);
  if (!worst || !worst->disputed) return worst;
  for (const LabResult* r : day_as_read(*worst)) {
    if (r->value && (!worst->value ||
                     (higher_is_worse ? *r->value > *worst->value : *r->value < *worst->value)))
      worst = r;
  }
  return worst;
}

std::optional<double> ckd_epi_2021(const kb::KnowledgeBase& kb, double scr, double age, Sex sex) {
  if (sex != Sex::kFemale && sex != Sex::kMale) return std::nullopt;
  auto constant = [&](const std::string& id) { return kb.formula_constant(id); };
  std::string s(to_string(sex));
  auto mult = constant("ckd-epi-2021.multiplier"), kappa = constant("ckd-epi-2021.kappa." + s),
       alpha = constant("ckd-epi-2021.alpha." + s),
       above = constant("ckd-epi-2021.exponent-above-hinge"),
       age_base = constant("ckd-epi-2021.age-base"),
       sex_factor = constant("ckd-epi-2021.sex-factor." + s);
  if (!mult || !kappa || !alpha || !above || !age_base || !sex_factor) return std::nullopt;
  double ratio = scr / *kappa;
  return *mult * std::pow(std::min(ratio, 1.0), *alpha) * std::pow(std::max(ratio, 1.0), *above) *
         std::pow(*age_base, age) * *sex_factor;
}

Date today_utc() { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); }

std::optional<double> bedside_schwartz_2009(const kb::KnowledgeBase& kb, double scr,
                                            double height_cm) {
  auto k = kb.formula_constant("bedside-schwartz-2009.k");
  if (!k || scr <= 0) return std::nullopt;
  return *k * height_cm / scr;
}

namespace detail {

std::string short_system(std::string_view s) { return std::string(short_system_view(s)); }

std::string_view short_system_view(std::string_view s) {
  if (s == "http://snomed.info/sct" || s == "snomed") return "snomed";
  if (s == "http://hl7.org/fhir/sid/icd-10-cm" || s == "icd10cm" || s == "icd-10-cm")
    return "icd10cm";
  // WHO ICD-10, as European records send it: its own KB rows (it differs from ICD-10-CM below
  // the three-character category).
  if (s == "http://hl7.org/fhir/sid/icd-10" || s == "icd10" || s == "icd-10") return "icd10";
  if (s == "http://www.nlm.nih.gov/research/umls/rxnorm" || s == "rxnorm") return "rxnorm";
  if (s == "http://loinc.org" || s == "loinc") return "loinc";
  if (s == "http://www.whocc.no/atc" || s == "atc") return "atc";
  if (s == "http://hl7.org/fhir/sid/cvx" || s == "cvx") return "cvx";
  if (s == "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation") {
    return "v3-observation-interpretation";
  }
  return s;
}

std::string shown(std::string_view value) {
  constexpr std::size_t kShown = 80;
  if (value.size() <= kShown) return fmt::format("\"{}\"", value);
  return fmt::format("\"{}\" ({} bytes)", common::excerpt(value, kShown), value.size());
}

namespace {

// 1-based line and column (in bytes) of the byte at `offset`.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

std::string at(std::pair<std::size_t, std::size_t> lc) {
  return fmt::format("line {}, column {}", lc.first, lc.second);
}

}  // namespace

// nlohmann's own parser reads ~100 MB/s, about 80 us for a 10 KB Bundle — most of an
// assessment's budget; simdjson parses the same text in a few microseconds. The FHIR reader reads
// simdjson's DOM directly; this conversion is still what the native case reader walks and how
// the FHIR reader quotes a wrong-typed value (nlohmann's dump text).
// Numbers follow nlohmann's typing (a non-negative integer is unsigned), and a repeated key keeps
// its last value, as Json::parse does.
Json to_nlohmann(const simdjson::dom::element& e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: {
      Json a = Json::array();
      simdjson::dom::array items;
      if (e.get_array().get(items) != simdjson::SUCCESS) return a;
      auto& out = a.get_ref<Json::array_t&>();
      out.reserve(items.size());
      for (simdjson::dom::element x : items) out.push_back(to_nlohmann(x));
      return a;
    }
    case simdjson::dom::element_type::OBJECT: {
      Json o = Json::object();
      simdjson::dom::object fields;
      if (e.get_object().get(fields) != simdjson::SUCCESS) return o;
      auto& out = o.get_ref<Json::object_t&>();
      for (simdjson::dom::key_value_pair kv : fields) {
        out.insert_or_assign(std::string(kv.key), to_nlohmann(kv.value));
      }
      return o;
    }
    case simdjson::dom::element_type::INT64: {
      std::int64_t v = e.get_int64().value_unsafe();
      return v >= 0 ? Json(static_cast<std::uint64_t>(v)) : Json(v);
    }
    case simdjson::dom::element_type::UINT64:
      return Json(e.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return Json(e.get_double().value_unsafe());
    case simdjson::dom::element_type::STRING:
      return Json(std::string(e.get_string().value_unsafe()));
    case simdjson::dom::element_type::BOOL:
      return Json(e.get_bool().value_unsafe());
    case simdjson::dom::element_type::NULL_VALUE:
      return Json(nullptr);
  }
  return Json();
}

namespace {

// Where nlohmann's parser stops: its SAX interface is told the position of a number it cannot
// represent (1e400), which the out_of_range exception of Json::parse does not carry.
class StopPosition : public nlohmann::json_sax<Json> {
 public:
  std::size_t offset = 0;  // of the first byte of the refused token

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const Json::exception&) override {
    offset = position >= last_token.size() ? position - last_token.size() : 0;
    return false;
  }
};

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// simdjson refuses a document nested deeper than max_depth (the same count as
// text::json_too_deep_at: max_depth nested objects or arrays pass, one more fails), so no
// recursive reader of the DOM meets a deeper document.
bool parse_simdjson(std::string_view text, std::size_t max_depth, simdjson::dom::element& root) {
  auto& parser = thread_parser();
  if (parser.max_depth() != max_depth &&
      parser.allocate(std::max(text.size(), parser.capacity()), max_depth) != simdjson::SUCCESS) {
    return false;
  }
  return parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

}  // namespace

bool parse_json_dom(std::string_view text, std::size_t max_depth,
                    std::vector<InputProblem>& problems, simdjson::dom::element& root) {
  if (parse_simdjson(text, max_depth, root)) return true;
  // simdjson refused the text: too deep (the scan names where, before nlohmann's recursive parser
  // could overflow the stack) or not JSON (nlohmann names the line and column of the problem).
  if (std::size_t at_offset = text::json_too_deep_at(text, max_depth);
      at_offset != text::kDepthWithinLimit) {
    problems.push_back({at(line_column(text, at_offset)),
                        fmt::format("nesting deeper than {} levels: expected at most {} nested "
                                    "objects or arrays",
                                    max_depth, max_depth)});
    return false;
  }
  Json slow;
  try {
    slow = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann's message is "[json.exception.parse_error.N] parse error at line L, column C: why".
    std::string why = e.what();
    if (auto p = why.find("column");
        p != std::string::npos && why.find(": ", p) != std::string::npos) {
      why = why.substr(why.find(": ", p) + 2);
    }
    if (why.size() > 160) why = why.substr(0, 157) + "...";
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    problems.push_back(
        {at(line_column(text, offset)),
         fmt::format("not valid JSON ({}): expected a case object or a FHIR Bundle", why)});
    return false;
  } catch (const Json::out_of_range& e) {
    // A number beyond a double's range: "[json.exception.out_of_range.406] number overflow ...".
    std::string why = e.what();
    if (auto p = why.find("] "); p != std::string::npos) why = why.substr(p + 2);
    if (why.size() > 160) why = why.substr(0, 157) + "...";
    StopPosition stop;
    Json::sax_parse(text, &stop);
    problems.push_back(
        {at(line_column(text, stop.offset)),
         fmt::format("not valid JSON ({}): expected a case object or a FHIR Bundle", why)});
    return false;
  }
  // nlohmann read what simdjson would not (an integer beyond 64 bits becomes a double): its dump
  // is the same value in a form simdjson reads, so every record is read from one kind of DOM.
  if (parse_simdjson(slow.dump(), max_depth, root)) return true;
  problems.push_back(
      {"", "the JSON text could not be read: expected a case object or a FHIR Bundle"});
  return false;
}

std::string field(const std::string& entry, std::string_view native_key,
                  std::string_view fhir_path) {
  if (!entry.empty() && entry.front() == '/') return entry + "/" + std::string(native_key);
  return entry + "." + std::string(fhir_path);
}

namespace {

const kb::Lab* find_lab(const kb::KnowledgeBase& kb, std::string_view id) {
  for (const auto& l : kb.labs) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

std::string range_text(const kb::PlausibleRange& r, const std::string& unit) {
  if (r.min && r.max) return fmt::format("[{:g}, {:g}] {}", text::G{*r.min}, text::G{*r.max}, unit);
  if (r.min) return fmt::format(">= {:g} {}", text::G{*r.min}, unit);
  return fmt::format("<= {:g} {}", text::G{*r.max}, unit);
}

}  // namespace

std::string CaseBuilder::LabPointers::value_pointer() const {
  return value ? *value : field(*entry, "value", "valueQuantity.value");
}

std::string CaseBuilder::LabPointers::unit_pointer() const {
  return unit ? *unit : field(*entry, "unit", "valueQuantity.code");
}

std::optional<double> CaseBuilder::to_lab_unit(const kb::Lab& lab, double value,
                                               const std::string& unit,
                                               const LabPointers& pointers) {
  auto r = units::convert(kb_, lab.id, value, unit, *lab.unit);
  if (!r.is_ok()) {
    std::string accepted;
    for (const auto& u : units::accepted_units(kb_, lab.id, *lab.unit)) {
      accepted += (accepted.empty() ? "" : ", ") + u;
    }
    warning(pointers.unit_pointer(),
            fmt::format("lab {}: value \"{}\": {}; expected one of {}: the result is not used",
                        lab.id, unit, r.status().message(), accepted));
    return std::nullopt;
  }
  // The KB's own spelling of its unit (cells/uL, mL/min/1.73m2) is the documented native form.
  if (unit != *lab.unit) {
    for (const auto& note : r.value().non_ucum) {
      if (note.find("\"" + unit + "\"") != std::string::npos) {
        warning(pointers.unit_pointer(), fmt::format("lab {}: {}", lab.id, note));
      }
    }
  }
  return plausible(pointers, lab, r.value().value, value, unit);
}

std::optional<double> CaseBuilder::plausible(const LabPointers& pointers, const kb::Lab& lab,
                                             double value, double given,
                                             const std::string& given_unit) {
  if (!lab.plausible || !lab.unit) return value;
  const auto& range = *lab.plausible;
  if ((!range.min || value >= *range.min) && (!range.max || value <= *range.max)) return value;
  std::string given_text = fmt::format("{:g} {}", text::G{given}, given_unit);
  if (given_unit != *lab.unit) given_text += fmt::format(" (= {:g} {})", text::G{value}, *lab.unit);
  warning(pointers.value_pointer(),
          fmt::format("lab {}: value {}: outside the plausible range {} (kb/labs.toml, not a "
                      "clinical threshold): the value is not used",
                      lab.id, given_text, range_text(range, *lab.unit)));
  return std::nullopt;
}

std::optional<double> CaseBuilder::plausible(const std::string& pointer, std::string_view lab_id,
                                             double value) {
  const kb::Lab* lab = find_lab(kb_, lab_id);
  if (!lab || !lab->unit) return value;
  return plausible(LabPointers{nullptr, &pointer, nullptr}, *lab, value, value, *lab->unit);
}

void CaseBuilder::set_body_weight(const std::string& value_pointer, const std::string& unit_pointer,
                                  double value, const std::string& unit) {
  const kb::Lab* lab = find_lab(kb_, "weight");
  if (!lab || !lab->unit) {
    warning(value_pointer, "body weight: the KB has no lab 'weight' with a unit: weight unknown");
    return;
  }
  auto in_lab_unit =
      to_lab_unit(*lab, value, unit, LabPointers{nullptr, &value_pointer, &unit_pointer});
  c_.patient.weight_kg =
      in_lab_unit ? units::converted(kb_, "weight", *in_lab_unit, *lab->unit, "kg") : std::nullopt;
}

bool CaseBuilder::add_condition(Condition cond, const std::vector<CodeIn>& codes) {
  for (const auto& code : codes) {
    if (auto m = terms_->disease_by_code(code.system, code.code)) {
      cond.disease = m->disease;
      break;
    }
  }
  if (cond.disease.empty() && !cond.label.empty()) {
    if (auto id = terms_->disease_by_name(cond.label)) cond.disease = *id;
  }
  if (cond.disease.empty()) {
    std::string what = cond.label.empty() && !codes.empty()
                           ? fmt::format("{} {}", codes[0].system, shown(codes[0].code))
                           : shown(cond.label);
    if (auto near = terms_->near_disease(cond.label)) {
      problem(cond.pointer,
              fmt::format("condition {}: not a known condition (did you mean '{}'?)", what, *near));
    } else {
      warning(cond.pointer, fmt::format("condition {} is not in the KB: not used", what));
      if (cond.label.empty()) cond.label = what;
      c_.unrecognised_conditions.push_back(std::move(cond));
    }
    return false;
  }
  c_.conditions.push_back(std::move(cond));
  return true;
}

bool CaseBuilder::add_medication(Medication med, const std::vector<CodeIn>& codes,
                                 const std::vector<std::string>& other_names) {
  MedicationMatch m;
  for (const auto& code : codes) {
    m = terms_->medication_by_code(code.system, code.code);
    if (!m.empty()) break;
  }
  if (m.empty() && !med.label.empty()) m = terms_->medication_by_name(med.label);
  for (const auto& name : other_names) {
    if (!m.empty()) break;
    m = terms_->medication_by_name(name);
  }
  std::string what = med.label.empty() && !codes.empty()
                         ? fmt::format("{} {}", codes[0].system, shown(codes[0].code))
                         : shown(med.label);
  std::string code_note = codes.empty() ? std::string()
                                        : fmt::format(" ({} {} is not in the KB)", codes[0].system,
                                                      shown(codes[0].code));
  if (m.empty()) {
    // A product text ("ketoconazole 200 MG Oral Tablet") names a KB drug as whole words.
    std::vector<std::string> texts;
    if (!med.label.empty()) texts.push_back(med.label);
    texts.insert(texts.end(), other_names.begin(), other_names.end());
    for (const auto& text : texts) {
      WordMatch w = terms_->medication_by_words(text);
      if (w.names.empty()) continue;
      std::string names;
      for (const auto& n : w.names) names += (names.empty() ? "'" : ", '") + n + "'";
      if (w.ambiguous) {
        warning(med.pointer, fmt::format("medication {}: the names {} in {} fit more than one KB "
                                         "product: not used; give the product's code",
                                         what, names, shown(text)));
        med.unmapped = true;
        c_.medications.push_back(std::move(med));
        return false;
      }
      m = w.match;
      warning(med.pointer, fmt::format("medication {}{}: matched by the name {} in {}; check the "
                                       "product (route, strength)",
                                       what, code_note, names, shown(text)));
      break;
    }
  }
  if (m.empty()) {
    if (auto near = terms_->near_medication(med.label)) {
      problem(med.pointer,
              fmt::format("medication {}: not a known drug (did you mean '{}'?)", what, *near));
    } else {
      warning(med.pointer,
              fmt::format("medication {} is not in the KB: not checked for interactions", what));
      // Kept by name: risk factors may name a co-medication the KB has no class for.
      med.unmapped = true;
      c_.medications.push_back(std::move(med));
    }
    return false;
  }
  med.biologic = m.biologic;
  med.jak_drug = m.jak_drug;
  med.classes = m.classes;
  c_.medications.push_back(std::move(med));
  return true;
}

bool CaseBuilder::add_lab(const std::string& pointer, const std::string& label,
                          const std::vector<CodeIn>& codes, Date date, std::optional<double> value,
                          const std::string& unit, std::optional<std::string> text,
                          std::optional<LabBound> bound, std::optional<std::int64_t> at) {
  std::optional<std::string> lab;
  for (const auto& code : codes) {
    if (code.system == "loinc") lab = terms_->lab_by_code(code.code);
    if (lab) break;
  }
  if (!lab && !label.empty()) lab = terms_->lab_by_name(label);
  if (!lab) {
    std::string code = codes.empty() ? "" : codes[0].system + " " + codes[0].code;
    warning(pointer, label.empty() ? fmt::format("lab {} is not in the KB: not used", code)
                                   : fmt::format("lab \"{}\"{} is not in the KB: not used", label,
                                                 code.empty() ? "" : " (" + code + ")"));
    return false;
  }
  const kb::Lab* def = nullptr;
  for (const auto& l : kb_.labs) {
    if (l.id == *lab) def = &l;
  }
  LabResult r;
  r.pointer = pointer;
  r.lab = *lab;
  r.date = date;
  r.at = at;
  r.text = std::move(text);
  r.given_unit = unit;
  if (value) {
    // Impossible data (docs/case-format.md), unlike an implausible value or unit: rejected.
    if (*value < 0) {
      problem(pointer, fmt::format("value {}: expected a number >= 0", *value));
      return false;
    }
    r.given_value = *value;
    if (!def || !def->unit) {  // no canonical unit in the KB (e.g. IgE): kept as given
      r.value = value;
      r.unit = unit;
    } else {
      auto in_kb_unit = to_lab_unit(*def, *value, unit, LabPointers{&pointer, nullptr, nullptr});
      r.unit = *def->unit;
      if (!in_kb_unit) {
        // Warned by to_lab_unit. Kept, without a value: the latest result is this one.
        r.unusable = fmt::format("{:g} {} could not be used (see warnings)", text::G{*value}, unit);
        c_.labs.push_back(std::move(r));
        return false;
      }
      r.value = in_kb_unit;
    }
  } else if (bound) {
    r.given_value = bound->value;
    r.unit = def && def->unit ? *def->unit : unit;
    std::optional<double> in_kb_unit = bound->value;
    if (def && def->unit) {
      in_kb_unit = to_lab_unit(*def, bound->value, unit, LabPointers{&pointer, nullptr, nullptr});
    }
    if (!in_kb_unit) {
      r.unusable = fmt::format("{} {:g} {} could not be used (see warnings)",
                               to_string(bound->comparator), text::G{bound->value}, unit);
      c_.labs.push_back(std::move(r));
      return false;
    }
    r.bound = LabBound{bound->comparator, *in_kb_unit};
  }
  c_.labs.push_back(std::move(r));
  return true;
}

bool CaseBuilder::add_unreadable_lab(const std::string& pointer, const std::string& label,
                                     const std::vector<CodeIn>& codes, Date date, std::string why,
                                     std::optional<std::int64_t> at) {
  const std::size_t before = c_.labs.size();
  add_lab(pointer, label, codes, date, std::nullopt, "", std::nullopt, std::nullopt, at);
  if (c_.labs.size() == before) return false;  // not a KB lab (warned)
  c_.labs.back().unusable = std::move(why);
  return true;
}

namespace {

// Whether two results say the same (a duplicate sent by two feeds is no conflict).
bool same_reading(const LabResult& a, const LabResult& b) {
  auto close = [](double x, double y) {
    return std::fabs(x - y) <= 1e-9 * std::max({1.0, std::fabs(x), std::fabs(y)});
  };
  if (a.unusable.has_value() != b.unusable.has_value()) return false;
  if (a.unusable) return true;
  if (a.value.has_value() != b.value.has_value() || a.bound.has_value() != b.bound.has_value())
    return false;
  if (a.value && !close(*a.value, *b.value)) return false;
  if (a.bound &&
      (a.bound->comparator != b.bound->comparator || !close(a.bound->value, b.bound->value)))
    return false;
  return a.text == b.text;
}

std::string reading(const LabResult& r) {
  if (r.value || r.bound) return r.shown() + (r.text ? " " + *r.text : "");
  if (r.text) return *r.text;
  return r.unusable ? "not usable" : "no value";
}

}  // namespace

// Results of one lab on one day that disagree and carry no times to order them (a repeat Hb, a
// positive and a negative IGRA): "the latest" would be whichever the export listed last, so a
// do-not-start Hb of 7.2 g/dL was hidden by a 13.1 listed after it. Marked, and warned about;
// the rules read such a day fail-safe.
// Two entries of one KB product from one start where one is ended and the other still taken
// (a pharmacy feed and a clinician's list; an old statement kept beside its update): both stay
// as they are — the one still taken keeps the drug in the record, the fail-safe reading for
// interactions and exposure — and the disagreement is said, so the clinician records which one
// is current.
void CaseBuilder::note_disagreeing_medications() {
  const auto& meds = c_.medications;
  for (std::size_t i = 0; i < meds.size(); ++i) {
    const Medication& ongoing = meds[i];
    if (ongoing.planned || ongoing.stop) continue;
    const auto& id = ongoing.biologic ? ongoing.biologic : ongoing.jak_drug;
    if (!id) continue;
    for (std::size_t j = 0; j < meds.size(); ++j) {
      const Medication& ended = meds[j];
      if (j == i || ended.planned || !ended.stop) continue;
      const auto& other = ended.biologic ? ended.biologic : ended.jak_drug;
      if (other != id || ended.start != ongoing.start) continue;
      warning(ongoing.pointer,
              fmt::format("{} is also recorded as stopped on {} ({}): read as still taken; record "
                          "which entry is current",
                          ongoing.label, clinical::to_string(*ended.stop), ended.pointer));
      break;
    }
  }
}

void CaseBuilder::mark_disputed_days() {
  if (c_.labs.size() < 2) return;
  std::vector<std::size_t> order(c_.labs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto &x = c_.labs[a], &y = c_.labs[b];
    return std::tie(x.lab, x.date) < std::tie(y.lab, y.date);
  });
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin + 1;
    while (end < order.size() && c_.labs[order[end]].lab == c_.labs[order[begin]].lab &&
           c_.labs[order[end]].date == c_.labs[order[begin]].date)
      ++end;
    for (std::size_t i = begin; i < end; ++i) {
      for (std::size_t j = i + 1; j < end; ++j) {
        auto &a = c_.labs[order[i]], &b = c_.labs[order[j]];
        const bool timed_apart = a.at && b.at && *a.at != *b.at;
        if (timed_apart || same_reading(a, b)) continue;
        a.disputed = b.disputed = true;
      }
    }
    std::string readings;
    const LabResult* last = nullptr;
    int n = 0, timed = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const auto& r = c_.labs[order[i]];
      if (!r.disputed) continue;
      // The time where one was given: a timed result and an untimed one cannot be ordered either.
      std::string when;
      if (r.at) {
        const std::int64_t sec = ((*r.at % 86400) + 86400) % 86400;
        when = fmt::format(" at {:02}:{:02} UTC", sec / 3600, sec % 3600 / 60);
        ++timed;
      }
      readings += (readings.empty() ? "" : "; ") + reading(r) + when;
      last = &r;
      ++n;
    }
    if (last) {
      warning(last->pointer,
              fmt::format("{} {} results on {} disagree ({}) and {}: "
                          "read fail-safe (any of them that crosses a do-not-start threshold "
                          "counts, the lowest eGFR, the highest creatinine and the worse "
                          "liver values are used, a positive screening result counts and "
                          "otherwise the test is not assessed); record which one stands",
                          n, last->lab, to_string(last->date), readings,
                          timed == 0 ? "no time of day orders them"
                                     : "not all have a time of day to order them"));
    }
    begin = end;
  }
}

void CaseBuilder::finish() {
  for (const auto& cond : c_.conditions) {
    std::string id = cond.disease;
    for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
      c_.condition_closure.push_back(id);
      if (cond.status == ConditionStatus::kActive) c_.active_condition_closure.push_back(id);
      const kb::Disease* d = kb_.find_disease(id);
      id = d && d->parent ? *d->parent : "";
    }
  }
  for (auto* v : {&c_.condition_closure, &c_.active_condition_closure}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  mark_disputed_days();
  note_disagreeing_medications();
  // Body weight from dated measurements (FHIR Observations, native weight labs): the latest up to
  // the assessment date, not the one an export happened to list last (a 2015 weight of 50 kg
  // listed after this week's 80 kg gave a creatinine clearance of 19 instead of 30); on a
  // disputed day the lowest (the lower clearance, the lower weight band). A weight given as
  // /patient/weight_kg is the patient's current weight and stands.
  if (!c_.patient.weight_kg) {
    const kb::Lab* lab = find_lab(kb_, "weight");
    const LabResult* w = c_.latest_worst("weight", c_.as_of, false);
    if (lab && lab->unit && w && w->value) {
      c_.patient.weight_kg = units::converted(kb_, "weight", *w->value, *lab->unit, "kg");
      c_.patient.weight_date = w->date;
    }
  }
  auto& p = c_.patient;
  // Pregnancy and lactation recorded as active conditions (FHIR Condition, or a native condition)
  // are the patient's state the reproductive rules read.
  for (auto [disease, state, what] : {std::tuple{"pregnancy", &p.pregnant, "pregnant"},
                                      std::tuple{"lactation", &p.breastfeeding, "breastfeeding"}}) {
    if (!c_.has_condition(disease, kb_, true)) continue;
    if (*state == std::optional<bool>(false)) {
      warning("/patient",
              fmt::format("an active {} condition is recorded but the patient is marked "
                          "not {}: treated as {}",
                          disease, what, what));
    }
    *state = true;
  }
  // A positive pregnancy test (the newest result of a KB lab that screens for pregnancy) is
  // pregnancy: without it a record with a positive hCG read "pregnancy status unknown" and a
  // contraindication became a caution.
  for (const auto& lab : kb_.labs) {
    if (lab.screening_item != kb::ScreeningKind::kPregnancy) continue;
    const LabResult* test = c_.latest(lab.id, c_.as_of);
    if (!test || test->text != std::optional<std::string>("positive")) continue;
    if (p.pregnant == std::optional<bool>(false)) {
      warning(test->pointer,
              fmt::format("a positive {} ({}) is recorded but the patient is marked not "
                          "pregnant: treated as pregnant; record the pregnancy status",
                          lab.name, to_string(test->date)));
    } else if (!p.pregnant) {
      warning(test->pointer,
              fmt::format("pregnant: read from the positive {} of {}; record the pregnancy "
                          "status if it has changed since",
                          lab.name, to_string(test->date)));
    }
    p.pregnant = true;
  }
  if (p.birth_date) {
    if (*p.birth_date > c_.as_of) {
      problem("/patient/birth_date", fmt::format("value \"{}\": after the assessment date {}",
                                                 to_string(*p.birth_date), to_string(c_.as_of)));
    }
    double computed = years_between(*p.birth_date, c_.as_of);
    if (p.age_years && std::abs(*p.age_years - computed) > 1) {
      problem("/patient/age_years",
              fmt::format("value {}: does not match birth_date (age {})", *p.age_years, computed));
    }
    // A placeholder birth date (1900-01-01) gives an age no one reaches.
    p.age_years = plausible("/patient/birth_date", "age", computed);
    if (p.birth_date_latest && p.age_years) read_age_range(p);
  }
  if (!p.age_years) {
    warning("/patient", "age unknown: age limits, the age >= 65 group and eGFR cannot be checked");
  }
  if (c_.eruption) {
    if (p.birth_date && c_.eruption->onset < *p.birth_date) {
      problem("/eruption/onset",
              fmt::format("value \"{}\": before the birth date {}", to_string(c_.eruption->onset),
                          to_string(*p.birth_date)));
    }
    if (c_.eruption->onset > c_.as_of) {
      problem("/eruption/onset", fmt::format("value \"{}\": after the assessment date {}",
                                             to_string(c_.eruption->onset), to_string(c_.as_of)));
    }
  }
  add_absolute_counts();
  add_egfr();
}

// Born between two days (a FHIR birthDate of a year or a month): the age is one of two whole
// years. Where no age limit of the KB lies between them, every rule reads the same either way, so
// the age is used — the older one: the lower creatinine clearance and eGFR (fail safe). Where one
// does ("1961" in 2026: 64 or 65, the EU age >= 65 group), the age is not known.
void CaseBuilder::read_age_range(Patient& p) {
  const double oldest = *p.age_years;
  const double youngest = years_between(std::min(*p.birth_date_latest, c_.as_of), c_.as_of);
  if (youngest == oldest) return;
  const std::string range =
      fmt::format("born between {} and {}: age {:g} or {:g} on {}", to_string(*p.birth_date),
                  to_string(*p.birth_date_latest), youngest, oldest, to_string(c_.as_of));
  const auto limits = kb_.age_limits();
  const auto limit = std::find_if(limits.begin(), limits.end(),
                                  [&](double a) { return youngest < a && a <= oldest; });
  if (limit == limits.end()) {
    warning("/patient/birth_date",
            fmt::format("{}; read as {:g}: no age limit of the KB lies between them, and the "
                        "older age gives the lower creatinine clearance and eGFR; record the full "
                        "birth date",
                        range, oldest));
    return;
  }
  warning("/patient/birth_date",
          fmt::format("{}; the age limit {:g} of the KB lies between them: record the full birth "
                      "date",
                      range, *limit));
  p.age_years.reset();
  p.possible_ages = {youngest, oldest};
}

// A differential sent only as percentages (LOINC 736-9, 770-8) left the ALC and ANC thresholds
// "not assessed" although the leukocyte count of the same sample was there: absolute = total x
// percentage / 100 (kb/labs.toml from_percentage). Computed only when no absolute count is as
// recent, and only from one sample: the total of the same day (and time, when both give one);
// totals of that day that disagree, or a disputed percentage, compute nothing and say so.
void CaseBuilder::add_absolute_counts() {
  for (const auto& lab : kb_.labs) {
    if (!lab.from_percentage || !lab.unit) continue;
    const auto& from = *lab.from_percentage;
    const LabResult* pct = c_.latest(from.percentage, c_.as_of);
    if (!pct || !pct->value) continue;
    const LabResult* measured = c_.latest(lab.id, c_.as_of);
    if (measured && measured->date >= pct->date) continue;
    if (pct->disputed) {
      warning(pct->pointer, fmt::format("{} of {}: results that day disagree; {} not computed",
                                        from.percentage, to_string(pct->date), lab.id));
      continue;
    }
    const LabResult* total = nullptr;
    bool disagree = false;
    for (const auto& r : c_.labs) {
      if (r.lab != from.total || r.date != pct->date || !r.value || r.unusable) continue;
      if (r.at && pct->at && *r.at != *pct->at) continue;  // another sample that day
      if (total && *total->value != *r.value) disagree = true;
      total = &r;
    }
    if (!total) {
      warning(pct->pointer,
              fmt::format("{} {} of {}: no {} of the same sample, so {} is not computed; record "
                          "the absolute count",
                          from.percentage, pct->shown(), to_string(pct->date), from.total, lab.id));
      continue;
    }
    if (disagree) {
      warning(pct->pointer,
              fmt::format("{} results of {} disagree: {} not computed from {} {}", from.total,
                          to_string(pct->date), lab.id, from.percentage, pct->shown()));
      continue;
    }
    LabResult r;
    r.pointer = pct->pointer;
    r.lab = lab.id;
    r.date = pct->date;
    r.at = pct->at;
    r.unit = *lab.unit;
    r.computed = true;
    r.given_value = *pct->value;
    r.given_unit = pct->unit;
    const double count = *total->value * *pct->value / 100;
    r.value = plausible(pct->pointer, lab.id, count);
    if (!r.value) continue;
    r.derivation = fmt::format("computed: {} {} x {} {}", from.total, total->shown(),
                               from.percentage, pct->shown());
    warning(pct->pointer,
            fmt::format("{} {} {} computed from {} {} x {} {} of {} (no absolute count as recent "
                        "was sent)",
                        lab.id, text::G{text::round_significant(*r.value)}, r.unit, from.total,
                        total->shown(), from.percentage, pct->shown(), to_string(pct->date)));
    c_.labs.push_back(std::move(r));
  }
}

// eGFR from the latest creatinine when no eGFR result is as recent: CKD-EPI 2021 from the age the
// adult equations hold, the bedside Schwartz equation (height) below it. A child's recorded eGFR
// is not used: every eGFR code the KB reads names an adult equation (CKD-EPI, MDRD), which
// overestimates a child's filtration (7 years, creatinine 0.9 mg/dL: CKD-EPI 136, Schwartz 55 at
// 120 cm), so the renal rules would pass a reduced kidney function as normal.
void CaseBuilder::add_egfr() {
  const Patient& p = c_.patient;
  const auto adult_age = kb_.formula_constant("egfr-adult-equations.min-age");
  const bool child = p.age_years && adult_age && *p.age_years < *adult_age;
  if (child) {
    for (LabResult& r : c_.labs) {
      if (r.lab != "egfr" || r.computed || r.unusable) continue;
      r.unusable = fmt::format(
          "eGFR by an adult equation (CKD-EPI or MDRD, for ages {:g} and older) and the patient "
          "is {:.0f}: record the creatinine and the height (bedside Schwartz equation)",
          *adult_age, std::floor(*p.age_years));
      warning(r.pointer, fmt::format("eGFR {} of {}: not used; {}", r.shown(), to_string(r.date),
                                     *r.unusable));
      r.value.reset();
      r.bound.reset();
    }
  }
  // On a disputed day the highest creatinine: the lowest eGFR (fail safe).
  const LabResult* scr = c_.latest_worst("creatinine", c_.as_of, true);
  const LabResult* egfr = c_.latest("egfr", c_.as_of);
  if (!scr || !scr->value || (egfr && egfr->date >= scr->date && !egfr->unusable)) return;
  LabResult r;
  r.pointer = scr->pointer;
  r.lab = "egfr";
  r.date = scr->date;
  r.unit = "mL/min/1.73m2";
  r.computed = true;
  r.given_value = *scr->value;
  r.given_unit = scr->unit;
  if (!child) {
    if (!p.age_years || (p.sex != Sex::kFemale && p.sex != Sex::kMale)) {
      warning(scr->pointer, "creatinine given but eGFR cannot be computed: age or sex unknown");
      return;
    }
    r.value = ckd_epi_2021(kb_, *scr->value, *p.age_years, p.sex);
    if (!r.value) return;
    r.text = fmt::format("CKD-EPI 2021: creatinine {:g} mg/dL of {}",
                         text::G{text::round_significant(*scr->value)}, to_string(scr->date));
    c_.labs.push_back(std::move(r));
    return;
  }
  // A child: the lowest height of the latest day (fail safe: the lower eGFR).
  const LabResult* height = c_.latest_worst("height", c_.as_of, false);
  const auto min_age = kb_.formula_constant("bedside-schwartz-2009.min-age");
  std::string why;
  if (min_age && *p.age_years < *min_age) {
    why =
        fmt::format("the bedside Schwartz equation is for ages {:g} to {:g}", *min_age, *adult_age);
  } else if (!height || !height->value) {
    why = "record the height for the bedside Schwartz equation";
  } else if (auto e = bedside_schwartz_2009(kb_, *scr->value, *height->value)) {
    r.value = e;
    r.text = fmt::format("bedside Schwartz: creatinine {:g} mg/dL of {}, height {:g} cm of {}",
                         text::G{text::round_significant(*scr->value)}, to_string(scr->date),
                         text::G{text::round_significant(*height->value)}, to_string(height->date));
    c_.labs.push_back(std::move(r));
    return;
  } else {
    why = "the KB holds no bedside Schwartz constant";
  }
  r.unusable = fmt::format(
      "none computed from the creatinine of {}: the patient is {:.0f} and CKD-EPI 2021 is an "
      "adult equation ({:g} and older); {}",
      to_string(scr->date), std::floor(*p.age_years), *adult_age, why);
  warning(scr->pointer, "eGFR: " + *r.unusable);
  c_.labs.push_back(std::move(r));
}

}  // namespace detail
}  // namespace paraderm::clinical
