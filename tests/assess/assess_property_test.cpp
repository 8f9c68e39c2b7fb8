// Properties of the assessment over random patients (RapidCheck):
//  * adding a risk factor or a contraindication never improves any verdict;
//  * no dose exceeds the region's largest label daily dose for that drug;
//  * a patient with no risk factor at all never gets `contraindicated` for a drug labelled for
//    one of their diseases.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

using Json = nlohmann::json;

using paraderm::testing::shipped;

PathwayCache& cache() {
  static PathwayCache c(shipped());
  return c;
}

// A clean adult with a PR: no risk factor, normal labs, no co-medication.
Json clean_case() {
  const bool eczema = *rc::gen::arbitrary<bool>();
  const std::string region = *rc::gen::element(std::string("us"), std::string("eu"));
  const std::string sex = *rc::gen::element(std::string("female"), std::string("male"));
  const int age = *rc::gen::inRange(18, 64);
  Json c;
  c["region"] = region;
  c["as_of"] = "2026-11-20";
  c["patient"] = {{"age_years", age},
                  {"sex", sex},
                  {"weight_kg", *rc::gen::inRange(50, 110)},
                  {"smoking", {{"status", "never"}}},
                  {"pregnant", false},
                  {"breastfeeding", false}};
  if (eczema) {  // IL-17 inhibitor for psoriasis -> eczematous eruption
    c["conditions"] = Json::array({{{"name", "psoriasis"}, {"onset", "2010-01-01"}}});
    c["medications"] = Json::array(
        {{{"name", *rc::gen::element(std::string("secukinumab"), std::string("ixekizumab"))},
          {"start", "2026-01-15"}}});
    c["eruption"] = {{"phenotype", "eczematous"}, {"onset", "2026-05-01"}};
  } else {  // dupilumab for AD -> psoriasiform eruption
    c["conditions"] = Json::array({{{"name", "atopic dermatitis"}, {"onset", "2000-01-01"}}});
    c["medications"] = Json::array({{{"name", "dupilumab"}, {"start", "2026-01-15"}}});
    c["eruption"] = {{"phenotype", "psoriasiform"}, {"onset", "2026-06-01"}};
  }
  c["eruption"]["severity"] =
      *rc::gen::element(std::string("mild"), std::string("moderate"), std::string("severe"));
  double g = *rc::gen::inRange(0, 100) / 100.0;  // normal range position
  c["labs"] = Json::array(
      {{{"test", "alc"}, {"date", "2026-11-10"}, {"value", 1.2 + g}, {"unit", "10*9/L"}},
       {{"test", "anc"}, {"date", "2026-11-10"}, {"value", 2.5 + 3 * g}, {"unit", "10*9/L"}},
       {{"test", "hb"}, {"date", "2026-11-10"}, {"value", 12.5 + 3 * g}, {"unit", "g/dL"}},
       {{"test", "platelets"},
        {"date", "2026-11-10"},
        {"value", 180 + 150 * g},
        {"unit", "10*9/L"}},
       {{"test", "egfr"},
        {"date", "2026-11-10"},
        {"value", 95 + 20 * g},
        {"unit", "mL/min/1.73m2"}},
       {{"test", "igra"}, {"date", "2026-11-10"}, {"result", "negative"}},
       {{"test", "hbsag"}, {"date", "2026-11-10"}, {"result", "negative"}}});
  return c;
}

// One added risk factor or contraindication.
Json worsen(Json c) {
  switch (*rc::gen::inRange(0, 16)) {
    case 0:
      c["patient"]["age_years"] = 70;
      break;
    case 1:
      c["patient"]["smoking"]["status"] = "current";
      break;
    case 2:
      c["patient"]["cv_risk_factors"] = Json::array({"hypertension"});
      break;
    case 3:
      c["conditions"].push_back({{"name", "malignancy"}, {"onset", "2019-01-01"}});
      break;
    case 4:
      c["conditions"].push_back({{"name", "venous-thromboembolism"}, {"onset", "2020-01-01"}});
      break;
    case 5:
      c["patient"]["sex"] = "female";
      c["patient"]["pregnant"] = true;
      break;
    case 6:
      c["patient"]["sex"] = "female";
      c["patient"]["breastfeeding"] = true;
      break;
    case 7:
      c["conditions"].push_back({{"name", "tuberculosis"}, {"onset", "2026-10-01"}});
      break;
    case 8:
      c["conditions"].push_back({{"name", "latent-tuberculosis"}, {"onset", "2026-10-01"}});
      break;
    case 9:
      c["labs"][0]["value"] = 0.3;
      break;  // ALC 300 cells/uL
    case 10:
      c["conditions"].push_back({{"name", "herpes-zoster"}, {"onset", "2018-01-01"}});
      break;
    case 11:
      c["medications"].push_back({{"name", "ketoconazole"}, {"start", "2026-11-01"}});
      break;
    case 12:
      c["medications"].push_back({{"name", "clopidogrel"}, {"start", "2026-11-01"}});
      break;
    case 13:
      c["flags"] = Json::array({"child-pugh-c"});
      break;
    case 14:
      c["labs"][4]["value"] = 25;
      break;  // eGFR 25
    case 15:
      c["medications"].push_back({{"name", "fluvoxamine"}, {"start", "2026-11-01"}});
      break;
    default:
      c["flags"] = Json::array({"active-serious-infection"});
      break;
  }
  return c;
}

Assessment run(const Json& c) {
  auto parsed = clinical::parse_case(c.dump(), shipped());
  RC_ASSERT(parsed.record.has_value());
  AssessOptions o;
  o.cache = &cache();
  return assess(shipped(), *parsed.record, o);
}

double max_daily(const kb::Drug& d, const std::string& region, const std::string& unit) {
  double m = 0;
  for (const auto& dose : d.dose) {
    if (!kb::applies_to(dose.region, region == "eu" ? kb::Region::kEu : kb::Region::kUs)) continue;
    if (dose.unit != unit || (dose.frequency != "qd" && dose.frequency != "bid")) continue;
    m = std::max(m, dose.amount * (dose.frequency == "bid" ? 2 : 1));
  }
  return m;
}

RC_GTEST_PROP(AssessProperties, AddingARiskNeverImprovesAVerdict, ()) {
  Json base = clean_case();
  Json worse = worsen(base);
  Assessment a = run(base), b = run(worse);
  for (const auto& o : a.options) {
    auto it = std::find_if(b.options.begin(), b.options.end(),
                           [&](const Option& x) { return x.id == o.id; });
    if (it == b.options.end()) continue;  // strategies depend on severity only
    RC_ASSERT(it->verdict >= o.verdict);
  }
}

RC_GTEST_PROP(AssessProperties, NoDoseAboveTheLabelMaximum, ()) {
  Json c = *rc::gen::element(0, 1) ? worsen(clean_case()) : clean_case();
  Assessment a = run(c);
  for (const auto& o : a.options) {
    if (!o.dose || o.kind != OptionKind::kDrug) continue;
    const kb::Drug* d = shipped().find_drug(o.id);
    RC_ASSERT(d != nullptr);
    double daily = o.dose->amount * (o.dose->frequency == "bid" ? 2 : 1);
    RC_ASSERT(daily <= max_daily(*d, a.region, o.dose->unit) + 1e-9);
    RC_ASSERT(daily > 0.0);
  }
}

RC_GTEST_PROP(AssessProperties, NoRiskFactorsNoContraindicationForALabelledIndication, ()) {
  Assessment a = run(clean_case());
  for (const auto& o : a.options) {
    bool labelled = std::any_of(o.label.begin(), o.label.end(), [](const LabelStatus& l) {
      return l.status == Approval::kApproved;
    });
    if (labelled) RC_ASSERT(o.verdict != Verdict::kContraindicated);
  }
}

}  // namespace
}  // namespace paraderm::assess
