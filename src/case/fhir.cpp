// FHIR R4 Bundle → Case. Resources: Patient, Condition, MedicationStatement, MedicationRequest,
// Observation, AllergyIntolerance; mapped by code (SNOMED CT, ICD-10-CM, RxNorm, LOINC) with a
// name fallback. The eruption and case flags travel as paraderm extensions (docs/case-format.md).
#include <algorithm>

#include "case/build.h"

namespace paraderm::clinical::detail {
namespace {

constexpr const char* kEruptionUrl = "https://paraderm.dev/fhir/StructureDefinition/eruption";
constexpr const char* kFlagUrl = "https://paraderm.dev/fhir/StructureDefinition/case-flag";
constexpr const char* kCvRiskUrl = "https://paraderm.dev/fhir/StructureDefinition/cv-risk-factor";
constexpr const char* kVteRiskUrl = "https://paraderm.dev/fhir/StructureDefinition/vte-risk-factor";

std::string str(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::vector<CodeIn> codings(const Json& cc) {
  std::vector<CodeIn> out;
  if (!cc.is_object() || !cc.contains("coding") || !cc["coding"].is_array()) return out;
  for (const auto& c : cc["coding"]) {
    if (c.is_object() && c.contains("code") && c["code"].is_string()) {
      out.push_back({short_system(str(c, "system")), c["code"].get<std::string>()});
    }
  }
  return out;
}

std::string concept_text(const Json& cc) {
  if (!cc.is_object()) return "";
  if (auto t = str(cc, "text"); !t.empty()) return t;
  if (cc.contains("coding") && cc["coding"].is_array()) {
    for (const auto& c : cc["coding"]) {
      if (auto d = str(c, "display"); !d.empty()) return d;
    }
  }
  return "";
}

std::optional<Date> date_of(CaseBuilder& b, const Json& r, const char* key, const std::string& path) {
  auto s = str(r, key);
  if (s.empty()) return std::nullopt;
  auto d = parse_date(s);
  if (!d) b.problem(path + "." + key, fmt::format("value \"{}\": expected a FHIR date or dateTime", s));
  return d;
}

const Json* extension(const Json& r, const char* url) {
  if (!r.contains("extension") || !r["extension"].is_array()) return nullptr;
  for (const auto& e : r["extension"]) {
    if (str(e, "url") == url) return &e;
  }
  return nullptr;
}

std::string ext_code(const Json& ext, const char* name) {
  if (!ext.contains("extension") || !ext["extension"].is_array()) return "";
  for (const auto& e : ext["extension"]) {
    if (str(e, "url") == name) {
      if (auto v = str(e, "valueCode"); !v.empty()) return v;
      if (auto v = str(e, "valueString"); !v.empty()) return v;
    }
  }
  return "";
}

std::optional<double> ext_number(const Json& ext, const char* name) {
  if (!ext.contains("extension") || !ext["extension"].is_array()) return std::nullopt;
  for (const auto& e : ext["extension"]) {
    if (str(e, "url") == name && e.contains("valueDecimal") && e["valueDecimal"].is_number()) {
      return e["valueDecimal"].get<double>();
    }
  }
  return std::nullopt;
}

std::optional<bool> ext_bool(const Json& ext, const char* name) {
  if (!ext.contains("extension") || !ext["extension"].is_array()) return std::nullopt;
  for (const auto& e : ext["extension"]) {
    if (str(e, "url") == name && e.contains("valueBoolean") && e["valueBoolean"].is_boolean()) {
      return e["valueBoolean"].get<bool>();
    }
  }
  return std::nullopt;
}

void patient(CaseBuilder& b, const Json& r, const std::string& path) {
  auto& p = b.record().patient;
  p.birth_date = date_of(b, r, "birthDate", path);
  auto g = str(r, "gender");
  if (g == "female" || g == "male" || g == "other" || g == "unknown") p.sex = g;
  else if (!g.empty()) b.problem(path + ".gender", fmt::format("value \"{}\": expected female, male, other or unknown", g));
  if (r.contains("extension") && r["extension"].is_array()) {
    for (const auto& e : r["extension"]) {
      auto url = str(e, "url");
      auto v = str(e, "valueCode").empty() ? str(e, "valueString") : str(e, "valueCode");
      if (url == kFlagUrl) b.record().flags.push_back(v);
      else if (url == kCvRiskUrl) p.cv_risk_factors.push_back(v);
      else if (url == kVteRiskUrl) p.vte_risk_factors.push_back(v);
    }
  }
}

void condition(CaseBuilder& b, const Json& r, const std::string& path) {
  if (!r.contains("code")) {
    b.problem(path + ".code", "missing: expected the condition's code");
    return;
  }
  auto onset = date_of(b, r, "onsetDateTime", path);
  if (const Json* ext = extension(r, kEruptionUrl)) {
    Eruption er;
    er.phenotype = ext_code(*ext, "phenotype");
    bool known = std::any_of(b.kb().phenotypes.begin(), b.kb().phenotypes.end(),
                             [&](const kb::Phenotype& p) { return p.id == er.phenotype; });
    if (!known) {
      b.problem(path + ".extension[eruption].phenotype",
                fmt::format("value \"{}\": expected a paraderm phenotype code", er.phenotype));
      return;
    }
    if (!onset) {
      b.problem(path + ".onsetDateTime", "missing: the eruption needs its onset date");
      return;
    }
    er.onset = *onset;
    if (auto k = ext_code(*ext, "kind"); !k.empty()) er.kind = k;
    if (auto s = ext_code(*ext, "severity"); !s.empty()) er.severity = s;
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
    if (r.contains("bodySite") && r["bodySite"].is_array()) {
      for (const auto& s : r["bodySite"]) er.sites.push_back(concept_text(s));
    }
    b.record().eruption = std::move(er);
    return;
  }
  Condition c;
  c.pointer = path;
  c.label = concept_text(r["code"]);
  c.onset = onset;
  c.abatement = date_of(b, r, "abatementDateTime", path);
  if (r.contains("clinicalStatus")) {
    auto codes = codings(r["clinicalStatus"]);
    if (!codes.empty()) {
      const auto& s = codes[0].code;
      c.status = (s == "active" || s == "recurrence" || s == "relapse") ? "active" : "resolved";
    }
  } else if (c.abatement) {
    c.status = "resolved";
  }
  if (r.contains("verificationStatus")) {
    auto codes = codings(r["verificationStatus"]);
    if (!codes.empty() && (codes[0].code == "refuted" || codes[0].code == "entered-in-error")) {
      b.warning(path, "condition " + codes[0].code + ": ignored");
      return;
    }
  }
  b.add_condition(std::move(c), codings(r["code"]));
}

void medication(CaseBuilder& b, const Json& r, const std::string& path) {
  Medication m;
  m.pointer = path;
  std::vector<CodeIn> codes;
  if (r.contains("medicationCodeableConcept")) {
    codes = codings(r["medicationCodeableConcept"]);
    m.label = concept_text(r["medicationCodeableConcept"]);
  } else {
    b.problem(path + ".medicationCodeableConcept",
              "missing: expected the medication as a CodeableConcept (contained Medication "
              "references are not read)");
    return;
  }
  if (r.contains("effectivePeriod") && r["effectivePeriod"].is_object()) {
    m.start = date_of(b, r["effectivePeriod"], "start", path + ".effectivePeriod");
    m.stop = date_of(b, r["effectivePeriod"], "end", path + ".effectivePeriod");
  }
  if (!m.start) m.start = date_of(b, r, "effectiveDateTime", path);
  if (!m.start) m.start = date_of(b, r, "authoredOn", path);
  if (m.start && m.stop && *m.stop < *m.start) {
    b.problem(path + ".effectivePeriod.end", fmt::format("value \"{}\": before the start {}",
                                                         to_string(*m.stop), to_string(*m.start)));
  }
  auto status = str(r, "status");
  if (status == "entered-in-error" || status == "not-taken") {
    b.warning(path, "medication status " + status + ": ignored");
    return;
  }
  const char* dosage_key = r.contains("dosage") ? "dosage" : "dosageInstruction";
  if (r.contains(dosage_key) && r[dosage_key].is_array() && !r[dosage_key].empty()) {
    const Json& d = r[dosage_key][0];
    if (d.contains("doseAndRate") && d["doseAndRate"].is_array() && !d["doseAndRate"].empty()) {
      const Json& q = d["doseAndRate"][0].value("doseQuantity", Json::object());
      if (q.contains("value") && q["value"].is_number()) m.amount = q["value"].get<double>();
      if (auto u = str(q, "unit"); !u.empty()) m.unit = u;
      else if (auto c = str(q, "code"); !c.empty()) m.unit = c;
    }
    if (auto t = str(d, "text"); !t.empty()) m.frequency = t;
  }
  b.add_medication(std::move(m), codes);
}

void observation(CaseBuilder& b, const Json& r, const std::string& path) {
  auto codes = codings(r.value("code", Json::object()));
  std::string label = concept_text(r.value("code", Json::object()));
  auto date = date_of(b, r, "effectiveDateTime", path);
  if (!date) date = date_of(b, r, "issued", path);
  auto has = [&](const char* loinc) {
    return std::any_of(codes.begin(), codes.end(),
                       [&](const CodeIn& c) { return c.system == "loinc" && c.code == loinc; });
  };
  // Status observations answered by a coded value.
  if (has("72166-2") || has("82810-3") || has("63895-7")) {
    auto answers = codings(r.value("valueCodeableConcept", Json::object()));
    std::optional<std::string> meaning;
    for (const auto& a : answers) {
      if ((meaning = b.terms().answer(a.code))) break;
    }
    auto& p = b.record().patient;
    if (has("63895-7")) {  // breastfeeding status: answer text
      auto t = TermIndex::normalise(concept_text(r.value("valueCodeableConcept", Json::object())));
      if (t.find("not") != std::string::npos) p.breastfeeding = false;
      else if (t.find("breast") != std::string::npos) p.breastfeeding = true;
      else b.warning(path, "breastfeeding status answer not understood: ignored");
      return;
    }
    if (!meaning) {
      b.warning(path + ".valueCodeableConcept", "answer code not in the KB: ignored");
      return;
    }
    if (has("72166-2")) {
      if (meaning->find("never") != std::string::npos) p.smoking.status = "never";
      else if (meaning->find("former") != std::string::npos) p.smoking.status = "former";
      else if (meaning->find("current") != std::string::npos) p.smoking.status = "current";
      else p.smoking.status = "unknown";
    } else {
      if (*meaning == "pregnant") p.pregnant = true;
      else if (*meaning == "not-pregnant") p.pregnant = false;
      else b.warning(path, "pregnancy status \"" + *meaning + "\": treated as unknown");
    }
    return;
  }
  if (!date) {
    b.problem(path + ".effectiveDateTime", "missing: expected the observation date");
    return;
  }
  if (r.contains("valueQuantity") && r["valueQuantity"].is_object()) {
    const Json& q = r["valueQuantity"];
    if (!q.contains("value") || !q["value"].is_number()) {
      b.problem(path + ".valueQuantity.value", "expected a number");
      return;
    }
    std::string unit = str(q, "code").empty() ? str(q, "unit") : str(q, "code");
    if (has("29463-7")) {  // body weight
      b.set_body_weight(path + ".valueQuantity.value", path + ".valueQuantity.code",
                        q["value"].get<double>(), unit);
      return;
    }
    b.add_lab(path, label, codes, *date, q["value"].get<double>(), unit, std::nullopt);
    return;
  }
  if (r.contains("valueCodeableConcept") || r.contains("valueString")) {
    std::string t = r.contains("valueString") ? str(r, "valueString")
                                              : concept_text(r["valueCodeableConcept"]);
    auto n = TermIndex::normalise(t);
    std::optional<std::string> result;
    if (n.find("positive") != std::string::npos || n == "detected" || n == "reactive") result = "positive";
    else if (n.find("negative") != std::string::npos || n.find("not detected") != std::string::npos) result = "negative";
    if (!result) {
      b.warning(path, fmt::format("qualitative result \"{}\" not understood: ignored", t));
      return;
    }
    b.add_lab(path, label, codes, *date, std::nullopt, "", result);
    return;
  }
  b.warning(path, "observation without a value: ignored");
}

void allergy(CaseBuilder& b, const Json& r, const std::string& path) {
  auto codes = codings(r.value("code", Json::object()));
  std::string label = concept_text(r.value("code", Json::object()));
  MedicationMatch m;
  for (const auto& c : codes) {
    if (!(m = b.terms().medication_by_code(c.system, c.code)).empty()) break;
  }
  if (m.empty()) m = b.terms().medication_by_name(label);
  if (m.jak_drug) {
    b.record().flags.push_back("hypersensitivity:" + *m.jak_drug);
  } else {
    b.warning(path, fmt::format("allergy \"{}\" is not to a JAK/TYK2 inhibitor in the KB: not used", label));
  }
}

}  // namespace

void parse_fhir_bundle(const Json& j, CaseBuilder& b) {
  if (auto ts = str(j, "timestamp"); !ts.empty()) {
    if (auto d = parse_date(ts)) b.record().as_of = *d;
  }
  if (!j.contains("entry") || !j["entry"].is_array()) {
    b.problem("Bundle.entry", "missing: expected an array of entries");
    return;
  }
  bool saw_patient = false;
  for (std::size_t i = 0; i < j["entry"].size(); ++i) {
    const Json& e = j["entry"][i];
    std::string path = fmt::format("Bundle.entry[{}].resource", i);
    if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) {
      b.problem(fmt::format("Bundle.entry[{}]", i), "expected an entry with a resource");
      continue;
    }
    const Json& r = e["resource"];
    auto type = str(r, "resourceType");
    path += "(" + type + ")";
    if (type == "Patient") {
      saw_patient = true;
      patient(b, r, path);
    } else if (type == "Condition") {
      condition(b, r, path);
    } else if (type == "MedicationStatement" || type == "MedicationRequest") {
      medication(b, r, path);
    } else if (type == "Observation") {
      observation(b, r, path);
    } else if (type == "AllergyIntolerance") {
      allergy(b, r, path);
    } else {
      b.warning(path, fmt::format("resource type \"{}\" is not read", type));
    }
  }
  if (!saw_patient) b.problem("Bundle.entry", "no Patient resource: expected one");
  if (b.record().region.empty()) b.record().region = "us";
}

}  // namespace paraderm::clinical::detail
