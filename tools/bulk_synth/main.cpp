// bulk_synth: a synthetic FHIR Bulk Data export (NDJSON) for testing and measuring `paraderm
// screen`.
//
//   bulk_synth --patients N --seed S --out DIR [--gzip] [--files-per-type K] [--planted-every M]
//
// Writes Patient/Condition/MedicationStatement/MedicationRequest/Observation NDJSON the way bulk
// exports look: SNOMED and ICD-10-CM conditions, RxNorm codes and brand-name texts, LOINC labs with
// UCUM units as labs send them (10*3/uL, /uL, g/dL, mmol/L, umol/L), statuses (active, resolved,
// entered-in-error, stopped), each resource in a random file of its type and shuffled in windows,
// so files are not sorted by patient. Among them PLANTED patients with known findings, listed in
// DIR/expected.ndjson with the KB facts the expectation follows from, and negative controls
// (expected: no finding).
//
// Every code below is one the KB maps (kb/diseases.toml, kb/biologics.toml, kb/drugs/*.toml,
// kb/labs.toml, kb/interaction-classes.toml); the planted values are chosen against the KB
// thresholds cited next to them. The screening date is --as-of (default 2026-06-30): the screen
// must be run with the same date (DIR/bulk_synth.json records it).
#include <fmt/format.h>
#include <zlib.h>
#include <exception>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Date = std::chrono::sys_days;

std::string ymd(Date d) {
  std::chrono::year_month_day x{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(x.year()),
                     static_cast<unsigned>(x.month()), static_cast<unsigned>(x.day()));
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// One output file per (type, k): buffered, flushed in shuffled windows.
class Sink {
 public:
  Sink(const fs::path& path, bool gzip, std::uint64_t seed) : rng_(seed) {
    if (gzip)
      gz_ = gzopen(path.c_str(), "wb1");
    else
      f_ = std::fopen(path.c_str(), "wb");
    if (!gz_ && !f_) throw std::runtime_error("cannot write " + path.string());
  }
  ~Sink() {
    flush();
    if (gz_) gzclose(gz_);
    if (f_) std::fclose(f_);
  }
  void add(std::string line) {
    window_.push_back(std::move(line));
    if (window_.size() >= 2048) flush();
  }
  void flush() {
    std::shuffle(window_.begin(), window_.end(), rng_);
    std::string block;
    for (auto& l : window_) {
      block += l;
      block += '\n';
    }
    window_.clear();
    if (block.empty()) return;
    if (gz_)
      gzwrite(gz_, block.data(), static_cast<unsigned>(block.size()));
    else
      std::fwrite(block.data(), 1, block.size(), f_);
  }

 private:
  std::mt19937_64 rng_;
  gzFile gz_ = nullptr;
  std::FILE* f_ = nullptr;
  std::vector<std::string> window_;
};

struct CodeRef {
  const char* system;  // FHIR system URI
  const char* code;
  const char* display;
};

constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kIcd = "http://hl7.org/fhir/sid/icd-10-cm";
constexpr const char* kRxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr const char* kLoinc = "http://loinc.org";

// kb/diseases.toml codes (SNOMED, ICD-10-CM), each disease with two codings an EHR may send.
struct DiseaseCodes {
  const char* id;
  CodeRef snomed, icd;
};
const DiseaseCodes kAtopicDermatitis{"atopic-dermatitis",
                                     {kSnomed, "24079001", "Atopic dermatitis"},
                                     {kIcd, "L20.9", "Atopic dermatitis, unspecified"}};
const DiseaseCodes kPsoriasis{
    "psoriasis", {kSnomed, "9014002", "Psoriasis"}, {kIcd, "L40.9", "Psoriasis, unspecified"}};
const DiseaseCodes kEczema{
    "eczema", {kSnomed, "43116000", "Eczema"}, {kSnomed, "43116000", "Eczema"}};
const DiseaseCodes kRheumatoidArthritis{"rheumatoid-arthritis",
                                        {kSnomed, "69896004", "Rheumatoid arthritis"},
                                        {kIcd, "M06.9", "Rheumatoid arthritis, unspecified"}};
const DiseaseCodes kCrohns{"crohns-disease",
                           {kSnomed, "34000006", "Crohn's disease"},
                           {kIcd, "K50.90", "Crohn's disease, unspecified, without complications"}};
const DiseaseCodes kAsthma{"asthma",
                           {kSnomed, "195967001", "Asthma"},
                           {kIcd, "J45.909", "Unspecified asthma, uncomplicated"}};
const DiseaseCodes kRhinitis{"allergic-rhinitis",
                             {kSnomed, "61582004", "Allergic rhinitis"},
                             {kIcd, "J30.9", "Allergic rhinitis, unspecified"}};
const DiseaseCodes kCkd{"chronic-kidney-disease",
                        {kSnomed, "709044004", "Chronic kidney disease"},
                        {kIcd, "N18.9", "Chronic kidney disease, unspecified"}};
const DiseaseCodes kMi{"myocardial-infarction",
                       {kSnomed, "22298006", "Myocardial infarction"},
                       {kIcd, "I25.2", "Old myocardial infarction"}};
const DiseaseCodes kTuberculosis{"tuberculosis",
                                 {kSnomed, "56717001", "Tuberculosis"},
                                 {kIcd, "A15.9", "Respiratory tuberculosis unspecified"}};
const DiseaseCodes kHepatitisB{"hepatitis-b",
                               {kSnomed, "61977001", "Chronic type B viral hepatitis"},
                               {kIcd, "B18.1", "Chronic viral hepatitis B without delta-agent"}};

// kb/biologics.toml and kb/drugs/*.toml codes, with the texts an EHR writes (brand in brackets as
// RxNorm SBD names do; the reader finds KB names inside such texts).
struct MedCodes {
  const char* id;
  CodeRef code;
  const char* text;
};
const MedCodes kDupilumab{"dupilumab",
                          {kRxnorm, "1876376", "dupilumab"},
                          "Dupilumab 300 MG/2ML Prefilled Syringe [Dupixent]"};
const MedCodes kSecukinumab{"secukinumab",
                            {kRxnorm, "1599792", "1 ML secukinumab 150 MG/ML Prefilled Syringe"},
                            "Cosentyx 150 MG/ML Prefilled Syringe"};
const MedCodes kIxekizumab{
    "ixekizumab", {kRxnorm, "1745103", "1 ML ixekizumab 80 MG/ML Auto-Injector"}, "Taltz 80 MG/ML"};
const MedCodes kAdalimumab{
    "adalimumab", {kRxnorm, "327361", "adalimumab"}, "Humira 40 MG/0.4ML Pen"};
const MedCodes kInfliximab{
    "infliximab", {kRxnorm, "191831", "infliximab"}, "Remicade 100 MG Injection"};
const MedCodes kEtanercept{"etanercept", {kRxnorm, "214555", "etanercept"}, "Enbrel 50 MG/ML"};
const MedCodes kUstekinumab{
    "ustekinumab", {kRxnorm, "847083", "ustekinumab"}, "Stelara 45 MG/0.5ML"};
const MedCodes kBaricitinib{
    "baricitinib", {kRxnorm, "2047232", "baricitinib"}, "Olumiant 2 MG Oral Tablet"};
const MedCodes kTofacitinib{
    "tofacitinib", {kRxnorm, "1357536", "tofacitinib"}, "Xeljanz 5 MG Oral Tablet"};
// kb/interaction-classes.toml members: the everyday co-medications of a population.
const MedCodes kAspirin{"aspirin", {kRxnorm, "1191", "aspirin"}, "Aspirin 81 MG Oral Tablet"};
const MedCodes kFluoxetine{
    "fluoxetine", {kRxnorm, "4493", "fluoxetine"}, "Fluoxetine 20 MG Oral Capsule"};
const MedCodes kClopidogrel{
    "clopidogrel", {kRxnorm, "32968", "clopidogrel"}, "Clopidogrel 75 MG Oral Tablet"};
const MedCodes kDigoxin{"digoxin", {kRxnorm, "3407", "digoxin"}, "Digoxin 0.125 MG Oral Tablet"};

class Generator {
 public:
  Generator(const fs::path& out, std::uint64_t seed, bool gzip, int files_per_type, Date as_of)
      : out_(out), seed_(seed), rng_(seed), as_of_(as_of) {
    for (const char* type :
         {"Patient", "Condition", "MedicationStatement", "MedicationRequest", "Observation"}) {
      std::vector<std::unique_ptr<Sink>> sinks;
      for (int k = 0; k < files_per_type; ++k) {
        std::string name = files_per_type == 1 ? fmt::format("{}.ndjson", type)
                                               : fmt::format("{}.{:03}.ndjson", type, k);
        if (gzip) name += ".gz";
        sinks.push_back(std::make_unique<Sink>(
            out / name, gzip,
            splitmix(seed + static_cast<std::uint64_t>(sinks_.size() * 1000 + sinks.size()))));
      }
      sinks_.push_back(std::move(sinks));
    }
    expected_ = std::fopen((out / "expected.ndjson").c_str(), "wb");
  }
  ~Generator() {
    if (expected_) std::fclose(expected_);
  }

  void patient(std::uint64_t index, int planted_every) {
    id_ = fmt::format("{:016x}", splitmix(seed_ * 0x9e3779b97f4a7c15ull + index));
    n_ = 0;
    if (planted_every > 0 && index % static_cast<std::uint64_t>(planted_every) == 0) {
      planted(static_cast<int>((index / static_cast<std::uint64_t>(planted_every)) % kScenarios));
    } else {
      background();
    }
  }

 private:
  static constexpr int kScenarios = 14;

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  Date days_ago(int lo, int hi) { return as_of_ - std::chrono::days(uniform(lo, hi)); }
  Sink& sink(int type) {
    return *sinks_[static_cast<std::size_t>(type)]
                  [rng_() % sinks_[static_cast<std::size_t>(type)].size()];
  }
  std::string rid(const char* prefix) { return fmt::format("{}-{}-{}", prefix, id_, n_++); }

  void write_patient(const char* gender, Date birth) {
    sink(0).add(fmt::format(
        R"({{"resourceType":"Patient","id":"{}","meta":{{"lastUpdated":"{}T08:00:00Z"}},"identifier":[{{"system":"urn:oid:2.16.840.1.113883.19.5","value":"MRN{}"}}],"gender":"{}","birthDate":"{}"}})",
        id_, ymd(as_of_), id_.substr(0, 8), gender, ymd(birth)));
  }
  // status: active | resolved | entered-in-error
  void condition(const DiseaseCodes& d, Date onset, const char* status = "active",
                 bool icd = false) {
    const CodeRef& c = icd ? d.icd : d.snomed;
    bool error = std::string_view(status) == "entered-in-error";
    std::string clinical =
        error
            ? ""
            : fmt::format(
                  R"("clinicalStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"{}"}}]}},)",
                  status);
    sink(1).add(fmt::format(
        R"({{"resourceType":"Condition","id":"{}",{}"verificationStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"{}"}}]}},"category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}}]}}],"code":{{"coding":[{{"system":"{}","code":"{}","display":"{}"}}],"text":"{}"}},"subject":{{"reference":"Patient/{}"}},"onsetDateTime":"{}","recordedDate":"{}"{}}})",
        rid("cond"), clinical, error ? "entered-in-error" : "confirmed", c.system, c.code,
        c.display, c.display, id_, ymd(onset), ymd(onset + std::chrono::days(uniform(0, 30))),
        std::string_view(status) == "resolved"
            ? fmt::format(R"(,"abatementDateTime":"{}")",
                          ymd(onset + std::chrono::days(uniform(30, 400))))
            : ""));
  }
  // A MedicationStatement (status active | stopped) or a MedicationRequest (active | stopped).
  // How an EHR names the product: coding and text, text only (a free-text or brand entry), or a
  // bare coding (no display, no text) — the screen must find it by every route the reader has.
  enum class Naming { kFull, kTextOnly, kCodeOnly };
  Naming naming() {
    double r = real(0, 1);
    return r < 0.6 ? Naming::kFull : r < 0.8 ? Naming::kTextOnly : Naming::kCodeOnly;
  }
  void medication(const MedCodes& m, Date start, std::optional<Date> stop = std::nullopt,
                  std::optional<Naming> how = std::nullopt) {
    if (!how) how = naming();
    // A stop date travels in MedicationStatement.effectivePeriod; requests are the active orders.
    bool request = !stop && chance(0.5);
    const char* status = stop ? "stopped" : "active";
    std::string medication_concept =
        *how == Naming::kTextOnly ? fmt::format(R"({{"text":"{}"}})", m.text)
        : *how == Naming::kCodeOnly
            ? fmt::format(R"({{"coding":[{{"system":"{}","code":"{}"}}]}})", m.code.system,
                          m.code.code)
            : fmt::format(
                  R"({{"coding":[{{"system":"{}","code":"{}","display":"{}"}}],"text":"{}"}})",
                  m.code.system, m.code.code, m.code.display, m.text);
    if (request) {
      sink(3).add(fmt::format(
          R"({{"resourceType":"MedicationRequest","id":"{}","status":"{}","intent":"order","medicationCodeableConcept":{},"subject":{{"reference":"Patient/{}"}},"authoredOn":"{}","dosageInstruction":[{{"text":"as directed"}}]}})",
          rid("mreq"), status, medication_concept, id_, ymd(start)));
    } else {
      sink(2).add(fmt::format(
          R"({{"resourceType":"MedicationStatement","id":"{}","status":"{}","medicationCodeableConcept":{},"subject":{{"reference":"Patient/{}"}},"effectivePeriod":{{"start":"{}"{}}},"dateAsserted":"{}"}})",
          rid("mst"), status, medication_concept, id_, ymd(start),
          stop ? fmt::format(R"(,"end":"{}")", ymd(*stop)) : "", ymd(stop.value_or(start))));
    }
  }
  void lab(const char* loinc, const char* display, double value, const char* unit, Date when,
           const char* status = "final") {
    sink(4).add(fmt::format(
        R"({{"resourceType":"Observation","id":"{}","status":"{}","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}}]}}],"code":{{"coding":[{{"system":"{}","code":"{}","display":"{}"}}],"text":"{}"}},"subject":{{"reference":"Patient/{}"}},"effectiveDateTime":"{}T09:30:00Z","valueQuantity":{{"value":{:g},"unit":"{}","system":"http://unitsofmeasure.org","code":"{}"}}}})",
        rid("obs"), status, kLoinc, loinc, display, display, id_, ymd(when), value, unit, unit));
  }
  // A qualitative result answered by SNOMED (kb/labs.toml answer codes for negative: 260385009).
  void qualitative(const char* loinc, const char* display, bool positive, Date when) {
    sink(4).add(fmt::format(
        R"({{"resourceType":"Observation","id":"{}","status":"final","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}}]}}],"code":{{"coding":[{{"system":"{}","code":"{}","display":"{}"}}]}},"subject":{{"reference":"Patient/{}"}},"effectiveDateTime":"{}","valueCodeableConcept":{{"coding":[{{"system":"http://snomed.info/sct","code":"{}","display":"{}"}}]}}}})",
        rid("obs"), kLoinc, loinc, display, id_, ymd(when), positive ? "10828004" : "260385009",
        positive ? "Positive" : "Negative"));
  }
  // A CBC in one of the unit conventions labs use (kb/labs.toml units; 10*3/uL = 1000 cells/uL).
  void cbc(Date when, double alc_cells_per_ul = -1) {
    double alc = alc_cells_per_ul >= 0 ? alc_cells_per_ul : real(1100, 3200);
    bool thousands = chance(0.6);
    if (thousands)
      lab("731-0", "Lymphocytes [#/volume] in Blood by Automated count", alc / 1000, "10*3/uL",
          when);
    else
      lab("731-0", "Lymphocytes [#/volume] in Blood by Automated count", std::round(alc), "/uL",
          when);
    double anc = real(2200, 6000);
    if (thousands)
      lab("751-8", "Neutrophils [#/volume] in Blood by Automated count", std::round(anc / 10) / 100,
          "10*3/uL", when);
    else
      lab("751-8", "Neutrophils [#/volume] in Blood by Automated count", std::round(anc), "/uL",
          when);
    double hb = real(12.5, 16.0);
    if (chance(0.3))
      lab("718-7", "Hemoglobin [Mass/volume] in Blood", std::round(hb * 0.6206 * 10) / 10, "mmol/L",
          when);
    else
      lab("718-7", "Hemoglobin [Mass/volume] in Blood", std::round(hb * 10) / 10, "g/dL", when);
    lab("777-3", "Platelets [#/volume] in Blood by Automated count", std::round(real(180, 380)),
        "10*3/uL", when);
  }
  // Creatinine (mg/dL or umol/L, kb/labs.toml factor 88.4) and eGFR, liver enzymes.
  void chemistry(Date when, double egfr) {
    double creat = real(0.7, 1.0);
    if (chance(0.4))
      lab("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", std::round(creat * 88.4),
          "umol/L", when);
    else
      lab("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", std::round(creat * 100) / 100,
          "mg/dL", when);
    lab("33914-3",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by "
        "Creatinine-based formula (MDRD)",
        egfr, "mL/min/{1.73_m2}", when);
    lab("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        std::round(real(12, 38)), "U/L", when);
    lab("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        std::round(real(12, 36)), "U/L", when);
  }
  // TB (IGRA 71773-6), HBV (HBsAg 5195-3, anti-HBc 13952-7), HCV (antibody 16128-1): the screening
  // items of kb/drugs/*.toml drug.screening that kb/labs.toml screening_item maps to labs.
  void infection_screen(Date when) {
    qualitative("71773-6",
                "Mycobacterium tuberculosis stimulated gamma interferon [Interpretation] in Blood "
                "Qualitative",
                false, when);
    qualitative("5195-3", "Hepatitis B virus surface Ag [Presence] in Serum", false, when);
    qualitative("13952-7", "Hepatitis B virus core Ab [Presence] in Serum or Plasma by Immunoassay",
                false, when);
    qualitative("16128-1", "Hepatitis C Antibody", false, when);
  }

  void expect(const std::string& scenario, const std::string& findings, const std::string& why) {
    fmt::print(expected_,
               R"({{"patient":"{}","scenario":"{}","expect":[{}],"why":"{}"}})"
               "\n",
               id_, scenario, findings, why);
  }

  void background() {
    bool female = chance(0.52);
    Date birth = days_ago(18 * 365, 90 * 365);
    write_patient(female ? "female" : "male", birth);
    const DiseaseCodes* pool[] = {
        &kAsthma, &kRhinitis, &kAtopicDermatitis, &kPsoriasis, &kRheumatoidArthritis, &kCrohns,
        &kCkd,    &kMi};
    int nconditions = uniform(0, 3);
    std::vector<const DiseaseCodes*> has;
    for (int i = 0; i < nconditions; ++i) {
      const auto* d = pool[uniform(0, 7)];
      double r = real(0, 1);
      condition(*d, days_ago(400, 20 * 365),
                r < 0.75   ? "active"
                : r < 0.97 ? "resolved"
                           : "entered-in-error",
                chance(0.4));
      has.push_back(d);
    }
    // Everyday co-medications (no finding without a biologic or JAK inhibitor).
    const MedCodes* common[] = {&kAspirin, &kFluoxetine, &kClopidogrel, &kDigoxin};
    for (int i = uniform(0, 2); i > 0; --i) {
      Date s = days_ago(30, 3000);
      medication(
          *common[uniform(0, 3)], s,
          chance(0.2) ? std::optional<Date>(s + std::chrono::days(uniform(10, 25))) : std::nullopt);
    }
    // Biologic or JAK users among those with an indication, started after the disease.
    for (const auto* d : has) {
      // About 3 % of the population on a biologic or JAK inhibitor (with --planted-every 50: ~5 %
      // assessed).
      if (!chance(0.05)) continue;
      const MedCodes* m = d == &kAtopicDermatitis ? &kDupilumab
                          : d == &kPsoriasis      ? (chance(0.5) ? &kUstekinumab : &kAdalimumab)
                          : d == &kRheumatoidArthritis
                              ? (chance(0.5) ? &kEtanercept : &kBaricitinib)
                          : d == &kCrohns ? &kInfliximab
                                          : nullptr;
      if (m) medication(*m, days_ago(60, 380));
    }
    for (int panels = uniform(0, 3); panels > 0; --panels) {
      Date when = days_ago(1, 900);
      cbc(when);
      if (chance(0.6)) chemistry(when, std::round(real(62, 118)));
      if (chance(0.02))
        lab("731-0", "Lymphocytes [#/volume] in Blood by Automated count", 9.9, "10*3/uL", when,
            "entered-in-error");
    }
  }

  // Planted patients. Each expectation is what the KB rules say for this record (cited inline);
  // the test checks every one is found, and nothing on the negative controls.
  void planted(int scenario) {
    const Date start = as_of_ - std::chrono::days(300);
    const Date male_birth = as_of_ - std::chrono::days(45 * 365 + uniform(0, 3000));
    switch (scenario) {
      case 0: {  // dupilumab for AD -> new psoriasis 120 days later
        write_patient(chance(0.5) ? "female" : "male", male_birth);
        condition(kAtopicDermatitis, start - std::chrono::days(3000), "active", chance(0.5));
        medication(kDupilumab, start);
        condition(kPsoriasis, start + std::chrono::days(120), "active", chance(0.5));
        expect("pr-dupilumab-psoriasis",
               R"({"kind":"paradoxical_reaction","drug":"dupilumab","new_disease":"psoriasis"})",
               "kb/paradoxical.toml: il4ra-inhibitor psoriasiform patterns; psoriasis begins 120 "
               "days after dupilumab "
               "while it is taken (PR_INFERRED_FROM_CONDITION)");
        break;
      }
      case 1: {  // IL-17 inhibitor for psoriasis -> eczema 60 days later
        write_patient("female", male_birth);
        condition(kPsoriasis, start - std::chrono::days(2500), "active", chance(0.5));
        medication(chance(0.5) ? kSecukinumab : kIxekizumab, start);
        condition(kEczema, start + std::chrono::days(60));
        expect("pr-il17i-eczema", R"({"kind":"paradoxical_reaction","new_disease":"eczema"})",
               "kb/paradoxical.toml visualdx-il17i-eczematous: eczematous reactions to IL-17 "
               "inhibitors, typically "
               "<= 4 months; eczema begins 60 days after start");
        break;
      }
      case 2: {  // TNF inhibitor for RA / Crohn's -> psoriasis 180 days later
        write_patient("male", male_birth);
        bool crohn = chance(0.5);
        condition(crohn ? kCrohns : kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(crohn ? kInfliximab : kAdalimumab, start);
        condition(kPsoriasis, start + std::chrono::days(180), "active", chance(0.5));
        expect("pr-tnfi-psoriasis",
               fmt::format(
                   R"({{"kind":"paradoxical_reaction","drug":"{}","new_disease":"psoriasis"}})",
                   crohn ? "infliximab" : "adalimumab"),
               "kb/paradoxical.toml visualdx-tnfi-psoriasiform; psoriasis begins 180 days after "
               "the TNF inhibitor");
        break;
      }
      case 3: {  // baricitinib, ALC below the interrupt threshold after start
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kBaricitinib, start);
        cbc(start - std::chrono::days(20));
        chemistry(start - std::chrono::days(20), 96);
        infection_screen(start - std::chrono::days(20));
        // kb/drugs/baricitinib.toml lab_threshold: ALC < 500 cells/uL -> interrupt (S11, S12, both
        // regions); 0.3 x 10^3/uL = 300 cells/uL, 150 days after start.
        cbc(start + std::chrono::days(150), 300);
        expect(
            "jak-alc-below-threshold",
            R"({"kind":"lab_threshold","drug":"baricitinib","code":"LAB_INTERRUPT","detail":"alc"})",
            "kb/drugs/baricitinib.toml: ALC < 500 cells/uL interrupt (S11, S12); ALC 300 cells/uL "
            "after start");
        break;
      }
      case 4: {  // baricitinib with active tuberculosis
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kBaricitinib, start);
        condition(kTuberculosis, as_of_ - std::chrono::days(30), "active", chance(0.5));
        expect("jak-active-tb",
               R"({"kind":"contraindication","drug":"baricitinib","code":"ACTIVE_TB"})",
               "docs/reason-codes.md ACTIVE_TB (drug.screening tb): active tuberculosis blocks a "
               "JAK inhibitor");
        break;
      }
      case 5: {  // tofacitinib with chronic hepatitis B
        write_patient("female", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kTofacitinib, start);
        condition(kHepatitisB, start - std::chrono::days(100), "active", chance(0.5));
        expect("jak-active-hbv",
               R"({"kind":"contraindication","drug":"tofacitinib","code":"ACTIVE_HBV"})",
               "docs/reason-codes.md ACTIVE_HBV (drug.screening hbv): active hepatitis B blocks a "
               "JAK inhibitor");
        break;
      }
      case 6: {  // baricitinib with no TB, HBV or HCV screening in the record
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kBaricitinib, start);
        cbc(start - std::chrono::days(15));
        chemistry(start - std::chrono::days(15), 94);
        expect(
            "jak-missing-screening",
            R"({"kind":"missing_screening","drug":"baricitinib","detail":"tb"},{"kind":"missing_screening","drug":"baricitinib","detail":"hbv"},{"kind":"missing_screening","drug":"baricitinib","detail":"hcv"})",
            "kb/drugs/baricitinib.toml drug.screening tb, hbv, hcv (S11, S12); no IGRA/TST, "
            "HBsAg/anti-HBc, HCV test "
            "recorded");
        break;
      }
      case 7: {  // baricitinib (US), no kidney function recorded: the renal rule cell is "not
                 // found"
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kBaricitinib, start);
        cbc(start - std::chrono::days(10));
        infection_screen(start - std::chrono::days(10));
        expect(
            "jak-rule-unknown-renal",
            R"({"kind":"rule_unknown","drug":"baricitinib","code":"RULE_UNKNOWN","detail":"renal"})",
            "kb/drugs/baricitinib.toml rule_status us renal not-found; RULE_UNKNOWN applies unless "
            "eGFR >= "
            "kidney-function.normal-min-egfr (90, KDIGO) is recorded");
        break;
      }
      case 8: {  // NEGATIVE: dupilumab for AD, nothing new
        write_patient("female", male_birth);
        condition(kAtopicDermatitis, start - std::chrono::days(3000));
        medication(kDupilumab, start);
        cbc(start + std::chrono::days(40));
        expect("negative-dupilumab-no-new-disease", "", "no condition begins after dupilumab");
        break;
      }
      case 9: {  // NEGATIVE: psoriasis recorded years before dupilumab (not new)
        write_patient("male", male_birth);
        condition(kAtopicDermatitis, start - std::chrono::days(3000));
        condition(kPsoriasis, start - std::chrono::days(1500));
        medication(kDupilumab, start);
        expect("negative-psoriasis-predates-dupilumab", "",
               "psoriasis predates dupilumab and is not recorded as worsening: "
               "PR_PREDATES_BIOLOGIC, at most unlikely");
        break;
      }
      case 10: {  // NEGATIVE: adalimumab stopped a year before psoriasis began
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(3000));
        medication(kAdalimumab, start - std::chrono::days(700), start - std::chrono::days(400));
        condition(kPsoriasis, start + std::chrono::days(10));
        expect("negative-tnfi-stopped-before", "",
               "adalimumab stopped before psoriasis began: PR_NO_CULPRIT");
        break;
      }
      case 11: {  // NEGATIVE: psoriasis after dupilumab, but entered in error
        write_patient("female", male_birth);
        condition(kAtopicDermatitis, start - std::chrono::days(3000));
        medication(kDupilumab, start);
        condition(kPsoriasis, start + std::chrono::days(120), "entered-in-error");
        expect("negative-psoriasis-entered-in-error", "",
               "the only new condition is entered-in-error (not read)");
        break;
      }
      case 12: {  // NEGATIVE: baricitinib, male, fully screened, normal labs, eGFR >= 90
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kBaricitinib, start);
        cbc(start - std::chrono::days(20));
        chemistry(start - std::chrono::days(20), 97);
        infection_screen(start - std::chrono::days(20));
        cbc(start + std::chrono::days(90));
        expect("negative-baricitinib-screened", "",
               "every screening item with a lab recorded, counts above the "
               "kb/drugs/baricitinib.toml thresholds, eGFR 97 "
               ">= 90 (renal rule not needed), male (pregnancy not applicable), no co-medication");
        break;
      }
      case 13: {  // NEGATIVE: baricitinib stopped; ALC low after it was stopped
        write_patient("male", male_birth);
        condition(kRheumatoidArthritis, start - std::chrono::days(2000));
        medication(kBaricitinib, start - std::chrono::days(600), start - std::chrono::days(300));
        cbc(start + std::chrono::days(100), 300);
        expect("negative-baricitinib-stopped", "", "no JAK inhibitor taken on the screening date");
        break;
      }
      default:
        break;
    }
  }

  fs::path out_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  Date as_of_;
  std::vector<std::vector<std::unique_ptr<Sink>>> sinks_;
  std::FILE* expected_ = nullptr;
  std::string id_;
  int n_ = 0;
};

}  // namespace

namespace {

int run(int argc, char** argv) {
  CLI::App app{
      "bulk_synth: synthetic FHIR Bulk Data NDJSON with planted findings (expected.ndjson)"};
  std::uint64_t patients = 1000, seed = 1;
  std::string out, as_of = "2026-06-30";
  bool gzip = false;
  int files_per_type = 1, planted_every = 7;
  app.add_option("--patients", patients, "Number of patients")->required();
  app.add_option("--seed", seed, "Random seed (same seed, same files)")->capture_default_str();
  app.add_option("--out", out, "Output folder (created)")->required();
  app.add_flag("--gzip", gzip, "Write .ndjson.gz");
  app.add_option("--files-per-type", files_per_type,
                 "Files per resource type (Type.000.ndjson ...)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--planted-every", planted_every, "Every M-th patient is planted (0: none)")
      ->capture_default_str();
  app.add_option("--as-of", as_of, "Screening date the planted timelines end on (YYYY-MM-DD)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(as_of.c_str(), "%d-%u-%u", &y, &m, &d) != 3) {
    fmt::print(stderr, "--as-of: value \"{}\": expected YYYY-MM-DD\n", as_of);
    return 2;
  }
  Date date{std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)};
  std::error_code ec;
  fs::create_directories(out, ec);
  try {
    Generator g(out, seed, gzip, files_per_type, date);
    for (std::uint64_t i = 0; i < patients; ++i) g.patient(i, planted_every);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 2;
  }
  std::FILE* meta = std::fopen((fs::path(out) / "bulk_synth.json").c_str(), "wb");
  if (meta) {
    fmt::print(
        meta,
        R"({{"patients":{},"seed":{},"as_of":"{}","region":"us","gzip":{},"files_per_type":{},"planted_every":{}}})"
        "\n",
        patients, seed, as_of, gzip, files_per_type, planted_every);
    std::fclose(meta);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An exception that escapes is a bug; it is reported, not left to std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
  }
  return 1;
}
