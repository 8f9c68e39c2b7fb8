// FHIR R4 Bundle → Case, for records exported the way EHRs export them (US Core / IPS shapes).
// Resources: Patient, Condition, MedicationStatement, MedicationRequest, MedicationAdministration
// (the medication as a CodeableConcept or a reference to a contained or Bundle Medication),
// Observation, AllergyIntolerance; mapped by code (SNOMED CT, ICD-10-CM with KB code ranges,
// RxNorm, LOINC) with a name fallback. Status, verification, clinical status, severity and
// interpretation codes are read through kb/fhir.toml. The eruption and case flags travel as
// paraderm extensions (docs/case-format.md).
//
// Bad input: a wrong-typed or unknown element is a warning naming its FHIR path and the rest is
// read; only impossible data and a name one typo away from a KB name stop the assessment.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "case/build.h"

namespace paraderm::clinical::detail {
namespace {

constexpr const char* kEruptionUrl = "https://paraderm.dev/fhir/StructureDefinition/eruption";
constexpr const char* kFlagUrl = "https://paraderm.dev/fhir/StructureDefinition/case-flag";
constexpr const char* kCvRiskUrl = "https://paraderm.dev/fhir/StructureDefinition/cv-risk-factor";
constexpr const char* kVteRiskUrl = "https://paraderm.dev/fhir/StructureDefinition/vte-risk-factor";

// KB lab ids of the LOINC "status" observations that set patient fields instead of adding a lab.
constexpr const char* kSmokingStatus = "smoking-status";
constexpr const char* kPregnancyStatus = "pregnancy-status";
constexpr const char* kBreastfeedingStatus = "breastfeeding-status";
constexpr const char* kBodyWeight = "weight";

std::string describe(const Json& v) {
  std::string s = v.dump();  // bounded: parse_json rejects deep nesting before any reader runs
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

const Json* member(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// The string at `key`, or "" (silently) when absent or not a string; for identifiers the reader
// only compares (resourceType, url, id).
std::string plain(const Json& obj, const char* key) {
  const Json* v = member(obj, key);
  return v && v->is_string() ? v->get<std::string>() : "";
}

struct Coding {
  std::string system;  // short system (snomed, loinc, ...) or the URI as given
  std::string code, display;
};

// Typed reads of FHIR elements: a value of the wrong type is a warning naming its path, and the
// element is treated as absent.
class Reader {
 public:
  explicit Reader(CaseBuilder& b) : b_(b) {}

  std::string string(const Json& obj, const char* key, const std::string& path) {
    const Json* v = member(obj, key);
    if (!v) return "";
    if (!v->is_string()) {
      wrong(*v, path + "." + key, "a string");
      return "";
    }
    return v->get<std::string>();
  }
  const Json* object(const Json& obj, const char* key, const std::string& path) {
    const Json* v = member(obj, key);
    if (v && !v->is_object()) {
      wrong(*v, path + "." + key, "an object");
      return nullptr;
    }
    return v;
  }
  const Json* array(const Json& obj, const char* key, const std::string& path) {
    const Json* v = member(obj, key);
    if (v && !v->is_array()) {
      wrong(*v, path + "." + key, "an array");
      return nullptr;
    }
    return v;
  }
  std::optional<double> number(const Json& obj, const char* key, const std::string& path) {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      wrong(*v, path + "." + key, "a number");
      return std::nullopt;
    }
    return v->get<double>();
  }
  std::optional<bool> boolean(const Json& obj, const char* key, const std::string& path) {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
      wrong(*v, path + "." + key, "true or false");
      return std::nullopt;
    }
    return v->get<bool>();
  }
  std::optional<Date> date(const Json& obj, const char* key, const std::string& path) {
    std::string s = string(obj, key, path);
    if (s.empty()) return std::nullopt;
    auto d = parse_date(s);
    if (!d) {
      b_.warning(path + "." + key, fmt::format("value {}: expected a FHIR date or dateTime "
                                               "(YYYY-MM-DD...); ignored", shown(s)));
    }
    return d;
  }
  // The codings of a CodeableConcept (those with a string code).
  std::vector<Coding> codings(const Json& cc, const std::string& path) {
    std::vector<Coding> out;
    const Json* list = array(cc, "coding", path);
    if (!list) return out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& c = (*list)[i];
      std::string p = fmt::format("{}.coding[{}]", path, i);
      if (!c.is_object()) {
        wrong(c, p, "a Coding object");
        continue;
      }
      std::string code = string(c, "code", p);
      if (code.empty()) continue;
      out.push_back({short_system(string(c, "system", p)), code, string(c, "display", p)});
    }
    return out;
  }
  std::vector<CodeIn> codes(const Json& cc, const std::string& path) {
    std::vector<CodeIn> out;
    for (auto& c : codings(cc, path)) out.push_back({c.system, c.code});
    return out;
  }
  // CodeableConcept.text, else the first coding display.
  std::string text(const Json& cc, const std::string& path) {
    if (auto t = string(cc, "text", path); !t.empty()) return t;
    for (const auto& c : codings(cc, path)) {
      if (!c.display.empty()) return c.display;
    }
    return "";
  }
  // Every text naming the concept: the text and each coding display.
  std::vector<std::string> texts(const Json& cc, const std::string& path) {
    std::vector<std::string> out;
    if (auto t = string(cc, "text", path); !t.empty()) out.push_back(t);
    for (const auto& c : codings(cc, path)) {
      if (!c.display.empty() && std::find(out.begin(), out.end(), c.display) == out.end()) {
        out.push_back(c.display);
      }
    }
    return out;
  }

 private:
  // Once per path: a concept is read for its codes and again for its text.
  void wrong(const Json& v, const std::string& path, const char* expected) {
    if (!warned_.insert(path).second) return;
    b_.warning(path, fmt::format("value {}: expected {}; ignored", describe(v), expected));
  }
  CaseBuilder& b_;
  std::unordered_set<std::string> warned_;
};

const Json* extension(const Json& r, const char* url) {
  const Json* list = member(r, "extension");
  if (!list || !list->is_array()) return nullptr;
  for (const auto& e : *list) {
    if (plain(e, "url") == url) return &e;
  }
  return nullptr;
}

const Json* sub_extension(const Json& ext, const char* name) {
  const Json* list = member(ext, "extension");
  if (!list || !list->is_array()) return nullptr;
  for (const auto& e : *list) {
    if (plain(e, "url") == name) return &e;
  }
  return nullptr;
}

std::string ext_code(const Json& ext, const char* name) {
  const Json* e = sub_extension(ext, name);
  if (!e) return "";
  if (auto v = plain(*e, "valueCode"); !v.empty()) return v;
  return plain(*e, "valueString");
}

std::optional<double> ext_number(const Json& ext, const char* name) {
  const Json* e = sub_extension(ext, name);
  const Json* v = e ? member(*e, "valueDecimal") : nullptr;
  return v && v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

std::optional<bool> ext_bool(const Json& ext, const char* name) {
  const Json* e = sub_extension(ext, name);
  const Json* v = e ? member(*e, "valueBoolean") : nullptr;
  return v && v->is_boolean() ? std::optional<bool>(v->get<bool>()) : std::nullopt;
}

// One Bundle being read: the reader, the builder and the index that resolves references.
class BundleReader {
 public:
  BundleReader(const Json& bundle, CaseBuilder& b) : bundle_(bundle), b_(b), f_(b) {}

  void read();

 private:
  void patient(const Json& r, const std::string& path);
  void condition(const Json& r, const std::string& path);
  void medication(const Json& r, const std::string& path, const std::string& type);
  void observation(const Json& r, const std::string& path);
  void allergy(const Json& r, const std::string& path);

  // How a status-like element is read; false when the resource is not to be used (a warning says
  // why). `meaning` receives the KB meaning of a known code.
  bool status(const std::string& type, const char* element, const std::string& code,
              const std::string& path, std::optional<std::string>* meaning = nullptr,
              std::optional<std::string>* course = nullptr);
  // The first coding of a CodeableConcept element that kb/fhir.toml lists, read as `status` does.
  bool coded_status(const Json& r, const std::string& type, const char* element,
                    const std::string& path, std::optional<std::string>* meaning = nullptr,
                    std::optional<std::string>* course = nullptr);
  const Json* resolve(const Json& from, const std::string& reference) const;

  const Json& bundle_;
  CaseBuilder& b_;
  Reader f_;
  std::unordered_map<std::string, const Json*> by_full_url_, by_type_id_;
  std::unordered_set<const Json*> referenced_;
};

bool BundleReader::status(const std::string& type, const char* element, const std::string& code,
                          const std::string& path, std::optional<std::string>* meaning,
                          std::optional<std::string>* course) {
  const kb::FhirCode* fc = b_.terms().fhir_code(type, element, "", code);
  if (!fc) {
    b_.warning(path, fmt::format("value {}: not a FHIR R4 {}.{} code paraderm knows; used as given",
                                 shown(code), type, element));
    return true;
  }
  if (fc->effect == "ignore") {
    b_.warning(path, fmt::format("{} {} \"{}\": not used", type, element, code));
    return false;
  }
  if (fc->effect == "warn") {
    b_.warning(path, fmt::format("{} {} \"{}\": used; check it still holds", type, element, code));
  }
  if (meaning) *meaning = fc->meaning;
  if (course) *course = fc->course;
  return true;
}

bool BundleReader::coded_status(const Json& r, const std::string& type, const char* element,
                                const std::string& path, std::optional<std::string>* meaning,
                                std::optional<std::string>* course) {
  const Json* cc = f_.object(r, element, path);
  if (!cc) return true;
  std::string p = path + "." + element;
  auto codings = f_.codings(*cc, p);
  for (const auto& c : codings) {
    if (b_.terms().fhir_code(type, element, "", c.code)) return status(type, element, c.code, p, meaning, course);
  }
  if (!codings.empty()) return status(type, element, codings[0].code, p, meaning, course);
  return true;
}

const Json* BundleReader::resolve(const Json& from, const std::string& reference) const {
  if (reference.rfind('#', 0) == 0) {
    const Json* contained = member(from, "contained");
    if (!contained || !contained->is_array()) return nullptr;
    for (const auto& c : *contained) {
      if (plain(c, "id") == reference.substr(1)) return &c;
    }
    return nullptr;
  }
  if (auto it = by_full_url_.find(reference); it != by_full_url_.end()) return it->second;
  if (auto it = by_type_id_.find(reference); it != by_type_id_.end()) return it->second;
  // An absolute reference ".../Medication/123" names the entry Medication/123.
  auto slash = reference.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    auto type_slash = reference.rfind('/', slash - 1);
    std::string tail = reference.substr(type_slash == std::string::npos ? 0 : type_slash + 1);
    if (auto it = by_type_id_.find(tail); it != by_type_id_.end()) return it->second;
  }
  return nullptr;
}

void BundleReader::patient(const Json& r, const std::string& path) {
  auto& p = b_.record().patient;
  p.birth_date = f_.date(r, "birthDate", path);
  auto g = f_.string(r, "gender", path);
  if (g == "female" || g == "male" || g == "other" || g == "unknown") {
    p.sex = g;
  } else if (!g.empty()) {
    b_.warning(path + ".gender", fmt::format("value {}: expected female, male, other or unknown; "
                                             "sex unknown", shown(g)));
  }
  if (const Json* list = f_.array(r, "extension", path)) {
    for (const auto& e : *list) {
      auto url = plain(e, "url");
      auto v = plain(e, "valueCode").empty() ? plain(e, "valueString") : plain(e, "valueCode");
      if (url == kFlagUrl) b_.record().flags.push_back(v);
      else if (url == kCvRiskUrl) p.cv_risk_factors.push_back(v);
      else if (url == kVteRiskUrl) p.vte_risk_factors.push_back(v);
    }
  }
}

void BundleReader::condition(const Json& r, const std::string& path) {
  // A refuted or mistaken condition is not read further.
  if (!coded_status(r, "Condition", "verificationStatus", path)) return;
  std::optional<std::string> clinical, course;
  if (!coded_status(r, "Condition", "clinicalStatus", path, &clinical, &course)) return;

  std::optional<Date> onset = f_.date(r, "onsetDateTime", path);
  if (const Json* period = f_.object(r, "onsetPeriod", path); !onset && period) {
    onset = f_.date(*period, "start", path + ".onsetPeriod");
  }
  if (auto text = f_.string(r, "onsetString", path); !onset && !text.empty()) {
    onset = parse_date(text);
    if (!onset) b_.warning(path + ".onsetString", fmt::format("value {}: not a date; onset unknown", shown(text)));
  }
  for (const char* other : {"onsetAge", "onsetRange"}) {
    if (member(r, other)) b_.warning(path + "." + other, "not read (give onsetDateTime): onset unknown");
  }
  std::optional<Date> abatement = f_.date(r, "abatementDateTime", path);
  if (const Json* period = f_.object(r, "abatementPeriod", path); !abatement && period) {
    // The condition had abated by the end of the period at the latest; its start is when it began.
    abatement = f_.date(*period, "start", path + ".abatementPeriod");
    if (!abatement) abatement = f_.date(*period, "end", path + ".abatementPeriod");
  }
  if (auto text = f_.string(r, "abatementString", path); !abatement && !text.empty()) {
    abatement = parse_date(text);
    if (!abatement) b_.warning(path + ".abatementString", fmt::format("value {}: not a date; ignored", shown(text)));
  }
  bool abated = abatement.has_value() || f_.boolean(r, "abatementBoolean", path).value_or(false);

  std::optional<std::string> severity;
  if (const Json* sev = f_.object(r, "severity", path)) {
    for (const auto& c : f_.codings(*sev, path + ".severity")) {
      if (const kb::FhirCode* fc = b_.terms().fhir_code("Condition", "severity", c.system, c.code)) {
        severity = fc->meaning;
        break;
      }
    }
    if (!severity) {
      b_.warning(path + ".severity", fmt::format("value {}: not a code of the FHIR condition-severity "
                                                 "value set (SNOMED CT mild, moderate, severe); ignored",
                                                 shown(f_.text(*sev, path + ".severity"))));
    }
  }
  std::vector<std::string> sites;
  if (const Json* list = f_.array(r, "bodySite", path)) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (auto t = f_.text((*list)[i], fmt::format("{}.bodySite[{}]", path, i)); !t.empty()) sites.push_back(t);
    }
  }

  if (const Json* ext = extension(r, kEruptionUrl)) {
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
    if (auto k = ext_code(*ext, "kind"); !k.empty()) er.kind = k;
    if (auto s = ext_code(*ext, "severity"); !s.empty()) er.severity = s;
    else er.severity = severity;
    er.bsa_pct = ext_number(*ext, "bsa-pct");
    er.biopsy_consistent = ext_bool(*ext, "biopsy-consistent");
    for (auto [name, field] : {std::pair{"dechallenge", &er.dechallenge},
                               {"rechallenge", &er.rechallenge},
                               {"dose-related", &er.dose_related},
                               {"previous-similar-reaction", &er.previous_similar_reaction}}) {
      if (auto v = ext_code(*ext, name); !v.empty()) *field = v;
    }
    if (auto alt = ext_code(*ext, "alternative-cause"); !alt.empty()) er.alternative_causes.push_back(alt);
    er.alternatives_excluded = ext_bool(*ext, "alternatives-excluded").value_or(false);
    er.sites = sites;
    b_.record().eruption = std::move(er);
    return;
  }

  const Json* code = f_.object(r, "code", path);
  if (!code) {
    b_.warning(path + ".code", "missing: a Condition without a code is not used");
    return;
  }
  Condition c;
  c.pointer = path;
  c.label = f_.text(*code, path + ".code");
  c.onset = onset;
  c.abatement = abatement;
  if (clinical) c.status = *clinical;
  else if (abated) c.status = "resolved";
  if (course) c.course = *course;
  c.severity_grade = severity;
  c.recorded = f_.date(r, "recordedDate", path);
  c.body_sites = std::move(sites);
  if (const Json* notes = f_.array(r, "note", path)) {
    for (std::size_t i = 0; i < notes->size(); ++i) {
      if (auto t = f_.string((*notes)[i], "text", fmt::format("{}.note[{}]", path, i)); !t.empty()) {
        c.notes.push_back(t);
      }
    }
  }
  if (const Json* evidence = f_.array(r, "evidence", path)) {
    for (std::size_t i = 0; i < evidence->size(); ++i) {
      std::string p = fmt::format("{}.evidence[{}]", path, i);
      if (const Json* codes = f_.array((*evidence)[i], "code", p)) {
        for (std::size_t k = 0; k < codes->size(); ++k) {
          if (auto t = f_.text((*codes)[k], fmt::format("{}.code[{}]", p, k)); !t.empty()) c.notes.push_back(t);
        }
      }
      if (const Json* details = f_.array((*evidence)[i], "detail", p)) {
        for (std::size_t k = 0; k < details->size(); ++k) {
          if (auto t = f_.string((*details)[k], "display", fmt::format("{}.detail[{}]", p, k)); !t.empty()) {
            c.notes.push_back(t);
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
  auto codes = f_.codes(*code, path + ".code");
  if (c.label.empty() && codes.empty()) {
    b_.warning(path + ".code", "no coding and no text: the Condition is not used");
    return;
  }
  b_.add_condition(std::move(c), codes);
}

void BundleReader::medication(const Json& r, const std::string& path, const std::string& type) {
  std::optional<std::string> meaning;
  auto status_code = f_.string(r, "status", path);
  if (!status_code.empty() && !status(type, "status", status_code, path + ".status", &meaning)) return;
  const bool ended = meaning == std::optional<std::string>("ended");

  Medication m;
  m.pointer = path;
  std::vector<CodeIn> codes;
  std::vector<std::string> names;
  if (const Json* cc = f_.object(r, "medicationCodeableConcept", path)) {
    std::string p = path + ".medicationCodeableConcept";
    codes = f_.codes(*cc, p);
    m.label = f_.text(*cc, p);
    names = f_.texts(*cc, p);
  } else if (const Json* ref = f_.object(r, "medicationReference", path)) {
    std::string p = path + ".medicationReference";
    std::string target = f_.string(*ref, "reference", p);
    const Json* med = target.empty() ? nullptr : resolve(r, target);
    if (med && plain(*med, "resourceType") == "Medication") {
      referenced_.insert(med);
      std::string mp = fmt::format("{}({})", p, target);
      if (const Json* product = f_.object(*med, "code", mp)) {
        codes = f_.codes(*product, mp + ".code");
        m.label = f_.text(*product, mp + ".code");
        names = f_.texts(*product, mp + ".code");
      }
      // A Medication without a product code may still list its ingredients' codes.
      if (const Json* ingredients = f_.array(*med, "ingredient", mp)) {
        for (std::size_t i = 0; i < ingredients->size(); ++i) {
          std::string ip = fmt::format("{}.ingredient[{}]", mp, i);
          if (const Json* item = f_.object((*ingredients)[i], "itemCodeableConcept", ip)) {
            for (auto& c : f_.codes(*item, ip + ".itemCodeableConcept")) codes.push_back(c);
            for (auto& t : f_.texts(*item, ip + ".itemCodeableConcept")) names.push_back(t);
          }
        }
      }
    } else if (!target.empty()) {
      b_.warning(p + ".reference", fmt::format("value {}: no Medication with this id among the "
                                               "resource's contained resources or the Bundle entries",
                                               shown(target)));
    }
    if (auto display = f_.string(*ref, "display", p); !display.empty()) {
      if (m.label.empty()) m.label = display;
      else names.push_back(display);
    }
  } else {
    b_.warning(path, "no medicationCodeableConcept or medicationReference: the medication is not "
                     "known; not used");
    return;
  }
  if (m.label.empty() && codes.empty()) {
    b_.warning(path, "the medication has no code and no name: not used");
    return;
  }

  if (const Json* period = f_.object(r, "effectivePeriod", path)) {
    m.start = f_.date(*period, "start", path + ".effectivePeriod");
    m.stop = f_.date(*period, "end", path + ".effectivePeriod");
  }
  if (!m.start) m.start = f_.date(r, "effectiveDateTime", path);

  // MedicationStatement.dosage[] and MedicationRequest.dosageInstruction[] are Dosage lists;
  // MedicationAdministration.dosage is one object with a dose.
  if (type == "MedicationAdministration") {
    if (const Json* d = f_.object(r, "dosage", path)) {
      std::string dp = path + ".dosage";
      if (const Json* q = f_.object(*d, "dose", dp)) {
        m.amount = f_.number(*q, "value", dp + ".dose");
        if (auto u = f_.string(*q, "unit", dp + ".dose"); !u.empty()) m.unit = u;
        else if (auto c = f_.string(*q, "code", dp + ".dose"); !c.empty()) m.unit = c;
      }
      if (auto t = f_.string(*d, "text", dp); !t.empty()) m.frequency = t;
    }
  } else {
    const char* key = type == "MedicationRequest" ? "dosageInstruction" : "dosage";
    const Json* list = f_.array(r, key, path);
    if (list && !list->empty()) {
      std::string dp = fmt::format("{}.{}[0]", path, key);
      const Json& d = (*list)[0];
      if (!d.is_object()) {
        b_.warning(dp, fmt::format("value {}: expected a Dosage object; ignored", describe(d)));
      } else {
        if (const Json* timing = f_.object(d, "timing", dp)) {
          if (const Json* repeat = f_.object(*timing, "repeat", dp + ".timing")) {
            std::string bp = dp + ".timing.repeat";
            if (const Json* bounds = f_.object(*repeat, "boundsPeriod", bp)) {
              if (!m.start) m.start = f_.date(*bounds, "start", bp + ".boundsPeriod");
              if (!m.stop) m.stop = f_.date(*bounds, "end", bp + ".boundsPeriod");
            }
          }
        }
        if (const Json* rates = f_.array(d, "doseAndRate", dp); rates && !rates->empty()) {
          std::string rp = dp + ".doseAndRate[0]";
          const Json& rate = (*rates)[0];
          if (!rate.is_object()) {
            b_.warning(rp, fmt::format("value {}: expected a doseAndRate object; the dose is unknown",
                                       describe(rate)));
          } else if (const Json* q = f_.object(rate, "doseQuantity", rp)) {
            m.amount = f_.number(*q, "value", rp + ".doseQuantity");
            if (auto u = f_.string(*q, "unit", rp + ".doseQuantity"); !u.empty()) m.unit = u;
            else if (auto c = f_.string(*q, "code", rp + ".doseQuantity"); !c.empty()) m.unit = c;
          }
        }
        if (auto t = f_.string(d, "text", dp); !t.empty()) m.frequency = t;
      }
    }
  }
  if (!m.start && type == "MedicationRequest") m.start = f_.date(r, "authoredOn", path);
  if (ended && !m.stop && type == "MedicationRequest") {
    if (const Json* dispense = f_.object(r, "dispenseRequest", path)) {
      if (const Json* validity = f_.object(*dispense, "validityPeriod", path + ".dispenseRequest")) {
        m.stop = f_.date(*validity, "end", path + ".dispenseRequest.validityPeriod");
      }
    }
  }
  if (ended && !m.stop) {
    b_.warning(path + ".status", fmt::format("status \"{}\" (no longer taken) without an end date: the "
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

void BundleReader::observation(const Json& r, const std::string& path) {
  auto status_code = f_.string(r, "status", path);
  if (!status_code.empty() && !status("Observation", "status", status_code, path + ".status")) return;
  const Json* code = f_.object(r, "code", path);
  std::vector<CodeIn> codes = code ? f_.codes(*code, path + ".code") : std::vector<CodeIn>{};
  std::string label = code ? f_.text(*code, path + ".code") : "";
  std::optional<std::string> lab;
  for (const auto& c : codes) {
    if (c.system == "loinc" && (lab = b_.terms().lab_by_code(c.code))) break;
  }
  auto& p = b_.record().patient;
  const Json* answer = f_.object(r, "valueCodeableConcept", path);
  std::vector<Coding> answers = answer ? f_.codings(*answer, path + ".valueCodeableConcept")
                                       : std::vector<Coding>{};
  auto answer_disease = [&](const char* disease) {
    return std::any_of(answers.begin(), answers.end(), [&](const Coding& a) {
      auto m = b_.terms().disease_by_code(a.system, a.code);
      return m && m->disease == disease;
    });
  };

  // Status observations answered by a coded value set patient fields.
  if (lab == std::optional<std::string>(kSmokingStatus) || lab == std::optional<std::string>(kPregnancyStatus)) {
    std::optional<std::string> meaning;
    for (const auto& a : answers) {
      if ((meaning = b_.terms().answer(a.system, a.code))) break;
    }
    if (!meaning) {
      b_.warning(path + ".valueCodeableConcept", "answer code not in the KB: ignored");
      return;
    }
    if (*lab == kSmokingStatus) {
      if (meaning->find("never") != std::string::npos) p.smoking.status = "never";
      else if (meaning->find("former") != std::string::npos) p.smoking.status = "former";
      else if (meaning->find("current") != std::string::npos) p.smoking.status = "current";
      else p.smoking.status = "unknown";
    } else if (*meaning == "pregnant") {
      p.pregnant = true;
    } else if (*meaning == "not-pregnant") {
      p.pregnant = false;
    } else {
      b_.warning(path, "pregnancy status \"" + *meaning + "\": treated as unknown");
    }
    return;
  }
  if (lab == std::optional<std::string>(kBreastfeedingStatus)) {
    // LOINC answers for 63895-7 are not confirmed; the KB's lactation codes answer "yes".
    if (answer_disease("lactation")) p.breastfeeding = true;
    else b_.warning(path + ".valueCodeableConcept", "breastfeeding status answer not in the KB: ignored");
    return;
  }

  std::optional<Date> date = f_.date(r, "effectiveDateTime", path);
  if (const Json* period = f_.object(r, "effectivePeriod", path); !date && period) {
    date = f_.date(*period, "start", path + ".effectivePeriod");
  }
  if (!date) date = f_.date(r, "effectiveInstant", path);
  if (!date) date = f_.date(r, "issued", path);

  // The qualitative result: from the value (answer code or its words), else the interpretation.
  std::optional<std::string> from_value, from_interpretation;
  std::string value_text, interpretation_code;
  for (const auto& a : answers) {
    if ((from_value = b_.terms().qualitative_answer(a.system, a.code))) break;
  }
  if (answer && !from_value) {
    value_text = f_.text(*answer, path + ".valueCodeableConcept");
    from_value = b_.terms().qualitative_text(value_text);
  }
  if (auto s = f_.string(r, "valueString", path); !s.empty()) {
    value_text = s;
    from_value = b_.terms().qualitative_text(s);
  }
  if (const Json* list = f_.array(r, "interpretation", path)) {
    for (std::size_t i = 0; i < list->size() && !from_interpretation; ++i) {
      for (const auto& c : f_.codings((*list)[i], fmt::format("{}.interpretation[{}]", path, i))) {
        if (interpretation_code.empty()) interpretation_code = c.code;
        if (const kb::FhirCode* fc = b_.terms().fhir_code("Observation", "interpretation", c.system, c.code)) {
          from_interpretation = fc->meaning;
          interpretation_code = c.code;
          break;
        }
      }
    }
  }
  if (from_value && from_interpretation && *from_value != *from_interpretation) {
    b_.warning(path + ".interpretation", fmt::format("interpretation \"{}\" ({}) disagrees with the value "
                                                     "({}): the value is used", interpretation_code,
                                                     *from_interpretation, *from_value));
  }
  std::optional<std::string> result = from_value ? from_value : from_interpretation;

  std::optional<double> value;
  std::string unit;
  if (const Json* q = f_.object(r, "valueQuantity", path)) {
    value = f_.number(*q, "value", path + ".valueQuantity");
    unit = f_.string(*q, "code", path + ".valueQuantity");
    if (unit.empty()) unit = f_.string(*q, "unit", path + ".valueQuantity");
    if (!value) {
      b_.warning(path + ".valueQuantity.value", "missing: expected a number; the result is not used");
      if (!result) return;
    }
  }
  if (lab == std::optional<std::string>(kBodyWeight)) {
    // Converted from its unit ([lb_av], g, ...) and checked against the KB plausible range.
    if (value) b_.set_body_weight(path + ".valueQuantity.value", path + ".valueQuantity.code", *value, unit);
    return;
  }
  if (!value && !result) {
    if (!value_text.empty()) {
      b_.warning(path, fmt::format("qualitative result {} not understood: not used", shown(value_text)));
    } else if (!interpretation_code.empty()) {
      b_.warning(path + ".interpretation", fmt::format("interpretation \"{}\" is not a qualitative "
                                                       "result and there is no value: not used",
                                                       interpretation_code));
    } else if (const Json* absent = f_.object(r, "dataAbsentReason", path)) {
      b_.warning(path, fmt::format("no value (dataAbsentReason {}): not used",
                                   shown(f_.text(*absent, path + ".dataAbsentReason"))));
    } else {
      b_.warning(path, "observation without a value: not used");
    }
    return;
  }
  if (!date) {
    b_.warning(path + ".effectiveDateTime", "missing: the observation has no date; not used");
    return;
  }
  b_.add_lab(path, label, codes, *date, value, unit, result);
}

void BundleReader::allergy(const Json& r, const std::string& path) {
  if (!coded_status(r, "AllergyIntolerance", "verificationStatus", path)) return;
  const Json* code = f_.object(r, "code", path);
  auto codes = code ? f_.codes(*code, path + ".code") : std::vector<CodeIn>{};
  std::string label = code ? f_.text(*code, path + ".code") : "";
  MedicationMatch m;
  for (const auto& c : codes) {
    if (!(m = b_.terms().medication_by_code(c.system, c.code)).empty()) break;
  }
  if (m.empty()) m = b_.terms().medication_by_name(label);
  if (m.jak_drug) {
    b_.record().flags.push_back("hypersensitivity:" + *m.jak_drug);
  } else {
    b_.warning(path, fmt::format("allergy {} is not to a JAK/TYK2 inhibitor in the KB: not used", shown(label)));
  }
}

void BundleReader::read() {
  if (const Json* ts = member(bundle_, "timestamp")) {
    auto d = ts->is_string() ? parse_date(ts->get<std::string>()) : std::nullopt;
    if (d) b_.record().as_of = *d;
    else b_.warning("Bundle.timestamp", fmt::format("value {}: expected a FHIR instant; the assessment "
                                                    "date is --as-of or today", describe(*ts)));
  }
  const Json* entries = member(bundle_, "entry");
  if (!entries || !entries->is_array()) {
    b_.problem("Bundle.entry", "missing: expected an array of entries");
    return;
  }
  for (const auto& e : *entries) {
    const Json* r = member(e, "resource");
    if (!r || !r->is_object()) continue;
    if (auto url = plain(e, "fullUrl"); !url.empty()) by_full_url_.emplace(url, r);
    auto type = plain(*r, "resourceType"), id = plain(*r, "id");
    if (!type.empty() && !id.empty()) by_type_id_.emplace(type + "/" + id, r);
  }
  bool saw_patient = false;
  std::vector<std::pair<std::string, const Json*>> medications;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& e = (*entries)[i];
    std::string path = fmt::format("Bundle.entry[{}].resource", i);
    const Json* rp = member(e, "resource");
    if (!rp || !rp->is_object()) {
      b_.warning(fmt::format("Bundle.entry[{}]", i), "expected an entry with a resource object; ignored");
      continue;
    }
    const Json& r = *rp;
    auto type = f_.string(r, "resourceType", path);
    path += "(" + type + ")";
    if (type == "Patient") {
      saw_patient = true;
      patient(r, path);
    } else if (type == "Condition") {
      condition(r, path);
    } else if (type == "MedicationStatement" || type == "MedicationRequest" ||
               type == "MedicationAdministration") {
      medication(r, path, type);
    } else if (type == "Observation") {
      observation(r, path);
    } else if (type == "AllergyIntolerance") {
      allergy(r, path);
    } else if (type == "Medication") {
      medications.emplace_back(path, &r);  // read through the resources that reference it
    } else {
      b_.warning(path, fmt::format("resource type {} is not read", shown(type)));
    }
  }
  for (const auto& [path, r] : medications) {
    if (!referenced_.count(r)) {
      b_.warning(path, "Medication not referenced by a MedicationStatement, MedicationRequest or "
                       "MedicationAdministration: not read");
    }
  }
  if (!saw_patient) b_.problem("Bundle.entry", "no Patient resource: expected one");
  if (b_.record().region.empty()) b_.record().region = "us";
}

}  // namespace

void parse_fhir_bundle(const Json& j, CaseBuilder& b) { BundleReader(j, b).read(); }

}  // namespace paraderm::clinical::detail
