// The case parsers: mapping by code and name, unit conversion, CKD-EPI 2021, impossible data,
// warnings for everything not used, FHIR Bundles.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "paraderm/case.h"

namespace paraderm::clinical {
namespace {

const kb::KnowledgeBase& shipped() {
  static const kb::LoadResult r = kb::load_embedded();
  return *r.kb;
}

ParseResult parse(const std::string& json) { return parse_case(json, shipped()); }

std::string problems(const ParseResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p.to_string() + "\n";
  return s;
}

const char* kBase = R"({"region":"us","as_of":"2026-11-20",
  "patient":{"birth_date":"1980-06-01","sex":"female"},
  "conditions":[{"name":"Atopic eczema","onset":"1990-01-01"}],
  "medications":[{"name":"Dupixent","start":"2026-01-01"}],
  "labs":[{"test":"alc","date":"2026-11-01","value":0.45,"unit":"10*9/L"},
          {"code":{"system":"loinc","code":"718-7"},"date":"2026-11-01","value":79,"unit":"g/L"}],
  "eruption":{"phenotype":"psoriasiform","onset":"2026-06-01"}})";

TEST(CaseParse, MapsNamesBrandsAndCodesAndConvertsUnits) {
  auto r = parse(kBase);
  ASSERT_TRUE(r.record) << problems(r);
  const Case& c = *r.record;
  EXPECT_EQ(c.patient.age_years, 46);
  ASSERT_EQ(c.conditions.size(), 1u);
  EXPECT_EQ(c.conditions[0].disease, "atopic-dermatitis");  // by alias
  ASSERT_EQ(c.medications.size(), 1u);
  EXPECT_EQ(c.medications[0].biologic, std::optional<std::string>("dupilumab"));  // by brand
  const LabResult* alc = c.latest("alc", c.as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_DOUBLE_EQ(*alc->value, 450);  // 0.45 x 10^9/L = 450 cells/uL (KB factor 1000)
  EXPECT_EQ(alc->unit, "cells/uL");
  const LabResult* hb = c.latest("hb", c.as_of);
  ASSERT_NE(hb, nullptr);
  EXPECT_DOUBLE_EQ(*hb->value, 7.9);  // 79 g/L = 7.9 g/dL (KB factor 10)
}

// A native result's test is named as clinicians and lab reports name it (kb/labs.toml aliases):
// "Hemoglobin" (US spelling) was "not in the KB", so the Hb do-not-start thresholds read as
// missing. Both ways: an ambiguous name ("lymphocytes": a count or a percentage) stays unread.
TEST(CaseParse, LabTestsAreReadByTheirUsualNames) {
  struct Row {
    const char* test;
    const char* lab;  // "" : not read
    double value;
    const char* unit;
  };
  const Row rows[] = {
      {"Hemoglobin", "hb", 12.5, "g/dL"},
      {"HGB", "hb", 12.5, "g/dL"},
      {"Haemoglobin", "hb", 12.5, "g/dL"},
      {"Absolute Lymphocyte Count", "alc", 1.2, "10*9/L"},
      {"absolute neutrophil count", "anc", 3.3, "10*9/L"},
      {"SGPT", "alt", 30, "U/L"},
      {"Aspartate aminotransferase", "ast", 30, "U/L"},
      {"Total bilirubin", "bilirubin", 0.8, "mg/dL"},
      {"QuantiFERON", "", 0, ""},  // qualitative: checked below
      {"lymphocytes", "", 1.2, "10*9/L"},
      {"neutrophils", "", 3.3, "10*9/L"},
  };
  for (const auto& row : rows) {
    if (std::string(row.unit).empty()) continue;
    std::string json = kBase;
    const std::string from = R"({"test":"alc","date":"2026-11-01","value":0.45,"unit":"10*9/L"})";
    json.replace(json.find(from), from.size(),
                 fmt::format(R"({{"test":"{}","date":"2026-11-01","value":{},"unit":"{}"}})",
                             row.test, row.value, row.unit));
    auto r = parse(json);
    ASSERT_TRUE(r.record) << row.test << ": " << problems(r);
    std::string warnings;
    for (const auto& w : r.record->warnings) warnings += w.to_string() + "\n";
    if (*row.lab) {
      const LabResult* lab = r.record->latest(row.lab, r.record->as_of);
      ASSERT_NE(lab, nullptr) << row.test;
      EXPECT_FALSE(lab->unusable) << row.test;
      EXPECT_EQ(warnings.find("is not in the KB"), std::string::npos) << row.test << warnings;
    } else {
      EXPECT_NE(warnings.find(fmt::format("lab \"{}\" is not in the KB", row.test)),
                std::string::npos)
          << row.test << warnings;
    }
  }
  std::string json = kBase;
  const std::string from = R"({"test":"alc","date":"2026-11-01","value":0.45,"unit":"10*9/L"})";
  json.replace(json.find(from), from.size(),
               R"({"test":"QuantiFERON","date":"2026-11-01","result":"negative"})");
  auto r = parse(json);
  ASSERT_TRUE(r.record) << problems(r);
  ASSERT_NE(r.record->latest("igra", r.record->as_of), nullptr);
}

// Biosimilars are recorded by their own brand names (kb/biologics.toml brands; sources
// fda-biosimilars-msd-table-2025, antitnf-biosimilars-eu-us-2018,
// biologicshq-interchangeables-2025, wezlana-fda-approval-news-2023): an eczema under "Hyrimoz"
// read as no reaction at all. Both ways: a reference biologic's brand still maps, and a biosimilar
// of another molecule (Truxima, rituximab) is not read as one of them.
TEST(CaseParse, BiosimilarBrandNamesAreTheirReferenceBiologic) {
  const std::pair<const char*, const char*> kNames[] = {
      {"Hyrimoz", "adalimumab"},  {"Amgevita", "adalimumab"},    {"Imraldi", "adalimumab"},
      {"Yuflyma", "adalimumab"},  {"Inflectra", "infliximab"},   {"Remsima", "infliximab"},
      {"Zessly", "infliximab"},   {"Benepali", "etanercept"},    {"Erelzi", "etanercept"},
      {"Wezlana", "ustekinumab"}, {"Selarsdi", "ustekinumab"},   {"Humira", "adalimumab"},
      {"Kyntheum", "brodalumab"}, {"Ilumetri", "tildrakizumab"},  // EU brands of Siliq, Ilumya
  };
  for (const auto& [brand, biologic] : kNames) {
    std::string j = kBase;
    j.replace(j.find("Dupixent"), 8, brand);
    auto r = parse(j);
    ASSERT_TRUE(r.record) << problems(r);
    ASSERT_EQ(r.record->medications.size(), 1u);
    EXPECT_EQ(r.record->medications[0].biologic, std::optional<std::string>(biologic)) << brand;
  }
  // Oral ruxolitinib's EU brand (kb/drugs/ruxolitinib.toml brand, jakavi-eu-smpc-annex-mirror):
  // a JAK inhibitor the patient takes, not the cream and not an unknown medication.
  {
    std::string jk = kBase;
    jk.replace(jk.find("Dupixent"), 8, "Jakavi 10 mg Tabletten");
    auto rj = parse(jk);
    ASSERT_TRUE(rj.record) << problems(rj);
    EXPECT_EQ(rj.record->medications[0].jak_drug, std::optional<std::string>("ruxolitinib"));
  }
  std::string j = kBase;
  j.replace(j.find("Dupixent"), 8, "Truxima");
  auto r = parse(j);
  ASSERT_TRUE(r.record) << problems(r);
  EXPECT_FALSE(r.record->medications[0].biologic);
}

// Check values of terminology.md §5.1, recomputed there from the published equation.
TEST(CaseParse, CkdEpi2021MatchesTheReferenceCheckValues) {
  EXPECT_NEAR(*ckd_epi_2021(shipped(), 0.9, 55, Sex::kFemale), 75.5, 0.05);
  EXPECT_NEAR(*ckd_epi_2021(shipped(), 1.0, 60, Sex::kMale), 86.2, 0.05);
  EXPECT_NEAR(*ckd_epi_2021(shipped(), 0.6, 40, Sex::kFemale), 116.3, 0.05);
  EXPECT_NEAR(*ckd_epi_2021(shipped(), 2.0, 70, Sex::kMale), 35.2, 0.05);
  EXPECT_FALSE(ckd_epi_2021(shipped(), 1.0, 60, Sex::kUnknown));
}

TEST(CaseParse, ComputesEgfrFromCreatinineInMicromoles) {
  std::string j = kBase;
  j.replace(j.find("\"labs\":["), 8,
            R"("labs":[{"test":"creatinine","date":"2026-11-01","value":79.56,"unit":"umol/L"},)");
  auto r = parse(j);
  ASSERT_TRUE(r.record) << problems(r);
  const LabResult* e = r.record->latest("egfr", r.record->as_of);
  ASSERT_NE(e, nullptr);
  // 79.56 umol/L = 0.9 mg/dL; female, 46 y: 142 x (0.9/0.7)^-1.2 x 0.9938^46 x 1.012
  double expected = 142 * std::pow(0.9 / 0.7, -1.2) * std::pow(0.9938, 46) * 1.012;
  EXPECT_NEAR(*e->value, expected, 1e-6);
}

// Check value of terminology.md §5.1a: 0.413 x 120 cm / 0.9 mg/dL (NKF, Schwartz 2009).
TEST(CaseParse, BedsideSchwartzMatchesTheReferenceCheckValue) {
  EXPECT_NEAR(*bedside_schwartz_2009(shipped(), 0.9, 120), 0.413 * 120 / 0.9, 1e-9);
  EXPECT_NEAR(*bedside_schwartz_2009(shipped(), 0.9, 120), 55.1, 0.05);
  EXPECT_FALSE(bedside_schwartz_2009(shipped(), 0, 120));
}

// A case of a child born BIRTH (as of 2026-11-20) with the given labs.
std::string child_case(const std::string& birth, const std::string& labs) {
  return R"({"region":"eu","as_of":"2026-11-20",
    "patient":{"birth_date":")" +
         birth + R"(","sex":"male"},
    "conditions":[{"name":"Atopic eczema","onset":"2020-01-01"}],
    "labs":[)" +
         labs + "]}";
}

std::string warnings(const Case& c) {
  std::string w;
  for (const auto& p : c.warnings) w += p.to_string() + "\n";
  return w;
}

const char* kCreatinine09 =
    R"({"test":"creatinine","date":"2026-11-01","value":0.9,"unit":"mg/dL"})";

// kCreatinine09 and a height `value` `unit` measured on `date`.
std::string creatinine_and_height(const std::string& value, const std::string& unit,
                                  const std::string& date) {
  return std::string(kCreatinine09) + R"(,{"test":"height","date":")" + date + R"(","value":)" +
         value + R"(,"unit":")" + unit + R"("})";
}

// The latest eGFR of a case of a child born `birth` with `labs`; the parse result stays in `r`.
const LabResult* child_egfr(ParseResult& r, const std::string& birth, const std::string& labs) {
  r = parse(child_case(birth, labs));
  EXPECT_TRUE(r.record) << problems(r);
  return r.record ? r.record->latest("egfr", r.record->as_of) : nullptr;
}

// CKD-EPI and MDRD are adult equations (terminology.md §5.1a): a 7-year-old with creatinine
// 0.9 mg/dL is eGFR 136 by CKD-EPI 2021 but 55 by the bedside Schwartz equation at 120 cm.
TEST(CaseParse, ChildEgfrIsBedsideSchwartzFromHeight) {
  ParseResult r;
  const LabResult* e = child_egfr(r, "2019-05-01", creatinine_and_height("1.2", "m", "2026-10-01"));
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->value) << e->unusable.value_or("");
  EXPECT_NEAR(*e->value, 0.413 * 120 / 0.9, 1e-6);
  EXPECT_TRUE(e->computed);
  EXPECT_NE(e->text.value_or("").find("bedside Schwartz"), std::string::npos);
  EXPECT_NE(e->text.value_or("").find("height 120 cm of 2026-10-01"), std::string::npos);
}

TEST(CaseParse, ChildEgfrWithoutHeightIsNotComputedAndSaysWhatToRecord) {
  ParseResult r;
  const LabResult* e = child_egfr(r, "2019-05-01", kCreatinine09);
  ASSERT_NE(e, nullptr);  // kept as the latest eGFR, without a value: never CKD-EPI's 136
  EXPECT_FALSE(e->value);
  ASSERT_TRUE(e->unusable);
  EXPECT_NE(e->unusable->find("the patient is 7"), std::string::npos) << *e->unusable;
  EXPECT_NE(e->unusable->find("record the height"), std::string::npos) << *e->unusable;
  EXPECT_NE(warnings(*r.record).find("eGFR: none computed from the creatinine of 2026-11-01"),
            std::string::npos)
      << warnings(*r.record);
}

TEST(CaseParse, ChildRecordedEgfrByAnAdultEquationIsNotUsed) {
  ParseResult r;
  const LabResult* e = child_egfr(
      r, "2012-03-01",
      R"({"code":{"system":"loinc","code":"98979-8"},"date":"2026-11-01","value":80,"unit":"mL/min/{1.73_m2}"})");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->value);
  ASSERT_TRUE(e->unusable);
  EXPECT_NE(e->unusable->find("adult equation"), std::string::npos) << *e->unusable;
  EXPECT_NE(warnings(*r.record).find("eGFR 80 mL/min/1.73m2 of 2026-11-01: not used"),
            std::string::npos)
      << warnings(*r.record);
  // With creatinine and height the same day, the child's eGFR is the computed one.
  r = parse(child_case(
      "2012-03-01",
      R"({"code":{"system":"loinc","code":"98979-8"},"date":"2026-11-01","value":80,"unit":"mL/min/{1.73_m2}"},
         {"test":"creatinine","date":"2026-11-01","value":1.2,"unit":"mg/dL"},
         {"test":"height","date":"2026-11-01","value":160,"unit":"cm"})"));
  ASSERT_TRUE(r.record) << problems(r);
  e = r.record->latest("egfr", r.record->as_of);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->value);
  EXPECT_NEAR(*e->value, 0.413 * 160 / 1.2, 1e-6);
}

// Does not fire: from the adult age (18) CKD-EPI 2021 as before, and a recorded eGFR is used.
TEST(CaseParse, AdultEgfrIsCkdEpiAndARecordedEgfrIsUsed) {
  ParseResult r;
  const LabResult* e = child_egfr(r, "2008-11-20", kCreatinine09);  // 18 on the assessment date
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->value);
  EXPECT_NEAR(*e->value, *ckd_epi_2021(shipped(), 0.9, 18, Sex::kMale), 1e-6);
  EXPECT_EQ(warnings(*r.record).find("eGFR"), std::string::npos) << warnings(*r.record);
  r = parse(child_case(
      "2008-11-20",
      R"({"code":{"system":"loinc","code":"98979-8"},"date":"2026-11-01","value":80,"unit":"mL/min/{1.73_m2}"})"));
  ASSERT_TRUE(r.record) << problems(r);
  e = r.record->latest("egfr", r.record->as_of);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->value);
  EXPECT_DOUBLE_EQ(*e->value, 80);
}

// Under the bedside Schwartz equation's range (1-18 years) no eGFR is estimated.
TEST(CaseParse, InfantEgfrIsNotComputed) {
  ParseResult r;
  const LabResult* e = child_egfr(r, "2026-03-01", creatinine_and_height("65", "cm", "2026-11-01"));
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->value);
  ASSERT_TRUE(e->unusable);
  EXPECT_NE(e->unusable->find("for ages 1 to 18"), std::string::npos) << *e->unusable;
}

// A weight given as a dated lab is the patient's weight (the latest); /patient/weight_kg wins.
TEST(CaseParse, WeightFromTheLatestWeightLab) {
  auto r = parse(child_case("1990-01-01",
                            R"({"test":"weight","date":"2026-11-01","value":172,"unit":"[lb_av]"},
                               {"test":"weight","date":"2020-01-01","value":90,"unit":"kg"})"));
  ASSERT_TRUE(r.record) << problems(r);
  ASSERT_TRUE(r.record->patient.weight_kg);
  EXPECT_NEAR(*r.record->patient.weight_kg, 172 * 0.45359237, 1e-9);  // UCUM [lb_av]
  EXPECT_EQ(to_string(*r.record->patient.weight_date), "2026-11-01");
  std::string j =
      child_case("1990-01-01", R"({"test":"weight","date":"2026-11-01","value":80,"unit":"kg"})");
  j.replace(j.find(R"("sex":"male")"), 12, R"("sex":"male","weight_kg":70)");
  r = parse(j);
  ASSERT_TRUE(r.record) << problems(r);
  EXPECT_EQ(r.record->patient.weight_kg, std::optional<double>(70));
  EXPECT_FALSE(r.record->patient.weight_date);
}

// One product from one start, once ended and once still taken: kept as taken (exposure and
// interactions stay), and the disagreement is a warning naming both entries. A course stopped
// and restarted later is history, not a disagreement.
TEST(CaseParse, OneProductEndedAndStillTakenFromTheSameStartIsAWarning) {
  auto medications = [](const std::string& list) {
    std::string j = kBase;
    std::string old = R"("medications":[{"name":"Dupixent","start":"2026-01-01"}])";
    j.replace(j.find(old), old.size(), R"("medications":[)" + list + "]");
    return j;
  };
  auto r = parse(medications(
      R"({"name":"dupilumab","start":"2026-01-01","stop":"2026-05-01"},{"name":"Dupixent","start":"2026-01-01"})"));
  ASSERT_TRUE(r.record) << problems(r);
  EXPECT_TRUE(r.record->medications[1].taken_on(*parse_date("2026-11-20")));
  std::string w;
  for (const auto& x : r.record->warnings) w += x.to_string() + "\n";
  EXPECT_NE(w.find("/medications/1: Dupixent is also recorded as stopped on 2026-05-01 "
                   "(/medications/0): read as still taken"),
            std::string::npos)
      << w;
  auto restarted = parse(medications(
      R"({"name":"dupilumab","start":"2025-01-01","stop":"2025-05-01"},{"name":"Dupixent","start":"2026-01-01"})"));
  ASSERT_TRUE(restarted.record) << problems(restarted);
  for (const auto& x : restarted.record->warnings)
    EXPECT_EQ(x.message.find("also recorded as stopped"), std::string::npos) << x.to_string();
}

TEST(CaseParse, ImpossibleDataIsRejectedWithThePointer) {
  std::string stop = kBase;
  stop.replace(stop.find("\"start\":\"2026-01-01\""), 20,
               R"("start":"2026-01-01","stop":"2025-01-01")");
  auto r = parse(stop);
  EXPECT_FALSE(r.record);
  EXPECT_NE(
      problems(r).find("/medications/0/stop: value \"2025-01-01\": before the start 2026-01-01"),
      std::string::npos)
      << problems(r);

  std::string neg = kBase;
  neg.replace(neg.find("0.45"), 4, "-3");
  r = parse(neg);
  EXPECT_NE(problems(r).find("/labs/0: value -3: expected a number >= 0"), std::string::npos)
      << problems(r);

  std::string birth = kBase;
  birth.replace(birth.find("\"onset\":\"2026-06-01\""), 20, R"("onset":"1970-06-01")");
  r = parse(birth);
  EXPECT_NE(problems(r).find("/eruption/onset: value \"1970-06-01\": before the birth date"),
            std::string::npos)
      << problems(r);

  // A unit that cannot be converted is not impossible data: that lab becomes unknown with a
  // warning and the rest of the case is assessed (tests/case/units_test.cpp).
}

TEST(CaseParse, NearMissNamesAreErrorsWithASuggestionOthersAreWarnings) {
  std::string typo = kBase;
  typo.replace(typo.find("Dupixent"), 8, "dupilumap");
  auto r = parse(typo);
  EXPECT_FALSE(r.record);
  EXPECT_NE(problems(r).find("did you mean 'dupilumab'?"), std::string::npos) << problems(r);

  std::string other = kBase;
  other.replace(other.find("\"medications\":["), 15,
                R"("medications":[{"name":"metformin","start":"2020-01-01"},)");
  other.replace(other.find("\"region\""), 8, R"("colour":"blue","region")");
  r = parse(other);
  ASSERT_TRUE(r.record) << problems(r);
  std::string w;
  for (const auto& p : r.record->warnings) w += p.to_string() + "\n";
  EXPECT_NE(w.find("/medications/0: medication \"metformin\" is not in the KB"), std::string::npos)
      << w;
  EXPECT_NE(w.find("/colour: unknown field: ignored"), std::string::npos) << w;
}

TEST(CaseParse, WrongTypesNameTheFieldAndTheExpectation) {
  auto r = parse(R"({"as_of":"2026-11-20","patient":{"age_years":"forty","sex":"robot"},
                     "eruption":{"phenotype":"scaly","onset":"2026-13-01"}})");
  EXPECT_FALSE(r.record);
  std::string p = problems(r);
  EXPECT_NE(p.find("/patient/age_years: value \"forty\": expected a number"), std::string::npos)
      << p;
  EXPECT_NE(p.find("/patient/sex: value \"robot\": expected one of female, male, other, unknown"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("/eruption/phenotype: value \"scaly\": expected one of"), std::string::npos)
      << p;
  EXPECT_NE(p.find("/eruption/onset: value \"2026-13-01\": expected a date YYYY-MM-DD"),
            std::string::npos)
      << p;
  EXPECT_FALSE(parse("[1,2]").record);
  EXPECT_FALSE(parse("{not json").record);
}

// A number beyond a double's range threw nlohmann's out_of_range out of parse_case (the CLI
// aborted); it is a record that cannot be read, with the line and column, FHIR or native.
TEST(CaseParse, NumberBeyondADoubleIsAProblemNotAnException) {
  for (const char* text : {R"({"resourceType": "Bundle", "timestamp": 1e400, "entry": []})",
                           R"({"patient": {"weight_kg": 1e400}})"}) {
    ParseResult r;
    EXPECT_NO_THROW(r = parse(text)) << text;
    EXPECT_FALSE(r.record) << text;
    EXPECT_NE(problems(r).find("number overflow parsing '1e400'"), std::string::npos)
        << problems(r);
  }
}

TEST(CaseParse, SizeLimit) {
  ParseOptions o;
  o.max_bytes = 100;
  auto r = parse_case(kBase, shipped(), o);
  EXPECT_FALSE(r.record);
  EXPECT_NE(problems(r).find("expected at most 100 bytes"), std::string::npos);
}

TEST(CaseParse, FhirBundleMapsToTheSameCase) {
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) + "/examples/dupilumab-psoriasis.fhir.json");
  std::stringstream ss;
  ss << in.rdbuf();
  ParseOptions o;
  o.region = "eu";
  auto r = parse_case(ss.str(), shipped(), o);
  ASSERT_TRUE(r.record) << problems(r);
  const Case& c = *r.record;
  EXPECT_EQ(c.input_kind, "fhir");
  EXPECT_EQ(c.region, "eu");
  EXPECT_EQ(c.patient.sex, Sex::kMale);
  EXPECT_EQ(c.patient.smoking.status,
            SmokingStatus::kNever);  // SNOMED 266919005 via the KB answer codes
  EXPECT_TRUE(c.has_condition("atopic-dermatitis", shipped()));
  ASSERT_FALSE(c.medications.empty());
  EXPECT_EQ(c.medications[0].biologic, std::optional<std::string>("dupilumab"));  // RxNorm 1876376
  ASSERT_TRUE(c.eruption);
  EXPECT_EQ(c.eruption->phenotype, "psoriasiform");
  const LabResult* alc = c.latest("alc", c.as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_DOUBLE_EQ(*alc->value, 1600);
  std::string w;
  for (const auto& p : c.warnings) w += p.to_string() + "\n";
  EXPECT_NE(w.find("resource type \"Encounter\" is not read"), std::string::npos) << w;
}

}  // namespace
}  // namespace paraderm::clinical
