// The CDS Hooks services: discovery, patient-view, order-select, order-sign, feedback and the
// prefetch semantics, with plain FHIR fixtures. Expectations come from the KB facts quoted at
// each test (kb/*.toml and the reference notes), never from a program run.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "cds_fixtures.h"
#include "cds_test_support.h"
#include "paraderm/assess.h"
#include "server/cds_hooks.h"

namespace paraderm::server::cds {
namespace {

using namespace paraderm::testing::cds;
using paraderm::testing::shipped_kb;

assess::PathwayCache& cache() {
  static assess::PathwayCache c(shipped_kb());
  return c;
}

// The services called in process (no HTTP), with the assessment date pinned so fixtures do not age.
Services& services(const std::string& region = "us") {
  static std::map<std::string, std::unique_ptr<Services>> s;
  auto& slot = s[region];
  if (!slot) {
    Config c;
    c.kb = &shipped_kb();
    c.cache = &cache();
    c.region = region;
    c.as_of = "2026-11-20";
    slot = std::make_unique<Services>(c);
  }
  return *slot;
}

Json call(const std::string& id, const Json& req, const std::string& region = "us") {
  auto r = services(region).call(id, req.dump(), "http://localhost:8080");
  EXPECT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  expect_card_invariants(j);
  return j;
}

std::vector<Json> with_indicator(const Json& response, const std::string& indicator) {
  std::vector<Json> out;
  for (const auto& c : response["cards"]) {
    if (c["indicator"] == indicator) out.push_back(c);
  }
  return out;
}

bool mentions(const Json& card, const std::string& text) {
  return card.dump().find(text) != std::string::npos;
}

// ---- discovery ---------------------------------------------------------------------------------

TEST(CdsDiscovery, ThreeServicesWithPrefetchAndUsageRequirements) {
  Json d = Json::parse(services().discovery());
  ASSERT_EQ(d["services"].size(), 3u);
  std::map<std::string, std::string> hooks;
  for (const auto& s : d["services"]) {
    hooks[s["id"]] = s["hook"];
    EXPECT_TRUE(s["title"].is_string());
    EXPECT_TRUE(s["description"].is_string());
    EXPECT_TRUE(s["usageRequirements"].is_string());
    EXPECT_EQ(s["prefetch"]["patient"], "Patient/{{context.patientId}}");
    for (const char* key : {"conditions", "medicationStatements", "medicationRequests",
                            "observations", "immunizations"}) {
      EXPECT_TRUE(s["prefetch"].contains(key)) << key;
    }
    EXPECT_EQ(s["prefetch"]["immunizations"], "Immunization?patient={{context.patientId}}");
    // The Medication resources a medicationReference names come in the same searchset.
    EXPECT_EQ(
        s["prefetch"]["medicationRequests"],
        "MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication");
    EXPECT_EQ(s["prefetch"]["medicationStatements"],
              "MedicationStatement?patient={{context.patientId}}&_include=MedicationStatement:"
              "medication");
    EXPECT_NE(std::string(s["usageRequirements"]).find("immunizations is optional"),
              std::string::npos);
    std::string obs = s["prefetch"]["observations"];
    // kb/labs.toml: ALC LOINC 731-0, smoking status 72166-2, pregnancy status 82810-3.
    for (const char* loinc : {"731-0", "72166-2", "82810-3"})
      EXPECT_NE(obs.find(loinc), std::string::npos) << loinc;
    EXPECT_NE(std::string(s["prefetch"]["conditions"]).find("clinical-status=active"),
              std::string::npos);
  }
  EXPECT_EQ(hooks["paraderm-patient-view"], "patient-view");
  EXPECT_EQ(hooks["paraderm-order-select"], "order-select");
  EXPECT_EQ(hooks["paraderm-order-sign"], "order-sign");
}

// ---- patient-view ------------------------------------------------------------------------------

// examples/dupilumab-psoriasis.fhir.json is classified likely (tests/server/api_test.cpp; Naranjo
// probable with the biopsy and exclusion recorded): one warning card.
TEST(CdsPatientView, LikelyReactionIsOneWarningCardWithReasonsAndSources) {
  Json bundle = Json::parse(paraderm::testing::repo_file("examples/dupilumab-psoriasis.fhir.json"));
  Record r;
  for (const auto& e : bundle["entry"]) {
    const Json& res = e["resource"];
    std::string type = res["resourceType"];
    if (type == "Patient")
      r.patient = res;
    else if (type == "Condition")
      r.conditions.push_back(res);
    else if (type == "MedicationStatement")
      r.statements.push_back(res);
    else if (type == "Observation")
      r.observations.push_back(res);
  }
  Json out = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  ASSERT_EQ(out["cards"].size(), 1u) << out.dump(1);
  const Json& c = out["cards"][0];
  EXPECT_EQ(c["indicator"], "warning");
  EXPECT_NE(std::string(c["summary"]).find("Likely"), std::string::npos);
  EXPECT_NE(std::string(c["summary"]).find("dupilumab"), std::string::npos);
  EXPECT_TRUE(mentions(c, "PR_CULPRIT_ACTIVE"));
  EXPECT_TRUE(mentions(c, "https://"));  // a source link
  EXPECT_TRUE(c["source"]["url"].is_string());
}

// docs/assessment.md §1: a reaction inferred from a standard record "with nothing else recorded
// scores 3 (q1 + q2): possible" -> an info card. Psoriasis (SNOMED 9014002) began after dupilumab
// (RxNorm 1876376, kb/biologics.toml) was started, while it was taken.
TEST(CdsPatientView, PossibleReactionFromPlainFhirIsInfo) {
  Record r;
  r.conditions = {atopic_dermatitis(), psoriasis("2026-06-10")};
  r.statements = {statement("dupi", rx("1876376", "dupilumab"), "2026-03-01")};
  r.observations = normal_labs();
  Json out = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  ASSERT_EQ(out["cards"].size(), 1u) << out.dump(1);
  EXPECT_EQ(out["cards"][0]["indicator"], "info");
  EXPECT_NE(std::string(out["cards"][0]["summary"]).find("Possible"), std::string::npos);
  EXPECT_TRUE(mentions(out["cards"][0], "PR_INFERRED_FROM_CONDITION"));
  // The condition is named where the EHR sent it, not by the assembled Bundle's index.
  EXPECT_TRUE(mentions(out["cards"][0], "prefetch.conditions.entry"));
  EXPECT_FALSE(mentions(out["cards"][0], "Bundle.entry"));
}

// EHRs (Epic among them) send MedicationRequests that name the product through
// medicationReference, with the Medication resources included in the searchset (the _include of
// the discovery templates). Both ways: without the included Medication the dupilumab is unknown
// and there is no reaction card, only what the reader could not resolve.
TEST(CdsPatientView, AMedicationReferenceIsResolvedFromTheIncludedMedication) {
  Record r;
  r.conditions = {atopic_dermatitis(), psoriasis("2026-06-10")};
  r.observations = normal_labs();
  Json order = {{"resourceType", "MedicationRequest"},
                {"id", "mr1"},
                {"status", "active"},
                {"intent", "order"},
                {"subject", {{"reference", "Patient/pt"}}},
                {"medicationReference", {{"reference", "Medication/med-dupi"}}},
                {"authoredOn", "2026-03-01"}};
  Json medication = {
      {"resourceType", "Medication"}, {"id", "med-dupi"}, {"code", rx("1876376", "dupilumab")}};
  r.requests = {order};
  Json without = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  EXPECT_TRUE(without["cards"].empty()) << without.dump(1);
  Json pf = prefetch(r);
  pf["medicationRequests"]["entry"].push_back({{"fullUrl", "urn:uuid:med-dupi"},
                                               {"resource", medication},
                                               {"search", {{"mode", "include"}}}});
  Json with = call("paraderm-patient-view", request("patient-view", pf));
  ASSERT_EQ(with["cards"].size(), 1u) << with.dump(1);
  EXPECT_TRUE(mentions(with["cards"][0], "PR_INFERRED_FROM_CONDITION"));
  EXPECT_TRUE(mentions(with["cards"][0], "dupilumab"));
}

// A FHIR server's OperationOutcome among a searchset's entries (results omitted) is a record note
// on the card: it was dropped silently, and a partial record read as complete.
TEST(CdsPrefetch, AnOperationOutcomeEntryIsARecordNote) {
  Record r;
  r.conditions = {atopic_dermatitis(), psoriasis("2026-06-10")};
  r.statements = {statement("dupi", rx("1876376", "dupilumab"), "2026-03-01")};
  r.observations = normal_labs();
  Json pf = prefetch(r);
  pf["observations"]["entry"].push_back(
      {{"resource",
        {{"resourceType", "OperationOutcome"},
         {"issue", Json::array({{{"severity", "warning"},
                                 {"code", "incomplete"},
                                 {"diagnostics", "Some Observation results were omitted"}}})}}},
       {"search", {{"mode", "outcome"}}}});
  Json out = call("paraderm-patient-view", request("patient-view", pf));
  ASSERT_EQ(out["cards"].size(), 1u) << out.dump(1);
  EXPECT_TRUE(mentions(out["cards"][0], "the record may be incomplete")) << out.dump(1);
  EXPECT_TRUE(mentions(out["cards"][0], "prefetch.observations.entry")) << out.dump(1);
  Json plain = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  ASSERT_EQ(plain["cards"].size(), 1u);
  EXPECT_FALSE(mentions(plain["cards"][0], "the record may be incomplete"));
}

TEST(CdsPatientView, NothingToSayIsNoCard) {
  Record r;
  r.conditions = {atopic_dermatitis()};
  r.statements = {statement("dupi", rx("1876376", "dupilumab"), "2026-03-01")};
  r.observations = normal_labs();
  Json out = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  EXPECT_EQ(out["cards"].size(), 0u) << out.dump(1);
}

// A reaction the record cannot place is shown as not assessed, not as "nothing found": psoriasis
// (a published paradoxical reaction to IL-4Ra inhibitors, kb/paradoxical.toml) 9 days after
// dupilumab's recorded stop (PR_AFTER_STOP: the KB holds no elimination time) is one info card.
TEST(CdsPatientView, AReactionThatCannotBePlacedIsAnInfoCardNotSilence) {
  Record r;
  r.conditions = {atopic_dermatitis(), psoriasis("2026-03-10")};
  Json dupi = statement("dupi", rx("1876376", "dupilumab"), "2025-06-01");
  dupi["status"] = "completed";
  dupi["effectivePeriod"]["end"] = "2026-03-01";
  r.statements = {dupi};
  r.observations = normal_labs();
  Json out = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  ASSERT_EQ(out["cards"].size(), 1u) << out.dump(1);
  const Json& c = out["cards"][0];
  EXPECT_EQ(c["indicator"], "info");
  EXPECT_TRUE(mentions(c, "PR_AFTER_STOP")) << c.dump(1);
  EXPECT_TRUE(mentions(c, "9 days after")) << c.dump(1);

  // Both ways: taken through the onset, it is the classified reaction's card, not this one.
  r.statements[0]["effectivePeriod"]["end"] = "2026-04-01";
  out = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  ASSERT_EQ(out["cards"].size(), 1u) << out.dump(1);
  EXPECT_FALSE(mentions(out["cards"][0], "PR_AFTER_STOP")) << out.dump(1);
  EXPECT_TRUE(mentions(out["cards"][0], "paradoxical psoriasiform reaction to")) << out.dump(1);
}

// kb/drugs/tofacitinib.toml (US, S9): ALC below 500 cells/uL -> discontinue. 0.4 x 10^9/L is
// 400 cells/uL, measured after the start: a critical card. 1.6 x 10^9/L crosses nothing.
TEST(CdsPatientView, JakWithCrossedLabThresholdIsCritical) {
  Record r;
  r.conditions = {condition("ra", "69896004", "Rheumatoid arthritis", "2015-01-01")};
  r.statements = {statement("tofa", Json{{"text", "tofacitinib"}}, "2026-06-01")};
  r.observations = {lab("alc", "731-0", 0.4, "10*9/L", "2026-11-01")};
  Json out = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  auto critical = with_indicator(out, "critical");
  ASSERT_EQ(critical.size(), 1u) << out.dump(1);
  EXPECT_TRUE(mentions(critical[0], "LAB_DISCONTINUE"));
  EXPECT_NE(std::string(critical[0]["summary"]).find("Tofacitinib"), std::string::npos);

  r.observations = {lab("alc", "731-0", 1.6, "10*9/L", "2026-11-01")};
  Json fine = call("paraderm-patient-view", request("patient-view", prefetch(r)));
  EXPECT_EQ(with_indicator(fine, "critical").size(), 0u) << fine.dump(1);
}

// ---- order-select / order-sign -----------------------------------------------------------------

Record ad_adult() {
  Record r;
  r.conditions = {atopic_dermatitis()};
  r.observations = normal_labs();
  return r;
}

const Json* dose_card(const Json& out) {
  for (const auto& c : out["cards"]) {
    if (c.contains("suggestions")) return &c;
  }
  return nullptr;
}

// An adult with atopic dermatitis on ketoconazole (RxNorm SCD 197853, a strong CYP3A4 inhibitor
// in kb/interaction-classes.toml) since 2026-11-01.
Record ad_adult_on_ketoconazole() {
  Record r = ad_adult();
  r.requests = {Json{{"resourceType", "MedicationRequest"},
                     {"id", "keto"},
                     {"status", "active"},
                     {"intent", "order"},
                     {"medicationCodeableConcept", rx("197853", "ketoconazole 200 MG Oral Tablet")},
                     {"authoredOn", "2026-11-01"}}};
  return r;
}

// tests/vignettes/fhir-std-ketoconazole-scd-tofacitinib-us.json (kb/drugs/tofacitinib.toml US
// strong-cyp3a4-inhibitor: dose 5 mg QD; ketoconazole RxNorm SCD 197853 in
// kb/interaction-classes.toml): ordering 5 mg BID with ketoconazole gives a suggestion updating the
// order to 5 mg QD.
TEST(CdsOrderSelect, OrderedDoseAboveTheAdjustedDoseGetsAnUpdateSuggestion) {
  Record r = ad_adult_on_ketoconazole();
  Json order = draft("tofa-order", Json{{"text", "tofacitinib"}}, 5, "BID");
  Json out = call("paraderm-order-select", request("order-select", prefetch(r), {order}));
  const Json* c = dose_card(out);
  ASSERT_TRUE(c) << out.dump(1);
  EXPECT_EQ((*c)["selectionBehavior"], "at-most-one");
  EXPECT_FALSE((*c)["overrideReasons"].empty());
  const Json& action = (*c)["suggestions"][0]["actions"][0];
  EXPECT_EQ(action["type"], "update");
  EXPECT_EQ(action["resource"]["id"], "tofa-order");
  const Json& dosage = action["resource"]["dosageInstruction"][0];
  EXPECT_EQ(dosage["doseAndRate"][0]["doseQuantity"]["value"], 5);
  EXPECT_EQ(dosage["timing"]["code"]["coding"][0]["code"], "QD");
  EXPECT_EQ(dosage["timing"]["repeat"]["frequency"], 1);

  // The adjusted dose ordered: no suggestion.
  Json same = call("paraderm-order-select",
                   request("order-select", prefetch(r),
                           {draft("tofa-order", Json{{"text", "tofacitinib"}}, 5, "QD")}));
  EXPECT_EQ(dose_card(same), nullptr) << same.dump(1);
}

// An EHR may send the timing as Timing.repeat only: its interval is matched to a KB
// dosing-interval constant (kb/formulas.toml: bid = 12 h, qd = 24 h). The same patient as above
// (tofacitinib with ketoconazole: 5 mg QD): 5 mg twice a day differs, 5 mg every 24 h does not.
// The cards' label region: the operator's --cds-region when given, else the patient's address as
// for any FHIR record (kb region_country), else "us" with REGION_ASSUMED on every option. Before,
// an unset --cds-region meant "us": a German patient's baricitinib order was checked against the
// US label without a word (OFF_LABEL for AD, no EU GI-perforation caution for her diverticulitis,
// kb/drugs/baricitinib.toml drug.warning gi-perforation, S12).
TEST(CdsOrderSelect, RegionIsThePatientsAddressUnlessTheServerSetsOne) {
  Record r = ad_adult();
  r.conditions.push_back(
      condition("div", "4494009", "Diverticulitis of large intestine", "2024-02-01", "resolved"));
  r.patient["address"] = Json::array({{{"country", "DE"}}});
  const Json order = draft("bari", Json{{"text", "baricitinib"}}, 4, "QD");
  Json eu = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "");
  EXPECT_TRUE(mentions(eu, "GI_PERFORATION_RISK")) << eu.dump(1);
  EXPECT_FALSE(mentions(eu, "OFF_LABEL")) << eu.dump(1);
  EXPECT_FALSE(mentions(eu, "REGION_ASSUMED")) << eu.dump(1);

  Json us = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "us");
  EXPECT_FALSE(mentions(us, "GI_PERFORATION_RISK")) << us.dump(1);
  EXPECT_TRUE(mentions(us, "gi-perforation rule of Baricitinib for us unknown")) << us.dump(1);
  EXPECT_FALSE(mentions(us, "REGION_ASSUMED")) << us.dump(1);

  r.patient.erase("address");
  Json none = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "");
  EXPECT_TRUE(mentions(none, "REGION_ASSUMED")) << none.dump(1);
}

// How the record was read goes on the first card of the order. An EU patient whose EHR sends the
// birth year only (1951: 74 or 75 on 2026-11-20, read as 75, case build.cpp): the caution card
// said "age 75" with no word that the age was inferred; the notes are on it now, once per order
// (not again on the plan card), and a record read as given has none.
TEST(CdsOrderSelect, HowTheRecordWasReadIsOnTheFirstCardOfTheOrder) {
  Record r = ad_adult();
  r.patient["address"] = Json::array({{{"country", "DE"}}});
  r.patient["birthDate"] = "1951";
  const Json order = draft("bari", Json{{"text", "baricitinib"}}, 4, "QD");
  Json out = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "eu");
  const auto warnings = with_indicator(out, "warning");
  const Json* cautions = nullptr;
  for (const auto& c : warnings) {
    if (mentions(c["summary"], "caution(s) for this patient")) cautions = &c;
  }
  ASSERT_TRUE(cautions) << out.dump(1);
  EXPECT_TRUE(mentions(*cautions, "PRAC_AGE_65")) << cautions->dump(1);
  EXPECT_TRUE(mentions(*cautions, "Record notes")) << cautions->dump(1);
  EXPECT_TRUE(mentions(*cautions, "age 74 or 75 on 2026-11-20; read as 75")) << cautions->dump(1);
  std::size_t noted = 0;
  for (const auto& c : out["cards"]) noted += mentions(c, "Record notes") ? 1 : 0;
  EXPECT_EQ(noted, 1u) << out.dump(1);

  r.patient["birthDate"] = "1951-02-03";
  Json given = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "eu");
  EXPECT_TRUE(mentions(given, "PRAC_AGE_65")) << given.dump(1);
  EXPECT_FALSE(mentions(given, "Record notes")) << given.dump(1);
}

TEST(CdsOrderSelect, TimingRepeatWithoutACodeIsReadAsTheKbFrequency) {
  Record r = ad_adult_on_ketoconazole();
  auto repeat_only = [](const Json& repeat) {
    Json order = draft("tofa-order", Json{{"text", "tofacitinib"}}, 5);
    order["dosageInstruction"][0]["timing"] = {{"repeat", repeat}};
    return order;
  };
  Json twice = call("paraderm-order-select",
                    request("order-select", prefetch(r),
                            {repeat_only({{"frequency", 2}, {"period", 1}, {"periodUnit", "d"}})}));
  const Json* c = dose_card(twice);
  ASSERT_TRUE(c) << twice.dump(1);
  EXPECT_NE((*c)["detail"].get<std::string>().find("BID"), std::string::npos) << (*c).dump(1);
  Json daily =
      call("paraderm-order-select",
           request("order-select", prefetch(r),
                   {repeat_only({{"frequency", 1}, {"period", 24}, {"periodUnit", "h"}})}));
  EXPECT_EQ(dose_card(daily), nullptr) << daily.dump(1);
}

// kb/drugs/upadacitinib.toml: EU pregnancy "Contraindicated in pregnancy." (S15) -> critical;
// US pregnancy action caution (S14) -> no critical card, a warning naming PREGNANCY.
TEST(CdsOrderSelect, ContraindicationIsCriticalAndCautionIsWarning) {
  Record r = ad_adult();
  r.patient = patient("female", "1994-02-01");
  // Pregnancy status LOINC 82810-3 answered Pregnant SNOMED 77386006 (kb/labs.toml answers).
  r.observations.push_back(coded_observation("preg", "82810-3", "77386006", "2026-11-15"));
  Json order = draft("upa", Json{{"text", "upadacitinib"}}, 15);
  Json eu = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "eu");
  auto critical = with_indicator(eu, "critical");
  ASSERT_EQ(critical.size(), 1u) << eu.dump(1);
  EXPECT_TRUE(mentions(critical[0], "PREGNANCY"));
  EXPECT_EQ(dose_card(eu), nullptr);  // no dose for a contraindicated drug

  Json us = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "us");
  EXPECT_EQ(with_indicator(us, "critical").size(), 0u) << us.dump(1);
  bool warned = false;
  for (const auto& c : with_indicator(us, "warning")) warned = warned || mentions(c, "PREGNANCY");
  EXPECT_TRUE(warned) << us.dump(1);
  // A plan card (screening and monitoring) is info.
  EXPECT_FALSE(with_indicator(us, "info").empty());
}

// A pregnant patient (positive urine hCG, LOINC 2106-3) without a smoking status: the caution
// card's headline names the finding about her before what could not be assessed (it read
// "(SMOKING_UNKNOWN)").
TEST(CdsOrderSelect, CautionHeadlineNamesFindingsBeforeWhatIsNotAssessed) {
  Record r = ad_adult();
  r.patient = patient("female", "1994-02-01");
  std::erase_if(r.observations, [](const Json& o) { return o.value("id", "") == "smoke"; });
  r.observations.push_back(coded_observation("hcg", "2106-3", "10828004", "2026-11-15"));
  Json order = draft("upa", Json{{"text", "upadacitinib"}}, 15);
  Json us = call("paraderm-order-select", request("order-select", prefetch(r), {order}), "us");
  std::string headline;
  for (const auto& c : with_indicator(us, "warning")) {
    std::string s = c["summary"];
    if (s.find("caution(s)") != std::string::npos) headline = s;
  }
  ASSERT_FALSE(headline.empty()) << us.dump(1);
  auto pregnancy = headline.find("PREGNANCY"), smoking = headline.find("SMOKING_UNKNOWN");
  ASSERT_NE(pregnancy, std::string::npos) << headline;
  ASSERT_NE(smoking, std::string::npos) << headline;
  EXPECT_LT(pregnancy, smoking) << headline;
  EXPECT_LT(headline.size(), 140u);
}

// kb/drugs/abrocitinib.toml: US interaction with strong-cyp3a4-inhibitor has rule_status not-found
// -> RULE_UNKNOWN when the patient takes ketoconazole (docs/reason-codes.md: "an interaction
// class when the patient takes one of its members"); without it that category is not unknown.
TEST(CdsOrderSign, RuleUnknownIsAWarningCard) {
  Record r = ad_adult();
  Json keto = statement("keto", rx("6135", "ketoconazole"), "2026-11-01");
  Json order = draft("abro", Json{{"text", "abrocitinib"}}, 100);
  r.statements = {keto};
  Json out = call("paraderm-order-sign", request("order-sign", prefetch(r), {order}));
  bool unknown_interaction = false;
  for (const auto& c : with_indicator(out, "warning")) {
    unknown_interaction = unknown_interaction ||
                          (mentions(c, "RULE_UNKNOWN") && mentions(c, "strong-cyp3a4-inhibitor"));
  }
  EXPECT_TRUE(unknown_interaction) << out.dump(1);

  r.statements.clear();
  Json without = call("paraderm-order-sign", request("order-sign", prefetch(r), {order}));
  for (const auto& c : without["cards"])
    EXPECT_FALSE(mentions(c, "strong-cyp3a4-inhibitor")) << c.dump(1);
}

// kb/paradoxical.toml: dupilumab x psoriasiform, incidence 43% among patients with pre-existing
// psoriasis (trave-2023). Ordering dupilumab for a patient whose record holds psoriasis: a warning
// card with the incidence and its source; without psoriasis, none.
TEST(CdsOrderSelect, BiologicWithPublishedPatternForTheOppositeDisease) {
  Record r = ad_adult();
  r.conditions.push_back(psoriasis("2014-06-01"));
  Json order = draft("dupi-order", rx("1876376", "dupilumab"), 300, "QD");
  Json out = call("paraderm-order-select", request("order-select", prefetch(r), {order}));
  bool found = false;
  for (const auto& c : with_indicator(out, "warning")) {
    if (mentions(c, "43") && mentions(c, "Psoriasis") && mentions(c, "psoriasiform")) found = true;
  }
  EXPECT_TRUE(found) << out.dump(1);

  Json none = call("paraderm-order-select", request("order-select", prefetch(ad_adult()), {order}));
  EXPECT_EQ(none["cards"].size(), 0u) << none.dump(1);
}

// The request shape of the public CDS Hooks example services' order-select tests
// (cds-hooks/sandbox-cds-services tests/stubs): no hookInstance, no userId, a draftOrders Bundle
// without a type, a MedicationRequest coded only by RxNorm with a display, no dosage. Tofacitinib
// is RxNorm ingredient 1357536 (kb/drugs/tofacitinib.toml); not approved for AD, so OFF_LABEL
// (caution, docs/reason-codes.md) gives a warning card; with no ordered dose there is nothing to
// compare, so no suggestion.
TEST(CdsOrderSelect, ExampleServicesRequestShape) {
  Json med = {{"resourceType", "MedicationRequest"},
              {"id", "123"},
              {"subject", {{"reference", "Patient/pt"}}},
              {"medicationCodeableConcept",
               {{"coding", Json::array({{{"display", "Some Arbitrary Medication"},
                                         {"system", "http://www.nlm.nih.gov/research/umls/rxnorm"},
                                         {"code", "1357536"}}})}}}};
  Json req = {{"hook", "order-select"},
              {"context",
               {{"patientId", "pt"},
                {"selections", Json::array({"MedicationRequest/123"})},
                {"draftOrders",
                 {{"resourceType", "Bundle"}, {"entry", Json::array({{{"resource", med}}})}}}}},
              {"prefetch", prefetch(ad_adult())}};
  Json out = call("paraderm-order-select", req);
  bool off_label = false;
  for (const auto& c : with_indicator(out, "warning"))
    off_label = off_label || mentions(c, "OFF_LABEL");
  EXPECT_TRUE(off_label) << out.dump(1);
  EXPECT_EQ(dose_card(out), nullptr);
  // draftOrders as a bare array (a wrong shape in the same stubs): 400 naming it.
  req["context"]["draftOrders"] = Json::array({{{"resource", med}}});
  auto r = services().call("paraderm-order-select", req.dump(), "http://localhost");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("context.draftOrders"), std::string::npos);
}

// order-select answers for the selected orders only (context.selections).
TEST(CdsOrderSelect, OnlySelectedOrdersAreChecked) {
  Record r = ad_adult();
  Json req =
      request("order-select", prefetch(r), {draft("upa", Json{{"text", "upadacitinib"}}, 15)});
  req["context"]["selections"] = Json::array({"MedicationRequest/other"});
  Json out = call("paraderm-order-select", req);
  EXPECT_EQ(out["cards"].size(), 0u) << out.dump(1);
}

// ---- bad requests and prefetch -----------------------------------------------------------------

Reply raw(const std::string& id, const std::string& body) {
  return services().call(id, body, "http://localhost");
}

std::string expression(const Reply& r) {
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["resourceType"], "OperationOutcome");
  return j["issue"][0].value("expression", Json::array({""}))[0];
}

TEST(CdsRequest, WrongShapesAre400NamingTheField) {
  EXPECT_EQ(raw("paraderm-patient-view", "{nope").status, 400);
  EXPECT_EQ(expression(raw("paraderm-patient-view", "{nope")), "body");
  Json ok = request("patient-view", prefetch(ad_adult()));
  Json wrong_hook = ok;
  wrong_hook["hook"] = "order-sign";
  EXPECT_EQ(expression(raw("paraderm-patient-view", wrong_hook.dump())), "hook");
  Json no_patient = ok;
  no_patient["context"].erase("patientId");
  auto r = raw("paraderm-patient-view", no_patient.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(expression(r), "context.patientId");
  Json bad_slot = ok;
  bad_slot["prefetch"]["conditions"] = 5;
  EXPECT_EQ(expression(raw("paraderm-patient-view", bad_slot.dump())), "prefetch.conditions");
  Json no_drafts = request("order-select", prefetch(ad_adult()));
  no_drafts["context"].erase("draftOrders");
  EXPECT_EQ(expression(raw("paraderm-order-select", no_drafts.dump())), "context.draftOrders");
  Json auth_without_server = ok;
  auth_without_server["fhirAuthorization"] = {{"access_token", "x"},
                                              {"token_type", "Bearer"},
                                              {"expires_in", 300},
                                              {"scope", "patient/*.read"},
                                              {"subject", "paraderm"}};
  EXPECT_EQ(expression(raw("paraderm-patient-view", auth_without_server.dump())), "fhirServer");
}

// CDS Hooks 2.0: a missing key means the client did not fetch it; with no FHIR server to fetch
// from the service cannot work: 412 with an OperationOutcome.
TEST(CdsPrefetch, MissingKeyWithoutFhirServerIs412) {
  Json req = request("patient-view", prefetch(ad_adult()));
  req["prefetch"].erase("observations");
  auto r = raw("paraderm-patient-view", req.dump());
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_EQ(expression(r), "prefetch.observations");
  Json none = request("patient-view", Json(nullptr));
  EXPECT_EQ(raw("paraderm-patient-view", none.dump()).status, 412);
}

// The fhirAuthorization access token is sent to fhirServer: plain http is refused (412 naming
// it) unless the server is on loopback (the mock FHIR server below) or --insecure-dev.
TEST(CdsPrefetch, PlainHttpFhirServerOffLoopbackIsRefused) {
  Json req = request("patient-view", Json(nullptr));
  req["fhirServer"] = "http://fhir.example.org/r4";
  req["fhirAuthorization"] = {{"access_token", "t"},
                              {"token_type", "Bearer"},
                              {"expires_in", 60},
                              {"scope", "user/Patient.read"},
                              {"subject", "paraderm"}};
  auto r = raw("paraderm-patient-view", req.dump());
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_NE(r.body.find("expected an https URL"), std::string::npos) << r.body;
  // https off loopback is attempted (and fails here: nothing answers), not refused for its scheme.
  req["fhirServer"] = "https://127.0.0.2:9/r4";
  auto tried = raw("paraderm-patient-view", req.dump());
  EXPECT_EQ(tried.body.find("expected an https URL"), std::string::npos) << tried.body;
}

TEST(CdsPrefetch, OperationOutcomeInASlotIsTreatedAsMissing) {
  Json req = request("patient-view", prefetch(ad_adult()));
  req["prefetch"]["conditions"] = {
      {"resourceType", "OperationOutcome"},
      {"issue", Json::array({{{"severity", "error"}, {"code", "timeout"}}})}};
  auto r = raw("paraderm-patient-view", req.dump());
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_EQ(expression(r), "prefetch.conditions");
}

// null: the query ran and found nothing (the patient has no such resources) -> assessed.
TEST(CdsPrefetch, NullMeansNothingFound) {
  Json req = request("patient-view", prefetch(ad_adult()));
  req["prefetch"]["medicationRequests"] = nullptr;
  req["prefetch"]["medicationStatements"] = nullptr;
  auto r = raw("paraderm-patient-view", req.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  Json patient_null = request("patient-view", prefetch(ad_adult()));
  patient_null["prefetch"]["patient"] = nullptr;
  EXPECT_EQ(raw("paraderm-patient-view", patient_null.dump()).status, 412);
}

// With fhirServer and fhirAuthorization the missing keys are fetched from that server with the
// access token (a mock FHIR server on loopback).
TEST(CdsPrefetch, MissingKeysAreFetchedFromTheFhirServer) {
  Record rec;
  rec.conditions = {atopic_dermatitis(), psoriasis("2026-06-10")};
  rec.statements = {statement("dupi", rx("1876376", "dupilumab"), "2026-03-01")};
  rec.observations = normal_labs();
  httplib::Server fhir;
  std::mutex mu;
  std::vector<std::string> paths, auths;
  auto answer = [&](const httplib::Request& req, httplib::Response& res, const Json& body) {
    std::lock_guard<std::mutex> lock(mu);
    paths.push_back(req.path);
    auths.push_back(req.get_header_value("Authorization"));
    res.set_content(body.dump(), "application/fhir+json");
  };
  fhir.Get("/fhir/Patient/pt",
           [&](const httplib::Request& q, httplib::Response& s) { answer(q, s, rec.patient); });
  fhir.Get("/fhir/Condition", [&](const httplib::Request& q, httplib::Response& s) {
    answer(q, s, searchset(rec.conditions));
  });
  fhir.Get("/fhir/MedicationStatement", [&](const httplib::Request& q, httplib::Response& s) {
    answer(q, s, searchset(rec.statements));
  });
  fhir.Get("/fhir/MedicationRequest",
           [&](const httplib::Request& q, httplib::Response& s) { answer(q, s, searchset({})); });
  fhir.Get("/fhir/Immunization", [&](const httplib::Request& q, httplib::Response& s) {
    answer(q, s, searchset({immunization("shingrix-1", "187", "2026-05-01")}));
  });
  int port = 0;
  std::string observation_codes, observation_patient;
  // Observations come in two pages (CDS Hooks 2.0 allows paging): the next link is followed.
  fhir.Get("/fhir/Observation", [&](const httplib::Request& q, httplib::Response& s) {
    std::vector<Json> first(rec.observations.begin(), rec.observations.begin() + 3);
    std::vector<Json> rest(rec.observations.begin() + 3, rec.observations.end());
    if (!q.has_param("page")) {
      std::lock_guard<std::mutex> lock(mu);
      observation_codes = q.get_param_value("code");
      observation_patient = q.get_param_value("patient");
    }
    Json page = searchset(q.has_param("page") ? rest : first);
    if (!q.has_param("page")) {
      page["link"] = Json::array(
          {{{"relation", "next"},
            {"url", fmt::format("http://127.0.0.1:{}/fhir/Observation?page=2", port)}}});
    }
    answer(q, s, page);
  });
  port = fhir.bind_to_any_port("127.0.0.1");
  std::thread t([&] { fhir.listen_after_bind(); });
  while (!fhir.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  Json req = request("patient-view", Json(nullptr));
  req["fhirServer"] = fmt::format("http://127.0.0.1:{}/fhir", port);
  req["fhirAuthorization"] = {{"access_token", "some-opaque-fhir-access-token"},
                              {"token_type", "Bearer"},
                              {"expires_in", 300},
                              {"scope", "user/Patient.read user/Observation.read"},
                              {"subject", "paraderm"}};
  auto r = raw("paraderm-patient-view", req.dump());
  fhir.stop();
  t.join();
  ASSERT_EQ(r.status, 200) << r.body;
  Json out = Json::parse(r.body);
  ASSERT_EQ(out["cards"].size(), 1u)
      << r.body;                // the possible reaction, as in PossibleReactionFromPlainFhirIsInfo
  EXPECT_EQ(paths.size(), 7u);  // six keys, the observations in two pages
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/fhir/Immunization"), paths.end());
  EXPECT_EQ(observation_patient, "pt");  // {{context.patientId}} filled in
  EXPECT_NE(observation_codes.find("http://loinc.org|731-0"), std::string::npos)
      << observation_codes;
  for (const auto& a : auths) EXPECT_EQ(a, "Bearer some-opaque-fhir-access-token");

  // The server failing: 412 naming the key.
  Json again = request("patient-view", Json(nullptr));
  again["fhirServer"] = fmt::format("http://127.0.0.1:{}/fhir", port);  // nothing listens any more
  auto failed = raw("paraderm-patient-view", again.dump());
  EXPECT_EQ(failed.status, 412) << failed.body;
}

// ---- over HTTP: routes, feedback ---------------------------------------------------------------

TEST(CdsHttp, RoutesAndFeedbackAreStoredAndListed) {
  server::ServerOptions o;
  o.insecure_dev = true;
  o.cds_as_of = "2026-11-20";
  LiveServer s(o);
  ASSERT_TRUE(s.error.empty()) << s.error;
  auto c = s.client();
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(Json::parse(health->body)["cds_auth"], "insecure-dev");
  auto d = c.Get("/cds-services");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 200);
  EXPECT_EQ(Json::parse(d->body)["services"].size(), 3u);
  auto unknown = c.Post("/cds-services/nope", "{}", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  Record r;
  r.conditions = {atopic_dermatitis(), psoriasis("2026-06-10")};
  r.statements = {statement("dupi", rx("1876376", "dupilumab"), "2026-03-01")};
  r.observations = normal_labs();
  auto pv = c.Post("/cds-services/paraderm-patient-view",
                   request("patient-view", prefetch(r)).dump(), "application/json");
  ASSERT_TRUE(pv);
  ASSERT_EQ(pv->status, 200) << pv->body;
  Json card = Json::parse(pv->body)["cards"][0];
  // The card links to the case saved in the web page.
  EXPECT_NE(std::string(card["source"]["url"]).find(fmt::format("127.0.0.1:{}/?case=", s.port)),
            std::string::npos);

  Json fb = {
      {"feedback",
       Json::array({{{"card", card["uuid"]},
                     {"outcome", "overridden"},
                     {"overrideReason",
                      {{"reason",
                        {{"code", "record-incomplete"},
                         {"system", "https://paraderm.dev/fhir/CodeSystem/cds-override-reason"},
                         {"display", "The record is incomplete or out of date"}}},
                       {"userComment", "seen in clinic"}}},
                     {"outcomeTimestamp", "2026-11-20T10:00:00Z"}}})}};
  auto posted =
      c.Post("/cds-services/paraderm-patient-view/feedback", fb.dump(), "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200) << posted->body;
  auto list = s.api_client().Get("/api/v1/cds-feedback");
  ASSERT_TRUE(list);
  Json items = Json::parse(list->body);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["card"], card["uuid"]);
  EXPECT_EQ(items[0]["outcome"], "overridden");
  EXPECT_EQ(items[0]["override_code"], "record-incomplete");
  EXPECT_EQ(items[0]["service"], "paraderm-patient-view");

  Json bad = fb;
  bad["feedback"][0]["outcome"] = "ignored";
  auto refused =
      c.Post("/cds-services/paraderm-patient-view/feedback", bad.dump(), "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("feedback[0].outcome"), std::string::npos);
  Json accepted_without = fb;
  accepted_without["feedback"][0]["outcome"] = "accepted";
  auto missing = c.Post("/cds-services/paraderm-patient-view/feedback", accepted_without.dump(),
                        "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
}

// ---- property: no card recommends a dose above the label maximum -------------------------------

// The largest label daily dose of `drug` in `region` (mg/day), computed from kb/drugs/*.toml dose
// rows and the KB dosing-interval constants, independently of the assessment.
std::optional<double> label_max_daily(const kb::Drug& drug, const std::string& region) {
  std::map<std::string, double> interval;
  for (const auto& fc : shipped_kb().formula_constants) {
    if (fc.formula == "dosing-interval") interval[fc.name] = fc.value;
  }
  std::optional<double> best;
  kb::Region r = region == "eu" ? kb::Region::kEu : kb::Region::kUs;
  for (const auto& d : drug.dose) {
    if (!kb::applies_to(d.region, r) || d.unit != "mg" || !interval.count(d.frequency)) continue;
    double daily = d.amount * 24 / interval[d.frequency];
    if (!best || daily > *best) best = daily;
  }
  return best;
}

RC_GTEST_PROP(CdsDoseProperty, NoSuggestionAboveTheLabelMaximum, ()) {
  std::vector<const kb::Drug*> oral;
  for (const auto& d : shipped_kb().drugs) {
    if (d.route == kb::Route::kOral) oral.push_back(&d);
  }
  const kb::Drug* drug = *rc::gen::elementOf(oral);
  const std::string region = *rc::gen::element(std::string("us"), std::string("eu"));
  Record r;
  r.patient = patient(*rc::gen::element(std::string("male"), std::string("female")),
                      fmt::format("{}-03-01", *rc::gen::inRange(1940, 2008)));
  r.conditions = {*rc::gen::element(
      atopic_dermatitis(), condition("ra", "69896004", "Rheumatoid arthritis", "2010-01-01"),
      psoriasis("2010-01-01"))};
  r.observations = normal_labs();
  // eGFR from creatinine across the kidney-function bands.
  r.observations[4] = lab("crea", "2160-0", *rc::gen::inRange(5, 60) / 10.0, "mg/dL", "2026-11-10");
  if (*rc::gen::arbitrary<bool>())
    r.statements.push_back(statement("keto", rx("6135", "ketoconazole"), "2026-11-01"));
  if (*rc::gen::arbitrary<bool>())
    r.statements.push_back(statement("flu", Json{{"text", "fluconazole"}}, "2026-11-01"));
  double ordered = *rc::gen::inRange(1, 400);
  std::string timing = *rc::gen::element(std::string("QD"), std::string("BID"));
  Json req = request("order-select", prefetch(r),
                     {draft("o", Json{{"text", drug->name}}, ordered, timing)});
  auto reply = services(region).call("paraderm-order-select", req.dump(), "http://localhost");
  RC_ASSERT(reply.status == 200);
  Json out = Json::parse(reply.body);
  auto max = label_max_daily(*drug, region);
  for (const auto& c : out["cards"]) {
    RC_ASSERT(c["summary"].get<std::string>().size() < 140u);
    if (!c.contains("suggestions")) continue;
    RC_ASSERT(max.has_value());
    for (const auto& s : c["suggestions"]) {
      for (const auto& a : s["actions"]) {
        const Json& dose = a["resource"]["dosageInstruction"][0];
        double amount = dose["doseAndRate"][0]["doseQuantity"]["value"];
        const Json& repeat = dose["timing"]["repeat"];
        double period_h = repeat["period"].get<double>() * (repeat["periodUnit"] == "d" ? 24 : 1);
        double per_day = repeat["frequency"].get<double>() * 24 / period_h;
        RC_ASSERT(amount * per_day <= *max + 1e-9);
      }
    }
  }
}

// The plan card reports a screening item "recorded" when the prefetch holds its tests: kb/labs.toml
// gives cbc = anc + alc + hb + platelets (all four needed, src/assess/plan.cpp), and
// kb/drugs/tofacitinib.toml lists cbc among its baseline screening items. normal_labs() sends all
// four counts dated 2026-11-10, before the pinned assessment date 2026-11-20.
std::string plan_card_text(const Json& out) {
  for (const auto& c : out["cards"]) {
    if (c["summary"].get<std::string>().find("screening") != std::string::npos)
      return c["detail"].get<std::string>();
  }
  return "";
}

TEST(CdsOrderSelect, PlanCardShowsRecordedCountsAsRecorded) {
  Record r = ad_adult();
  Json order = draft("tofa-order", Json{{"text", "tofacitinib"}}, 5, "BID");
  Json out = call("paraderm-order-select", request("order-select", prefetch(r), {order}));
  std::string plan = plan_card_text(out);
  ASSERT_FALSE(plan.empty()) << out.dump(1);
  EXPECT_NE(plan.find("cbc — recorded (2026-11-10)"), std::string::npos) << plan;

  // Without the platelet count the CBC is not complete: not recorded (partly).
  r.observations.erase(r.observations.begin() + 3);
  Json partial = call("paraderm-order-select", request("order-select", prefetch(r), {order}));
  std::string plan2 = plan_card_text(partial);
  EXPECT_NE(plan2.find("cbc — not-recorded"), std::string::npos) << plan2;
}

// The optional key: without it (and no fhirServer) the order is still checked, and the screening
// items a vaccine records (kb/vaccines.toml: CVX 187 records zoster-vaccine, CVX 121 is live) say
// "not assessed", never "not recorded". Upadacitinib's US screening lists zoster-vaccine and
// vaccination (kb/drugs/upadacitinib.toml).
TEST(CdsPrefetch, ImmunizationsAreOptionalAndNotSentIsNotAssessed) {
  Json order = draft("upa-order", Json{{"text", "upadacitinib"}}, 15, "QD");
  Json req = request("order-select", prefetch(ad_adult()), {order});
  req["prefetch"].erase("immunizations");
  auto r = raw("paraderm-order-select", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  Json out = Json::parse(r.body);
  std::string plan = plan_card_text(out);
  ASSERT_FALSE(plan.empty()) << out.dump(1);
  EXPECT_NE(plan.find("zoster-vaccine — not assessed — the EHR sent no immunizations"),
            std::string::npos)
      << plan;
  EXPECT_NE(plan.find("live vaccines given before the start not assessed"), std::string::npos)
      << plan;
  bool summary_says = false;
  for (const auto& c : out["cards"])
    summary_says = summary_says || mentions(c["summary"], "1 not assessed");
  EXPECT_TRUE(summary_says) << out.dump(1);

  // Sent but empty (the EHR found none): not recorded, and nothing "not assessed".
  Json empty =
      call("paraderm-order-select", request("order-select", prefetch(ad_adult()), {order}));
  std::string plan_empty = plan_card_text(empty);
  EXPECT_NE(plan_empty.find("zoster-vaccine — not-recorded"), std::string::npos) << plan_empty;
  EXPECT_EQ(plan_empty.find("not assessed"), std::string::npos) << plan_empty;
  Json null_key = request("order-select", prefetch(ad_adult()), {order});
  null_key["prefetch"]["immunizations"] = nullptr;
  std::string plan_null = plan_card_text(call("paraderm-order-select", null_key));
  EXPECT_NE(plan_null.find("zoster-vaccine — not-recorded"), std::string::npos) << plan_null;
}

TEST(CdsOrderSelect, PlanCardReadsImmunizationsWithDatesAndNamesALiveDose) {
  Record rec = ad_adult();
  rec.immunizations = {immunization("shingrix-1", "187", "2026-03-02"),
                       immunization("shingrix-2", "187", "2026-05-04"),
                       immunization("zostavax", "121", "2026-11-15")};
  Json order = draft("upa-order", Json{{"text", "upadacitinib"}}, 15, "QD");
  std::string plan = plan_card_text(
      call("paraderm-order-select", request("order-select", prefetch(rec), {order})));
  EXPECT_NE(plan.find("zoster-vaccine — recorded (2026-05-04)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("2026-03-02"), std::string::npos) << plan;  // both doses listed
  // The live dose is named with its date (5 days before the pinned assessment date 2026-11-20).
  EXPECT_NE(plan.find("Zostavax) on 2026-11-15 (5 days before start)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("not assessed"), std::string::npos) << plan;
}

}  // namespace
}  // namespace paraderm::server::cds
