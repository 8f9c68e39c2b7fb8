// FHIR R4 Bundle → Case, for records exported the way EHRs export them (US Core / IPS shapes).
// Resources: Patient, Condition, MedicationStatement, MedicationRequest, MedicationAdministration,
// MedicationDispense
// (the medication as a CodeableConcept or a reference to a contained or Bundle Medication),
// Observation, AllergyIntolerance, Immunization; mapped by code (SNOMED CT, ICD-10-CM with KB code
// ranges, RxNorm, LOINC) with a name fallback. Status, verification, clinical status, severity and
// interpretation codes are read through kb/fhir.toml. The eruption and case flags travel as
// paraderm extensions (docs/case-format.md).
//
// The reader walks simdjson's DOM in place (no nlohmann tree: building and freeing one cost more
// than the parse), with nlohmann's semantics kept where the two differ: a repeated key keeps its
// last value, a null member is absent, and a value quoted in a message is nlohmann's dump.
// Everything kept in the Case is copied out: the DOM is reused by the next parse on this thread.
//
// Bad input: a wrong-typed or unknown element is a warning naming its FHIR path and the rest is
// read; only impossible data and a name one typo away from a KB name stop the assessment.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <simdjson.h>

#include "case/build.h"

namespace paraderm::clinical::detail {
namespace {

using El = simdjson::dom::element;
using OptEl = std::optional<El>;

constexpr const char* kEruptionUrl = "https://paraderm.dev/fhir/StructureDefinition/eruption";
constexpr const char* kFlagUrl = "https://paraderm.dev/fhir/StructureDefinition/case-flag";
constexpr const char* kCvRiskUrl = "https://paraderm.dev/fhir/StructureDefinition/cv-risk-factor";
constexpr const char* kVteRiskUrl = "https://paraderm.dev/fhir/StructureDefinition/vte-risk-factor";

// KB lab ids of the LOINC "status" observations that set patient fields instead of adding a lab.
constexpr const char* kSmokingStatus = "smoking-status";
constexpr const char* kPregnancyStatus = "pregnancy-status";
constexpr const char* kBreastfeedingStatus = "breastfeeding-status";

// Only on the way to a message, so the conversion's cost does not matter; the text is what
// nlohmann printed when the reader walked its tree (keys sorted, numbers typed alike).
std::string describe(El v) {
  std::string s = to_nlohmann(v).dump();  // bounded: parse_json_dom refuses deep nesting
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// simdjson's at_key returns the first of repeated keys; nlohmann (and so every record read so
// far) keeps the last, so all pairs are scanned. A null value is returned.
OptEl last_value(El obj, std::string_view key) {
  simdjson::dom::object fields;
  if (obj.get_object().get(fields) != simdjson::SUCCESS) return std::nullopt;
  OptEl found;
  for (simdjson::dom::key_value_pair kv : fields) {
    if (kv.key == key) found = kv.value;
  }
  return found;
}

// The value at `key`; a null member counts as absent.
OptEl member(El obj, std::string_view key) {
  OptEl found = last_value(obj, key);
  if (!found || found->is_null()) return std::nullopt;
  return found;
}

std::string_view string_of(El v) { return v.get_string().value_unsafe(); }

// The string at `key`, or "" (silently) when absent or not a string; for identifiers the reader
// only compares (resourceType, url, id). A view into the DOM: copied before it is kept.
std::string_view plain(El obj, std::string_view key) {
  OptEl v = member(obj, key);
  return v && v->is_string() ? string_of(*v) : std::string_view();
}

// An array's elements with their index, for the [i] of paths (simdjson's array indexing is
// linear, so a Bundle is never indexed in a loop). Here, in items() and in first(), the element
// is an array: every caller has checked it (Reader::array, is_array()).
class Indexed {
 public:
  explicit Indexed(El array) : items_(array.get_array().value_unsafe()) {}
  struct iterator {
    simdjson::dom::array::iterator it;
    std::size_t index;
    std::pair<std::size_t, El> operator*() const { return {index, *it}; }
    iterator& operator++() {
      ++it;
      ++index;
      return *this;
    }
    bool operator!=(const iterator& other) const { return it != other.it; }
  };
  iterator begin() const { return {items_.begin(), 0}; }
  iterator end() const { return {items_.end(), 0}; }

 private:
  simdjson::dom::array items_;
};

simdjson::dom::array items(El array) { return array.get_array().value_unsafe(); }

// The first element of an array, if it has one.
OptEl first(El array) {
  auto list = items(array);
  return list.begin() != list.end() ? OptEl(*list.begin()) : std::nullopt;
}

// A FHIR path, formatted only when a message names it: nearly every element is read without
// one. Either a whole path or "{parent}.{element}" / "{parent}.{element}[{index}]". It points to
// its parent (a string or another Path), so it is a local or an argument that lives no longer
// than its parent; a temporary parent is refused where it would dangle.
class Path {
 public:
  Path(const std::string& text) : text_(&text) {}  // NOLINT(google-explicit-constructor)
  Path(const std::string& parent, const char* element) : parent_text_(&parent), element_(element) {}
  Path(const std::string& parent, const char* element, std::size_t index)
      : parent_text_(&parent), element_(element), index_(index), indexed_(true) {}
  Path(const Path& parent, const char* element) : parent_(&parent), element_(element) {}
  Path(const Path& parent, const char* element, std::size_t index)
      : parent_(&parent), element_(element), index_(index), indexed_(true) {}
  Path(std::string&&, const char*) = delete;
  Path(std::string&&, const char*, std::size_t) = delete;
  Path(Path&&, const char*) = delete;
  Path(Path&&, const char*, std::size_t) = delete;

  std::string str() const {
    if (text_) return *text_;
    const std::string parent = parent_text_ ? *parent_text_ : parent_->str();
    if (indexed_) return fmt::format("{}.{}[{}]", parent, element_, index_);
    return fmt::format("{}.{}", parent, element_);
  }

 private:
  const std::string* text_ = nullptr;
  const std::string* parent_text_ = nullptr;
  const Path* parent_ = nullptr;
  const char* element_ = nullptr;
  std::size_t index_ = 0;
  bool indexed_ = false;
};

// What a CodeableConcept says: its codes, its text (CodeableConcept.text, else the first coding
// display) and every text naming it (the text and each distinct display).
struct CodeableConcept {
  std::vector<CodeIn> codes;
  std::string text;
  std::vector<std::string> texts;
};

// Views into the DOM, compared and copied out by the caller.
struct Coding {
  std::string_view system;  // short system (snomed, loinc, ...) or the URI as given
  std::string_view code, display;
};

// Typed reads of FHIR elements: a value of the wrong type is a warning naming its path, and the
// element is treated as absent.
class Reader {
 public:
  explicit Reader(CaseBuilder& b) : b_(b) {}

  // A view into the DOM: copy it to keep it.
  std::string_view string(El obj, const char* key, const Path& path) {
    OptEl v = member(obj, key);
    if (!v) return {};
    if (!v->is_string()) {
      wrong(*v, path, key, "a string");
      return {};
    }
    return string_of(*v);
  }
  OptEl object(El obj, const char* key, const Path& path) {
    OptEl v = member(obj, key);
    if (v && !v->is_object()) {
      wrong(*v, path, key, "an object");
      return std::nullopt;
    }
    return v;
  }
  OptEl array(El obj, const char* key, const Path& path) {
    OptEl v = member(obj, key);
    if (v && !v->is_array()) {
      wrong(*v, path, key, "an array");
      return std::nullopt;
    }
    return v;
  }
  std::optional<double> number(El obj, const char* key, const Path& path) {
    OptEl v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      wrong(*v, path, key, "a number");
      return std::nullopt;
    }
    return v->get_double().value_unsafe();
  }
  std::optional<bool> boolean(El obj, const char* key, const Path& path) {
    OptEl v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) {
      wrong(*v, path, key, "true or false");
      return std::nullopt;
    }
    return v->get_bool().value_unsafe();
  }
  // A FHIR date or dateTime. One given to the month or year only ("2026-08", "2018", valid FHIR)
  // is read as its first day, with a warning; `latest` (when asked for) gets its last day.
  std::optional<Date> date(El obj, const char* key, const Path& path,
                           std::optional<Date>* latest = nullptr) {
    return date_in_period(obj, key, path, latest, false);
  }
  // An end date (a medication's stop): a partial one is read as its last day, since the drug may
  // have been taken until then (its first day could make a culprit look stopped before the onset).
  std::optional<Date> end_date(El obj, const char* key, const Path& path) {
    return date_in_period(obj, key, path, nullptr, true);
  }
  std::optional<Date> date_in_period(El obj, const char* key, const Path& path,
                                     std::optional<Date>* latest, bool end) {
    std::string_view s = string(obj, key, path);
    if (s.empty()) return std::nullopt;
    auto d = parse_date(s);
    if (!d) {
      if (auto period = parse_partial_date(s)) {
        b_.warning(path.str() + "." + key,
                   fmt::format("value {}: a {} precision date, read as {}{}", shown(s),
                               s.size() == 4 ? "year" : "month",
                               to_string(end ? period->second : period->first),
                               latest ? fmt::format(" to {}", to_string(period->second)) : ""));
        if (latest) *latest = period->second;
        return end ? period->second : period->first;
      }
    }
    if (!d) {
      b_.warning(path.str() + "." + key, fmt::format("value {}: expected a FHIR date or dateTime "
                                                     "(YYYY-MM-DD...); ignored",
                                                     shown(s)));
    }
    return d;
  }
  // The codings of a CodeableConcept (those with a string code).
  std::vector<Coding> codings(El cc, const Path& path) {
    std::vector<Coding> out;
    OptEl list = array(cc, "coding", path);
    if (!list) return out;
    for (auto [i, c] : Indexed(*list)) {
      Path p(path, "coding", i);
      if (!c.is_object()) {
        wrong(c, p, nullptr, "a Coding object");
        continue;
      }
      std::string_view code = string(c, "code", p);
      if (code.empty()) continue;
      out.push_back({short_system_view(string(c, "system", p)), code, string(c, "display", p)});
    }
    return out;
  }
  std::vector<CodeIn> codes(El cc, const Path& path) {
    std::vector<CodeIn> out;
    for (auto& c : codings(cc, path)) out.push_back({std::string(c.system), std::string(c.code)});
    return out;
  }
  // CodeableConcept.text, else the first coding display.
  std::string text(El cc, const Path& path) {
    if (auto t = string(cc, "text", path); !t.empty()) return std::string(t);
    for (const auto& c : codings(cc, path)) {
      if (!c.display.empty()) return std::string(c.display);
    }
    return "";
  }
  // The codes, text and texts in one reading of the codings, with the warnings in the order
  // codes() then text() give them (the codings', then the text's).
  CodeableConcept concept_of(El cc, const Path& path) {
    CodeableConcept out;
    std::vector<Coding> read = codings(cc, path);
    std::string_view given_text = string(cc, "text", path);
    for (const auto& c : read) out.codes.push_back({std::string(c.system), std::string(c.code)});
    if (!given_text.empty()) {
      out.text = given_text;
      out.texts.emplace_back(given_text);
    }
    for (const auto& c : read) {
      if (c.display.empty()) continue;
      if (out.text.empty()) out.text = c.display;
      if (std::find(out.texts.begin(), out.texts.end(), c.display) == out.texts.end()) {
        out.texts.emplace_back(c.display);
      }
    }
    return out;
  }

 private:
  // Once per path: a concept is read for its codes and again for its text.
  void wrong(El v, const Path& path, const char* key, const char* expected) {
    std::string at = key ? path.str() + "." + key : path.str();
    if (!warned_.insert(at).second) return;
    b_.warning(std::move(at), fmt::format("value {}: expected {}; ignored", describe(v), expected));
  }
  CaseBuilder& b_;
  std::unordered_set<std::string> warned_;
};

// The extension of `r` (a resource, or an extension holding sub-extensions) with this url.
OptEl extension(El r, const char* url) {
  OptEl list = member(r, "extension");
  if (!list || !list->is_array()) return std::nullopt;
  for (El e : items(*list)) {
    if (plain(e, "url") == url) return e;
  }
  return std::nullopt;
}

std::string ext_code(El ext, const char* name) {
  OptEl e = extension(ext, name);
  if (!e) return "";
  if (auto v = plain(*e, "valueCode"); !v.empty()) return std::string(v);
  return std::string(plain(*e, "valueString"));
}

std::optional<double> ext_number(El ext, const char* name) {
  OptEl e = extension(ext, name);
  OptEl v = e ? member(*e, "valueDecimal") : std::nullopt;
  return v && v->is_number() ? std::optional<double>(v->get_double().value_unsafe()) : std::nullopt;
}

std::optional<bool> ext_bool(El ext, const char* name) {
  OptEl e = extension(ext, name);
  OptEl v = e ? member(*e, "valueBoolean") : std::nullopt;
  return v && v->is_bool() ? std::optional<bool>(v->get_bool().value_unsafe()) : std::nullopt;
}

// A resource a reference names: its element and, for a Bundle entry, the entry's index, which is
// its identity (simdjson elements are values, not addresses).
struct Resource {
  static constexpr std::size_t kContained = static_cast<std::size_t>(-1);
  El element;
  std::size_t entry = kContained;
};

// One Bundle being read: the reader, the builder and the index that resolves references.
class BundleReader {
 public:
  BundleReader(El bundle, CaseBuilder& b) : bundle_(bundle), b_(b), f_(b) {}

  // `as_of_given`: the caller named the assessment date, which Bundle.timestamp must not replace.
  void read(bool as_of_given);
  // Without a region from the caller: the region of the patient's address country (KB
  // region_country rows) when its addresses name exactly one, else "us"; a warning either way.
  void infer_region();

 private:
  void patient(El r, const std::string& path);
  void condition(El r, const std::string& path);
  void medication(El r, const std::string& path, std::string_view type);
  void observation(El r, const std::string& path);
  std::optional<std::string> structured_frequency(El timing, const std::string& path);
  // The result of an Observation, or of one of its components (the panel's `date`).
  void observation_result(El r, const std::string& path, std::optional<Date> date,
                          std::optional<std::int64_t> at);
  void allergy(El r, const std::string& path);
  // A given dose of a KB vaccine (kb/vaccines.toml, by CVX code): the zoster-vaccine screening
  // item and the live-vaccine check read it. Other vaccines and doses not given: a warning.
  void immunization(El r, const std::string& path);
  // An OperationOutcome among the entries (a searchset's `search.mode: outcome`): the FHIR server
  // saying a search was partial or failed. Each issue becomes a warning, so that a record the
  // server cut short is never read as complete.
  void server_outcome(El r, const std::string& path);
  // Whether a resource's subject (patient) reference names this record's Patient; false, with a
  // warning, when it names another one. A resource without a reference is this patient's.
  bool of_this_patient(El r, const std::string& path);
  // A Condition.onsetAge or onsetRange in whole years (UCUM "a"); nullopt with a warning otherwise.
  std::optional<int> whole_years(El quantity, const Path& path);
  // Sets the onset span of the conditions given by age, from the patient's birth date.
  void resolve_onset_ages();
  struct OnsetAge {
    std::string pointer;
    int from_years, to_years;
  };
  std::vector<OnsetAge> onset_ages_;

  // Smoking and pregnancy status are patient fields read from Observations: the latest by date
  // (then time) decides, whatever the Bundle's order — a searchset sorted newest first put an
  // old "not pregnant" last, and the reader used to take the last one read. Two answers that
  // disagree with no order between them (the same day and no distinct times, or one undated)
  // leave the field unknown, with a warning.
  struct StatusReading {
    std::optional<Date> date;
    std::optional<std::int64_t> at;
    std::string answer;  // the KB answer_code id
    std::string pointer;
  };
  enum class StatusOrder { kNewer, kOlderOrSame, kDisputed };
  StatusOrder order_status(const std::string& lab, std::optional<Date> date,
                           std::optional<std::int64_t> at, const kb::AnswerCode& answer,
                           const std::string& pointer, std::string* other_pointer);
  std::map<std::string, StatusReading, std::less<>> status_readings_;  // by KB lab id

  // How a status-like element is read; false when the resource is not to be used (a warning says
  // why). `meaning` receives the KB meaning of a known code.
  bool status(std::string_view type, const char* element, std::string_view code, const Path& path,
              std::optional<std::string>* meaning = nullptr,
              std::optional<std::string>* course = nullptr);
  // `status` once the code's kb/fhir.toml row `fc` is looked up (nullptr: not listed).
  bool status(const kb::FhirCode* fc, std::string_view type, const char* element,
              std::string_view code, const Path& path, std::optional<std::string>* meaning,
              std::optional<std::string>* course);
  // The first coding of a CodeableConcept element that kb/fhir.toml lists, read as `status` does.
  bool coded_status(El r, std::string_view type, const char* element, const std::string& path,
                    std::optional<std::string>* meaning = nullptr,
                    std::optional<std::string>* course = nullptr);
  std::optional<Resource> resolve(El from, const std::string& reference);
  // The index of entries by fullUrl and type/id, built when the first reference needs it (most
  // records reference nothing outside a resource).
  void index_entries();

  El bundle_;
  CaseBuilder& b_;
  Reader f_;
  OptEl entries_;
  bool indexed_ = false;
  std::unordered_map<std::string_view, Resource> by_full_url_;  // views into the DOM
  std::unordered_map<std::string, Resource> by_type_id_;
  std::unordered_set<std::size_t> referenced_;                  // entries
  std::vector<std::pair<std::string, std::string>> countries_;  // Patient.address.country, path
  std::string patient_id_;                                      // Patient.id
  std::vector<std::string> patient_urls_;                       // its entries' fullUrl
};

bool BundleReader::status(std::string_view type, const char* element, std::string_view code,
                          const Path& path, std::optional<std::string>* meaning,
                          std::optional<std::string>* course) {
  return status(b_.terms().fhir_code(type, element, "", code), type, element, code, path, meaning,
                course);
}

bool BundleReader::status(const kb::FhirCode* fc, std::string_view type, const char* element,
                          std::string_view code, const Path& path,
                          std::optional<std::string>* meaning, std::optional<std::string>* course) {
  if (!fc) {
    b_.warning(path.str(),
               fmt::format("value {}: not a FHIR R4 {}.{} code paraderm knows; used as given",
                           shown(code), type, element));
    return true;
  }
  if (fc->effect == kb::FhirCodeEffect::kIgnore) {
    b_.warning(path.str(), fmt::format("{} {} \"{}\": not used", type, element, code));
    return false;
  }
  if (fc->meaning == std::optional<std::string>("planned")) {
    b_.warning(path.str(),
               fmt::format("{} {} \"{}\": planned, not yet taken: checked as a co-medication "
                           "for interactions, not as the cause of a reaction or a drug the "
                           "patient takes",
                           type, element, code));
  } else if (fc->effect == kb::FhirCodeEffect::kWarn) {
    b_.warning(path.str(),
               fmt::format("{} {} \"{}\": used; check it still holds", type, element, code));
  }
  if (meaning) *meaning = fc->meaning;
  if (course) *course = fc->course;
  return true;
}

bool BundleReader::coded_status(El r, std::string_view type, const char* element,
                                const std::string& path, std::optional<std::string>* meaning,
                                std::optional<std::string>* course) {
  OptEl cc = f_.object(r, element, path);
  if (!cc) return true;
  Path p(path, element);
  auto codings = f_.codings(*cc, p);
  for (const auto& c : codings) {
    if (const kb::FhirCode* fc = b_.terms().fhir_code(type, element, "", c.code)) {
      return status(fc, type, element, c.code, p, meaning, course);
    }
  }
  if (!codings.empty()) return status(type, element, codings[0].code, p, meaning, course);
  return true;
}

void BundleReader::index_entries() {
  indexed_ = true;
  for (auto [i, e] : Indexed(*entries_)) {
    OptEl r = member(e, "resource");
    if (!r || !r->is_object()) continue;
    Resource resource{*r, i};
    if (auto url = plain(e, "fullUrl"); !url.empty()) by_full_url_.emplace(url, resource);
    auto type = plain(*r, "resourceType"), id = plain(*r, "id");
    if (!type.empty() && !id.empty()) {
      by_type_id_.emplace(fmt::format("{}/{}", type, id), resource);
    }
  }
}

std::optional<Resource> BundleReader::resolve(El from, const std::string& reference) {
  if (reference.rfind('#', 0) == 0) {
    OptEl contained = member(from, "contained");
    if (!contained || !contained->is_array()) return std::nullopt;
    for (El c : items(*contained)) {
      if (plain(c, "id") == std::string_view(reference).substr(1)) return Resource{c};
    }
    return std::nullopt;
  }
  if (!indexed_) index_entries();
  if (auto it = by_full_url_.find(std::string_view(reference)); it != by_full_url_.end())
    return it->second;
  if (auto it = by_type_id_.find(reference); it != by_type_id_.end()) return it->second;
  // An absolute reference ".../Medication/123" names the entry Medication/123.
  auto slash = reference.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    auto type_slash = reference.rfind('/', slash - 1);
    std::string tail = reference.substr(type_slash == std::string::npos ? 0 : type_slash + 1);
    if (auto it = by_type_id_.find(tail); it != by_type_id_.end()) return it->second;
  }
  return std::nullopt;
}

void BundleReader::patient(El r, const std::string& path) {
  auto& p = b_.record().patient;
  p.birth_date = f_.date(r, "birthDate", path, &p.birth_date_latest);
  auto g = f_.string(r, "gender", path);
  if (auto sex = parse_sex(g)) {
    p.sex = *sex;
  } else if (!g.empty()) {
    b_.warning(path + ".gender", fmt::format("value {}: expected female, male, other or unknown; "
                                             "sex unknown",
                                             shown(g)));
  }
  // A deceased patient is assessed as recorded; saying so keeps a wrong-record mix-up visible.
  if (OptEl dead = member(r, "deceasedBoolean"); dead && dead->is_bool() && bool(*dead)) {
    b_.warning(path + ".deceasedBoolean", "the patient is recorded as deceased");
  } else if (auto when = f_.string(r, "deceasedDateTime", path); !when.empty()) {
    b_.warning(path + ".deceasedDateTime",
               fmt::format("the patient is recorded as deceased ({})", shown(when)));
  }
  if (OptEl list = f_.array(r, "address", path)) {
    for (auto [i, a] : Indexed(*list)) {
      const Path at(path, "address", i);
      if (f_.string(a, "use", at) == "old") continue;  // a former address says nothing of today
      if (auto country = f_.string(a, "country", at); !country.empty())
        countries_.emplace_back(std::string(country), at.str() + ".country");
    }
  }
  if (OptEl list = f_.array(r, "extension", path)) {
    for (El e : items(*list)) {
      auto url = plain(e, "url");
      auto v = std::string(plain(e, "valueCode").empty() ? plain(e, "valueString")
                                                         : plain(e, "valueCode"));
      if (url == kFlagUrl)
        b_.record().flags.push_back(std::move(v));
      else if (url == kCvRiskUrl)
        p.cv_risk_factors.push_back(std::move(v));
      else if (url == kVteRiskUrl)
        p.vte_risk_factors.push_back(std::move(v));
    }
  }
}

void BundleReader::condition(El r, const std::string& path) {
  // A refuted or mistaken condition is not read further.
  if (!coded_status(r, "Condition", "verificationStatus", path)) return;
  std::optional<std::string> clinical, course;
  if (!coded_status(r, "Condition", "clinicalStatus", path, &clinical, &course)) return;

  std::optional<Date> onset_latest;
  std::optional<Date> onset = f_.date(r, "onsetDateTime", path, &onset_latest);
  if (OptEl period = f_.object(r, "onsetPeriod", path); !onset && period) {
    onset = f_.date(*period, "start", Path(path, "onsetPeriod"), &onset_latest);
    if (auto end = f_.end_date(*period, "end", Path(path, "onsetPeriod")); onset && end)
      onset_latest = end;
  }
  if (auto text = f_.string(r, "onsetString", path); !onset && !text.empty()) {
    onset = parse_date(text);
    if (!onset)
      b_.warning(path + ".onsetString",
                 fmt::format("value {}: not a date; onset unknown", shown(text)));
  }
  // An age needs the birth date, which may come later in the Bundle: resolved after reading it.
  std::optional<std::pair<int, int>> onset_ages;
  if (OptEl age = f_.object(r, "onsetAge", path); !onset && age) {
    if (auto years = whole_years(*age, Path(path, "onsetAge")))
      onset_ages = std::pair{*years, *years};
  } else if (OptEl range = f_.object(r, "onsetRange", path); !onset && range) {
    OptEl low = f_.object(*range, "low", Path(path, "onsetRange"));
    OptEl high = f_.object(*range, "high", Path(path, "onsetRange"));
    const int from = low ? whole_years(*low, Path(path, "onsetRange.low")).value_or(-1) : -1;
    const int to = high ? whole_years(*high, Path(path, "onsetRange.high")).value_or(-1) : -1;
    if (from >= 0 && to >= from)
      onset_ages = std::pair{from, to};
    else
      b_.warning(path + ".onsetRange",
                 "expected low and high ages in whole years (UCUM a), low <= high: onset unknown");
  }
  if (onset_ages) onset_ages_.push_back({path, onset_ages->first, onset_ages->second});
  std::optional<Date> abatement = f_.date(r, "abatementDateTime", path);
  if (OptEl period = f_.object(r, "abatementPeriod", path); !abatement && period) {
    // The condition had abated by the end of the period at the latest; its start is when it began.
    abatement = f_.date(*period, "start", Path(path, "abatementPeriod"));
    if (!abatement) abatement = f_.date(*period, "end", Path(path, "abatementPeriod"));
  }
  if (auto text = f_.string(r, "abatementString", path); !abatement && !text.empty()) {
    abatement = parse_date(text);
    if (!abatement)
      b_.warning(path + ".abatementString",
                 fmt::format("value {}: not a date; ignored", shown(text)));
  }
  bool abated = abatement.has_value() || f_.boolean(r, "abatementBoolean", path).value_or(false);

  std::optional<SeverityGrade> severity;
  if (OptEl sev = f_.object(r, "severity", path)) {
    for (const auto& c : f_.codings(*sev, Path(path, "severity"))) {
      const kb::FhirCode* fc = b_.terms().fhir_code("Condition", "severity", c.system, c.code);
      if (fc && fc->effect != kb::FhirCodeEffect::kIgnore && fc->meaning) {
        severity = parse_severity_grade(*fc->meaning);  // kb validate: a used meaning is a grade
        if (severity) break;
      }
    }
    if (!severity) {
      b_.warning(path + ".severity",
                 fmt::format("value {}: not a code of the FHIR condition-severity "
                             "value set (SNOMED CT mild, moderate, severe); ignored",
                             shown(f_.text(*sev, Path(path, "severity")))));
    }
  }
  std::vector<std::string> sites;
  if (OptEl list = f_.array(r, "bodySite", path)) {
    for (auto [i, site] : Indexed(*list)) {
      if (auto t = f_.text(site, Path(path, "bodySite", i)); !t.empty()) sites.push_back(t);
    }
  }

  if (OptEl ext = extension(r, kEruptionUrl)) {
    Eruption er;
    er.phenotype = ext_code(*ext, "phenotype");
    bool known = std::any_of(b_.kb().phenotypes.begin(), b_.kb().phenotypes.end(),
                             [&](const kb::Phenotype& p) { return p.id == er.phenotype; });
    if (!known) {
      b_.problem(path + ".extension[eruption].phenotype",
                 fmt::format("value {}: expected a paraderm phenotype code", shown(er.phenotype)));
      return;
    }
    if (!onset) {
      b_.problem(path + ".onsetDateTime", "missing: the eruption needs its onset date");
      return;
    }
    er.onset = *onset;
    if (auto k = ext_code(*ext, "kind"); !k.empty()) {
      if (auto kind = parse_eruption_kind(k))
        er.kind = *kind;
      else
        b_.warning(path + ".extension[eruption].kind",
                   fmt::format("value {}: expected new or worsened; read as new", shown(k)));
    }
    er.severity = severity;
    if (auto s = ext_code(*ext, "severity"); !s.empty()) {
      if (auto g = parse_severity_grade(s))
        er.severity = g;
      else
        b_.warning(path + ".extension[eruption].severity",
                   fmt::format("value {}: expected mild, moderate or severe; {}", shown(s),
                               severity ? "the Condition's severity is used" : "ignored"));
    }
    er.bsa_pct = ext_number(*ext, "bsa-pct");
    er.biopsy_consistent = ext_bool(*ext, "biopsy-consistent");
    for (auto [name, field] : {std::pair{"dechallenge", &er.dechallenge},
                               {"rechallenge", &er.rechallenge},
                               {"dose-related", &er.dose_related},
                               {"previous-similar-reaction", &er.previous_similar_reaction}}) {
      auto v = ext_code(*ext, name);
      if (v == "yes" || v == "no" || v == "unknown") {  // the Naranjo answers (case format)
        *field = v;
      } else if (!v.empty()) {
        b_.warning(fmt::format("{}.extension[eruption].{}", path, name),
                   fmt::format("value {}: expected yes, no or unknown; read as unknown", shown(v)));
      }
    }
    if (auto alt = ext_code(*ext, "alternative-cause"); !alt.empty())
      er.alternative_causes.push_back(alt);
    er.alternatives_excluded = ext_bool(*ext, "alternatives-excluded").value_or(false);
    er.sites = sites;
    b_.record().eruption = std::move(er);
    return;
  }

  OptEl code = f_.object(r, "code", path);
  if (!code) {
    b_.warning(path + ".code", "missing: a Condition without a code is not used");
    return;
  }
  Condition c;
  c.pointer = path;
  c.label = f_.text(*code, Path(path, "code"));
  c.onset = onset;
  c.onset_latest = onset_latest;
  c.abatement = abatement;
  // The KB's clinicalStatus meanings are the ConditionStatus names (kb/fhir.toml, checked by
  // KbIntegrity), so a known code always parses.
  if (auto st = clinical ? parse_condition_status(*clinical) : std::nullopt)
    c.status = *st;
  else if (abated)
    c.status = ConditionStatus::kResolved;
  if (course) c.course = *course;
  c.severity_grade = severity;
  c.recorded = f_.date(r, "recordedDate", path);
  c.body_sites = std::move(sites);
  if (OptEl notes = f_.array(r, "note", path)) {
    for (auto [i, note] : Indexed(*notes)) {
      if (auto t = f_.string(note, "text", Path(path, "note", i)); !t.empty()) {
        c.notes.emplace_back(t);
      }
    }
  }
  if (OptEl evidence = f_.array(r, "evidence", path)) {
    for (auto [i, item] : Indexed(*evidence)) {
      Path p(path, "evidence", i);
      if (OptEl codes = f_.array(item, "code", p)) {
        for (auto [k, evidence_code] : Indexed(*codes)) {
          if (auto t = f_.text(evidence_code, Path(p, "code", k)); !t.empty()) c.notes.push_back(t);
        }
      }
      if (OptEl details = f_.array(item, "detail", p)) {
        for (auto [k, reference] : Indexed(*details)) {
          if (auto t = f_.string(reference, "display", Path(p, "detail", k)); !t.empty()) {
            c.notes.emplace_back(t);
          }
        }
      }
    }
  }
  if (c.onset && c.abatement && *c.abatement < *c.onset) {
    b_.problem(path + ".abatement", fmt::format("value \"{}\": before the onset {}",
                                                to_string(*c.abatement), to_string(*c.onset)));
    return;
  }
  auto codes = f_.codes(*code, Path(path, "code"));
  if (c.label.empty() && codes.empty()) {
    b_.warning(path + ".code", "no coding and no text: the Condition is not used");
    return;
  }
  b_.add_condition(std::move(c), codes);
}

void BundleReader::medication(El r, const std::string& path, std::string_view type) {
  std::optional<std::string> meaning;
  auto status_code = f_.string(r, "status", path);
  if (!status_code.empty() && !status(type, "status", status_code, path + ".status", &meaning))
    return;
  const bool ended = meaning == std::optional<std::string>("ended");
  bool planned = meaning == std::optional<std::string>("planned");
  // A proposal or plan is not an order: the drug is not taken yet (kb/fhir.toml intent rows).
  if (type == "MedicationRequest") {
    std::optional<std::string> intent;
    auto intent_code = f_.string(r, "intent", path);
    if (!intent_code.empty() && !status(type, "intent", intent_code, path + ".intent", &intent))
      return;
    if (intent == std::optional<std::string>("planned")) planned = true;
  }

  Medication m;
  m.pointer = path;
  m.planned = planned;
  std::vector<CodeIn> codes;
  std::vector<std::string> names;
  if (OptEl cc = f_.object(r, "medicationCodeableConcept", path)) {
    std::string p = path + ".medicationCodeableConcept";
    CodeableConcept product = f_.concept_of(*cc, p);
    codes = std::move(product.codes);
    m.label = std::move(product.text);
    names = std::move(product.texts);
  } else if (OptEl ref = f_.object(r, "medicationReference", path)) {
    std::string p = path + ".medicationReference";
    std::string target(f_.string(*ref, "reference", p));
    std::optional<Resource> resolved = target.empty() ? std::nullopt : resolve(r, target);
    OptEl med = resolved ? OptEl(resolved->element) : std::nullopt;
    if (med && plain(*med, "resourceType") == "Medication") {
      if (resolved->entry != Resource::kContained) referenced_.insert(resolved->entry);
      std::string mp = fmt::format("{}({})", p, target);
      if (OptEl product = f_.object(*med, "code", mp)) {
        CodeableConcept read = f_.concept_of(*product, Path(mp, "code"));
        codes = std::move(read.codes);
        m.label = std::move(read.text);
        names = std::move(read.texts);
      }
      // A Medication without a product code may still list its ingredients' codes.
      if (OptEl ingredients = f_.array(*med, "ingredient", mp)) {
        for (auto [i, ingredient] : Indexed(*ingredients)) {
          std::string ip = fmt::format("{}.ingredient[{}]", mp, i);
          if (OptEl item = f_.object(ingredient, "itemCodeableConcept", ip)) {
            CodeableConcept read = f_.concept_of(*item, Path(ip, "itemCodeableConcept"));
            for (auto& c : read.codes) codes.push_back(std::move(c));
            for (auto& t : read.texts) names.push_back(std::move(t));
          }
        }
      }
    } else if (!target.empty()) {
      b_.warning(p + ".reference",
                 fmt::format("value {}: no Medication with this id among the "
                             "resource's contained resources or the Bundle entries",
                             shown(target)));
    }
    if (auto display = f_.string(*ref, "display", p); !display.empty()) {
      if (m.label.empty())
        m.label = display;
      else
        names.emplace_back(display);
    }
  } else {
    b_.warning(path,
               "no medicationCodeableConcept or medicationReference: the medication is not "
               "known; not used");
    return;
  }
  if (m.label.empty() && codes.empty()) {
    b_.warning(path, "the medication has no code and no name: not used");
    return;
  }

  if (OptEl period = f_.object(r, "effectivePeriod", path)) {
    m.start = f_.date(*period, "start", Path(path, "effectivePeriod"));
    m.stop = f_.end_date(*period, "end", Path(path, "effectivePeriod"));
  }
  if (!m.start) m.start = f_.date(r, "effectiveDateTime", path);

  // MedicationStatement.dosage[] and MedicationRequest.dosageInstruction[] are Dosage lists;
  // MedicationAdministration.dosage is one object with a dose.
  if (type == "MedicationAdministration") {
    if (OptEl d = f_.object(r, "dosage", path)) {
      std::string dp = path + ".dosage";
      if (OptEl q = f_.object(*d, "dose", dp)) {
        m.amount = f_.number(*q, "value", Path(dp, "dose"));
        if (auto u = f_.string(*q, "unit", Path(dp, "dose")); !u.empty())
          m.unit = u;
        else if (auto c = f_.string(*q, "code", Path(dp, "dose")); !c.empty())
          m.unit = c;
      }
      if (auto t = f_.string(*d, "text", dp); !t.empty()) m.frequency = t;
    }
  } else {
    const char* key = type == "MedicationRequest" || type == "MedicationDispense"
                          ? "dosageInstruction"
                          : "dosage";
    OptEl list = f_.array(r, key, path);
    if (OptEl first_dosage = list ? first(*list) : std::nullopt) {
      std::string dp = fmt::format("{}.{}[0]", path, key);
      El d = *first_dosage;
      if (!d.is_object()) {
        b_.warning(dp, fmt::format("value {}: expected a Dosage object; ignored", describe(d)));
      } else {
        if (OptEl timing = f_.object(d, "timing", dp)) {
          if (OptEl repeat = f_.object(*timing, "repeat", Path(dp, "timing"))) {
            std::string bp = dp + ".timing.repeat";
            if (OptEl bounds = f_.object(*repeat, "boundsPeriod", bp)) {
              if (!m.start) m.start = f_.date(*bounds, "start", Path(bp, "boundsPeriod"));
              if (!m.stop) m.stop = f_.end_date(*bounds, "end", Path(bp, "boundsPeriod"));
            }
          }
          m.frequency = structured_frequency(*timing, dp + ".timing");
        }
        if (OptEl rates = f_.array(d, "doseAndRate", dp);
            OptEl first_rate = rates ? first(*rates) : std::nullopt) {
          std::string rp = dp + ".doseAndRate[0]";
          El rate = *first_rate;
          if (!rate.is_object()) {
            b_.warning(rp,
                       fmt::format("value {}: expected a doseAndRate object; the dose is unknown",
                                   describe(rate)));
          } else if (OptEl q = f_.object(rate, "doseQuantity", rp)) {
            m.amount = f_.number(*q, "value", Path(rp, "doseQuantity"));
            if (auto u = f_.string(*q, "unit", Path(rp, "doseQuantity")); !u.empty())
              m.unit = u;
            else if (auto c = f_.string(*q, "code", Path(rp, "doseQuantity")); !c.empty())
              m.unit = c;
          }
        }
        // The structured timing, when it is a KB frequency, wins over the free text.
        if (auto t = f_.string(d, "text", dp); !t.empty() && !m.frequency) m.frequency = t;
      }
    }
  }
  // Statement.dateAsserted: taken by then (an upper bound of an unknown start).
  if (type == "MedicationStatement") m.asserted = f_.date(r, "dateAsserted", path);
  if (!m.start && type == "MedicationRequest") m.start = f_.date(r, "authoredOn", path);
  // A dispense says when the product was handed over (or prepared), not that it is still taken:
  // read as taken since then, with a warning, so that a pharmacy feed is not silently dropped (a
  // reaction under a dispensed biologic was missed, and its interactions never checked).
  if (type == "MedicationDispense" && !planned) {
    if (!m.start) m.start = f_.date(r, "whenHandedOver", path);
    if (!m.start) m.start = f_.date(r, "whenPrepared", path);
    b_.warning(path, m.start ? fmt::format("a dispense of {}: read as taken since {}; whether it "
                                           "is still taken is not recorded",
                                           m.label.empty() ? "the medication" : shown(m.label),
                                           to_string(*m.start))
                             : std::string("a dispense without whenHandedOver or whenPrepared: "
                                           "read as taken, since an unknown date"));
  }
  if (ended && !m.stop && type == "MedicationRequest") {
    if (OptEl dispense = f_.object(r, "dispenseRequest", path)) {
      if (OptEl validity = f_.object(*dispense, "validityPeriod", Path(path, "dispenseRequest"))) {
        m.stop = f_.end_date(*validity, "end", path + ".dispenseRequest.validityPeriod");
      }
    }
  }
  if (ended && !m.stop) {
    b_.warning(path + ".status",
               fmt::format("status \"{}\" (no longer taken) without an end date: the "
                           "stop date is unknown; treated as still taken",
                           status_code));
  }
  if (m.start && m.stop && *m.stop < *m.start) {
    b_.problem(path + ".effectivePeriod.end", fmt::format("value \"{}\": before the start {}",
                                                          to_string(*m.stop), to_string(*m.start)));
    return;
  }
  b_.add_medication(std::move(m), codes, names);
}

// A Dosage.timing as a KB frequency code: `repeat` frequency per period (the interval in hours,
// matched against the KB's dosing-interval constants: 2 per 1 d is "bid"), else a `code` of the
// HL7 GTS abbreviations whose lower case is a KB frequency ("BID"). None when neither is one.
std::optional<std::string> BundleReader::structured_frequency(El timing, const std::string& path) {
  if (OptEl repeat = f_.object(timing, "repeat", path)) {
    std::string rp = path + ".repeat";
    auto times = f_.number(*repeat, "frequency", rp);
    auto period = f_.number(*repeat, "period", rp);
    auto unit = f_.string(*repeat, "periodUnit", rp);
    // UCUM time units of fixed length (mo and a are not).
    std::optional<double> unit_h = unit == "h"    ? std::optional(1.0)
                                   : unit == "d"  ? std::optional(24.0)
                                   : unit == "wk" ? std::optional(168.0)
                                                  : std::nullopt;
    if (times && period && unit_h && *times > 0 && *period > 0) {
      if (auto code = b_.kb().frequency_of_interval(*period * *unit_h / *times)) return code;
    }
  }
  if (OptEl code = f_.object(timing, "code", path)) {
    for (const auto& c : f_.codings(*code, Path(path, "code"))) {
      if (c.system != "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation") continue;
      std::string lower(c.code);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (b_.kb().dosing_interval_h(lower)) return lower;
    }
  }
  return std::nullopt;
}

BundleReader::StatusOrder BundleReader::order_status(
    const std::string& lab, std::optional<Date> date, std::optional<std::int64_t> at,
    const kb::AnswerCode& answer, const std::string& pointer, std::string* other_pointer) {
  StatusReading reading{date, at, answer.id, pointer};
  auto [it, first] = status_readings_.try_emplace(lab, reading);
  if (first) return StatusOrder::kNewer;
  StatusReading& previous = it->second;
  int newer = 0;  // > 0: this reading is later; < 0: earlier; 0: no order between them
  if (date && previous.date) {
    if (*date != *previous.date) {
      newer = *date > *previous.date ? 1 : -1;
    } else if (at && previous.at && *at != *previous.at) {
      newer = *at > *previous.at ? 1 : -1;
    }
  }
  if (newer > 0) {
    previous = reading;
    return StatusOrder::kNewer;
  }
  if (newer < 0 || previous.answer == answer.id) return StatusOrder::kOlderOrSame;
  *other_pointer = previous.pointer;
  return StatusOrder::kDisputed;
}

void BundleReader::observation(El r, const std::string& path) {
  auto status_code = f_.string(r, "status", path);
  if (!status_code.empty() && !status("Observation", "status", status_code, path + ".status"))
    return;
  std::optional<Date> date;
  std::optional<std::int64_t> at;  // the time of day, which orders same-day results
  auto when = [&](El obj, const char* key, const Path& where) {
    if (date) return;
    date = f_.date(obj, key, where);
    if (date) at = parse_instant(f_.string(obj, key, where));
  };
  when(r, "effectiveDateTime", path);
  if (OptEl period = f_.object(r, "effectivePeriod", path); !date && period) {
    when(*period, "start", Path(path, "effectivePeriod"));
  }
  when(r, "effectiveInstant", path);
  when(r, "issued", path);
  // A panel (a CBC with its counts) may carry its results as components, each with its own code
  // and value and the panel's status and date: each is read as a result of its own, never
  // dropped as "an observation without a value".
  OptEl components = f_.array(r, "component", path);
  const bool own_value =
      member(r, "valueQuantity") || member(r, "valueCodeableConcept") || member(r, "valueString");
  if (components && !own_value) {
    for (auto [i, component] : Indexed(*components)) {
      std::string cp = fmt::format("{}.component[{}]", path, i);
      if (!component.is_object()) {
        b_.warning(
            cp, fmt::format("value {}: expected a component object; ignored", describe(component)));
        continue;
      }
      observation_result(component, cp, date, at);
    }
    return;
  }
  observation_result(r, path, date, at);
}

void BundleReader::observation_result(El r, const std::string& path, std::optional<Date> date,
                                      std::optional<std::int64_t> at) {
  OptEl code = f_.object(r, "code", path);
  CodeableConcept concept_read =
      code ? f_.concept_of(*code, Path(path, "code")) : CodeableConcept{};
  std::vector<CodeIn> codes = std::move(concept_read.codes);
  std::string label = std::move(concept_read.text);
  std::optional<std::string> lab;
  for (const auto& c : codes) {
    if (c.system == "loinc") lab = b_.terms().lab_by_code(c.code);
    if (lab) break;
  }
  auto& p = b_.record().patient;
  OptEl answer = f_.object(r, "valueCodeableConcept", path);
  std::vector<Coding> answers =
      answer ? f_.codings(*answer, Path(path, "valueCodeableConcept")) : std::vector<Coding>{};
  auto answer_disease = [&](const char* disease) {
    return std::any_of(answers.begin(), answers.end(), [&](const Coding& a) {
      auto m = b_.terms().disease_by_code(a.system, a.code);
      return m && m->disease == disease;
    });
  };

  // Status observations answered by a coded value set patient fields.
  if (lab == std::optional<std::string>(kSmokingStatus) ||
      lab == std::optional<std::string>(kPregnancyStatus)) {
    const kb::AnswerCode* coded = nullptr;
    for (const auto& a : answers) {
      coded = b_.terms().answer(a.system, a.code);
      if (coded) break;
    }
    if (!coded) {
      b_.warning(path + ".valueCodeableConcept", "answer code not in the KB: ignored");
      return;
    }
    std::string other;
    switch (order_status(*lab, date, at, *coded, path, &other)) {
      case StatusOrder::kOlderOrSame:
        return;
      case StatusOrder::kDisputed:
        b_.warning(path,
                   fmt::format("{} \"{}\" disagrees with {} of the same date{}, and neither "
                               "is later: treated as unknown",
                               *lab == kSmokingStatus ? "smoking status" : "pregnancy status",
                               coded->meaning, other,
                               date ? " (" + clinical::to_string(*date) + ")" : " (undated)"));
        if (*lab == kSmokingStatus) {
          p.smoking.status = SmokingStatus::kUnknown;
        } else {
          p.pregnant = std::nullopt;
        }
        return;
      case StatusOrder::kNewer:
        break;
    }
    if (*lab == kSmokingStatus) {
      // KbIntegrity requires the status on every answer to this question.
      p.smoking.status = coded->smoking_status.value_or(SmokingStatus::kUnknown);
    } else {
      // KbIntegrity requires the status on every answer to this question too.
      switch (coded->pregnancy_status.value_or(kb::PregnancyStatus::kUnknown)) {
        case kb::PregnancyStatus::kPregnant:
          p.pregnant = true;
          break;
        case kb::PregnancyStatus::kNotPregnant:
          p.pregnant = false;
          break;
        case kb::PregnancyStatus::kUnknown:
          b_.warning(path, "pregnancy status \"" + coded->meaning + "\": treated as unknown");
          break;
      }
    }
    return;
  }
  if (lab == std::optional<std::string>(kBreastfeedingStatus)) {
    // LOINC answers for 63895-7 are not confirmed; the KB's lactation codes answer "yes".
    if (answer_disease("lactation"))
      p.breastfeeding = true;
    else
      b_.warning(path + ".valueCodeableConcept",
                 "breastfeeding status answer not in the KB: ignored");
    return;
  }

  // The qualitative result: from the value (answer code or its words), else the interpretation.
  std::optional<std::string> from_value, from_interpretation;
  std::string value_text, interpretation_code;
  for (const auto& a : answers) {
    from_value = b_.terms().qualitative_answer(a.system, a.code);
    if (from_value) break;
  }
  if (answer && !from_value) {
    value_text = f_.text(*answer, Path(path, "valueCodeableConcept"));
    from_value = b_.terms().qualitative_text(value_text);
  }
  if (auto s = f_.string(r, "valueString", path); !s.empty()) {
    value_text = s;
    from_value = b_.terms().qualitative_text(s);
  }
  if (OptEl list = f_.array(r, "interpretation", path)) {
    for (auto [i, interpretation] : Indexed(*list)) {
      if (from_interpretation) break;
      for (const auto& c : f_.codings(interpretation, Path(path, "interpretation", i))) {
        if (interpretation_code.empty()) interpretation_code = c.code;
        if (const kb::FhirCode* fc =
                b_.terms().fhir_code("Observation", "interpretation", c.system, c.code)) {
          from_interpretation = fc->meaning;
          interpretation_code = c.code;
          break;
        }
      }
    }
  }
  if (from_value && from_interpretation && *from_value != *from_interpretation) {
    b_.warning(path + ".interpretation",
               fmt::format("interpretation \"{}\" ({}) disagrees with the value "
                           "({}): the value is used",
                           interpretation_code, *from_interpretation, *from_value));
  }
  std::optional<std::string> result = from_value ? from_value : from_interpretation;

  std::optional<double> value;
  std::optional<LabBound> bound;
  std::string unit;
  if (OptEl q = f_.object(r, "valueQuantity", path)) {
    value = f_.number(*q, "value", Path(path, "valueQuantity"));
    unit = f_.string(*q, "code", Path(path, "valueQuantity"));
    if (unit.empty()) unit = f_.string(*q, "unit", Path(path, "valueQuantity"));
    if (!value) {
      b_.warning(path + ".valueQuantity.value",
                 "missing: expected a number; the result is not used");
      if (!result) return;
    }
    // "< 0.5": the result is a bound, not a value. Read as 0.5 it would pass a "below 0.5"
    // do-not-start threshold the true value is under, so it is kept as a bound: the threshold
    // checks use it only where it alone settles the comparison ("< 0.3" is below 0.5, "> 60" is
    // not below 30); elsewhere the rules say the latest result is not usable.
    if (auto cmp = f_.string(*q, "comparator", Path(path, "valueQuantity"));
        value && !cmp.empty()) {
      if (auto c = parse_comparator(cmp)) {
        bound = LabBound{*c, *value};
        b_.warning(path + ".valueQuantity.comparator",
                   fmt::format("value {} {:g} {}: a bound, not a measured value; used only where "
                               "it alone settles a threshold",
                               shown(cmp), *value, unit));
      } else {
        b_.warning(path + ".valueQuantity.comparator",
                   fmt::format("value {} {:g} {}: not a comparator paraderm can read (expected <, "
                               "<=, >, >=); the result is not used",
                               shown(cmp), *value, unit));
        if (!result) return;
      }
      value.reset();
    }
  }
  if (!value && !result && !bound) {
    if (!value_text.empty()) {
      b_.warning(path, fmt::format("qualitative result {} not understood: kept as a result that "
                                   "cannot be read",
                                   shown(value_text)));
      // The test was done: its result is the latest, unread (never read as negative, and no older
      // result stands in for it).
      if (date) {
        b_.add_unreadable_lab(path, label, codes, *date,
                              fmt::format("result {} not understood", shown(value_text)), at);
      }
    } else if (!interpretation_code.empty()) {
      b_.warning(path + ".interpretation", fmt::format("interpretation \"{}\" is not a qualitative "
                                                       "result and there is no value: not used",
                                                       interpretation_code));
    } else if (OptEl absent = f_.object(r, "dataAbsentReason", path)) {
      // Usually a bare code of the data-absent-reason system ("error", "not-performed").
      const Path absent_at(path, "dataAbsentReason");
      std::string why = f_.text(*absent, absent_at);
      if (why.empty()) {
        auto reasons = f_.codes(*absent, absent_at);
        if (!reasons.empty()) why = reasons.front().code;
      }
      b_.warning(path, fmt::format("no value (dataAbsentReason {}): not used", shown(why)));
    } else {
      b_.warning(path, "observation without a value: not used");
    }
    return;
  }
  if (!date) {
    b_.warning(path + ".effectiveDateTime", "missing: the observation has no date; not used");
    return;
  }
  // A result after the assessment date (an earlier --as-of than the export) is kept for the
  // follow-up plan but is not the "latest result" of this assessment: said, so a rule reading
  // "no result in the record" is not taken at its word.
  if (*date > b_.record().as_of && lab) {
    b_.warning(path, fmt::format("{} dated {}, after the assessment date {}: not used as a result "
                                 "before it",
                                 *lab, to_string(*date), to_string(b_.record().as_of)));
  }
  b_.add_lab(path, label, codes, *date, value, unit, result, bound, at);
}

void BundleReader::allergy(El r, const std::string& path) {
  if (!coded_status(r, "AllergyIntolerance", "verificationStatus", path)) return;
  OptEl code = f_.object(r, "code", path);
  CodeableConcept concept_read =
      code ? f_.concept_of(*code, Path(path, "code")) : CodeableConcept{};
  std::vector<CodeIn> codes = std::move(concept_read.codes);
  std::string label = std::move(concept_read.text);
  MedicationMatch m;
  for (const auto& c : codes) {
    m = b_.terms().medication_by_code(c.system, c.code);
    if (!m.empty()) break;
  }
  if (m.empty()) m = b_.terms().medication_by_name(label);
  if (m.jak_drug) {
    b_.record().flags.push_back("hypersensitivity:" + *m.jak_drug);
  } else {
    b_.warning(path, fmt::format("allergy {} is not to a JAK/TYK2 inhibitor in the KB: not used",
                                 shown(label)));
  }
}

void BundleReader::server_outcome(El r, const std::string& path) {
  OptEl issues = f_.array(r, "issue", path);
  bool any = false;
  if (issues) {
    for (auto [i, issue] : Indexed(*issues)) {
      if (!issue.is_object()) continue;
      const Path at(path, "issue", i);
      std::string said(f_.string(issue, "diagnostics", at));
      if (said.empty()) {
        if (OptEl details = f_.object(issue, "details", at))
          said = f_.text(*details, Path(at, "details"));
      }
      b_.warning(
          fmt::format("{}.issue[{}]", path, i),
          fmt::format("the FHIR server reported {} {}{}: the record may be incomplete",
                      shown(f_.string(issue, "severity", at)), shown(f_.string(issue, "code", at)),
                      said.empty() ? "" : " (" + shown(said) + ")"));
      any = true;
    }
  }
  if (!any) {
    b_.warning(path,
               "the FHIR server sent an OperationOutcome without issues: the record may be "
               "incomplete");
  }
}

void BundleReader::immunization(El r, const std::string& path) {
  // Immunization.status is 1..1 (completed | entered-in-error | not-done, kb/fhir.toml).
  auto given = f_.string(r, "status", path);
  if (given.empty()) {
    b_.warning(path + ".status",
               "missing: expected completed, entered-in-error or not-done; "
               "the immunization is not used");
    return;
  }
  if (!status("Immunization", "status", given, Path(path, "status"))) return;
  OptEl code = f_.object(r, "vaccineCode", path);
  CodeableConcept vaccine_read =
      code ? f_.concept_of(*code, Path(path, "vaccineCode")) : CodeableConcept{};
  const kb::Vaccine* vaccine = nullptr;
  for (const auto& c : vaccine_read.codes) {
    for (const auto& v : b_.kb().vaccines) {
      for (const auto& vc : v.code) {
        if (vc.system == short_system_view(c.system) && vc.code == c.code) vaccine = &v;
      }
    }
    if (vaccine) break;
  }
  if (!vaccine) {
    // A record that gives only a name ("Shingrix"): a KB brand name as whole words, said.
    for (const auto& text : vaccine_read.texts) {
      const std::string words = " " + normalise_name(text) + " ";
      for (const auto& v : b_.kb().vaccines) {
        for (const auto& n : v.names) {
          if (!vaccine && words.find(" " + normalise_name(n) + " ") != std::string::npos) {
            vaccine = &v;
            b_.warning(path + ".vaccineCode",
                       fmt::format("vaccine {} read as {} by its name; record the CVX code",
                                   shown(text), v.name));
          }
        }
      }
    }
  }
  if (!vaccine) {
    std::string named = vaccine_read.text;
    if (named.empty() && !vaccine_read.codes.empty())
      named = fmt::format("{}|{}", vaccine_read.codes[0].system, vaccine_read.codes[0].code);
    b_.warning(path + ".vaccineCode",
               fmt::format("vaccine {} is not in the KB (kb/vaccines.toml, CVX codes): not used",
                           shown(named)));
    return;
  }
  auto when = f_.date(r, "occurrenceDateTime", path);
  if (!when) {
    b_.warning(path + ".occurrenceDateTime",
               fmt::format("missing or not a date: the {} dose is not used (its date is what "
                           "the checks read)",
                           vaccine->name));
    return;
  }
  if (*when > b_.record().as_of) {
    b_.warning(path + ".occurrenceDateTime",
               fmt::format("{}: after the assessment date; the {} dose is not counted as given",
                           clinical::to_string(*when), vaccine->name));
    return;
  }
  b_.record().immunizations.push_back({path, vaccine->id, *when});
}

std::optional<int> BundleReader::whole_years(El quantity, const Path& path) {
  auto value = f_.number(quantity, "value", path);
  auto code = f_.string(quantity, "code", path);
  if (value && code == "a" && *value >= 0 && *value <= 150 && *value == std::floor(*value))
    return static_cast<int>(*value);
  b_.warning(path.str(), fmt::format("value {} {}: expected an age in whole years (UCUM code "
                                     "\"a\"); onset unknown",
                                     value ? fmt::format("{:g}", *value) : "?", shown(code)));
  return std::nullopt;
}

void BundleReader::resolve_onset_ages() {
  const auto& p = b_.record().patient;
  for (const auto& age : onset_ages_) {
    auto it = std::find_if(b_.record().conditions.begin(), b_.record().conditions.end(),
                           [&](const Condition& c) { return c.pointer == age.pointer; });
    if (it == b_.record().conditions.end()) continue;  // not a KB condition (warned)
    if (!p.birth_date) {
      b_.warning(age.pointer, "onset given as an age and no birth date: onset unknown");
      continue;
    }
    using std::chrono::years;
    const std::chrono::year_month_day born{*p.birth_date},
        born_latest{p.birth_date_latest.value_or(*p.birth_date)};
    auto on_or_before = [](std::chrono::year_month_day d) {  // 29 Feb in a common year: 28 Feb
      return d.ok() ? std::chrono::sys_days(d)
                    : std::chrono::sys_days(d.year() / d.month() / std::chrono::last);
    };
    it->onset = on_or_before(born + years(age.from_years));
    it->onset_latest = on_or_before(born_latest + years(age.to_years + 1)) - std::chrono::days(1);
    b_.warning(
        age.pointer,
        fmt::format("onset given as an age ({}{} years): read as between {} and {}", age.from_years,
                    age.to_years != age.from_years ? fmt::format("-{}", age.to_years) : "",
                    to_string(*it->onset), to_string(*it->onset_latest)));
  }
}

bool BundleReader::of_this_patient(El r, const std::string& path) {
  for (const char* field : {"subject", "patient"}) {
    OptEl ref = member(r, field);
    if (!ref || !ref->is_object()) continue;
    std::string_view target = plain(*ref, "reference");
    if (target.empty()) return true;
    const std::string where = fmt::format("{}.{}.reference", path, field);
    if (std::find(patient_urls_.begin(), patient_urls_.end(), target) != patient_urls_.end())
      return true;
    // "Patient/p1", "https://ehr.example/fhir/Patient/p1/_history/3"
    if (auto at = target.rfind("Patient/");
        at != std::string_view::npos && (at == 0 || target[at - 1] == '/')) {
      std::string_view id = target.substr(at + 8);
      id = id.substr(0, id.find('/'));
      if (id == patient_id_) return true;
      // A Patient without an id leaves nothing to tell them apart by: matched as unknown below.
      if (!patient_id_.empty()) {
        b_.warning(where, fmt::format("value {}: another patient than this record's Patient "
                                      "({}): not used",
                                      shown(target), shown(patient_id_)));
        return false;
      }
    }
    b_.warning(where, fmt::format("value {}: cannot be matched to this record's Patient: used; "
                                  "check it is this patient",
                                  shown(target)));
    return true;
  }
  return true;
}

void BundleReader::read(bool as_of_given) {
  if (OptEl ts = as_of_given ? std::nullopt : member(bundle_, "timestamp")) {
    auto d = ts->is_string() ? parse_date(string_of(*ts)) : std::nullopt;
    if (d)
      b_.record().as_of = *d;
    else
      b_.warning("Bundle.timestamp",
                 fmt::format("value {}: expected a FHIR instant; the assessment "
                             "date is --as-of or today",
                             describe(*ts)));
  }
  OptEl entries = member(bundle_, "entry");
  if (!entries || !entries->is_array()) {
    b_.problem("Bundle.entry", "missing: expected an array of entries");
    return;
  }
  entries_ = entries;
  // One patient per Bundle: a second Patient would have overwritten the first one's birth date and
  // sex, and resources of another patient (a searchset, a merged export) would have been read as
  // this one's.
  for (auto [i, e] : Indexed(*entries)) {
    OptEl rp = member(e, "resource");
    if (!rp || !rp->is_object() || plain(*rp, "resourceType") != "Patient") continue;
    std::string id(plain(*rp, "id"));
    if (!patient_id_.empty() && !id.empty() && id != patient_id_) {
      b_.problem(fmt::format("Bundle.entry[{}].resource(Patient).id", i),
                 fmt::format("value {}: a second patient (the first is {}); expected one "
                             "patient per Bundle",
                             shown(id), shown(patient_id_)));
      return;
    }
    if (patient_id_.empty()) patient_id_ = id;
    if (auto url = plain(e, "fullUrl"); !url.empty()) patient_urls_.emplace_back(url);
  }
  bool saw_patient = false;
  std::vector<std::pair<std::string, std::size_t>> medications;  // path, entry
  for (auto [i, e] : Indexed(*entries)) {
    std::string path = fmt::format("Bundle.entry[{}].resource", i);
    OptEl rp = member(e, "resource");
    if (!rp || !rp->is_object()) {
      b_.warning(fmt::format("Bundle.entry[{}]", i),
                 "expected an entry with a resource object; ignored");
      continue;
    }
    El r = *rp;
    auto type = f_.string(r, "resourceType", path);
    path += '(';
    path += type;
    path += ')';
    if (type == "Patient") {
      saw_patient = true;
      patient(r, path);
    } else if (type != "Medication" && !of_this_patient(r, path)) {
      continue;
    } else if (type == "Condition") {
      condition(r, path);
    } else if (type == "MedicationStatement" || type == "MedicationRequest" ||
               type == "MedicationAdministration" || type == "MedicationDispense") {
      medication(r, path, type);
    } else if (type == "Observation") {
      observation(r, path);
    } else if (type == "AllergyIntolerance") {
      allergy(r, path);
    } else if (type == "Immunization") {
      immunization(r, path);
    } else if (type == "Medication") {
      medications.emplace_back(path, i);  // read through the resources that reference it
    } else if (type == "OperationOutcome") {
      server_outcome(r, path);
    } else {
      b_.warning(path, fmt::format("resource type {} is not read", shown(type)));
    }
  }
  for (const auto& [path, entry] : medications) {
    if (!referenced_.count(entry)) {
      b_.warning(path,
                 "Medication not referenced by a MedicationStatement, MedicationRequest, "
                 "MedicationAdministration or MedicationDispense: not read");
    }
  }
  resolve_onset_ages();
  if (!saw_patient) b_.problem("Bundle.entry", "no Patient resource: expected one");
  if (b_.record().region.empty()) b_.record().region = "us";
}

}  // namespace

bool is_fhir_record(const simdjson::dom::element& root) {
  return last_value(root, "resourceType").has_value();  // even null, as nlohmann's contains()
}

std::optional<std::string> not_a_bundle(const simdjson::dom::element& root) {
  OptEl type = last_value(root, "resourceType");
  if (type && type->is_string() && string_of(*type) == "Bundle") return std::nullopt;
  return type ? describe(*type) : "null";
}

void BundleReader::infer_region() {
  std::set<kb::Region> regions;
  std::string named, named_at, unmapped;
  for (const auto& [country, path] : countries_) {
    if (auto r = kb::region_of_country(b_.kb(), country)) {
      regions.insert(*r);
      if (named.empty()) {
        named = country;
        named_at = path;
      }
    } else if (unmapped.empty()) {
      unmapped = country;
    }
  }
  if (regions.size() == 1) {
    b_.record().region = std::string(kb::to_string(*regions.begin()));
    b_.warning(named_at, fmt::format("region not given (--region): assessed for \"{}\", the label "
                                     "region of the patient's address (country {})",
                                     b_.record().region, shown(named)));
    return;
  }
  b_.record().region = "us";
  b_.record().region_assumed = true;
  std::string why =
      regions.size() > 1 ? "; the patient's addresses are in more than one region"
      : !unmapped.empty()
          ? fmt::format("; the address country {} is in no KB label region", shown(unmapped))
          : std::string();
  b_.warning("Bundle", "region not given (--region): assessed for \"us\"" + why);
}

void parse_fhir_bundle(const simdjson::dom::element& bundle, CaseBuilder& b, bool region_given,
                       bool as_of_given) {
  BundleReader reader(bundle, b);
  reader.read(as_of_given);
  if (!region_given) reader.infer_region();
}

}  // namespace paraderm::clinical::detail
