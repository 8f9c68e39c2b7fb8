// The native case format (docs/case-format.md) and the entry point that detects FHIR.
#include <algorithm>
#include <chrono>
#include <set>

#include <simdjson.h>

#include "case/build.h"

namespace paraderm::clinical {
namespace detail {

// fhir.cpp: a FHIR record is a root object with a resourceType (even null); not_a_bundle gives
// that value as a message shows it unless it is "Bundle".
bool is_fhir_record(const simdjson::dom::element& root);
std::optional<std::string> not_a_bundle(const simdjson::dom::element& root);
void parse_fhir_bundle(const simdjson::dom::element& bundle, CaseBuilder& b, bool region_given,
                       bool as_of_given);

namespace {

std::string describe(const Json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Typed reads that record a problem naming the pointer, the value and what was expected.
class Reader {
 public:
  explicit Reader(CaseBuilder& b) : b_(b) {}

  void known_keys(const Json& obj, const std::string& ptr,
                  std::initializer_list<const char*> keys) {
    std::set<std::string> ok(keys.begin(), keys.end());
    for (const auto& [k, _] : obj.items()) {
      if (!ok.count(k)) b_.warning(fmt::format("{}/{}", ptr, k), "unknown field: ignored");
    }
  }
  bool object(const Json& v, const std::string& ptr) {
    if (v.is_object()) return true;
    b_.problem(ptr, fmt::format("value {}: expected an object", describe(v)));
    return false;
  }
  std::optional<std::string> string(const Json& obj, const char* key, const std::string& ptr,
                                    std::initializer_list<const char*> one_of = {}) {
    if (!obj.contains(key) || obj[key].is_null()) return std::nullopt;
    const Json& v = obj[key];
    if (!v.is_string() || v.get<std::string>().empty()) {
      b_.problem(ptr + "/" + key,
                 fmt::format("value {}: expected a non-empty string", describe(v)));
      return std::nullopt;
    }
    std::string s = v.get<std::string>();
    if (one_of.size() && std::find_if(one_of.begin(), one_of.end(),
                                      [&](const char* o) { return s == o; }) == one_of.end()) {
      std::string list;
      for (const char* o : one_of) list += (list.empty() ? "" : ", ") + std::string(o);
      b_.problem(ptr + "/" + key, fmt::format("value \"{}\": expected one of {}", s, list));
      return std::nullopt;
    }
    return s;
  }
  std::optional<double> number(const Json& obj, const char* key, const std::string& ptr, double min,
                               double max) {
    if (!obj.contains(key) || obj[key].is_null()) return std::nullopt;
    const Json& v = obj[key];
    if (!v.is_number()) {
      b_.problem(ptr + "/" + key, fmt::format("value {}: expected a number", describe(v)));
      return std::nullopt;
    }
    double d = v.get<double>();
    if (d < min || d > max) {
      b_.problem(ptr + "/" + key,
                 fmt::format("value {}: expected a number in [{}, {}]", d, min, max));
      return std::nullopt;
    }
    return d;
  }
  std::optional<bool> boolean(const Json& obj, const char* key, const std::string& ptr) {
    if (!obj.contains(key) || obj[key].is_null()) return std::nullopt;
    if (!obj[key].is_boolean()) {
      b_.problem(ptr + "/" + key,
                 fmt::format("value {}: expected true or false", describe(obj[key])));
      return std::nullopt;
    }
    return obj[key].get<bool>();
  }
  std::optional<Date> date(const Json& obj, const char* key, const std::string& ptr) {
    auto s = string(obj, key, ptr);
    if (!s) return std::nullopt;
    auto d = parse_date(*s);
    if (!d)
      b_.problem(ptr + "/" + key, fmt::format("value \"{}\": expected a date YYYY-MM-DD", *s));
    return d;
  }
  std::vector<std::string> strings(const Json& obj, const char* key, const std::string& ptr) {
    std::vector<std::string> out;
    if (!obj.contains(key) || obj[key].is_null()) return out;
    const Json& v = obj[key];
    if (!v.is_array()) {
      b_.problem(ptr + "/" + key,
                 fmt::format("value {}: expected an array of strings", describe(v)));
      return out;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        b_.problem(fmt::format("{}/{}/{}", ptr, key, i),
                   fmt::format("value {}: expected a string", describe(v[i])));
      } else {
        out.push_back(v[i].get<std::string>());
      }
    }
    return out;
  }
  std::vector<CodeIn> codes(const Json& obj, const std::string& ptr) {
    std::vector<CodeIn> out;
    if (!obj.contains("code") || obj["code"].is_null()) return out;
    const Json& c = obj["code"];
    if (!c.is_object() || !c.contains("system") || !c.contains("code") ||
        !c["system"].is_string() || !c["code"].is_string()) {
      b_.problem(ptr + "/code", fmt::format("value {}: expected {{\"system\": \"snomed|icd10cm|"
                                            "rxnorm|loinc\", \"code\": \"...\"}}",
                                            describe(c)));
      return out;
    }
    out.push_back({short_system(c["system"].get<std::string>()), c["code"].get<std::string>()});
    return out;
  }
  const Json* array(const Json& obj, const char* key, const std::string& ptr) {
    if (!obj.contains(key) || obj[key].is_null()) return nullptr;
    if (!obj[key].is_array()) {
      b_.problem(ptr + "/" + key, fmt::format("value {}: expected an array", describe(obj[key])));
      return nullptr;
    }
    return &obj[key];
  }

 private:
  CaseBuilder& b_;
};

// /patient (an object; the caller has checked).
void read_patient(Reader& r, CaseBuilder& b, const Json& p) {
  Case& c = b.record();
  r.known_keys(p, "/patient",
               {"birth_date", "age_years", "sex", "ancestry", "weight_kg", "pregnant",
                "breastfeeding", "smoking", "cv_risk_factors", "vte_risk_factors"});
  c.patient.birth_date = r.date(p, "birth_date", "/patient");
  // Ranges come from the KB labs "age" and "weight" (plausible): out of range -> warning,
  // unknown.
  if (auto age = r.number(p, "age_years", "/patient", -1e9, 1e9)) {
    c.patient.age_years = b.plausible("/patient/age_years", "age", *age);
  }
  if (auto s = r.string(p, "sex", "/patient", {"female", "male", "other", "unknown"}))
    c.patient.sex = parse_sex(*s).value_or(Sex::kUnknown);
  c.patient.ancestry = r.string(p, "ancestry", "/patient");
  if (auto kg = r.number(p, "weight_kg", "/patient", -1e9, 1e9)) {
    b.set_body_weight("/patient/weight_kg", "/patient/weight_kg", *kg, "kg");
  }
  c.patient.pregnant = r.boolean(p, "pregnant", "/patient");
  c.patient.breastfeeding = r.boolean(p, "breastfeeding", "/patient");
  c.patient.cv_risk_factors = r.strings(p, "cv_risk_factors", "/patient");
  c.patient.vte_risk_factors = r.strings(p, "vte_risk_factors", "/patient");
  if (p.contains("smoking") && r.object(p["smoking"], "/patient/smoking")) {
    const Json& s = p["smoking"];
    r.known_keys(s, "/patient/smoking", {"status", "pack_years", "quit_date"});
    if (auto st = r.string(s, "status", "/patient/smoking",
                           {"current", "former", "never", "smoker", "unknown"})) {
      c.patient.smoking.status = parse_smoking_status(*st).value_or(SmokingStatus::kUnknown);
    }
    c.patient.smoking.pack_years = r.number(s, "pack_years", "/patient/smoking", 0, 300);
    c.patient.smoking.quit_date = r.date(s, "quit_date", "/patient/smoking");
  }
}

// /eruption (an object; the caller has checked): kept only with a known phenotype and an onset.
void read_eruption(Reader& r, CaseBuilder& b, const Json& e) {
  Case& c = b.record();
  const std::string ptr = "/eruption";
  r.known_keys(
      e, ptr,
      {"phenotype", "onset", "kind", "sites", "biopsy", "biopsy_consistent", "bsa_pct", "severity",
       "dechallenge", "rechallenge", "dose_related", "previous_similar_reaction",
       "alternative_causes", "alternatives_excluded", "note"});
  Eruption er;
  auto phenotype = r.string(e, "phenotype", ptr);
  auto onset = r.date(e, "onset", ptr);
  bool ok = true;
  if (!phenotype) {
    if (!e.contains("phenotype"))
      b.problem(ptr + "/phenotype", "missing: expected the eruption phenotype");
    ok = false;
  } else {
    std::string list;
    bool known = false;
    for (const auto& p : b.kb().phenotypes) {
      list += (list.empty() ? "" : ", ") + p.id;
      known |= p.id == *phenotype;
    }
    if (!known) {
      b.problem(ptr + "/phenotype",
                fmt::format("value \"{}\": expected one of {}", *phenotype, list));
      ok = false;
    }
  }
  if (!onset) {
    if (!e.contains("onset"))
      b.problem(ptr + "/onset", "missing: expected the onset date YYYY-MM-DD");
    ok = false;
  }
  if (ok) {
    er.phenotype = *phenotype;
    er.onset = *onset;
    er.kind = parse_eruption_kind(r.string(e, "kind", ptr, {"new", "worsened"}).value_or("new"))
                  .value_or(EruptionKind::kNew);
    er.sites = r.strings(e, "sites", ptr);
    er.biopsy = r.string(e, "biopsy", ptr);
    er.biopsy_consistent = r.boolean(e, "biopsy_consistent", ptr);
    er.bsa_pct = r.number(e, "bsa_pct", ptr, 0, 100);
    if (auto g = r.string(e, "severity", ptr, {"mild", "moderate", "severe"}))
      er.severity = parse_severity_grade(*g);
    for (auto [key, field] : {std::pair{"dechallenge", &er.dechallenge},
                              {"rechallenge", &er.rechallenge},
                              {"dose_related", &er.dose_related},
                              {"previous_similar_reaction", &er.previous_similar_reaction}}) {
      *field = r.string(e, key, ptr, {"yes", "no", "unknown"}).value_or("unknown");
    }
    er.alternative_causes = r.strings(e, "alternative_causes", ptr);
    er.alternatives_excluded = r.boolean(e, "alternatives_excluded", ptr).value_or(false);
    c.eruption = std::move(er);
  }
}

void parse_native(const Json& j, CaseBuilder& b, bool region_given, bool as_of_given) {
  Reader r(b);
  Case& c = b.record();
  r.known_keys(j, "",
               {"schema_version", "region", "as_of", "patient", "conditions", "medications", "labs",
                "eruption", "flags", "note"});
  if (!region_given) {
    if (auto region = r.string(j, "region", "", {"us", "eu"}))
      c.region = *region;
    else if (!j.contains("region")) {
      b.warning("/region", "region not given: assessed for \"us\"");
      c.region_assumed = true;
    }
  }
  if (!as_of_given) {
    if (auto d = r.date(j, "as_of", "")) c.as_of = *d;
  }

  if (j.contains("patient") && r.object(j["patient"], "/patient")) {
    read_patient(r, b, j["patient"]);
  } else if (!j.contains("patient")) {
    b.problem("/patient", "missing: expected the patient object (age or birth date, sex)");
  }

  if (const Json* conds = r.array(j, "conditions", "")) {
    for (std::size_t i = 0; i < conds->size(); ++i) {
      std::string ptr = fmt::format("/conditions/{}", i);
      const Json& e = (*conds)[i];
      if (!r.object(e, ptr)) continue;
      r.known_keys(e, ptr,
                   {"name", "code", "onset", "abatement", "status", "treated", "severity", "note",
                    "course", "recorded", "body_sites", "notes"});
      Condition cond;
      cond.pointer = ptr;
      cond.label = r.string(e, "name", ptr).value_or("");
      auto codes = r.codes(e, ptr);
      if (cond.label.empty() && codes.empty()) {
        b.problem(ptr, "expected a \"name\" or a \"code\"");
        continue;
      }
      cond.onset = r.date(e, "onset", ptr);
      cond.abatement = r.date(e, "abatement", ptr);
      if (cond.onset && cond.abatement && *cond.abatement < *cond.onset) {
        b.problem(ptr + "/abatement",
                  fmt::format("value \"{}\": before the onset {}", to_string(*cond.abatement),
                              to_string(*cond.onset)));
      }
      cond.status = cond.abatement ? ConditionStatus::kResolved : ConditionStatus::kActive;
      if (auto st = r.string(e, "status", ptr, {"active", "resolved"}))
        cond.status = parse_condition_status(*st).value_or(cond.status);
      cond.treated = r.boolean(e, "treated", ptr);
      // A worsening of a known disease (FHIR clinicalStatus recurrence / relapse).
      cond.course = r.string(e, "course", ptr, {"recurrence", "relapse"}).value_or("");
      cond.recorded = r.date(e, "recorded", ptr);
      cond.body_sites = r.strings(e, "body_sites", ptr);
      cond.notes = r.strings(e, "notes", ptr);
      if (e.contains("severity") && r.object(e["severity"], ptr + "/severity")) {
        const Json& s = e["severity"];
        r.known_keys(s, ptr + "/severity", {"grade", "easi", "pasi", "bsa", "iga"});
        if (auto g = r.string(s, "grade", ptr + "/severity", {"mild", "moderate", "severe"}))
          cond.severity_grade = parse_severity_grade(*g);
        cond.severity.easi = r.number(s, "easi", ptr + "/severity", 0, 72);
        cond.severity.pasi = r.number(s, "pasi", ptr + "/severity", 0, 72);
        cond.severity.bsa = r.number(s, "bsa", ptr + "/severity", 0, 100);
        cond.severity.iga = r.number(s, "iga", ptr + "/severity", 0, 4);
      }
      b.add_condition(std::move(cond), codes);
    }
  }

  if (const Json* meds = r.array(j, "medications", "")) {
    for (std::size_t i = 0; i < meds->size(); ++i) {
      std::string ptr = fmt::format("/medications/{}", i);
      const Json& e = (*meds)[i];
      if (!r.object(e, ptr)) continue;
      r.known_keys(e, ptr,
                   {"name", "code", "start", "stop", "dose", "frequency", "planned", "note"});
      Medication m;
      m.pointer = ptr;
      m.label = r.string(e, "name", ptr).value_or("");
      auto codes = r.codes(e, ptr);
      if (m.label.empty() && codes.empty()) {
        b.problem(ptr, "expected a \"name\" or a \"code\"");
        continue;
      }
      m.start = r.date(e, "start", ptr);
      m.stop = r.date(e, "stop", ptr);
      if (m.start && m.stop && *m.stop < *m.start) {
        b.problem(ptr + "/stop", fmt::format("value \"{}\": before the start {}",
                                             to_string(*m.stop), to_string(*m.start)));
      }
      if (e.contains("dose") && r.object(e["dose"], ptr + "/dose")) {
        r.known_keys(e["dose"], ptr + "/dose", {"amount", "unit"});
        m.amount = r.number(e["dose"], "amount", ptr + "/dose", 0, 1e6);
        m.unit = r.string(e["dose"], "unit", ptr + "/dose");
      }
      m.frequency = r.string(e, "frequency", ptr);
      m.planned = r.boolean(e, "planned", ptr).value_or(false);
      b.add_medication(std::move(m), codes);
    }
  }

  if (const Json* labs = r.array(j, "labs", "")) {
    for (std::size_t i = 0; i < labs->size(); ++i) {
      std::string ptr = fmt::format("/labs/{}", i);
      const Json& e = (*labs)[i];
      if (!r.object(e, ptr)) continue;
      r.known_keys(e, ptr,
                   {"test", "code", "date", "value", "comparator", "unit", "result", "note"});
      std::string label = r.string(e, "test", ptr).value_or("");
      auto codes = r.codes(e, ptr);
      auto date = r.date(e, "date", ptr);
      if (!date) {
        if (!e.contains("date")) b.problem(ptr + "/date", "missing: expected the date YYYY-MM-DD");
        continue;
      }
      auto value = r.number(e, "value", ptr, -1e12, 1e12);
      auto unit = r.string(e, "unit", ptr).value_or("");
      auto text = r.string(e, "result", ptr, {"positive", "negative", "indeterminate"});
      if (!value && !text) {
        b.problem(ptr, "expected a numeric \"value\" (with \"unit\") or a \"result\"");
        continue;
      }
      if (*date > b.record().as_of) {
        b.problem(ptr + "/date", fmt::format("value \"{}\": after the assessment date {}",
                                             to_string(*date), to_string(b.record().as_of)));
        continue;
      }
      // "comparator": the value is a bound ("< 0.3"), as FHIR valueQuantity.comparator.
      std::optional<LabBound> bound;
      if (auto cmp = r.string(e, "comparator", ptr, {"<", "<=", ">", ">="}); cmp && value) {
        bound = LabBound{*parse_comparator(*cmp), *value};
        value.reset();
      }
      b.add_lab(ptr, label, codes, *date, value, unit, text, bound);
    }
  }

  if (j.contains("eruption") && r.object(j["eruption"], "/eruption")) {
    read_eruption(r, b, j["eruption"]);
  }
  c.flags = r.strings(j, "flags", "");
}

}  // namespace
}  // namespace detail

ParseResult parse_case(std::string_view text, const kb::KnowledgeBase& kb,
                       const ParseOptions& options) {
  ParseResult out;
  if (text.size() > options.max_bytes) {
    out.problems.push_back({"", fmt::format("input of {} bytes: expected at most {} bytes",
                                            text.size(), options.max_bytes)});
    return out;
  }
  simdjson::dom::element root;
  if (!detail::parse_json_dom(text, options.max_depth, out.problems, root)) return out;
  if (!root.is_object()) {
    out.problems.push_back({"", "expected a JSON object (a case or a FHIR Bundle)"});
    return out;
  }
  Case c;
  c.as_of = options.as_of.value_or(today_utc());
  if (options.region) c.region = *options.region;
  detail::CaseBuilder b(kb, c, out.problems);
  try {
    // FHIR is read from simdjson's DOM; the native reader walks its nlohmann conversion.
    if (detail::is_fhir_record(root)) {
      c.input_kind = "fhir";
      if (auto type = detail::not_a_bundle(root)) {
        out.problems.push_back(
            {"/resourceType", fmt::format("value {}: expected \"Bundle\"", *type)});
        return out;
      }
      detail::parse_fhir_bundle(root, b, options.region.has_value(), options.as_of.has_value());
    } else {
      c.input_kind = "native";
      detail::parse_native(detail::to_nlohmann(root), b, options.region.has_value(),
                           options.as_of.has_value());
    }
  } catch (const detail::Json::exception& e) {
    // A reader met a shape it did not check for: the record cannot be read, but nothing throws
    // across the API (fuzz finding F2 was one such shape).
    out.problems.push_back(
        {"", fmt::format("the record could not be read ({}): expected the shapes "
                         "of docs/case-format.md",
                         e.what())});
    return out;
  } catch (const simdjson::simdjson_error& e) {
    // The readers use simdjson's error codes; this only keeps a missed check from crossing the API.
    out.problems.push_back(
        {"", fmt::format("the record could not be read ({}): expected the shapes "
                         "of docs/case-format.md",
                         e.what())});
    return out;
  }
  b.finish();
  if (out.problems.empty()) out.record = std::move(c);
  return out;
}

}  // namespace paraderm::clinical
