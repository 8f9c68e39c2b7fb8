// Plain FHIR R4 fixtures for the CDS Hooks tests (no paraderm extension unless a test says so),
// shaped like the requests of the public CDS Hooks example services
// (cds-hooks/sandbox-cds-services: hook, hookInstance, fhirServer, context.userId/patientId,
// prefetch keys holding a resource or a searchset Bundle).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace paraderm::testing::cds {

using Json = nlohmann::json;

inline Json patient(const std::string& gender = "male", const std::string& birth = "1986-06-20") {
  return {{"resourceType", "Patient"}, {"id", "pt"}, {"gender", gender}, {"birthDate", birth}};
}

inline Json condition(const std::string& id, const std::string& snomed, const std::string& display,
                      const std::string& onset, const std::string& clinical = "active") {
  return {
      {"resourceType", "Condition"},
      {"id", id},
      {"subject", {{"reference", "Patient/pt"}}},
      {"clinicalStatus",
       {{"coding",
         Json::array({{{"system", "http://terminology.hl7.org/CodeSystem/condition-clinical"},
                       {"code", clinical}}})}}},
      {"code",
       {{"coding",
         Json::array(
             {{{"system", "http://snomed.info/sct"}, {"code", snomed}, {"display", display}}})}}},
      {"onsetDateTime", onset}};
}

// SNOMED codes of kb/diseases.toml.
inline Json atopic_dermatitis() {
  return condition("ad", "24079001", "Atopic dermatitis", "2000-01-01");
}
inline Json psoriasis(const std::string& onset, const std::string& clinical = "active") {
  return condition("pso", "9014002", "Psoriasis", onset, clinical);
}

inline Json rx(const std::string& code, const std::string& display) {
  return {{"coding", Json::array({{{"system", "http://www.nlm.nih.gov/research/umls/rxnorm"},
                                   {"code", code},
                                   {"display", display}}})},
          {"text", display}};
}

inline Json statement(const std::string& id, const Json& med, const std::string& start) {
  return {{"resourceType", "MedicationStatement"},
          {"id", id},
          {"status", "active"},
          {"subject", {{"reference", "Patient/pt"}}},
          {"medicationCodeableConcept", med},
          {"effectivePeriod", {{"start", start}}}};
}

// A draft order as an EHR's order-select sends it: dose quantity and an HL7 timing abbreviation.
inline Json draft(const std::string& id, const Json& med, double mg,
                  const std::string& timing = "QD") {
  Json dosage = {
      {"text", "as ordered"},
      {"timing",
       {{"code",
         {{"coding",
           Json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"},
                         {"code", timing}}})}}}}},
      {"doseAndRate", Json::array({{{"doseQuantity",
                                     {{"value", mg},
                                      {"unit", "mg"},
                                      {"system", "http://unitsofmeasure.org"},
                                      {"code", "mg"}}}}})}};
  return {{"resourceType", "MedicationRequest"},
          {"id", id},
          {"status", "draft"},
          {"intent", "order"},
          {"subject", {{"reference", "Patient/pt"}}},
          {"medicationCodeableConcept", med},
          {"authoredOn", "2026-11-20"},
          {"dosageInstruction", Json::array({dosage})}};
}

inline Json lab(const std::string& id, const std::string& loinc, double value,
                const std::string& ucum, const std::string& date) {
  return {{"resourceType", "Observation"},
          {"id", id},
          {"status", "final"},
          {"subject", {{"reference", "Patient/pt"}}},
          {"code", {{"coding", Json::array({{{"system", "http://loinc.org"}, {"code", loinc}}})}}},
          {"effectiveDateTime", date},
          {"valueQuantity",
           {{"value", value},
            {"unit", ucum},
            {"system", "http://unitsofmeasure.org"},
            {"code", ucum}}}};
}

// An observation answered by a SNOMED code (pregnancy status, a qualitative test result).
inline Json coded_observation(const std::string& id, const std::string& loinc,
                              const std::string& snomed, const std::string& date) {
  return {{"resourceType", "Observation"},
          {"id", id},
          {"status", "final"},
          {"code", {{"coding", Json::array({{{"system", "http://loinc.org"}, {"code", loinc}}})}}},
          {"effectiveDateTime", date},
          {"valueCodeableConcept",
           {{"coding", Json::array({{{"system", "http://snomed.info/sct"}, {"code", snomed}}})}}}};
}

inline Json never_smoker() {
  return {
      {"resourceType", "Observation"},
      {"id", "smoke"},
      {"status", "final"},
      {"code", {{"coding", Json::array({{{"system", "http://loinc.org"}, {"code", "72166-2"}}})}}},
      {"effectiveDateTime", "2026-11-10"},
      {"valueCodeableConcept",
       {{"coding", Json::array({{{"system", "http://snomed.info/sct"},
                                 {"code", "266919005"},
                                 {"display", "Never smoked tobacco"}}})}}}};
}

// Normal baseline labs (LOINC of kb/labs.toml): ALC, ANC, Hb, platelets, creatinine.
inline std::vector<Json> normal_labs(const std::string& date = "2026-11-10") {
  return {lab("alc", "731-0", 1.6, "10*9/L", date),  lab("anc", "751-8", 4.2, "10*9/L", date),
          lab("hb", "718-7", 14.8, "g/dL", date),    lab("plt", "777-3", 240, "10*9/L", date),
          lab("crea", "2160-0", 0.9, "mg/dL", date), never_smoker()};
}

inline Json searchset(const std::vector<Json>& resources) {
  Json b = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", Json::array()}};
  for (const auto& r : resources)
    b["entry"].push_back({{"fullUrl", "urn:uuid:" + r.value("id", "x")}, {"resource", r}});
  return b;
}

// A completed vaccine dose (Immunization.vaccineCode in CVX, kb/vaccines.toml).
inline Json immunization(const std::string& id, const std::string& cvx, const std::string& date) {
  return {{"resourceType", "Immunization"},
          {"id", id},
          {"status", "completed"},
          {"patient", {{"reference", "Patient/pt"}}},
          {"vaccineCode",
           {{"coding", Json::array({{{"system", "http://hl7.org/fhir/sid/cvx"}, {"code", cvx}}})}}},
          {"occurrenceDateTime", date}};
}

struct Record {
  Json patient = cds::patient();
  std::vector<Json> conditions, statements, requests, observations, immunizations;
};

// Every key of the discovery document (immunizations, the optional one, included).
inline Json prefetch(const Record& r) {
  return {{"patient", r.patient},
          {"conditions", searchset(r.conditions)},
          {"medicationStatements", searchset(r.statements)},
          {"medicationRequests", searchset(r.requests)},
          {"observations", searchset(r.observations)},
          {"immunizations", searchset(r.immunizations)}};
}

inline Json request(const std::string& hook, const Json& prefetch,
                    const std::vector<Json>& drafts = {}) {
  Json req = {{"hook", hook},
              {"hookInstance", "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"},
              {"context", {{"userId", "Practitioner/example"}, {"patientId", "pt"}}}};
  if (!prefetch.is_null()) req["prefetch"] = prefetch;
  if (hook != "patient-view") {
    Json bundle = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", Json::array()}};
    Json selections = Json::array();
    for (const auto& d : drafts) {
      bundle["entry"].push_back({{"resource", d}});
      selections.push_back("MedicationRequest/" + d["id"].get<std::string>());
    }
    req["context"]["draftOrders"] = bundle;
    if (hook == "order-select") req["context"]["selections"] = selections;
  }
  return req;
}

// CDS Hooks 2.0 card invariants: summary < 140 characters, indicator info|warning|critical, a
// source label, a uuid each (unique), selectionBehavior whenever there are suggestions, override
// reasons with a display, suggestion uuids unique.
inline void expect_card_invariants(const Json& response) {
  ASSERT_TRUE(response.contains("cards") && response["cards"].is_array()) << response.dump();
  static std::set<std::string> uuids;  // across every response of the test run
  for (const auto& c : response["cards"]) {
    ASSERT_TRUE(c["summary"].is_string());
    EXPECT_LT(c["summary"].get<std::string>().size(), 140u) << c["summary"];
    std::string indicator = c["indicator"];
    EXPECT_TRUE(indicator == "info" || indicator == "warning" || indicator == "critical")
        << indicator;
    EXPECT_TRUE(c["source"]["label"].is_string() &&
                !c["source"]["label"].get<std::string>().empty());
    ASSERT_TRUE(c["uuid"].is_string());
    EXPECT_TRUE(uuids.insert(c["uuid"].get<std::string>()).second) << "duplicate card uuid";
    if (c.contains("suggestions")) {
      EXPECT_TRUE(c["selectionBehavior"] == "at-most-one" || c["selectionBehavior"] == "any")
          << c.dump();
      for (const auto& s : c["suggestions"]) {
        EXPECT_TRUE(s["label"].is_string());
        EXPECT_TRUE(uuids.insert(s["uuid"].get<std::string>()).second)
            << "duplicate suggestion uuid";
        for (const auto& a : s["actions"]) {
          EXPECT_TRUE(a["type"] == "create" || a["type"] == "update" || a["type"] == "delete");
          EXPECT_TRUE(a["description"].is_string());
        }
      }
    }
    if (c.contains("overrideReasons")) {
      for (const auto& o : c["overrideReasons"]) EXPECT_TRUE(o["display"].is_string()) << o.dump();
    }
  }
}

}  // namespace paraderm::testing::cds
