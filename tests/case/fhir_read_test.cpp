// Reading plain FHIR R4 records (US Core / IPS shapes, no paraderm extensions): every element both
// ways (read / ignored with a warning), bad input, and the fuzz findings F1, F2, F6, F9 through
// the CLI. Codes and their meanings are quoted from the KB rows they come from (kb/fhir.toml,
// kb/labs.toml, kb/diseases.toml, kb/interaction-classes.toml) and the sources those rows cite.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/case.h"

namespace paraderm::clinical {
namespace {

using Json = nlohmann::json;

constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr const char* kLoinc = "http://loinc.org";
constexpr const char* kIcd10cm = "http://hl7.org/fhir/sid/icd-10-cm";
constexpr const char* kInterpretation =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
constexpr const char* kClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
constexpr const char* kVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

Json concept_of(const std::string& system, const std::string& code,
                const std::string& display = "") {
  Json c = {{"system", system}, {"code", code}};
  if (!display.empty()) c["display"] = display;
  return {{"coding", Json::array({c})}};
}

Json patient() {
  return {
      {"resourceType", "Patient"}, {"id", "pt"}, {"gender", "female"}, {"birthDate", "1985-04-02"}};
}

// A Bundle of the patient and `resources`; entries may carry a fullUrl ({"fullUrl", "resource"}).
Json bundle(std::vector<Json> resources) {
  Json b = {{"resourceType", "Bundle"},
            {"type", "collection"},
            {"timestamp", "2026-11-20T09:00:00Z"},
            {"entry", Json::array({{{"resource", patient()}}})}};
  for (auto& r : resources) {
    if (r.contains("fullUrl"))
      b["entry"].push_back(r);
    else
      b["entry"].push_back({{"resource", r}});
  }
  return b;
}

ParseResult read(const Json& b) {
  ParseOptions o;
  o.region = "eu";
  return parse_case(b.dump(), paraderm::testing::shipped_kb(), o);
}

std::string all(const std::vector<InputProblem>& ps) {
  std::string s;
  for (const auto& p : ps) s += p.to_string() + "\n";
  return s;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- medications ----------------------------------------------------------------------------

Json statement(Json medication, const std::string& status = "active") {
  Json r = {{"resourceType", "MedicationStatement"},
            {"status", status},
            {"effectivePeriod", {{"start", "2026-03-01"}}}};
  for (auto& [k, v] : medication.items()) r[k] = v;
  return r;
}

Json by_concept(const std::string& code, const std::string& display) {
  return {{"medicationCodeableConcept", concept_of(kRxNorm, code, display)}};
}

TEST(FhirMedication, IngredientCodeIsMatchedWithoutANameWarning) {
  // kb/biologics.toml dupilumab: RxNorm 1876376 (ingredient).
  auto r = read(bundle({statement(by_concept("1876376", "dupilumab"))}));
  ASSERT_TRUE(r.record) << all(r.problems);
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_EQ(r.record->medications[0].biologic, std::optional<std::string>("dupilumab"));
  EXPECT_FALSE(contains(all(r.record->warnings), "matched by the name"));
}

// Dosage.timing as EHRs send it: repeat frequency per period, or an HL7 GTS code. Before, only
// Dosage.text gave a frequency, so "5 mg, 2 per 1 d" was compared per dose with a renal "5 mg once
// daily" and CURRENT_DOSE_ABOVE did not fire (vignette fhir-tofacitinib-repeat-bid-renal-qd-us).
TEST(FhirMedication, StructuredTimingGivesTheKbFrequency) {
  auto frequency_of = [](const Json& timing, const std::string& text = "") {
    Json s = statement(by_concept("1357536", "tofacitinib"));
    Json dosage = {{"timing", timing}, {"doseAndRate", {{{"doseQuantity", {{"value", 5}}}}}}};
    if (!text.empty()) dosage["text"] = text;
    s["dosage"] = Json::array({dosage});
    auto r = read(bundle({s}));
    EXPECT_TRUE(r.record) << all(r.problems);
    if (!r.record || r.record->medications.empty()) return std::optional<std::string>("?");
    return r.record->medications[0].frequency;
  };
  const Json gts = {{"coding",
                     {{{"system", "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"},
                       {"code", "BID"}}}}};
  using F = std::optional<std::string>;
  EXPECT_EQ(frequency_of({{"repeat", {{"frequency", 2}, {"period", 1}, {"periodUnit", "d"}}}}),
            F("bid"));
  EXPECT_EQ(frequency_of({{"repeat", {{"frequency", 1}, {"period", 12}, {"periodUnit", "h"}}}}),
            F("bid"));
  EXPECT_EQ(frequency_of({{"repeat", {{"frequency", 1}, {"period", 1}, {"periodUnit", "d"}}}}),
            F("qd"));
  EXPECT_EQ(frequency_of({{"code", gts}}), F("bid"));
  // The structured timing wins over the text; a timing that is no KB frequency leaves the text.
  EXPECT_EQ(frequency_of({{"repeat", {{"frequency", 2}, {"period", 1}, {"periodUnit", "d"}}}},
                         "once daily"),
            F("bid"));
  EXPECT_EQ(frequency_of({{"repeat", {{"frequency", 1}, {"period", 1}, {"periodUnit", "mo"}}}},
                         "monthly"),
            F("monthly"));
  EXPECT_EQ(frequency_of({{"repeat", {{"frequency", 3}, {"period", 1}, {"periodUnit", "d"}}}}),
            std::nullopt);  // 8-hourly: no KB dosing interval
  Json other_system = gts;
  other_system["coding"][0]["system"] = "http://example.org/local";
  EXPECT_EQ(frequency_of({{"code", other_system}}), std::nullopt);
}

TEST(FhirMedication, ReferenceToAContainedMedicationIsRead) {
  // A brand clinical-drug (SBD) coding whose code is not in the KB (no confirmed Dupixent SBD code
  // in terminology.md): the brand in its display ("[Dupixent]", kb/biologics.toml brands) names it.
  Json med = {{"resourceType", "Medication"},
              {"id", "med1"},
              {"code", concept_of(kRxNorm, "2200644",
                                  "Dupilumab 300 MG/2ML Prefilled Syringe [Dupixent]")}};
  Json s = statement({{"medicationReference", {{"reference", "#med1"}}}});
  s["contained"] = Json::array({med});
  auto r = read(bundle({s}));
  ASSERT_TRUE(r.record) << all(r.problems);
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_EQ(r.record->medications[0].biologic, std::optional<std::string>("dupilumab"));
  std::string w = all(r.record->warnings);
  EXPECT_TRUE(contains(w, "matched by the name 'dupilumab', 'dupixent'")) << w;
  EXPECT_TRUE(contains(w, "rxnorm \"2200644\" is not in the KB")) << w;

  // Both ways: a reference that resolves to nothing is a warning and no medication.
  Json missing = statement({{"medicationReference", {{"reference", "#nope"}}}});
  auto r2 = read(bundle({missing}));
  ASSERT_TRUE(r2.record) << all(r2.problems);
  EXPECT_TRUE(r2.record->medications.empty());
  EXPECT_TRUE(contains(all(r2.record->warnings), "value \"#nope\": no Medication with this id"));
}

TEST(FhirMedication, ReferenceToABundleMedicationByFullUrlOrTypeAndId) {
  // kb/interaction-classes.toml strong-cyp3a4-inhibitor member ketoconazole, RxNorm 6135.
  Json ket = {{"resourceType", "Medication"},
              {"id", "ket"},
              {"code", concept_of(kRxNorm, "6135", "Ketoconazole")}};
  for (const std::string ref :
       {"urn:uuid:4f7c", "Medication/ket", "http://ehr.example/fhir/Medication/ket"}) {
    auto r = read(bundle({{{"fullUrl", "urn:uuid:4f7c"}, {"resource", ket}},
                          statement({{"medicationReference", {{"reference", ref}}}})}));
    ASSERT_TRUE(r.record) << all(r.problems);
    ASSERT_EQ(r.record->medications.size(), 1u) << ref;
    const auto& cls = r.record->medications[0].classes;
    EXPECT_NE(std::find(cls.begin(), cls.end(), "strong-cyp3a4-inhibitor"), cls.end()) << ref;
    EXPECT_FALSE(contains(all(r.record->warnings), "not referenced")) << ref;
  }
  // A Medication entry nothing refers to is reported, not read.
  auto r = read(bundle({ket}));
  ASSERT_TRUE(r.record);
  EXPECT_TRUE(contains(all(r.record->warnings), "Medication not referenced"));
  EXPECT_TRUE(r.record->medications.empty());
}

TEST(FhirMedication, ClinicalDrugCodeMapsToTheIngredientClass) {
  // kb/interaction-classes.toml: ketoconazole rxnorm-scd 197853 "ketoconazole 200 MG Oral Tablet"
  // (PDDI CDS concept set azole_antifungals.csv).
  auto r = read(bundle({statement(by_concept("197853", "ketoconazole 200 MG Oral Tablet"))}));
  ASSERT_TRUE(r.record);
  ASSERT_EQ(r.record->medications.size(), 1u);
  const auto& cls = r.record->medications[0].classes;
  EXPECT_NE(std::find(cls.begin(), cls.end(), "strong-cyp3a4-inhibitor"), cls.end());
  EXPECT_FALSE(contains(all(r.record->warnings), "matched by the name"));
}

TEST(FhirMedication, IngredientNameInsideAProductTextIsAWordMatchWithAWarning) {
  // An SCD code the KB does not list (fluconazole 150 MG Oral Tablet, seen in the PDDI CDS
  // SCD-SBD.json) still names a KB member as a whole word: fluconazole is in
  // moderate-cyp3a4-and-strong-cyp2c19-inhibitor and strong-cyp2c19-inhibitor.
  auto r = read(bundle({statement(by_concept("197699", "fluconazole 150 MG Oral Tablet"))}));
  ASSERT_TRUE(r.record);
  ASSERT_EQ(r.record->medications.size(), 1u);
  const auto& cls = r.record->medications[0].classes;
  EXPECT_NE(std::find(cls.begin(), cls.end(), "strong-cyp2c19-inhibitor"), cls.end());
  EXPECT_TRUE(contains(all(r.record->warnings), "matched by the name 'fluconazole'"));

  // Not a substring match: "fluconazolex" is no KB word.
  auto r2 = read(bundle({statement(by_concept("999", "fluconazolex 150 MG Oral Tablet"))}));
  ASSERT_TRUE(r2.record) << all(r2.problems);
  ASSERT_EQ(r2.record->medications.size(), 1u);
  EXPECT_TRUE(r2.record->medications[0].classes.empty());
  EXPECT_TRUE(contains(all(r2.record->warnings), "is not in the KB"));
}

TEST(FhirMedication, AnIngredientOfTwoKbProductsInATextIsNotGuessed) {
  // kb/drugs: ruxolitinib (oral) and ruxolitinib-cream share the ingredient ruxolitinib.
  auto r = read(bundle({statement(by_concept("999", "ruxolitinib 15 MG/GM Topical Cream"))}));
  ASSERT_TRUE(r.record) << all(r.problems);
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_FALSE(r.record->medications[0].jak_drug);
  EXPECT_TRUE(contains(all(r.record->warnings), "fit more than one KB product"));
}

TEST(FhirMedication, StatusesFromTheKb) {
  // kb/fhir.toml (FHIR R4 value sets): entered-in-error and not-taken statements, cancelled
  // requests and not-done administrations are not used; on-hold is used with a warning.
  for (const std::string st : {"entered-in-error", "not-taken"}) {
    auto r = read(bundle({statement(by_concept("1876376", "dupilumab"), st)}));
    ASSERT_TRUE(r.record);
    EXPECT_TRUE(r.record->medications.empty()) << st;
    EXPECT_TRUE(
        contains(all(r.record->warnings), "MedicationStatement status \"" + st + "\": not used"))
        << st;
  }
  Json req = {{"resourceType", "MedicationRequest"},
              {"status", "cancelled"},
              {"authoredOn", "2026-10-01"},
              {"medicationCodeableConcept", concept_of(kRxNorm, "6135", "Ketoconazole")}};
  auto r = read(bundle({req}));
  EXPECT_TRUE(r.record->medications.empty());
  Json admin = {{"resourceType", "MedicationAdministration"},
                {"status", "not-done"},
                {"effectiveDateTime", "2026-10-01"},
                {"medicationCodeableConcept", concept_of(kRxNorm, "1876376")}};
  r = read(bundle({admin}));
  EXPECT_TRUE(r.record->medications.empty());

  // Both ways: active, on-hold (warned), completed administrations are used.
  r = read(bundle({statement(by_concept("1876376", "dupilumab"), "on-hold")}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_TRUE(contains(all(r.record->warnings), "status \"on-hold\": used"));
  admin["status"] = "completed";
  r = read(bundle({admin}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_EQ(to_string(*r.record->medications[0].start), "2026-10-01");
  EXPECT_FALSE(
      r.record->medications[0].stop);  // an administration completing is not the therapy ending
  EXPECT_FALSE(contains(all(r.record->warnings), "stop date is unknown"));
}

// kb/fhir.toml: an intended statement, a draft request and a request whose intent is a proposal,
// plan or option are planned (not taken yet); an order is not. Unmapped medications are marked.
TEST(FhirMedication, IntendedDraftAndProposedArePlanned) {
  auto r = read(bundle({statement(by_concept("1876376", "dupilumab"), "intended")}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_TRUE(r.record->medications[0].planned);
  EXPECT_FALSE(r.record->medications[0].taken_on(r.record->as_of));
  EXPECT_TRUE(r.record->medications[0].active_on(r.record->as_of));  // for the interaction rules
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "MedicationStatement status \"intended\": planned, not yet taken"));
  r = read(bundle({statement(by_concept("1876376", "dupilumab"), "active")}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_FALSE(r.record->medications[0].planned);
  EXPECT_TRUE(r.record->medications[0].taken_on(r.record->as_of));

  auto request = [](const char* status, const char* intent) {
    Json q = {{"resourceType", "MedicationRequest"},
              {"status", status},
              {"authoredOn", "2026-10-01"},
              {"medicationCodeableConcept", concept_of(kRxNorm, "1876376", "dupilumab")}};
    if (*intent) q["intent"] = intent;
    return q;
  };
  for (const char* intent : {"proposal", "plan", "option"}) {
    r = read(bundle({request("active", intent)}));
    ASSERT_EQ(r.record->medications.size(), 1u) << intent;
    EXPECT_TRUE(r.record->medications[0].planned) << intent;
    EXPECT_TRUE(contains(all(r.record->warnings),
                         "intent \"" + std::string(intent) + "\": planned, not yet taken"));
  }
  r = read(bundle({request("draft", "order")}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_TRUE(r.record->medications[0].planned);
  for (const char* intent : {"order", "original-order", "instance-order", ""}) {
    r = read(bundle({request("active", intent)}));
    ASSERT_EQ(r.record->medications.size(), 1u) << intent;
    EXPECT_FALSE(r.record->medications[0].planned) << intent;
    EXPECT_FALSE(contains(all(r.record->warnings), "planned")) << intent;
  }
  // A code outside the value set is used as given, with a warning naming it.
  r = read(bundle({request("active", "wish")}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_FALSE(r.record->medications[0].planned);
  EXPECT_TRUE(contains(all(r.record->warnings), "MedicationRequest.intent code"));

  // Mapped vs unmapped.
  EXPECT_FALSE(r.record->medications[0].unmapped);
  r = read(
      bundle({statement({{"medicationCodeableConcept", {{"text", "Biaxin 500 mg tablet"}}}})}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_TRUE(r.record->medications[0].unmapped);
}

TEST(FhirMedication, CompletedOrStoppedEndsAtThePeriodEnd) {
  Json s = statement(by_concept("1876376", "dupilumab"), "completed");
  s["effectivePeriod"]["end"] = "2026-07-15";
  auto r = read(bundle({s}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_EQ(to_string(*r.record->medications[0].stop), "2026-07-15");
  EXPECT_FALSE(r.record->medications[0].active_on(r.record->as_of));

  // No end date: unknown stays unknown (treated as still taken), with a warning.
  r = read(bundle({statement(by_concept("1876376", "dupilumab"), "stopped")}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_FALSE(r.record->medications[0].stop);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "status \"stopped\" (no longer taken) without an end date"));

  // A completed request ends at its dispense validity end.
  Json req = {
      {"resourceType", "MedicationRequest"},
      {"status", "completed"},
      {"authoredOn", "2026-05-01"},
      {"medicationCodeableConcept", concept_of(kRxNorm, "6135", "Ketoconazole")},
      {"dispenseRequest", {{"validityPeriod", {{"start", "2026-05-01"}, {"end", "2026-06-01"}}}}}};
  r = read(bundle({req}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_EQ(to_string(*r.record->medications[0].start), "2026-05-01");
  EXPECT_EQ(to_string(*r.record->medications[0].stop), "2026-06-01");
}

TEST(FhirMedication, PeriodFromTimingBoundsAndDoseFromDoseAndRate) {
  Json req = {
      {"resourceType", "MedicationRequest"},
      {"status", "active"},
      {"authoredOn", "2026-01-01"},
      {"medicationCodeableConcept", concept_of(kRxNorm, "6135", "Ketoconazole")},
      {"dosageInstruction",
       Json::array(
           {{{"text", "200 mg bid"},
             {"timing",
              {{"repeat", {{"boundsPeriod", {{"start", "2026-11-02"}, {"end", "2026-11-30"}}}}}}},
             {"doseAndRate",
              Json::array({{{"doseQuantity", {{"value", 200}, {"unit", "mg"}}}}})}}})}};
  auto r = read(bundle({req}));
  ASSERT_EQ(r.record->medications.size(), 1u);
  const auto& m = r.record->medications[0];
  EXPECT_EQ(to_string(*m.start), "2026-11-02");  // the timing bounds, before authoredOn
  EXPECT_EQ(to_string(*m.stop), "2026-11-30");
  EXPECT_EQ(m.amount, std::optional<double>(200));
  EXPECT_EQ(m.unit, std::optional<std::string>("mg"));
  EXPECT_EQ(m.frequency, std::optional<std::string>("200 mg bid"));

  req["dosageInstruction"][0].erase("timing");
  r = read(bundle({req}));
  EXPECT_EQ(to_string(*r.record->medications[0].start), "2026-01-01");  // authoredOn
}

TEST(FhirMedication, WrongTypedElementsAreWarningsAndTheRestIsRead) {
  // Fuzz finding F2: doseAndRate[0] a number made .value() throw.
  Json s = statement(by_concept("1876376", "dupilumab"));
  s["dosage"] = Json::array({{{"doseAndRate", Json::array({1})}}});
  auto r = read(bundle({s}));
  ASSERT_TRUE(r.record) << all(r.problems);
  ASSERT_EQ(r.record->medications.size(), 1u);
  EXPECT_FALSE(r.record->medications[0].amount);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "dosage[0].doseAndRate[0]: value 1: expected a doseAndRate object"));

  Json bad = {{"resourceType", "MedicationStatement"},
              {"status", "active"},
              {"medicationCodeableConcept", "dupilumab"}};
  r = read(bundle({bad}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       ".medicationCodeableConcept: value \"dupilumab\": expected an object"));
  EXPECT_EQ(r.record->patient.sex, Sex::kFemale);  // the rest of the record is read
}

// ---- observations ---------------------------------------------------------------------------

Json observation(const std::string& loinc, const std::string& status = "final") {
  return {{"resourceType", "Observation"},
          {"status", status},
          {"code", concept_of(kLoinc, loinc)},
          {"effectiveDateTime", "2026-11-10"}};
}

Json alc(double value, const std::string& status) {
  // kb/labs.toml alc: LOINC 731-0, unit cells/uL; 10*9/L -> cells/uL factor 1000.
  Json o = observation("731-0", status);
  o["valueQuantity"] = {
      {"value", value}, {"system", "http://unitsofmeasure.org"}, {"code", "10*9/L"}};
  return o;
}

TEST(FhirObservation, StatusesFromTheKb) {
  for (const std::string st : {"entered-in-error", "cancelled", "registered"}) {
    auto r = read(bundle({alc(0.3, st)}));
    ASSERT_TRUE(r.record);
    EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr) << st;
    EXPECT_TRUE(contains(all(r.record->warnings), "Observation status \"" + st + "\": not used"))
        << st;
  }
  auto r = read(bundle({alc(0.3, "final")}));
  ASSERT_NE(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_DOUBLE_EQ(*r.record->latest("alc", r.record->as_of)->value, 300);
  r = read(bundle({alc(0.3, "preliminary")}));
  EXPECT_NE(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_TRUE(contains(all(r.record->warnings), "Observation status \"preliminary\": used"));
}

// A result of LOINC `loinc`: `value` in UCUM `unit`, taken `when` (a date or a date-time).
Json measured(const std::string& loinc, double value, const std::string& unit,
              const std::string& when) {
  Json o = observation(loinc);
  o["effectiveDateTime"] = when;
  o["valueQuantity"] = {{"value", value}, {"system", "http://unitsofmeasure.org"}, {"code", unit}};
  return o;
}

// kb/labs.toml weight: LOINC 29463-7, unit kg.
Json body_weight(double kg, const std::string& date) { return measured("29463-7", kg, "kg", date); }

// The weight is the latest measurement up to the assessment date, whatever the export's order:
// a 2015 weight listed after this month's used to be the one read.
TEST(FhirObservation, BodyWeightIsTheLatestMeasurementNotTheLastListed) {
  auto r = read(bundle({body_weight(80, "2026-11-18"), body_weight(50, "2015-03-01")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->patient.weight_kg, std::optional<double>(80));
  ASSERT_TRUE(r.record->patient.weight_date);
  EXPECT_EQ(to_string(*r.record->patient.weight_date), "2026-11-18");
  r = read(bundle({body_weight(50, "2015-03-01"), body_weight(80, "2026-11-18")}));
  EXPECT_EQ(r.record->patient.weight_kg, std::optional<double>(80));
  // After the assessment date (Bundle.timestamp 2026-11-20): not the patient's weight then.
  r = read(bundle({body_weight(50, "2015-03-01"), body_weight(80, "2026-12-01")}));
  EXPECT_EQ(r.record->patient.weight_kg, std::optional<double>(50));
  // Two weights of one day that disagree: the lower (fail safe), and said.
  r = read(bundle({body_weight(62, "2026-11-18"), body_weight(60, "2026-11-18")}));
  EXPECT_EQ(r.record->patient.weight_kg, std::optional<double>(60));
  EXPECT_TRUE(contains(all(r.record->warnings), "weight results on 2026-11-18 disagree"))
      << all(r.record->warnings);
}

// Other LOINC terms for the same measurements, as EHRs and labs send them (kb/labs.toml): measured
// weight 3141-9 and measured height 3137-7 / length lying 8306-3, ALT by method or specimen
// (1743-4, 1744-2, 76625-3) and AST with P-5'-P (30239-8). A Dutch record's 3141-9 weight was "not
// in the KB" and Cockcroft-Gault read "missing: weight". A stated weight (3142-7) is not read: no
// dose from a patient's own estimate.
TEST(FhirObservation, MeasuredWeightHeightAndTransaminaseTermsAreRead) {
  auto r = read(bundle(
      {measured("3141-9", 72, "kg", "2026-11-18"), measured("8306-3", 86, "cm", "2026-11-18"),
       measured("1743-4", 31, "U/L", "2026-11-18"), measured("30239-8", 28, "U/L", "2026-11-18")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->patient.weight_kg, std::optional<double>(72));
  const auto* height = r.record->latest("height", r.record->as_of);
  ASSERT_NE(height, nullptr);
  EXPECT_EQ(height->value, std::optional<double>(86));
  const auto* alt = r.record->latest("alt", r.record->as_of);
  ASSERT_NE(alt, nullptr);
  EXPECT_EQ(alt->value, std::optional<double>(31));
  const auto* ast = r.record->latest("ast", r.record->as_of);
  ASSERT_NE(ast, nullptr);
  EXPECT_EQ(ast->value, std::optional<double>(28));
  EXPECT_FALSE(contains(all(r.record->warnings), "not in the KB")) << all(r.record->warnings);
  for (const char* code : {"1744-2", "76625-3"}) {
    r = read(bundle({measured(code, 40, "U/L", "2026-11-18")}));
    ASSERT_NE(r.record->latest("alt", r.record->as_of), nullptr) << code;
  }
  r = read(bundle({measured("3137-7", 181, "cm", "2026-11-18")}));
  ASSERT_NE(r.record->latest("height", r.record->as_of), nullptr);
  // Stated weight: not read, and said.
  r = read(bundle({measured("3142-7", 70, "kg", "2026-11-18")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_FALSE(r.record->patient.weight_kg);
  EXPECT_TRUE(contains(all(r.record->warnings), "lab loinc 3142-7 is not in the KB"))
      << all(r.record->warnings);
}

// A searchset's OperationOutcome entry (search.mode "outcome") is the FHIR server saying the
// search was partial or failed: it was "resource type OperationOutcome is not read", and a record
// the server cut short read as complete. Each issue is now a warning with what the server said.
// A result without a value names its dataAbsentReason code (it printed "").
TEST(FhirBundle, AServersOperationOutcomeSaysTheRecordMayBeIncomplete) {
  Json partial = {
      {"resourceType", "OperationOutcome"},
      {"issue",
       {{{"severity", "warning"}, {"code", "incomplete"}, {"diagnostics", "Some results omitted"}},
        {{"severity", "error"},
         {"code", "too-costly"},
         {"details", {{"text", "Observation search timed out"}}}}}}};
  Json absent = observation("751-8");
  absent["dataAbsentReason"] =
      concept_of("http://terminology.hl7.org/CodeSystem/data-absent-reason", "error");
  auto r = read(bundle({partial, absent}));
  ASSERT_TRUE(r.record) << all(r.problems);
  std::string w = all(r.record->warnings);
  EXPECT_TRUE(contains(w,
                       "issue[0]: the FHIR server reported \"warning\" \"incomplete\" "
                       "(\"Some results omitted\"): the record may be incomplete"))
      << w;
  EXPECT_TRUE(contains(w,
                       "issue[1]: the FHIR server reported \"error\" \"too-costly\" "
                       "(\"Observation search timed out\")"))
      << w;
  EXPECT_FALSE(contains(w, "is not read")) << w;
  EXPECT_TRUE(contains(w, "no value (dataAbsentReason \"error\"): not used")) << w;
  EXPECT_EQ(r.record->latest("anc", r.record->as_of), nullptr);
  // Without issues it still says so; a Bundle without one says nothing of the kind.
  r = read(bundle({Json{{"resourceType", "OperationOutcome"}}}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_TRUE(contains(all(r.record->warnings), "OperationOutcome without issues"));
  r = read(bundle({alc(1.2, "final")}));
  EXPECT_FALSE(contains(all(r.record->warnings), "may be incomplete"));
}

// A differential as EHRs send it, percentages only (LOINC 736-9, 770-8 with the leukocyte count
// 6690-2): the absolute counts are computed from the same sample and said. With times, the
// leukocyte count of the same time is the one used, not another of the day.
TEST(FhirObservation, ADifferentialInPercentGivesTheAbsoluteCountsOfTheSameSample) {
  auto r = read(bundle({measured("6690-2", 5.0, "10*9/L", "2026-11-18T08:00:00Z"),
                        measured("6690-2", 9.0, "10*9/L", "2026-11-18T14:00:00Z"),
                        measured("736-9", 8, "%", "2026-11-18T08:00:00Z"),
                        measured("770-8", 70, "%", "2026-11-18T08:00:00Z")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  const auto* alc = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_TRUE(alc->computed);
  EXPECT_EQ(alc->value, std::optional<double>(400));  // 5000 cells/uL x 8 %
  const auto* anc = r.record->latest("anc", r.record->as_of);
  ASSERT_NE(anc, nullptr);
  EXPECT_EQ(anc->value, std::optional<double>(3500));
  std::string w = all(r.record->warnings);
  EXPECT_TRUE(contains(w, "alc 400 cells/uL computed from wbc 5000 cells/uL x lymphocytes-pct 8 %"))
      << w;
  // No leukocyte count of the same time: nothing computed, and said.
  r = read(bundle({measured("6690-2", 9.0, "10*9/L", "2026-11-18T14:00:00Z"),
                   measured("736-9", 8, "%", "2026-11-18T08:00:00Z")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_TRUE(contains(all(r.record->warnings), "no wbc of the same sample"))
      << all(r.record->warnings);
  // A percentage above 100 is no measurement.
  r = read(bundle({measured("6690-2", 5.0, "10*9/L", "2026-11-18"),
                   measured("736-9", 180, "%", "2026-11-18")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr);
}

// The caller's --as-of wins over Bundle.timestamp (as it does over a native case's as_of), and a
// result dated after the assessment date is said not to be used as a result before it.
TEST(FhirDates, TheCallersAssessmentDateWinsAndLaterResultsAreSaid) {
  Json b = bundle({alc(0.3, "final")});  // Bundle.timestamp 2026-11-20, ALC dated 2026-11-10
  ParseOptions o;
  o.region = "eu";
  o.as_of = paraderm::clinical::parse_date("2026-11-01");
  auto r = parse_case(b.dump(), paraderm::testing::shipped_kb(), o);
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(to_string(r.record->as_of), "2026-11-01");
  EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "alc dated 2026-11-10, after the assessment date 2026-11-01: not used"))
      << all(r.record->warnings);
  // Without --as-of the timestamp gives the date, the result is before it, nothing is said.
  r = read(b);
  EXPECT_EQ(to_string(r.record->as_of), "2026-11-20");
  EXPECT_NE(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_FALSE(contains(all(r.record->warnings), "after the assessment date"));
}

// A lymphocyte percentage (LOINC 736-9, "Lymphocytes/100 leukocytes") is not the absolute count
// the thresholds read: alone (no leukocyte count of the sample) it gives no ALC, and says why.
// With the leukocyte count: ADifferentialInPercentGivesTheAbsoluteCountsOfTheSameSample.
TEST(FhirObservation, ALymphocytePercentageIsNotTheCount) {
  Json pct = observation("736-9");
  pct["valueQuantity"] = {{"value", 28}, {"system", "http://unitsofmeasure.org"}, {"code", "%"}};
  auto r = read(bundle({pct}));
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr);
  const auto* read_pct = r.record->latest("lymphocytes-pct", r.record->as_of);
  ASSERT_NE(read_pct, nullptr);
  EXPECT_EQ(read_pct->value, std::optional<double>(28));
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "lymphocytes-pct 28 % of 2026-11-10: no wbc of the same sample, so alc is "
                       "not computed; record the absolute count"))
      << all(r.record->warnings);
}

Json with_interpretation(Json o, const std::string& code) {
  o["interpretation"] = Json::array({concept_of(kInterpretation, code)});
  return o;
}

const LabResult* lab(const ParseResult& r, const char* id) {
  return r.record->latest(id, r.record->as_of);
}

TEST(FhirObservation, InterpretationGivesTheQualitativeResult) {
  // kb/labs.toml igra: LOINC 71773-6. kb/fhir.toml observation.interpretation POS -> positive,
  // NEG -> negative (HL7 v3-ObservationInterpretationDetected).
  auto r = read(bundle({with_interpretation(observation("71773-6"), "POS")}));
  ASSERT_NE(lab(r, "igra"), nullptr) << all(r.record->warnings);
  EXPECT_EQ(lab(r, "igra")->text, std::optional<std::string>("positive"));
  r = read(bundle({with_interpretation(observation("71773-6"), "NEG")}));
  EXPECT_EQ(lab(r, "igra")->text, std::optional<std::string>("negative"));
  // A numeric IGRA with its interpretation keeps both.
  Json q = with_interpretation(observation("71773-6"), "POS");
  q["valueQuantity"] = {{"value", 0.8}, {"unit", "IU/mL"}};
  r = read(bundle({q}));
  EXPECT_EQ(lab(r, "igra")->text, std::optional<std::string>("positive"));
  EXPECT_EQ(lab(r, "igra")->value, std::optional<double>(0.8));
  // Both ways: H (high) is not a qualitative result; without a value nothing is read.
  r = read(bundle({with_interpretation(observation("71773-6"), "H")}));
  EXPECT_EQ(lab(r, "igra"), nullptr);
  EXPECT_TRUE(
      contains(all(r.record->warnings), "interpretation \"H\" is not a qualitative result"));
}

TEST(FhirObservation, CodedAndStringQualitativeValues) {
  // kb/labs.toml answer_code result-positive SNOMED 10828004, result-negative 260385009
  // (DICOM CID 250); result-not-detected 260415000 "Not detected" (HL7 Germany value set).
  Json hbsag = observation("5195-3");
  hbsag["valueCodeableConcept"] = concept_of(kSnomed, "10828004", "Positive");
  auto r = read(bundle({hbsag}));
  EXPECT_EQ(lab(r, "hbsag")->text, std::optional<std::string>("positive"));
  hbsag["valueCodeableConcept"] = concept_of(kSnomed, "260385009", "Negative");
  r = read(bundle({hbsag}));
  EXPECT_EQ(lab(r, "hbsag")->text, std::optional<std::string>("negative"));

  Json rna = observation("11259-9");  // hcv-rna
  rna["valueString"] = "Not detected";
  r = read(bundle({rna}));
  EXPECT_EQ(lab(r, "hcv-rna")->text, std::optional<std::string>("negative"));
  rna["valueString"] = "see comment";
  r = read(bundle({rna}));
  // Kept as the latest result, unread: never a negative, and no older result stands in for it.
  ASSERT_NE(lab(r, "hcv-rna"), nullptr);
  EXPECT_FALSE(lab(r, "hcv-rna")->text);
  EXPECT_TRUE(lab(r, "hcv-rna")->unusable);
  EXPECT_TRUE(
      contains(all(r.record->warnings), "qualitative result \"see comment\" not understood"));
  // 'Reactive' / 'Non-Reactive' (SNOMED 11214006 / 131194007, HL7 reactive-non-reactive value
  // set): coded or as text.
  hbsag["valueCodeableConcept"] = concept_of(kSnomed, "11214006", "Reactive");
  r = read(bundle({hbsag}));
  EXPECT_EQ(lab(r, "hbsag")->text, std::optional<std::string>("positive"));
  hbsag.erase("valueCodeableConcept");
  hbsag["valueString"] = "Non-Reactive";
  r = read(bundle({hbsag}));
  EXPECT_EQ(lab(r, "hbsag")->text, std::optional<std::string>("negative"));

  // The value wins over a disagreeing interpretation, with a warning.
  Json both = with_interpretation(observation("5195-3"), "POS");
  both["valueCodeableConcept"] = concept_of(kSnomed, "260385009", "Negative");
  r = read(bundle({both}));
  EXPECT_EQ(lab(r, "hbsag")->text, std::optional<std::string>("negative"));
  EXPECT_TRUE(contains(all(r.record->warnings), "disagrees with the value"));
}

TEST(FhirObservation, SmokingStatusIsTheAnswersDeclaredStatus) {
  // LOINC 72166-2 answered from the US Core / IPS smoking status value set; the status is what
  // each SNOMED display states (kb/labs.toml smoking_status), never guessed from a text fragment.
  struct Answer {
    const char* code;
    const char* display;
    SmokingStatus status;
  };
  for (const auto& a :
       {Answer{"449868002", "Current every day smoker", SmokingStatus::kCurrent},
        Answer{"428041000124106", "Current some day smoker", SmokingStatus::kCurrent},
        Answer{"8517006", "Former smoker", SmokingStatus::kFormer},
        Answer{"266919005", "Never smoker", SmokingStatus::kNever},
        // A smoker whose current status is unknown is neither "current" (what the
        // word "current" in its meaning used to read as) nor unknown.
        Answer{"77176002", "Smoker, current status unknown", SmokingStatus::kSmoker},
        Answer{"266927001", "Unknown if ever smoked", SmokingStatus::kUnknown}}) {
    Json o = observation("72166-2");
    o["valueCodeableConcept"] = concept_of(kSnomed, a.code, a.display);
    auto r = read(bundle({o}));
    ASSERT_TRUE(r.record) << a.code;
    EXPECT_EQ(r.record->patient.smoking.status, a.status) << a.code;
  }
  Json o = observation("72166-2");
  o["valueCodeableConcept"] = concept_of(kSnomed, "999999999", "Smokes a pipe");
  auto r = read(bundle({o}));
  EXPECT_EQ(r.record->patient.smoking.status, SmokingStatus::kUnknown);
  EXPECT_TRUE(contains(all(r.record->warnings), "answer code not in the KB: ignored"));
}

// A psoriasiform eruption Condition (onset 2026-09-01) with one more eruption sub-extension.
Json eruption_condition(const std::string& url, const std::string& code) {
  return {{"resourceType", "Condition"},
          {"onsetDateTime", "2026-09-01"},
          {"extension",
           Json::array(
               {{{"url", "https://paraderm.dev/fhir/StructureDefinition/eruption"},
                 {"extension", Json::array({{{"url", "phenotype"}, {"valueCode", "psoriasiform"}},
                                            {{"url", url}, {"valueCode", code}}})}}})}};
}

// The eruption extension's kind is a closed set: a value outside it is named in a warning and
// read as "new" (before, any text was kept and later compared as if it were "new" or "worsened").
TEST(FhirEruption, KindOutsideTheClosedSetIsReportedAndReadAsNew) {
  auto with_kind = [](const std::string& kind) {
    Json c = eruption_condition("kind", kind);
    return read(bundle({c}));
  };
  auto worse = with_kind("worse");
  ASSERT_TRUE(worse.record && worse.record->eruption) << all(worse.problems);
  EXPECT_EQ(worse.record->eruption->kind, EruptionKind::kNew);
  EXPECT_TRUE(contains(all(worse.record->warnings),
                       "extension[eruption].kind: value \"worse\": expected new or worsened"))
      << all(worse.record->warnings);
  auto worsened = with_kind("worsened");
  ASSERT_TRUE(worsened.record && worsened.record->eruption);
  EXPECT_EQ(worsened.record->eruption->kind, EruptionKind::kWorsened);
  EXPECT_FALSE(contains(all(worsened.record->warnings), "expected new or worsened"));
}

// The eruption extension's severity is a grade: "Mild" or "mild-moderate" is named in a warning
// and the Condition's own coded severity is used instead (before, the text was kept and then never
// equalled "mild", so a topical agent read the reaction as beyond mild).
TEST(FhirEruption, SeverityOutsideTheGradesIsReportedAndTheConditionsSeverityUsed) {
  auto with_severity = [](const std::string& grade, bool coded) {
    Json c = eruption_condition("severity", grade);
    // kb/fhir.toml condition.severity: SNOMED 255604002 mild.
    if (coded) c["severity"] = concept_of(kSnomed, "255604002", "Mild");
    return read(bundle({c}));
  };
  auto odd = with_severity("mild-moderate", true);
  ASSERT_TRUE(odd.record && odd.record->eruption) << all(odd.problems);
  EXPECT_EQ(odd.record->eruption->severity, std::optional(kb::SeverityGrade::kMild));
  EXPECT_TRUE(contains(all(odd.record->warnings),
                       "extension[eruption].severity: value \"mild-moderate\": expected mild, "
                       "moderate or severe; the Condition's severity is used"))
      << all(odd.record->warnings);
  auto uncoded = with_severity("Mild", false);
  ASSERT_TRUE(uncoded.record && uncoded.record->eruption);
  EXPECT_FALSE(uncoded.record->eruption->severity.has_value());
  EXPECT_TRUE(contains(all(uncoded.record->warnings),
                       "value \"Mild\": expected mild, moderate or "
                       "severe; ignored"))
      << all(uncoded.record->warnings);
  auto severe = with_severity("severe", true);
  ASSERT_TRUE(severe.record && severe.record->eruption);
  EXPECT_EQ(severe.record->eruption->severity, std::optional(kb::SeverityGrade::kSevere));
  EXPECT_FALSE(contains(all(severe.record->warnings), "expected mild, moderate or severe"));
}

// The causality items are the Naranjo answers yes | no | unknown: "Y" is a warning and unknown.
TEST(FhirEruption, CausalityItemOutsideYesNoUnknownIsReportedAndUnknown) {
  auto with_dechallenge = [](const std::string& answer) {
    Json c = eruption_condition("dechallenge", answer);
    return read(bundle({c}));
  };
  auto y = with_dechallenge("Y");
  ASSERT_TRUE(y.record && y.record->eruption) << all(y.problems);
  EXPECT_EQ(y.record->eruption->dechallenge, "unknown");
  EXPECT_TRUE(contains(all(y.record->warnings),
                       "extension[eruption].dechallenge: value \"Y\": "
                       "expected yes, no or unknown; read as unknown"))
      << all(y.record->warnings);
  auto yes = with_dechallenge("yes");
  ASSERT_TRUE(yes.record && yes.record->eruption);
  EXPECT_EQ(yes.record->eruption->dechallenge, "yes");
  EXPECT_FALSE(contains(all(yes.record->warnings), "expected yes, no or unknown"));
}

TEST(FhirObservation, PregnancyAndBreastfeedingStatus) {
  // LOINC 82810-3 answered by SNOMED 77386006 Pregnant / 60001007 Not pregnant (IPS value set).
  Json preg = observation("82810-3");
  preg["valueCodeableConcept"] = concept_of(kSnomed, "77386006", "Pregnant");
  auto r = read(bundle({preg}));
  EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(true));
  preg["valueCodeableConcept"] = concept_of(kSnomed, "60001007", "Not pregnant");
  r = read(bundle({preg}));
  EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(false));
  EXPECT_FALSE(contains(all(r.record->warnings), "pregnancy status"));
  // kb/labs.toml: the LOINC answer LA15173-0 Pregnant records pregnant too; 146799005 Possible
  // pregnancy records neither (pregnancy_status = "unknown"): unknown, with a warning.
  preg["valueCodeableConcept"] = concept_of(kLoinc, "LA15173-0", "Pregnant");
  r = read(bundle({preg}));
  EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(true));
  // The IPS ConceptMap's other LOINC answers: LA26683-5 Not pregnant (= 60001007) records not
  // pregnant; LA4489-6 Unknown records neither, with the warning and not "not in the KB".
  preg["valueCodeableConcept"] = concept_of(kLoinc, "LA26683-5", "Not pregnant");
  r = read(bundle({preg}));
  EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(false));
  EXPECT_FALSE(contains(all(r.record->warnings), "pregnancy status"));
  preg["valueCodeableConcept"] = concept_of(kLoinc, "LA4489-6", "Unknown");
  r = read(bundle({preg}));
  EXPECT_EQ(r.record->patient.pregnant, std::nullopt);
  EXPECT_TRUE(contains(all(r.record->warnings), "treated as unknown")) << all(r.record->warnings);
  EXPECT_FALSE(contains(all(r.record->warnings), "not in the KB")) << all(r.record->warnings);
  preg["valueCodeableConcept"] = concept_of(kSnomed, "146799005", "Possible pregnancy");
  r = read(bundle({preg}));
  EXPECT_EQ(r.record->patient.pregnant, std::nullopt);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "pregnancy status \"possible-pregnancy\": treated "
                       "as unknown"));
  // LOINC 63895-7 answered by a KB lactation code (169745008 Breastfeeding started).
  Json bf = observation("63895-7");
  bf["valueCodeableConcept"] = concept_of(kSnomed, "169745008", "Breastfeeding started");
  r = read(bundle({bf}));
  EXPECT_EQ(r.record->patient.breastfeeding, std::optional<bool>(true));
  bf["valueCodeableConcept"] = concept_of(kLoinc, "LA-unknown", "No");
  r = read(bundle({bf}));
  EXPECT_FALSE(r.record->patient.breastfeeding);
  EXPECT_TRUE(contains(all(r.record->warnings), "breastfeeding status answer not in the KB"));
}

// A status observation: LOINC question, SNOMED answer, date (and optionally a time).
Json status_observation(const std::string& loinc, const std::string& snomed,
                        const std::string& when) {
  Json o = observation(loinc);
  o["effectiveDateTime"] = when;
  o["valueCodeableConcept"] = concept_of(kSnomed, snomed);
  return o;
}

// The latest status decides, in whichever order the Bundle lists them: a searchset sorted newest
// first (_sort=-date) used to leave the oldest answer in force — a pregnant current smoker read
// as a never-smoker who is not pregnant, and pregnancy contraindications missed.
TEST(FhirObservation, TheLatestSmokingAndPregnancyStatusDecidesWhateverTheOrder) {
  // kb/labs.toml: 77386006 pregnant, 60001007 not pregnant; 449868002 current, 266919005 never.
  Json pregnant_now = status_observation("82810-3", "77386006", "2026-11-18");
  Json not_pregnant_before = status_observation("82810-3", "60001007", "2025-06-01");
  Json smoker_now = status_observation("72166-2", "449868002", "2026-11-18");
  Json never_before = status_observation("72166-2", "266919005", "2020-01-01");
  for (bool newest_first : {true, false}) {
    auto r =
        read(newest_first ? bundle({pregnant_now, not_pregnant_before, smoker_now, never_before})
                          : bundle({not_pregnant_before, pregnant_now, never_before, smoker_now}));
    ASSERT_TRUE(r.record) << all(r.problems);
    EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(true)) << newest_first;
    EXPECT_EQ(r.record->patient.smoking.status, SmokingStatus::kCurrent) << newest_first;
    EXPECT_FALSE(contains(all(r.record->warnings), "disagrees")) << all(r.record->warnings);
  }
  // And the other way round: the latest says not pregnant, an older one pregnant.
  Json pregnant_before = status_observation("82810-3", "77386006", "2025-06-01");
  Json not_pregnant_now = status_observation("82810-3", "60001007", "2026-11-18");
  for (bool newest_first : {true, false}) {
    auto r = read(newest_first ? bundle({not_pregnant_now, pregnant_before})
                               : bundle({pregnant_before, not_pregnant_now}));
    EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(false)) << newest_first;
  }
}

TEST(FhirObservation, StatusesThatDisagreeWithoutAnOrderAreUnknown) {
  // The same day, no times: neither is later -> unknown, with a warning naming the other one.
  auto r = read(bundle({status_observation("82810-3", "77386006", "2026-11-18"),
                        status_observation("82810-3", "60001007", "2026-11-18"),
                        status_observation("72166-2", "449868002", "2026-11-18"),
                        status_observation("72166-2", "266919005", "2026-11-18")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->patient.pregnant, std::nullopt);
  EXPECT_EQ(r.record->patient.smoking.status, SmokingStatus::kUnknown);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "pregnancy status \"not-pregnant\" disagrees with Bundle.entry[1]"))
      << all(r.record->warnings);
  EXPECT_TRUE(contains(all(r.record->warnings), "smoking status")) << all(r.record->warnings);
  // The same answer twice on one day is no disagreement.
  auto same = read(bundle({status_observation("82810-3", "77386006", "2026-11-18"),
                           status_observation("82810-3", "77386006", "2026-11-18")}));
  EXPECT_EQ(same.record->patient.pregnant, std::optional<bool>(true));
  EXPECT_FALSE(contains(all(same.record->warnings), "disagrees"));
  // Times order results of one day: the later one decides.
  auto timed = read(bundle({status_observation("82810-3", "77386006", "2026-11-18T15:00:00Z"),
                            status_observation("82810-3", "60001007", "2026-11-18T08:00:00Z")}));
  EXPECT_EQ(timed.record->patient.pregnant, std::optional<bool>(true));
  EXPECT_FALSE(contains(all(timed.record->warnings), "disagrees"));
  // A later answer settles an earlier disagreement.
  auto settled = read(bundle({status_observation("82810-3", "77386006", "2026-11-10"),
                              status_observation("82810-3", "60001007", "2026-11-10"),
                              status_observation("82810-3", "60001007", "2026-11-18")}));
  EXPECT_EQ(settled.record->patient.pregnant, std::optional<bool>(false));
}

TEST(FhirObservation, MissingDateOrWrongTypedValueIsAWarning) {
  Json o = alc(1.5, "final");
  o.erase("effectiveDateTime");
  auto r = read(bundle({o}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(lab(r, "alc"), nullptr);
  EXPECT_TRUE(contains(all(r.record->warnings), "the observation has no date"));
  o = alc(1.5, "final");
  o["valueQuantity"]["value"] = "1.5";
  r = read(bundle({o}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_TRUE(
      contains(all(r.record->warnings), "valueQuantity.value: value \"1.5\": expected a number"));
  o = alc(1.5, "final");
  o.erase("effectiveDateTime");
  o["effectivePeriod"] = {{"start", "2026-11-09"}};
  r = read(bundle({o}));
  ASSERT_NE(lab(r, "alc"), nullptr);
  EXPECT_EQ(to_string(lab(r, "alc")->date), "2026-11-09");
}

// ---- conditions ------------------------------------------------------------------------------

Json condition(const std::string& system, const std::string& code,
               const std::string& display = "") {
  return {{"resourceType", "Condition"},
          {"code", concept_of(system, code, display)},
          {"onsetDateTime", "2015-01-01"}};
}

Json with_status(Json c, const char* element, const char* system, const std::string& code) {
  c[element] = concept_of(system, code);
  return c;
}

TEST(FhirCondition, VerificationStatusFromTheKb) {
  // kb/fhir.toml condition.verificationstatus: refuted and entered-in-error are not used.
  Json c = condition(kSnomed, "363346000", "Malignant neoplastic disease");
  for (const std::string st : {"refuted", "entered-in-error"}) {
    auto r = read(bundle({with_status(c, "verificationStatus", kVerification, st)}));
    ASSERT_TRUE(r.record);
    EXPECT_TRUE(r.record->conditions.empty()) << st;
    EXPECT_TRUE(
        contains(all(r.record->warnings), "Condition verificationStatus \"" + st + "\": not used"));
  }
  auto r = read(bundle({with_status(c, "verificationStatus", kVerification, "confirmed")}));
  EXPECT_TRUE(r.record->has_condition("malignancy", paraderm::testing::shipped_kb()));
  r = read(bundle({with_status(c, "verificationStatus", kVerification, "provisional")}));
  EXPECT_TRUE(r.record->has_condition("malignancy", paraderm::testing::shipped_kb()));
  EXPECT_TRUE(contains(all(r.record->warnings), "verificationStatus \"provisional\": used"));
}

TEST(FhirCondition, ClinicalStatusAndCourse) {
  // kb/fhir.toml condition.clinicalstatus: recurrence/relapse -> active with that course;
  // inactive/remission/resolved -> resolved.
  Json c = condition(kSnomed, "9014002", "Psoriasis");
  struct Case {
    std::string code, status, course;
  };
  for (const auto& k : {Case{"active", "active", ""}, Case{"recurrence", "active", "recurrence"},
                        Case{"relapse", "active", "relapse"}, Case{"remission", "resolved", ""},
                        Case{"resolved", "resolved", ""}, Case{"inactive", "resolved", ""}}) {
    auto r = read(bundle({with_status(c, "clinicalStatus", kClinical, k.code)}));
    ASSERT_EQ(r.record->conditions.size(), 1u) << k.code;
    EXPECT_EQ(to_string(r.record->conditions[0].status), k.status) << k.code;
    EXPECT_EQ(r.record->conditions[0].course, k.course) << k.code;
  }
}

TEST(FhirCondition, SeverityRecordedSitesNotesAndDates) {
  // kb/fhir.toml condition.severity: SNOMED 24484000 severe (FHIR condition-severity value set).
  Json c = condition(kSnomed, "9014002", "Psoriasis");
  c.erase("onsetDateTime");
  c["severity"] = concept_of(kSnomed, "24484000", "Severe");
  c["recordedDate"] = "2026-09-01";
  c["onsetPeriod"] = {{"start", "2026-06-01"}, {"end", "2026-07-01"}};
  c["abatementPeriod"] = {{"start", "2026-10-01"}};
  c["bodySite"] = Json::array({{{"text", "scalp"}}, concept_of(kSnomed, "76248009", "Elbow")});
  c["note"] = Json::array({{{"text", "started after the third dose"}}});
  c["evidence"] =
      Json::array({{{"code", Json::array({{{"text", "biopsy: psoriasiform hyperplasia"}}})},
                    {"detail", Json::array({{{"display", "Pathology report 12"}}})}}});
  auto r = read(bundle({c}));
  ASSERT_EQ(r.record->conditions.size(), 1u) << all(r.problems);
  const auto& k = r.record->conditions[0];
  EXPECT_EQ(k.severity_grade, std::optional(kb::SeverityGrade::kSevere));
  EXPECT_EQ(to_string(*k.recorded), "2026-09-01");
  EXPECT_EQ(to_string(*k.onset), "2026-06-01");
  EXPECT_EQ(to_string(*k.abatement), "2026-10-01");
  EXPECT_EQ(k.status, ConditionStatus::kResolved);  // no clinicalStatus, abated
  EXPECT_EQ(k.body_sites, (std::vector<std::string>{"scalp", "Elbow"}));
  EXPECT_EQ(k.notes,
            (std::vector<std::string>{"started after the third dose",
                                      "biopsy: psoriasiform hyperplasia", "Pathology report 12"}));
  // Both ways: a severity outside the value set and a non-date onsetString are warnings.
  c["severity"] = concept_of(kSnomed, "371924009", "Moderate to severe");
  c.erase("onsetPeriod");
  c["onsetString"] = "childhood";
  r = read(bundle({c}));
  ASSERT_EQ(r.record->conditions.size(), 1u);
  EXPECT_FALSE(r.record->conditions[0].severity_grade);
  EXPECT_FALSE(r.record->conditions[0].onset);
  std::string w = all(r.record->warnings);
  EXPECT_TRUE(contains(w, "not a code of the FHIR condition-severity value set")) << w;
  EXPECT_TRUE(contains(w, "onsetString: value \"childhood\": not a date")) << w;
  c["onsetString"] = "2019-05-01";
  r = read(bundle({c}));
  EXPECT_EQ(to_string(*r.record->conditions[0].onset), "2019-05-01");
}

TEST(FhirCondition, IcdCodesMatchKbRangesExactCodesFirst) {
  const auto& kb = paraderm::testing::shipped_kb();
  auto disease = [&](const std::string& code) -> std::string {
    auto r = read(bundle({condition(kIcd10cm, code)}));
    return r.record && !r.record->conditions.empty() ? r.record->conditions[0].disease : "";
  };
  // kb/diseases.toml malignancy code_range icd10cm C00..C96 (CDC ICD-10-CM 2025: "Malignant
  // neoplasms (C00-C96)"); C50.912 "Malignant neoplasm of unspecified site of left female breast".
  EXPECT_EQ(disease("C50.912"), "malignancy");
  EXPECT_EQ(disease("c50912"), "malignancy");  // no dot, lower case
  EXPECT_EQ(disease("C00.0"), "malignancy");
  EXPECT_EQ(disease("C96.Z"), "malignancy");
  EXPECT_EQ(disease("C7A.00"), "malignancy");
  EXPECT_EQ(disease("D05.10"), "");  // in situ: outside the section
  EXPECT_EQ(disease("C97"), "");
  // Exact codes before ranges: C85.90 is lymphoma (a child of malignancy).
  EXPECT_EQ(disease("C85.90"), "lymphoma");
  // I26 pulmonary embolism (category) and I82 VTE; A15-A19 tuberculosis.
  EXPECT_EQ(disease("I26.09"), "pulmonary-embolism");
  EXPECT_EQ(disease("I82.401"), "venous-thromboembolism");
  EXPECT_EQ(disease("I80.10"), "");
  EXPECT_EQ(disease("A18.01"), "tuberculosis");
  EXPECT_EQ(disease("A20.0"), "");
  // I21-I22 myocardial infarction and I63 cerebral infarction (ICD10CM_2025_codes.csv): an NSTEMI
  // coded I21.4 read as an unknown condition, never as the PRAC / boxed-warning CV risk it is.
  EXPECT_EQ(disease("I21.4"), "myocardial-infarction");
  EXPECT_EQ(disease("I21.A1"), "myocardial-infarction");
  EXPECT_EQ(disease("I22.2"), "myocardial-infarction");
  EXPECT_EQ(disease("I20.9"), "");  // angina: not an infarction
  EXPECT_EQ(disease("I23.0"), "");  // complications after an MI: outside the categories
  EXPECT_EQ(disease("I63.011"), "stroke");
  EXPECT_EQ(disease("I61.9"), "");  // haemorrhage: not among the KB's stroke codes
  // Cirrhosis by cause (K70.3, K71.7, K74.3-K74.6) and every zoster code (B02): an alcoholic
  // cirrhosis coded K70.30 ran no hepatic rule, a postherpetic B02.29 hid the zoster history.
  EXPECT_EQ(disease("K70.30"), "cirrhosis");
  EXPECT_EQ(disease("K70.31"), "cirrhosis");
  EXPECT_EQ(disease("K71.7"), "cirrhosis");
  EXPECT_EQ(disease("K74.3"), "cirrhosis");
  EXPECT_EQ(disease("K74.69"), "cirrhosis");
  EXPECT_EQ(disease("K74.60"), "cirrhosis");
  EXPECT_EQ(disease("K70.10"), "");  // alcoholic hepatitis: not cirrhosis
  EXPECT_EQ(disease("K74.0"), "");   // fibrosis without cirrhosis
  EXPECT_EQ(disease("K74.2"), "");
  EXPECT_EQ(disease("B02.29"), "herpes-zoster");
  EXPECT_EQ(disease("B02.7"), "herpes-zoster");
  EXPECT_EQ(disease("B01.9"), "");  // varicella
  auto r = read(bundle({condition(kIcd10cm, "C50.912")}));
  EXPECT_TRUE(r.record->has_condition("malignancy", kb));
}

// ICD-10-CM FY2025 index: 'Eczema' -> L30.9 (kb/diseases.toml, cdc-icd10cm-2025-index); L30.2
// (Cutaneous autosensitization) and L30.8 are not eczema rows.
TEST(FhirCondition, IcdL309IsEczema) {
  auto disease = [&](const std::string& code) -> std::string {
    auto r = read(bundle({condition(kIcd10cm, code)}));
    return r.record && !r.record->conditions.empty() ? r.record->conditions[0].disease : "";
  };
  EXPECT_EQ(disease("L30.9"), "eczema");
  EXPECT_EQ(disease("L30.8"), "");
  EXPECT_EQ(disease("L30.2"), "");
}

// European records code in WHO ICD-10 (kb/diseases.toml system icd10, source who-icd10-2019),
// which differs from ICD-10-CM below the category: each system is read with its own rows.
TEST(FhirCondition, WhoIcd10IsReadWithItsOwnCodes) {
  auto disease = [&](const char* system, const std::string& code) -> std::string {
    auto r = read(bundle({condition(system, code)}));
    return r.record && !r.record->conditions.empty() ? r.record->conditions[0].disease : "";
  };
  constexpr const char* kWho = "http://hl7.org/fhir/sid/icd-10";
  EXPECT_EQ(disease(kWho, "L20.9"), "atopic-dermatitis");
  EXPECT_EQ(disease(kWho, "L20.8"), "atopic-dermatitis");
  EXPECT_EQ(disease(kWho, "L409"), "psoriasis");  // without the dot, as some systems send it
  EXPECT_EQ(disease(kWho, "L40.3"), "palmoplantar-pustulosis");
  EXPECT_EQ(disease(kWho, "M07.3"), "psoriatic-arthritis");
  EXPECT_EQ(disease(kWho, "J30.4"), "allergic-rhinitis");  // CM codes it J30.9
  EXPECT_EQ(disease(kWho, "L73.2"), "hidradenitis-suppurativa");
  // Both ways: CM-only subcodes are not WHO codes, and a WHO-only code is not read as CM.
  EXPECT_EQ(disease(kWho, "L20.89"), "");
  EXPECT_EQ(disease(kWho, "L40.50"), "");
  EXPECT_EQ(disease(kIcd10cm, "L20.8"), "");
  EXPECT_EQ(disease(kIcd10cm, "M07.3"), "");
  EXPECT_EQ(disease(kIcd10cm, "L20.89"), "atopic-dermatitis");

  // The safety conditions: a contraindication or a PRAC risk group coded in WHO ICD-10 is read.
  EXPECT_EQ(disease(kWho, "Z33"), "pregnancy");
  EXPECT_EQ(disease(kWho, "Z39.1"), "lactation");
  EXPECT_EQ(disease(kWho, "C50.9"), "malignancy");  // WHO block C00-C97
  EXPECT_EQ(disease(kWho, "C97"), "malignancy");    // WHO only (CM stops at C96)
  // WHO category I21 (its code_range): I21.4 is "Acute subendocardial myocardial infarction".
  EXPECT_EQ(disease(kWho, "I21.4"), "myocardial-infarction");
  EXPECT_EQ(disease(kWho, "I63.5"), "stroke");    // WHO category I63
  EXPECT_EQ(disease(kWho, "I22.0"), "");          // WHO I22 is not among the KB's WHO rows
  EXPECT_EQ(disease(kWho, "C85.9"), "lymphoma");  // its own code before the block
  EXPECT_EQ(disease(kWho, "A16.2"), "tuberculosis");
  EXPECT_EQ(disease(kWho, "I26.9"), "pulmonary-embolism");
  EXPECT_EQ(disease(kWho, "I21"), "myocardial-infarction");
  EXPECT_EQ(disease(kWho, "B22"), "hiv");
  EXPECT_EQ(disease(kWho, "K74.6"), "cirrhosis");
  EXPECT_EQ(disease(kWho, "K70.3"), "cirrhosis");
  EXPECT_EQ(disease(kWho, "K74.4"), "cirrhosis");
  EXPECT_EQ(disease(kWho, "K74.1"), "");  // hepatic sclerosis
  EXPECT_EQ(disease(kWho, "B02.2"), "herpes-zoster");
  EXPECT_EQ(disease(kWho, "D00.0"), "");  // carcinoma in situ is not in C00-C97
  EXPECT_EQ(disease(kIcd10cm, "C97"), "");
}

TEST(FhirCondition, PregnancyAndLactationConditionsSetThePatientState) {
  // kb/diseases.toml pregnancy SNOMED 77386006; lactation ICD-10-CM Z39.1.
  auto r = read(bundle({condition(kSnomed, "77386006", "Pregnant")}));
  EXPECT_EQ(r.record->patient.pregnant, std::optional<bool>(true));
  r = read(bundle(
      {with_status(condition(kSnomed, "77386006"), "clinicalStatus", kClinical, "resolved")}));
  EXPECT_FALSE(r.record->patient.pregnant);  // a past pregnancy is not a current one
  r = read(bundle({condition(kIcd10cm, "Z39.1")}));
  EXPECT_EQ(r.record->patient.breastfeeding, std::optional<bool>(true));
  r = read(bundle({condition(kSnomed, "9014002")}));
  EXPECT_FALSE(r.record->patient.pregnant);
  EXPECT_FALSE(r.record->patient.breastfeeding);
}

// ---- bounds and partial dates, as EHRs send them ----------------------------------------------

// valueQuantity.comparator "<": ALC "< 0.5 x 10^9/L" read as 0.5 would pass the EU "below 0.5"
// do-not-start threshold that the true value is under. It is kept as a bound (in the KB unit),
// never as a value, with a warning; the threshold checks decide from it only where it settles
// the comparison.
TEST(FhirObservation, AComparatorMakesTheValueABound) {
  Json bound = alc(0.5, "final");
  bound["valueQuantity"]["comparator"] = "<";
  auto r = read(bundle({bound}));
  ASSERT_TRUE(r.record) << all(r.problems);
  const auto* lab = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(lab, nullptr);
  EXPECT_FALSE(lab->value);
  ASSERT_TRUE(lab->bound);
  EXPECT_EQ(lab->bound->comparator, clinical::Comparator::kLess);
  EXPECT_DOUBLE_EQ(lab->bound->value, 500);  // cells/uL
  EXPECT_EQ(lab->value_text(), "< 500");
  EXPECT_TRUE(contains(all(r.record->warnings), "valueQuantity.comparator: value \"<\" 0.5"))
      << all(r.record->warnings);
  auto plain = read(bundle({alc(0.5, "final")}));
  ASSERT_NE(plain.record->latest("alc", plain.record->as_of), nullptr);
  EXPECT_DOUBLE_EQ(*plain.record->latest("alc", plain.record->as_of)->value, 500);
  EXPECT_FALSE(plain.record->latest("alc", plain.record->as_of)->bound);
  // "ad" (FHIR: sufficient to achieve this total) is no bound on the value: not used.
  bound["valueQuantity"]["comparator"] = "ad";
  r = read(bundle({bound}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_TRUE(contains(all(r.record->warnings), "not a comparator paraderm can read"))
      << all(r.record->warnings);
}

// Each comparator both ways, at and around the threshold (the strict/non-strict edges are where a
// bound stops settling the comparison).
TEST(LabBound, SettlesAThresholdOnlyWhenItCan) {
  using clinical::Comparator;
  auto bound = [](Comparator c, double v) {
    clinical::LabResult r;
    r.bound = clinical::LabBound{c, v};
    return r;
  };
  const std::optional<bool> yes(true), no(false), unknown;
  struct Row {
    Comparator comparator;
    double bound;
    bool asks_below;  // below(threshold), else above(threshold)
    double threshold;
    std::optional<bool> expected;
  };
  const Row rows[] = {
      {Comparator::kLess, 300, true, 500, yes},  // true < 300 <= 500
      {Comparator::kLess, 500, true, 500, yes},  // true < 500
      {Comparator::kLess, 800, true, 500, unknown},
      {Comparator::kLessOrEqual, 500, true, 500, unknown},  // may equal 500
      {Comparator::kLessOrEqual, 499, true, 500, yes},
      {Comparator::kGreater, 500, true, 500, no},
      {Comparator::kGreaterOrEqual, 500, true, 500, no},
      {Comparator::kGreater, 400, true, 500, unknown},
      {Comparator::kGreater, 60, false, 60, yes},
      {Comparator::kGreaterOrEqual, 60, false, 60, unknown},  // may equal 60
      {Comparator::kGreaterOrEqual, 61, false, 60, yes},
      {Comparator::kGreater, 30, false, 60, unknown},
      {Comparator::kLess, 60, false, 60, no},
      {Comparator::kLessOrEqual, 60, false, 60, no},
      {Comparator::kLess, 90, false, 60, unknown},
  };
  for (const auto& row : rows) {
    auto r = bound(row.comparator, row.bound);
    EXPECT_EQ(row.asks_below ? r.below(row.threshold) : r.above(row.threshold), row.expected)
        << clinical::to_string(row.comparator) << " " << row.bound
        << (row.asks_below ? " below " : " above ") << row.threshold;
  }
  // A value is exact; neither value nor bound: unknown.
  clinical::LabResult exact;
  exact.value = 500;
  EXPECT_EQ(exact.below(500), no);
  EXPECT_EQ(exact.below(501), yes);
  EXPECT_EQ(clinical::LabResult{}.below(500), unknown);
  EXPECT_EQ(clinical::LabResult{}.above(500), unknown);
}

// A CBC panel sent with its counts as components (code + value each, the panel's status and
// date): each component is a result of its own. Before, the panel was "an observation without a
// value" and an ALC of 0.35 x 10^9/L never reached the do-not-start rules.
TEST(FhirObservation, APanelsComponentsAreReadAsResults) {
  Json panel = observation("57021-8");  // CBC W Auto Differential panel (not a KB lab)
  Json alc_component = {{"code", concept_of(kLoinc, "26474-7")},
                        {"valueQuantity", {{"value", 0.35}, {"code", "10*3/uL"}}}};
  Json hb_component = {{"code", concept_of(kLoinc, "718-7")},
                       {"valueQuantity", {{"value", 13.9}, {"code", "g/dL"}}}};
  Json other = {{"code", concept_of(kLoinc, "8480-6")},  // systolic BP: not a KB lab
                {"valueQuantity", {{"value", 120}, {"code", "mm[Hg]"}}}};
  panel["component"] = Json::array({alc_component, hb_component, other, "not an object"});
  auto r = read(bundle({panel}));
  ASSERT_TRUE(r.record) << all(r.problems);
  const auto* lab = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(lab, nullptr);
  EXPECT_DOUBLE_EQ(*lab->value, 350);                       // cells/uL
  EXPECT_EQ(clinical::to_string(lab->date), "2026-11-10");  // the panel's date
  EXPECT_TRUE(contains(lab->pointer, ".component[0]")) << lab->pointer;
  ASSERT_NE(r.record->latest("hb", r.record->as_of), nullptr);
  const std::string w = all(r.record->warnings);
  EXPECT_TRUE(contains(w, "8480-6")) << w;  // not a KB lab: said, not silently dropped
  EXPECT_TRUE(contains(w, ".component[3]: value \"not an object\": expected a component object"))
      << w;
  EXPECT_FALSE(contains(w, "observation without a value")) << w;
  // The panel's status applies to its components.
  panel["status"] = "entered-in-error";
  r = read(bundle({panel}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->latest("alc", r.record->as_of), nullptr);
  // An Observation with its own value is that value; its components are not read as results.
  Json with_value = alc(1.2, "final");
  with_value["component"] = Json::array({hb_component});
  r = read(bundle({with_value}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_DOUBLE_EQ(*r.record->latest("alc", r.record->as_of)->value, 1200);
  EXPECT_EQ(r.record->latest("hb", r.record->as_of), nullptr);
}

// An older usable result never stands in for a newer one that is a bound or cannot be read (an
// unknown unit): "the latest ALC" is the newer one.
TEST(FhirObservation, ANewerUnusableResultIsTheLatest) {
  Json old_alc = alc(1.5, "final");
  old_alc["effectiveDateTime"] = "2024-06-01";
  Json unreadable = observation("731-0");
  unreadable["valueQuantity"] = {{"value", 0.3}, {"unit", "cumm"}};  // no unit paraderm reads
  auto r = read(bundle({old_alc, unreadable}));
  ASSERT_TRUE(r.record) << all(r.problems);
  const auto* lab = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(lab, nullptr);
  EXPECT_EQ(clinical::to_string(lab->date), "2026-11-10");
  EXPECT_FALSE(lab->value);
  EXPECT_TRUE(lab->unusable);
  // Not firing: without the newer result the older one is the latest.
  r = read(bundle({old_alc}));
  ASSERT_NE(r.record->latest("alc", r.record->as_of), nullptr);
  EXPECT_DOUBLE_EQ(*r.record->latest("alc", r.record->as_of)->value, 1500);
}

// FHIR date allows "YYYY" and "YYYY-MM". A birth date to the month gives the age when the whole
// years are the same either way; to the year across a birthday it gives it only when no age limit
// of the KB lies between the two (else the age is unknown, said so).
// A condition onset to the month is read as its first day, with a warning. Before, all three were
// "ignored": a 9-year-old's age was unknown and a new psoriasis had no onset, so no reaction was
// inferred.
TEST(FhirDates, PartialDatesAreReadWithTheirPrecision) {
  Json b = bundle({condition(kSnomed, "9014002")});
  b["entry"][0]["resource"]["birthDate"] = "2017-05";  // assessed 2026-11-20 (Bundle.timestamp)
  b["entry"][1]["resource"]["onsetDateTime"] = "2026-08";
  auto r = read(b);
  ASSERT_TRUE(r.record) << all(r.problems);
  ASSERT_TRUE(r.record->patient.age_years);
  EXPECT_EQ(*r.record->patient.age_years, 9);
  ASSERT_TRUE(r.record->conditions[0].onset);
  EXPECT_EQ(to_string(*r.record->conditions[0].onset), "2026-08-01");
  EXPECT_TRUE(contains(all(r.record->warnings), "a month precision date, read as 2026-08-01"))
      << all(r.record->warnings);

  // 11 or 12 on 2026-11-20, and 12 is an age limit of the KB (upadacitinib's and abrocitinib's
  // minimum age for atopic dermatitis): not known.
  b["entry"][0]["resource"]["birthDate"] = "2014";
  r = read(b);
  EXPECT_FALSE(r.record->patient.age_years);
  ASSERT_TRUE(r.record->patient.possible_ages);
  EXPECT_EQ(*r.record->patient.possible_ages, (std::pair<double, double>{11, 12}));
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "age 11 or 12 on 2026-11-20; the age limit 12 of the KB lies between them"))
      << all(r.record->warnings);
  b["entry"][0]["resource"]["birthDate"] = "1961";  // 64 or 65: the EMA PRAC age >= 65 group
  r = read(b);
  EXPECT_FALSE(r.record->patient.age_years);
  EXPECT_TRUE(contains(all(r.record->warnings), "the age limit 65 of the KB lies between them"))
      << all(r.record->warnings);

  // 67 or 68: no age limit of the KB between them, so every rule reads the same either way; read
  // as 68, the lower creatinine clearance and eGFR.
  b["entry"][0]["resource"]["birthDate"] = "1958";
  r = read(b);
  ASSERT_TRUE(r.record->patient.age_years);
  EXPECT_EQ(*r.record->patient.age_years, 68);
  EXPECT_FALSE(r.record->patient.possible_ages);
  EXPECT_TRUE(contains(all(r.record->warnings), "age 67 or 68 on 2026-11-20; read as 68"))
      << all(r.record->warnings);
  b["entry"][0]["resource"]["birthDate"] = "1958-03";  // 68 either way
  r = read(b);
  ASSERT_TRUE(r.record->patient.age_years);
  EXPECT_EQ(*r.record->patient.age_years, 68);
  EXPECT_FALSE(contains(all(r.record->warnings), "read as 68")) << all(r.record->warnings);

  // A medication's end given to the month is its last day: taken until then, at the latest.
  Json taken = statement({{"medicationCodeableConcept", {{"text", "dupilumab"}}}}, "completed");
  taken["effectivePeriod"] = {{"start", "2025-03"}, {"end", "2026-08"}};
  auto m = read(bundle({taken}));
  ASSERT_TRUE(m.record) << all(m.problems);
  ASSERT_EQ(m.record->medications.size(), 1u);
  EXPECT_EQ(to_string(*m.record->medications[0].start), "2025-03-01");
  EXPECT_EQ(to_string(*m.record->medications[0].stop), "2026-08-31");

  b["entry"][0]["resource"]["birthDate"] = "2017-13";  // not a month
  r = read(b);
  EXPECT_FALSE(r.record->patient.age_years);
  EXPECT_TRUE(contains(all(r.record->warnings), "expected a FHIR date"));
}

// ---- region from the patient's address --------------------------------------------------------

// kb/fhir.toml region_country: the EU-27 and the EEA (EMA centralised authorisation, ISO 3166-1
// alpha-2 / alpha-3) read as eu, US / USA as us; used only when the caller names no region.
ParseResult read_with_address(const std::vector<Json>& addresses,
                              std::optional<std::string> region = {}) {
  Json b = bundle({});
  b["entry"][0]["resource"]["address"] = addresses;
  ParseOptions o;
  o.region = std::move(region);
  return parse_case(b.dump(), paraderm::testing::shipped_kb(), o);
}

std::string region_warning(const ParseResult& r) {
  for (const auto& w : r.record->warnings) {
    if (contains(w.message, "region not given")) return w.pointer + ": " + w.message;
  }
  return "";
}

TEST(FhirRegion, TheAddressCountryGivesTheLabelRegion) {
  for (const char* eu : {"FR", "fra", "DE", "NO", "ISL", "GR"}) {
    auto r = read_with_address({{{"country", eu}}});
    ASSERT_TRUE(r.record) << all(r.problems);
    EXPECT_EQ(r.record->region, "eu") << eu;
    EXPECT_TRUE(contains(region_warning(r), "assessed for \"eu\"")) << region_warning(r);
    EXPECT_TRUE(contains(region_warning(r), "address[0].country")) << region_warning(r);
  }
  auto us = read_with_address({{{"city", "Boston"}, {"country", "USA"}}});
  EXPECT_EQ(us.record->region, "us");
  EXPECT_FALSE(us.record->region_assumed);  // named by the address, not assumed
  EXPECT_TRUE(contains(region_warning(us), "label region of the patient's address"));
}

TEST(FhirRegion, NoInferenceWhenTheCallerNamesTheRegionOrTheAddressDoesNotDecide) {
  // The caller's region wins, and no warning.
  auto given = read_with_address({{{"country", "FR"}}}, "us");
  EXPECT_EQ(given.record->region, "us");
  EXPECT_EQ(region_warning(given), "");
  EXPECT_FALSE(given.record->region_assumed);
  // Switzerland (Swissmedic) and the UK (MHRA) are in no KB region: "us", named in the warning.
  auto ch = read_with_address({{{"country", "CH"}}});
  EXPECT_EQ(ch.record->region, "us");
  EXPECT_TRUE(ch.record->region_assumed);  // REGION_ASSUMED caps every option
  EXPECT_TRUE(contains(region_warning(ch), "\"CH\" is in no KB label region"))
      << region_warning(ch);
  // Addresses in two regions: not decided.
  auto two = read_with_address({{{"country", "FR"}}, {{"country", "US"}}});
  EXPECT_EQ(two.record->region, "us");
  EXPECT_TRUE(two.record->region_assumed);
  EXPECT_TRUE(contains(region_warning(two), "more than one region"));
  // A former address says nothing of today.
  auto old = read_with_address({{{"use", "old"}, {"country", "US"}}, {{"country", "IT"}}});
  EXPECT_EQ(old.record->region, "eu");
  // No address: as before.
  auto none = read_with_address({});
  EXPECT_EQ(none.record->region, "us");
  EXPECT_TRUE(contains(region_warning(none), "assessed for \"us\""));
}

// ---- bad input -------------------------------------------------------------------------------

TEST(FhirBadInput, InvalidJsonNamesLineAndColumn) {
  auto r = parse_case("{\n  \"resourceType\": \"Bundle\",\n  \"entry\": [}\n",
                      paraderm::testing::shipped_kb());
  EXPECT_FALSE(r.record);
  ASSERT_EQ(r.problems.size(), 1u);
  // The '}' that cannot open an array element is line 3, column 13.
  EXPECT_EQ(r.problems[0].pointer, "line 3, column 13") << all(r.problems);
  EXPECT_TRUE(contains(r.problems[0].message, "not valid JSON")) << all(r.problems);
}

TEST(FhirBadInput, NestingBeyondTheLimitIsRejectedBeforeParsing) {
  ParseOptions o;  // max_depth 256: the outer object counts as one level
  std::string at_limit =
      "{\"labs\":" + std::string(o.max_depth - 1, '[') + std::string(o.max_depth - 1, ']') + "}";
  auto r = parse_case(at_limit, paraderm::testing::shipped_kb(), o);
  EXPECT_FALSE(contains(all(r.problems), "nesting deeper")) << all(r.problems);
  std::string deeper =
      "{\"labs\":" + std::string(o.max_depth, '[') + std::string(o.max_depth, ']') + "}";
  r = parse_case(deeper, paraderm::testing::shipped_kb(), o);
  EXPECT_FALSE(r.record);
  // {"labs": is 8 bytes; the 256th '[' (level 257) is column 264.
  EXPECT_TRUE(contains(all(r.problems), "line 1, column 264: nesting deeper than 256 levels"))
      << all(r.problems);
  // Brackets inside strings do not count.
  std::string quoted = "{\"note\":\"" + std::string(1000, '[') + "\"}";
  r = parse_case(quoted, paraderm::testing::shipped_kb(), o);
  EXPECT_FALSE(contains(all(r.problems), "nesting deeper")) << all(r.problems);
}

TEST(FhirBadInput, OnlyAnUnreadableBundleIsAnError) {
  auto r = read(Json{{"resourceType", "Bundle"}, {"entry", "none"}});
  EXPECT_FALSE(r.record);
  EXPECT_TRUE(contains(all(r.problems), "Bundle.entry: missing: expected an array of entries"));
  // Odd shapes anywhere else are warnings: nothing throws, the record is read.
  Json odd = bundle({Json::array({1, 2}),
                     {{"resourceType", "Condition"}, {"code", {{"coding", "C50.912"}}}},
                     {{"resourceType", "Observation"},
                      {"status", 7},
                      {"code", concept_of(kLoinc, "731-0")},
                      {"interpretation", "POS"},
                      {"valueQuantity", 3}},
                     {{"resourceType", "Condition"},
                      {"verificationStatus", {{"coding", Json::array({"x"})}}},
                      {"code", {{"text", "psoriasis"}}},
                      {"bodySite", Json::array({1})}}});
  odd["entry"].push_back(5);
  r = read(odd);
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->patient.sex, Sex::kFemale);
  EXPECT_TRUE(r.record->has_condition("psoriasis", paraderm::testing::shipped_kb()));
  std::string w = all(r.record->warnings);
  EXPECT_TRUE(contains(w, "Bundle.entry[1]: expected an entry with a resource object")) << w;
  EXPECT_TRUE(contains(w, ".code.coding: value \"C50.912\": expected an array")) << w;
  EXPECT_TRUE(contains(w, ".valueQuantity: value 3: expected an object")) << w;
  // One line per problem, though the concept is read for its codes and its text.
  std::size_t n = 0;
  for (const auto& p : r.record->warnings)
    n += contains(p.to_string(), "value \"C50.912\": expected an array");
  EXPECT_EQ(n, 1u) << w;
}

// ---- fuzz findings through the CLI (F1, F2, F6, F9) -----------------------------------------

using paraderm::testing::CliRun;
// Output kept up to 1 MB: a whole JSON report (its warnings come last) fits; an echoed 4 MB
// input would not, and the F6 check is that the name is cut short in the warning.
CliRun run(const std::string& args) { return paraderm::testing::run_cli(args, 1u << 20); }

namespace fs = std::filesystem;

fs::path large_inputs_dir() {
  return fs::temp_directory_path() / ("paraderm_fuzz_" + std::to_string(::getpid()));
}

// The large reproducers, written once per test process by tests/fuzz/make-large-inputs.sh and
// removed when the process ends (about 5 MB).
const fs::path& large_inputs() {
  static const fs::path dir = [] {
    fs::path d = large_inputs_dir();
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(large_inputs_dir(), ec);
    });
    std::string cmd = "bash " + std::string(PARADERM_SOURCE_DIR) +
                      "/tests/fuzz/make-large-inputs.sh " + d.string() + " > /dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return d;
  }();
  return dir;
}

TEST(FuzzFindings, F1DeepNestingExitsTwoWithAMessage) {
  for (const char* name :
       {"native-deep-nesting.json", "fhir-resourceType-deep.json", "deep-labs.json"}) {
    CliRun r = run("assess " + (large_inputs() / name).string());
    EXPECT_EQ(r.exit_code, 2) << name << "\n" << r.output.substr(0, 500);
    EXPECT_TRUE(contains(r.output, "nesting deeper than 256 levels")) << name << "\n"
                                                                      << r.output.substr(0, 500);
  }
}

TEST(FuzzFindings, F2DoseAndRateNotAnObjectIsAWarning) {
  CliRun r = run("assess --format json " + std::string(PARADERM_SOURCE_DIR) +
                 "/tests/fuzz/fhir-doseAndRate-abort.json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "expected a doseAndRate object")) << r.output;
}

TEST(FuzzFindings, F6AFourMegabyteNameIsCheap) {
  auto t0 = std::chrono::steady_clock::now();
  CliRun r = run("assess --format json " + (large_inputs() / "native-4MB-name.json").string());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 500);
  // 20.8 s of edit distances before the length cut-off; well under a second after it.
  EXPECT_LT(seconds, 5.0);
  EXPECT_TRUE(contains(r.output, "(4000000 bytes) is not in the KB")) << r.output.substr(0, 500);
  // The name is quoted in excerpts (warnings, each option's CONDITION_UNKNOWN), never whole: one
  // 4 MB copy per option made a 52 MB answer.
  EXPECT_LT(r.output.size(), 1'000'000u);
}

TEST(FuzzFindings, F9TheSizeLimitIsCheckedBeforeReading) {
  fs::path big =
      fs::temp_directory_path() / ("paraderm_big_" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream(big) << "{";
  }
  fs::resize_file(big, std::uintmax_t{1} << 30);  // sparse: 1 GiB on paper
  CliRun r = run("assess " + big.string());
  fs::remove(big);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "1073741824 bytes: expected at most 4194304 bytes")) << r.output;
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  EXPECT_LT(usage.ru_maxrss, 256L * 1024) << "KiB: the file was read into memory";
}

// ---- whose record: one patient per Bundle ------------------------------------------------------

Json about(Json r, const std::string& reference) {
  r["subject"] = {{"reference", reference}};
  return r;
}

TEST(FhirPatient, ResourcesOfAnotherPatientAreNotRead) {
  // The condition of another patient (a searchset, a merged export) read as this one's would
  // contraindicate or clear options on someone else's data.
  Json own = about(statement(by_concept("1876376", "dupilumab")), "Patient/pt");
  Json absolute = about(statement(by_concept("1876376", "dupilumab")),
                        "https://ehr.example/fhir/Patient/pt/_history/2");
  Json other = about(statement(by_concept("1876376", "dupilumab")), "Patient/someone-else");
  Json not_patient = about(statement(by_concept("1876376", "dupilumab")), "Group/g1");
  auto r = read(bundle({own, absolute, other}));
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->medications.size(), 2u);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "\"Patient/someone-else\": another patient than this record's Patient "
                       "(\"pt\"): not used"))
      << all(r.record->warnings);
  auto g = read(bundle({not_patient}));
  ASSERT_TRUE(g.record) << all(g.problems);
  EXPECT_EQ(g.record->medications.size(), 1u);  // cannot be matched: used, with a warning
  EXPECT_TRUE(contains(all(g.record->warnings), "cannot be matched to this record's Patient"))
      << all(g.record->warnings);
}

TEST(FhirPatient, APatientWithoutAnIdDropsNothing) {
  // Nothing tells another patient apart from this one: the resources are used, with a warning.
  Json b = bundle({about(statement(by_concept("1876376", "dupilumab")), "Patient/123")});
  b["entry"][0]["resource"].erase("id");
  auto r = read(b);
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->medications.size(), 1u);
  EXPECT_TRUE(contains(all(r.record->warnings), "cannot be matched to this record's Patient"))
      << all(r.record->warnings);
}

TEST(FhirPatient, ReferenceByTheFullUrlOfThePatientEntry) {
  Json b = bundle({about(statement(by_concept("1876376", "dupilumab")), "urn:uuid:9f3c")});
  b["entry"][0]["fullUrl"] = "urn:uuid:9f3c";
  auto r = read(b);
  ASSERT_TRUE(r.record) << all(r.problems);
  EXPECT_EQ(r.record->medications.size(), 1u);
  EXPECT_FALSE(contains(all(r.record->warnings), "Patient")) << all(r.record->warnings);
}

TEST(FhirPatient, TwoPatientsAreAProblemNotAMerge) {
  Json second = patient();
  second["id"] = "pt2";
  second["birthDate"] = "1950-01-01";
  auto r = read(bundle({second}));
  EXPECT_FALSE(r.record);
  ASSERT_EQ(r.problems.size(), 1u) << all(r.problems);
  EXPECT_TRUE(contains(r.problems[0].message, "a second patient (the first is \"pt\")"))
      << all(r.problems);
  Json same = patient();  // the same Patient twice (two sources): one patient
  EXPECT_TRUE(read(bundle({same})).record);
}

// ---- results of one day ------------------------------------------------------------------

TEST(FhirDates, InstantNeedsATimeAndAZone) {
  // 2026-11-10 is day 20767 since 1970-01-01: 1 794 268 800 s (Python datetime agrees).
  EXPECT_EQ(parse_instant("2026-11-10T00:00:00Z"), 1794268800);
  EXPECT_EQ(parse_instant("2026-11-10T16:30:00+01:00"), 1794268800 + 15 * 3600 + 30 * 60);
  EXPECT_EQ(parse_instant("2026-11-10T08:10:05.250-05:00"), 1794268800 + 13 * 3600 + 10 * 60 + 5);
  for (const char* no :
       {"2026-11-10", "2026-11-10T16:30:00", "2026-11-10T16:30Z", "2026-11-10T25:00:00Z",
        "2026-11-10T16:30:00+1:00", "2026-11-10T16:30:00+01:00x", "2026-02-30T10:00:00Z"}) {
    EXPECT_EQ(parse_instant(no), std::nullopt) << no;
  }
}

// kb/labs.toml hb: LOINC 718-7, unit g/dL.
Json hb_at(double g_dl, const std::string& when) { return measured("718-7", g_dl, "g/dL", when); }

// Record order is not time order: the later time is the latest result, and two results with
// times apart are no conflict.
TEST(FhirDates, SameDayResultsAreOrderedByTheirTime) {
  auto r = read(
      bundle({hb_at(7.2, "2026-11-10T16:30:00+01:00"), hb_at(13.1, "2026-11-10T08:10:00+01:00")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  const auto* hb = r.record->latest("hb", r.record->as_of);
  ASSERT_NE(hb, nullptr);
  EXPECT_DOUBLE_EQ(*hb->value, 7.2);
  EXPECT_FALSE(hb->disputed);
  EXPECT_FALSE(contains(all(r.record->warnings), "disagree"));
  r = read(
      bundle({hb_at(13.1, "2026-11-10T16:30:00+01:00"), hb_at(7.2, "2026-11-10T08:10:00+01:00")}));
  EXPECT_DOUBLE_EQ(*r.record->latest("hb", r.record->as_of)->value, 13.1);
}

// Disagreeing results of one day with no time to order them are disputed (both) and said; the
// same value sent twice (two feeds) is not.
TEST(FhirDates, SameDayResultsThatDisagreeWithoutTimesAreDisputed) {
  auto r = read(bundle({hb_at(7.2, "2026-11-10"), hb_at(13.1, "2026-11-10")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  int disputed = 0;
  for (const auto& l : r.record->labs) disputed += l.disputed;
  EXPECT_EQ(disputed, 2);
  EXPECT_EQ(r.record->day_as_read(*r.record->latest("hb", r.record->as_of)).size(), 2u);
  EXPECT_DOUBLE_EQ(*r.record->latest_worst("hb", r.record->as_of, false)->value, 7.2);
  EXPECT_DOUBLE_EQ(*r.record->latest_worst("hb", r.record->as_of, true)->value, 13.1);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "2 hb results on 2026-11-10 disagree (7.2 g/dL; 13.1 g/dL)"))
      << all(r.record->warnings);
  // One timed, one not: nothing orders them.
  r = read(bundle({hb_at(7.2, "2026-11-10T16:30:00Z"), hb_at(13.1, "2026-11-10")}));
  EXPECT_TRUE(r.record->latest("hb", r.record->as_of)->disputed);
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "(7.2 g/dL at 16:30 UTC; 13.1 g/dL) and not all have a time of day"))
      << all(r.record->warnings);
  for (const auto& same : {std::pair{"2026-11-10", "2026-11-10"},
                           std::pair{"2026-11-10T09:00:00Z", "2026-11-10T09:00:00Z"}}) {
    r = read(bundle({hb_at(13.1, same.first), hb_at(13.1, same.second)}));
    EXPECT_FALSE(r.record->latest("hb", r.record->as_of)->disputed) << same.first;
    EXPECT_FALSE(contains(all(r.record->warnings), "disagree")) << same.first;
  }
  // Different days are never a conflict.
  r = read(bundle({hb_at(7.2, "2026-11-09"), hb_at(13.1, "2026-11-10")}));
  EXPECT_FALSE(contains(all(r.record->warnings), "disagree"));
}

// A converted value is shown with four significant digits and the entry beside it, never the
// conversion's six ("7.41218 g/dL"); an exact conversion is shown alone.
TEST(FhirObservation, ConvertedValuesAreShownAsAClinicianReadsThem) {
  Json hb = observation("718-7");
  hb["valueQuantity"] = {
      {"value", 4.6}, {"system", "http://unitsofmeasure.org"}, {"code", "mmol/L"}};
  auto r = read(bundle({hb, alc(0.42, "final")}));
  ASSERT_TRUE(r.record) << all(r.problems);
  // kb/labs.toml hb unit_conversion g/dL -> mmol/L x 0.6206: 4.6 / 0.6206 = 7.41218 g/dL.
  EXPECT_EQ(r.record->latest("hb", r.record->as_of)->shown(), "7.412 g/dL (entered as 4.6 mmol/L)");
  EXPECT_EQ(r.record->latest("alc", r.record->as_of)->shown(), "420 cells/uL");
  Json bound = alc(0.3, "final");
  bound["valueQuantity"]["comparator"] = "<";
  r = read(bundle({bound}));
  EXPECT_EQ(r.record->latest("alc", r.record->as_of)->shown(), "< 300 cells/uL");
}

// ---- onsets known as a span -----------------------------------------------------------------

// The span's first and last day (docs/case-format.md); the patient (born 1985-04-02) may come after
// the Condition in the Bundle.
TEST(FhirCondition, OnsetSpans) {
  auto onset_of = [](Json span, bool patient_last = false) {
    Json c = condition(kSnomed, "9014002", "Psoriasis");
    c.erase("onsetDateTime");
    c.update(span);
    Json b = bundle({c});
    if (patient_last) std::swap(b["entry"][0], b["entry"][1]);
    auto r = read(b);
    EXPECT_TRUE(r.record) << all(r.problems);
    const auto& cond = r.record->conditions.at(0);
    return std::pair{cond.onset ? to_string(*cond.onset) : "-",
                     cond.onset_latest ? to_string(*cond.onset_latest) : "-"};
  };
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(onset_of({{"onsetDateTime", "2026-03"}}), P("2026-03-01", "2026-03-31"));
  EXPECT_EQ(onset_of({{"onsetDateTime", "2026"}}), P("2026-01-01", "2026-12-31"));
  EXPECT_EQ(onset_of({{"onsetDateTime", "2026-03-15"}}), P("2026-03-15", "-"));
  EXPECT_EQ(onset_of({{"onsetPeriod", {{"start", "2026-03-10"}, {"end", "2026-04-02"}}}}),
            P("2026-03-10", "2026-04-02"));
  Json age = {
      {"onsetAge", {{"value", 40}, {"system", "http://unitsofmeasure.org"}, {"code", "a"}}}};
  EXPECT_EQ(onset_of(age), P("2025-04-02", "2026-04-01"));
  EXPECT_EQ(onset_of(age, true), P("2025-04-02", "2026-04-01"));
  Json range = {
      {"onsetRange",
       {{"low", {{"value", 10}, {"code", "a"}}}, {"high", {{"value", 12}, {"code", "a"}}}}}};
  EXPECT_EQ(onset_of(range), P("1995-04-02", "1998-04-01"));
  // Not in whole years (UCUM a): not read, said.
  for (Json bad : {Json{{"onsetAge", {{"value", 40}, {"unit", "years"}}}},
                   Json{{"onsetAge", {{"value", 40.5}, {"code", "a"}}}},
                   Json{{"onsetRange",
                         {{"low", {{"value", 12}, {"code", "a"}}},
                          {"high", {{"value", 10}, {"code", "a"}}}}}}}) {
    EXPECT_EQ(onset_of(bad), P("-", "-")) << bad.dump();
  }
  Json c = condition(kSnomed, "9014002", "Psoriasis");
  c.erase("onsetDateTime");
  c.update(age);
  auto r = read(bundle({c}));
  EXPECT_TRUE(contains(all(r.record->warnings),
                       "onset given as an age (40 years): read as between 2025-04-02 and "
                       "2026-04-01"))
      << all(r.record->warnings);
}

// ---- immunizations --------------------------------------------------------------------------

Json immunization_resource(const std::string& cvx, const std::string& status,
                           const std::string& date) {
  Json r = {{"resourceType", "Immunization"},
            {"status", status},
            {"patient", {{"reference", "Patient/pt"}}},
            {"vaccineCode", concept_of("http://hl7.org/fhir/sid/cvx", cvx)}};
  if (!date.empty()) r["occurrenceDateTime"] = date;
  return r;
}

// A record without a CVX code: the WHO ATC code (J07BK02 live zoster), else a KB brand name in the
// text as whole words, said in a warning; a name that is no brand is not guessed.
TEST(FhirImmunization, AtcCodeOrBrandNameWhenThereIsNoCvxCode) {
  auto with_concept = [](const Json& concept_json) {
    Json r = {{"resourceType", "Immunization"},
              {"status", "completed"},
              {"patient", {{"reference", "Patient/pt"}}},
              {"vaccineCode", concept_json},
              {"occurrenceDateTime", "2026-06-01"}};
    return read(bundle({r}));
  };
  auto atc = with_concept(concept_of("http://www.whocc.no/atc", "J07BK02"));
  ASSERT_TRUE(atc.record);
  ASSERT_EQ(atc.record->immunizations.size(), 1u) << all(atc.record->warnings);
  EXPECT_EQ(atc.record->immunizations[0].vaccine, "zoster-live");

  auto named = with_concept({{"text", "SHINGRIX (2nd dose)"}});
  ASSERT_TRUE(named.record);
  ASSERT_EQ(named.record->immunizations.size(), 1u) << all(named.record->warnings);
  EXPECT_EQ(named.record->immunizations[0].vaccine, "zoster-recombinant");
  EXPECT_TRUE(contains(all(named.record->warnings), "by its name; record the CVX code"))
      << all(named.record->warnings);

  for (const char* text : {"Shingles vaccine", "Shingrixx", "zostavaxine"}) {
    auto unread = with_concept({{"text", text}});
    ASSERT_TRUE(unread.record);
    EXPECT_TRUE(unread.record->immunizations.empty()) << text;
    EXPECT_TRUE(contains(all(unread.record->warnings), "is not in the KB")) << text;
  }
}

// kb/vaccines.toml by CVX code; kb/fhir.toml Immunization.status: only a completed dose with a date
// on or before the assessment date is a dose given, and every other one is said.
TEST(FhirImmunization, OnlyAGivenDatedDoseOfAKbVaccineIsRead) {
  auto r = read(bundle({immunization_resource("187", "completed", "2026-06-01"),
                        immunization_resource("121", "completed", "2026-11-01")}));
  ASSERT_TRUE(r.record);
  ASSERT_EQ(r.record->immunizations.size(), 2u) << all(r.problems);
  EXPECT_EQ(r.record->immunizations[0].vaccine, "zoster-recombinant");
  EXPECT_EQ(to_string(r.record->immunizations[0].date), "2026-06-01");
  EXPECT_EQ(r.record->immunizations[1].vaccine, "zoster-live");
  EXPECT_FALSE(contains(all(r.record->warnings), "Immunization")) << all(r.record->warnings);

  struct Unread {
    Json resource;
    std::string says;
  };
  for (const auto& [resource, says] :
       {Unread{immunization_resource("187", "not-done", "2026-06-01"), "\"not-done\": not used"},
        Unread{immunization_resource("187", "entered-in-error", "2026-06-01"),
               "\"entered-in-error\": not used"},
        Unread{immunization_resource("141", "completed", "2026-10-01"), "is not in the KB"},
        Unread{immunization_resource("187", "completed", ""), "missing or not a date"},
        Unread{immunization_resource("187", "completed", "2026-12-01"),
               "after the assessment date"}}) {
    auto u = read(bundle({resource}));
    ASSERT_TRUE(u.record);
    EXPECT_TRUE(u.record->immunizations.empty()) << resource.dump();
    EXPECT_TRUE(contains(all(u.record->warnings), says)) << says << "\n" << all(u.record->warnings);
  }
}

}  // namespace
}  // namespace paraderm::clinical
