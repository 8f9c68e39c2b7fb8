// The unit converter (include/paraderm/units.h) and its use by the case reader and the KB check.
// Expected values are computed here from the unit definitions (UCUM: 1 uL = 1 mm3 = 10^-6 L,
// [lb_av] = 453.59237 g, [in_i] = 2.54 cm) and from the KB rows' cited factors (kb/labs.toml:
// creatinine 88.4 umol/L per mg/dL, terminology.md §5.1; bilirubin 17.1 umol/L per mg/dL, JAMA SI
// table; Hb 0.6206 mmol/L per g/dL, IQTIG and PMC3934467 Table 1) -- never copied from a run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "../kb/kb_test_util.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/units.h"

namespace paraderm {
namespace {

const kb::KnowledgeBase& shipped() {
  static const kb::LoadResult r = kb::load_embedded();
  return *r.kb;
}

// `value` of `analyte` converted, or a failure naming why.
double conv(const std::string& analyte, double value, const std::string& from,
            const std::string& to) {
  auto r = units::convert(shipped(), analyte, value, from, to);
  EXPECT_TRUE(r.is_ok()) << from << " -> " << to << ": " << r.status().message();
  return r.is_ok() ? r.value().value : -1;
}

bool read_as_non_ucum(const std::string& analyte, const std::string& from, const std::string& to) {
  auto r = units::convert(shipped(), analyte, 1, from, to);
  return r.is_ok() && !r.value().non_ucum.empty();
}

// ---- unit algebra (code) ----------------------------------------------------------------------

TEST(Units, CellCountsInEveryUcumForm) {
  // 10^9/L = 10^9 / 10^6 uL = 10^3/uL = 1000 cells/uL
  EXPECT_DOUBLE_EQ(conv("alc", 0.45, "10*9/L", "cells/uL"), 450);
  EXPECT_DOUBLE_EQ(conv("alc", 0.45, "10^9/L", "cells/uL"), 450);
  EXPECT_DOUBLE_EQ(conv("anc", 0.8, "10*3/uL", "cells/uL"), 800);
  EXPECT_DOUBLE_EQ(conv("anc", 4.5, "10*6/uL", "/uL"), 4.5e6);
  EXPECT_DOUBLE_EQ(conv("anc", 1.2, "10*3/uL", "10*9/L"), 1.2);
  // Annotations are unity: {cells}/uL == /uL; 1 mm3 = 1 uL.
  EXPECT_DOUBLE_EQ(conv("alc", 450, "{cells}/uL", "cells/uL"), 450);
  EXPECT_DOUBLE_EQ(conv("alc", 450, "/uL", "cells/uL"), 450);
  EXPECT_DOUBLE_EQ(conv("platelets", 150000, "/mm3", "/uL"), 150000);
  EXPECT_FALSE(read_as_non_ucum("alc", "{cells}/uL", "/uL"));
  EXPECT_FALSE(read_as_non_ucum("alc", "10^9/L", "10*9/L"));  // 10^ is a UCUM atom too
}

TEST(Units, MassConcentrationsAndEnzymesByPrefix) {
  EXPECT_DOUBLE_EQ(conv("hb", 79, "g/L", "g/dL"), 7.9);  // 1 dL = 0.1 L
  EXPECT_DOUBLE_EQ(conv("hb", 7.9, "g/dL", "g/L"), 79);
  EXPECT_DOUBLE_EQ(conv("albumin", 3500, "mg/dL", "g/dL"), 3.5);
  EXPECT_DOUBLE_EQ(conv("alt", 40, "U/L", "U/L"), 40);
  EXPECT_DOUBLE_EQ(conv("egfr", 75, "mL/min/{1.73_m2}", "mL/min/1.73m2"), 75);
  EXPECT_DOUBLE_EQ(conv("egfr", 75, "mL/min", "mL/min/1.73m2"), 75);
}

// UCUM: kat = mol/s and U = umol/min, so 1 ukat/L = 10^-6 mol/s/L = 60 U/L (Nordic labs report
// enzymes in ukat/L); no KB row is needed.
TEST(Units, EnzymeActivityInKatalsByDefinition) {
  EXPECT_NEAR(conv("alt", 0.6, "ukat/L", "U/L"), 36, 1e-9);
  EXPECT_NEAR(conv("ast", 600, "nkat/L", "U/L"), 36, 1e-9);
  EXPECT_NEAR(conv("alt", 60, "U/L", "ukat/L"), 1, 1e-12);
  EXPECT_FALSE(read_as_non_ucum("alt", "ukat/L", "U/L"));
  // An activity is not a mass concentration: no conversion to mg/dL.
  EXPECT_FALSE(units::convert(shipped(), "alt", 1, "ukat/L", "mg/dL").is_ok());
}

// Lab reports print powers of ten with superscripts. Read as plain digits, "10³/µL" became the
// UCUM factor 103 and an ALC of 1.2 x 10³/µL (1200 cells/uL) read as 123.6, below every
// do-not-start threshold.
TEST(Units, SuperscriptExponentsAreExponents) {
  EXPECT_DOUBLE_EQ(conv("alc", 1.2, "10\u00b3/\u00b5L", "cells/uL"), 1200);        // 10³/µL
  EXPECT_DOUBLE_EQ(conv("alc", 1.2, "10\u2079/L", "cells/uL"), 1200);              // 10⁹/L
  EXPECT_DOUBLE_EQ(conv("alc", 1.2, "x10\u00b3/\u00b5L", "cells/uL"), 1200);       // x10³/µL
  EXPECT_DOUBLE_EQ(conv("platelets", 250, "10\u00b9\u00b2/L", "10*9/L"), 250000);  // 10¹²/L
  EXPECT_NEAR(conv("bmi", 24, "kg/m\u00b2", "kg/m2"), 24, 1e-12);                  // kg/m²
  EXPECT_TRUE(read_as_non_ucum("alc", "10\u00b3/\u00b5L", "cells/uL"));
}

// The same numbers with the superscript lost ("103/uL", "109/L", "10.3/uL") are valid UCUM for
// 103 per uL or 10 x 3 per uL: ambiguous, so not read (the lab is then missing, not wrong).
// 100 and 1000 read the same either way and stay.
TEST(Units, ALostSuperscriptIsRefusedNotReadAsAFactor) {
  for (const char* unit : {"103/uL", "109/L", "1012/L", "10.3/uL", "106/uL"}) {
    auto r = units::convert(shipped(), "alc", 1.2, unit, "cells/uL");
    ASSERT_FALSE(r.is_ok()) << unit << " read as " << r.value().value;
    EXPECT_NE(r.status().message().find("superscript lost"), std::string::npos)
        << r.status().message();
  }
  EXPECT_DOUBLE_EQ(conv("alc", 1.2, "1000/uL", "cells/uL"), 1200);
  EXPECT_DOUBLE_EQ(conv("alc", 120, "100/uL", "cells/uL"), 12000);
}

// A message quoting the unit's offending character keeps it whole (valid UTF-8): "unexpected"
// used to quote one byte of a multi-byte character.
TEST(Units, AnUnreadableCharacterIsQuotedWhole) {
  auto r = units::convert(shipped(), "alc", 1,
                          "10\u2217"
                          "9/L",
                          "cells/uL");  // ∗ (U+2217)
  ASSERT_FALSE(r.is_ok());
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("'\u2217'"), std::string::npos) << m;
  EXPECT_EQ(m.find("'\xE2'"), std::string::npos) << m;
}

TEST(Units, MassAndLengthByDefinition) {
  // [lb_av] = 7000 [gr] = 453.59237 g (UCUM, exact): 154 lb = 69.85322498 kg
  EXPECT_NEAR(conv("weight", 154, "[lb_av]", "kg"), 154 * 0.45359237, 1e-9);
  EXPECT_NEAR(conv("weight", 154, "[lb_av]", "kg"), 69.85, 0.01);
  EXPECT_DOUBLE_EQ(conv("weight", 80000, "g", "kg"), 80);
  // [in_i] = 2.54 cm (exact): 70 in = 177.8 cm
  EXPECT_NEAR(conv("height", 70, "[in_i]", "cm"), 177.8, 1e-9);
  EXPECT_NEAR(conv("height", 1.8, "m", "cm"), 180, 1e-9);
}

// ---- analyte-specific rows (KB) ---------------------------------------------------------------

TEST(Units, MolarToMassComesFromTheAnalytesKbRow) {
  EXPECT_NEAR(conv("creatinine", 79.56, "umol/L", "mg/dL"), 79.56 / 88.4, 1e-12);  // = 0.9
  // The row composes with prefix algebra: 0.0884 mmol/L = 88.4 umol/L = 1 mg/dL.
  EXPECT_NEAR(conv("creatinine", 0.0884, "mmol/L", "mg/dL"), 1, 1e-12);
  EXPECT_NEAR(conv("bilirubin", 34.2, "umol/L", "mg/dL"), 34.2 / 17.1, 1e-12);  // = 2.0
  EXPECT_NEAR(conv("hb", 4.5, "mmol/L", "g/dL"), 4.5 / 0.6206, 1e-12);          // = 7.251
  EXPECT_NEAR(conv("hb", 8, "g/dL", "mmol/L"), 8 * 0.6206, 1e-12);
  EXPECT_NEAR(conv("alt", 40, "[iU]/L", "U/L"), 40, 1e-12);
  // Lipids in mmol/L (European labs): cholesterol x 38.66976, triglycerides x 88.57396
  // (kb/labs.toml, AHRQ 2007 Appendix 2).
  EXPECT_NEAR(conv("ldl", 3.4, "mmol/L", "mg/dL"), 3.4 * 38.66976, 1e-9);  // = 131.5
  EXPECT_NEAR(conv("hdl", 1.2, "mmol/L", "mg/dL"), 1.2 * 38.66976, 1e-9);
  EXPECT_NEAR(conv("cholesterol", 5.2, "mmol/L", "mg/dL"), 5.2 * 38.66976, 1e-9);
  EXPECT_NEAR(conv("triglycerides", 1.7, "mmol/L", "mg/dL"), 1.7 * 88.57396, 1e-9);
  EXPECT_NEAR(conv("ldl", 100, "mg/dL", "mmol/L"), 100 / 38.66976, 1e-9);
  auto r = units::convert(shipped(), "bilirubin", 34.2, "umol/L", "mg/dL");
  ASSERT_TRUE(r.is_ok());
  ASSERT_NE(r.value().via, nullptr);
  EXPECT_EQ(r.value().via->analyte, "bilirubin");
}

TEST(Units, ARowNeverAppliesToAnotherAnalyte) {
  // Creatinine's 88.4 must not turn albumin umol/L into mg/dL (the old threshold converter did).
  auto r = units::convert(shipped(), "albumin", 88.4, "umol/L", "mg/dL");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("no KB unit_conversion for albumin"), std::string::npos)
      << r.status().message();
  // Amount of substance is not a count.
  EXPECT_FALSE(units::convert(shipped(), "anc", 1, "mmol/L", "cells/uL").is_ok());
  // A percentage is not an absolute count.
  auto pct = units::convert(shipped(), "alc", 22, "%", "cells/uL");
  ASSERT_FALSE(pct.is_ok());
  EXPECT_NE(pct.status().message().find(
                "\"%\" (number) cannot be converted to \"cells/uL\" (number/volume)"),
            std::string::npos)
      << pct.status().message();
  auto bad = units::convert(shipped(), "hb", 1, "banana", "g/dL");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("\"banana\" is not a unit"), std::string::npos);
}

// ---- common non-UCUM spellings: read, and reported ---------------------------------------------

TEST(Units, NonUcumSpellingsAreReadAndReported) {
  for (const char* u : {"x10E3/uL", "x10^3/uL", "K/uL", "10E3/uL", "Thousand/uL", "thou/uL",
                        "x10(3)/uL", "10(3)/uL", "x 10^3/uL", "X 10E3/uL"}) {
    EXPECT_DOUBLE_EQ(conv("anc", 0.8, u, "cells/uL"), 800) << u;
    EXPECT_TRUE(read_as_non_ucum("anc", u, "/uL")) << u;
  }
  EXPECT_DOUBLE_EQ(conv("anc", 0.8, "G/L", "cells/uL"), 800);    // G = giga: 10^9/L
  EXPECT_DOUBLE_EQ(conv("anc", 0.8, "Gpt/l", "cells/uL"), 800);  // German: Gigapartikel/l
  EXPECT_DOUBLE_EQ(conv("anc", 0.8, "x 10^9/L", "cells/uL"), 800);
  EXPECT_DOUBLE_EQ(conv("anc", 0.8, "x10(9)/L", "cells/uL"), 800);
  // Not a power of ten: a parenthesis after another number, or a non-integer exponent.
  for (const char* u :
       {"110(3)/uL", "10(3.5)/uL", "10(x)/uL", "Thousands/uL", "x 1 0^3/uL", "Gpt", "thou"}) {
    EXPECT_FALSE(units::convert(shipped(), "anc", 1, u, "/uL").is_ok()) << u;
  }
  EXPECT_TRUE(read_as_non_ucum("anc", "G/L", "/uL"));
  for (const char* u : {"cells/uL", "cells/mm3"}) {
    EXPECT_DOUBLE_EQ(conv("alc", 450, u, "/uL"), 450) << u;
    EXPECT_TRUE(read_as_non_ucum("alc", u, "/uL")) << u;
  }
  for (const char* u : {"lb", "lbs"}) {
    EXPECT_NEAR(conv("weight", 154, u, "kg"), 154 * 0.45359237, 1e-9) << u;
    EXPECT_TRUE(read_as_non_ucum("weight", u, "kg")) << u;
  }
  EXPECT_NEAR(conv("bilirubin", 34.2, "\xC2\xB5mol/L", "mg/dL"), 2.0, 1e-12);  // micro sign
  auto r = units::convert(shipped(), "anc", 1, "K/uL", "/uL");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().non_ucum.size(), 1u);
  EXPECT_EQ(r.value().non_ucum[0], "\"K/uL\" is not UCUM: read as 10*3/uL");
}

// A conversion gives the decimal it stands for, exactly: the threshold checks compare at the
// edge (ALC "below 500 cells/uL", "< 0.5 x 10^9/L"), where 500.00000000000006 is not 500. Binary
// scales (1e-3 L, 1e-6 u) made 0.5 x 10^9/L 500.00000000000006 /uL. EXPECT_EQ, not
// EXPECT_DOUBLE_EQ: four ulps were the bug.
TEST(Units, APowerOfTenConversionIsExactToTheDecimal) {
  struct Row {
    const char* analyte;
    double value;
    const char* from;
    const char* to;
    double expected;
  };
  const Row rows[] = {
      {"alc", 0.5, "10*9/L", "cells/uL", 500},
      {"alc", 0.5, "10*3/uL", "cells/uL", 500},
      {"alc", 0.5, "10^9/L", "/uL", 500},
      {"anc", 1.1, "10*9/L", "cells/uL", 1100},
      {"anc", 1, "10*9/L", "/mm3", 1000},
      {"alc", 500, "cells/uL", "10*9/L", 0.5},
      {"anc", 1000, "/uL", "10*9/L", 1},
      {"platelets", 0.15, "10*12/L", "10*9/L", 150},
      {"hb", 80, "g/L", "g/dL", 8},
      {"hb", 8, "g/dL", "g/L", 80},
      {"creatinine", 1.1, "mg/dL", "mg/L", 11},
      {"weight", 70000, "g", "kg", 70},
  };
  for (const auto& row : rows) {
    auto r = units::convert(shipped(), row.analyte, row.value, row.from, row.to);
    ASSERT_TRUE(r.is_ok()) << row.from << " -> " << row.to << ": " << r.status().message();
    EXPECT_EQ(r.value().value, row.expected)
        << fmt::format("{} {} -> {}: {:.17g}", row.value, row.from, row.to, r.value().value);
  }
}

// ---- the case reader: an unconvertible unit makes that lab unknown ---------------------------

const char* kCase = R"({"region":"us","as_of":"2026-11-20",
  "patient":{"birth_date":"1980-06-01","sex":"female","weight_kg":70},
  "conditions":[{"name":"atopic dermatitis","onset":"1990-01-01"}],
  "medications":[{"name":"dupilumab","start":"2026-01-01"}],
  "labs":[{"test":"alc","date":"2026-11-01","value":22,"unit":"%"},
          {"test":"hb","date":"2026-11-01","value":13.5,"unit":"g/dL"}],
  "eruption":{"phenotype":"psoriasiform","onset":"2026-06-01"}})";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string warnings(const clinical::Case& c) {
  std::string s;
  for (const auto& w : c.warnings) s += w.to_string() + "\n";
  return s;
}

TEST(UnitsInCases, UnconvertibleUnitMakesThatLabUnknownAndTheCaseIsAssessed) {
  auto r = clinical::parse_case(kCase, shipped());
  ASSERT_TRUE(r.record) << (r.problems.empty() ? "" : r.problems[0].to_string());
  const auto& c = *r.record;
  // Kept without a value, so that no older result stands in for it as the latest.
  const auto* alc = c.latest("alc", c.as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_FALSE(alc->value);
  EXPECT_FALSE(alc->bound);
  EXPECT_TRUE(alc->unusable);
  ASSERT_NE(c.latest("hb", c.as_of), nullptr);  // the rest is read
  std::string w = warnings(c);
  EXPECT_NE(w.find("/labs/0/unit: lab alc: value \"%\""), std::string::npos) << w;
  EXPECT_NE(w.find("expected one of cells/uL, 10*9/L"), std::string::npos) << w;
  auto a = assess::assess(shipped(), c);
  ASSERT_FALSE(a.options.empty());
  // upadacitinib has a US do-not-start ALC threshold: with the ALC unknown it is missing.
  bool missing = false;
  for (const auto& o : a.options) {
    if (o.id != "upadacitinib") continue;
    for (const auto& reason : o.reasons)
      missing |=
          to_string(reason.code) == "LAB_MISSING" && reason.text.find("alc") != std::string::npos;
  }
  EXPECT_TRUE(missing);
}

// Native "comparator": the value is a bound, converted to the KB unit like a value; never read
// as a value. Without it the same number is a value.
TEST(UnitsInCases, ANativeComparatorMakesTheValueABound) {
  std::string j = replaced(kCase, "\"value\":22,\"unit\":\"%\"",
                           R"("value":0.3,"comparator":"<","unit":"10*9/L")");
  auto r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record) << (r.problems.empty() ? "" : r.problems[0].to_string());
  const auto* alc = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_FALSE(alc->value);
  ASSERT_TRUE(alc->bound);
  EXPECT_DOUBLE_EQ(alc->bound->value, 300);  // cells/uL
  EXPECT_EQ(alc->below(500), std::optional<bool>(true));
  j = replaced(kCase, "\"value\":22,\"unit\":\"%\"", R"("value":0.3,"unit":"10*9/L")");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  alc = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_FALSE(alc->bound);
  EXPECT_DOUBLE_EQ(*alc->value, 300);
  // Outside the closed set: a problem naming the field.
  j = replaced(kCase, "\"value\":22,\"unit\":\"%\"",
               R"("value":0.3,"comparator":"ad","unit":"10*9/L")");
  r = clinical::parse_case(j, shipped());
  bool named = false;
  for (const auto& p : r.problems)
    named |= p.to_string().find("/labs/0/comparator") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(UnitsInCases, ConvertibleUnitsAreNotWarnedAboutUnlessNotUcum) {
  std::string j = kCase;
  j = replaced(j, "\"value\":22,\"unit\":\"%\"", R"("value":0.45,"unit":"x10E3/uL")");
  auto r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  const auto* alc = r.record->latest("alc", r.record->as_of);
  ASSERT_NE(alc, nullptr);
  EXPECT_DOUBLE_EQ(*alc->value, 450);
  std::string w = warnings(*r.record);
  EXPECT_NE(w.find("/labs/0/unit: lab alc: \"x10E3/uL\" is not UCUM: read as 10*3/uL"),
            std::string::npos)
      << w;

  // The KB's own spelling of the lab unit is the documented native form: no warning.
  j = kCase;
  j = replaced(j, "\"value\":22,\"unit\":\"%\"", R"("value":450,"unit":"cells/uL")");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  EXPECT_EQ(warnings(*r.record).find("/labs/0/unit"), std::string::npos) << warnings(*r.record);
}

TEST(UnitsInCases, HbInMillimolesIsConverted) {
  std::string j = kCase;
  j = replaced(j, "\"value\":13.5,\"unit\":\"g/dL\"", R"("value":4.5,"unit":"mmol/L")");
  auto r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  const auto* hb = r.record->latest("hb", r.record->as_of);
  ASSERT_NE(hb, nullptr);
  EXPECT_NEAR(*hb->value, 4.5 / 0.6206, 1e-9);
  EXPECT_EQ(hb->unit, "g/dL");
}

// FHIR body weight (LOINC 29463-7) in pounds: 154 [lb_av] = 69.85 kg, not 154 kg (the old reader
// took any weight as kg).
std::string fhir_weight(const std::string& value, const std::string& unit) {
  return R"({"resourceType":"Bundle","type":"collection","timestamp":"2026-11-20T10:00:00Z","entry":[
    {"resource":{"resourceType":"Patient","gender":"male","birthDate":"1980-01-01"}},
    {"resource":{"resourceType":"Observation","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
      "effectiveDateTime":"2026-11-01",
      "valueQuantity":{"value":)" +
         value + R"(,"system":"http://unitsofmeasure.org","code":")" + unit + R"("}}}]})";
}

TEST(UnitsInCases, BodyWeightInPoundsAndHeightInInchesAreConverted) {
  auto r = clinical::parse_case(fhir_weight("154", "[lb_av]"), shipped());
  ASSERT_TRUE(r.record);
  ASSERT_TRUE(r.record->patient.weight_kg);
  EXPECT_NEAR(*r.record->patient.weight_kg, 69.85, 0.01);
  EXPECT_NEAR(*r.record->patient.weight_kg, 154 * 0.45359237, 1e-9);

  // Body height (LOINC 8302-2) goes through the same converter: 70 [in_i] = 177.8 cm.
  std::string height = fhir_weight("70", "[in_i]");
  height = replaced(height, "29463-7", "8302-2");
  r = clinical::parse_case(height, shipped());
  ASSERT_TRUE(r.record);
  const auto* h = r.record->latest("height", r.record->as_of);
  ASSERT_NE(h, nullptr);
  EXPECT_NEAR(*h->value, 177.8, 1e-9);
  EXPECT_EQ(h->unit, "cm");

  r = clinical::parse_case(fhir_weight("11", "[stone_av]"), shipped());
  ASSERT_TRUE(r.record);  // an unknown unit is not an error for the case
  EXPECT_FALSE(r.record->patient.weight_kg);
  std::string w = warnings(*r.record);
  EXPECT_NE(w.find("valueQuantity.code: lab weight: value \"[stone_av]\""), std::string::npos) << w;
  EXPECT_NE(w.find("expected one of kg"), std::string::npos) << w;
}

// ---- plausibility (kb/labs.toml `plausible`) ---------------------------------------------------

TEST(UnitsInCases, ImplausibleValuesAreDroppedWithAWarning) {
  // Hb 120 "g/dL" is g/L mislabelled: the KB bound is 40 g/dL.
  std::string j = kCase;
  j = replaced(j, "\"value\":13.5,\"unit\":\"g/dL\"", R"("value":120,"unit":"g/dL")");
  auto r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  const auto* hb = r.record->latest("hb", r.record->as_of);
  ASSERT_NE(hb, nullptr);  // kept as the latest result, without a value
  EXPECT_FALSE(hb->value);
  EXPECT_TRUE(hb->unusable);
  std::string w = warnings(*r.record);
  EXPECT_NE(
      w.find("/labs/1/value: lab hb: value 120 g/dL: outside the plausible range [0, 40] g/dL"),
      std::string::npos)
      << w;
  // Not firing: a low but real Hb is kept.
  j = kCase;
  j = replaced(j, "\"value\":13.5,\"unit\":\"g/dL\"", R"("value":4.1,"unit":"g/dL")");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  ASSERT_NE(r.record->latest("hb", r.record->as_of), nullptr);
  EXPECT_EQ(warnings(*r.record).find("plausible"), std::string::npos) << warnings(*r.record);

  // Weight 900 kg (bound 700 kg): unknown; 70 kg (kCase) is kept.
  EXPECT_EQ(r.record->patient.weight_kg, 70);
  j = kCase;
  j = replaced(j, "\"weight_kg\":70", R"("weight_kg":900)");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  EXPECT_FALSE(r.record->patient.weight_kg);
  w = warnings(*r.record);
  EXPECT_NE(w.find("/patient/weight_kg: lab weight: value 900 kg: outside the plausible range "
                   "[0.2, 700] kg"),
            std::string::npos)
      << w;

  // A native age above the KB bound (125 years) is unknown; 124 is kept.
  j = kCase;
  j = replaced(j, "\"birth_date\":\"1980-06-01\"", R"("age_years":130)");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  EXPECT_FALSE(r.record->patient.age_years);
  EXPECT_NE(warnings(*r.record).find(
                "/patient/age_years: lab age: value 130 a: outside the plausible range [0, 125] a"),
            std::string::npos)
      << warnings(*r.record);
  j = kCase;
  j = replaced(j, "\"birth_date\":\"1980-06-01\"", R"("age_years":124)");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->patient.age_years, 124);

  // A placeholder birth date gives an age above the KB bound (125 years): age unknown.
  j = kCase;
  j = replaced(j, "1980-06-01", "1900-01-01");
  r = clinical::parse_case(j, shipped());
  ASSERT_TRUE(r.record);
  EXPECT_FALSE(r.record->patient.age_years);
  EXPECT_NE(warnings(*r.record).find(
                "/patient/birth_date: lab age: value 126 a: outside the plausible range"),
            std::string::npos)
      << warnings(*r.record);
}

// ---- the KB check: every threshold converts to its lab's unit ------------------------------

std::string threshold_kb(const std::string& unit) {
  return R"(
[[lab]]
id = "hb"
name = "Haemoglobin"
unit = "g/dL"

[[drug]]
id = "testinib"
name = "testinib"
ingredient = "testinib"
route = "oral"
mechanism = { binding = "atp-competitive", targets = ["JAK1"], src = ["cst-jak-stat-table"], conf = "confirmed" }
potency = [{ assay = "enzymatic", target = "JAK1", ic50_nm = 5, src = ["cst-jak-stat-table"], conf = "confirmed" }]

[[drug.lab_threshold]]
region = "us"
analyte = "hb"
below = 8
unit = ")" +
         unit + R"("
action = "do-not-start"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";
}

TEST(UnitsInKb, ThresholdUnitMustConvertToTheLabsUnit) {
  auto bad = kb::testing::load_with("drugs.toml", threshold_kb("cells/uL"));
  EXPECT_FALSE(bad.kb);
  auto errors = kb::testing::errors_of(bad);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_EQ(
      errors[0].rfind("drugs.toml:15: drug 'testinib'.lab_threshold.unit: value \"cells/uL\"", 0),
      0u)
      << errors[0];
  EXPECT_NE(errors[0].find("expected a unit convertible to the lab's unit \"g/dL\""),
            std::string::npos);

  auto good = kb::testing::load_with("drugs.toml", threshold_kb("g/L"));
  EXPECT_TRUE(good.kb) << ::testing::PrintToString(kb::testing::errors_of(good));
}

TEST(UnitsInKb, UnitRowsOnlyForWhatTheUnitsCannotSay) {
  const std::string lab = R"(
[[lab]]
id = "hb"
name = "Haemoglobin"
unit = "g/dL"

[[unit_conversion]]
analyte = "hb"
from = "g/dL"
)";
  auto algebra = kb::testing::load_with("labs.toml", lab + R"(to = "g/L"
factor = 10
src = ["cst-jak-stat-table"]
conf = "derived"
)");
  auto errors = kb::testing::errors_of(algebra);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("are both mass/volume: the conversion follows from the units"),
            std::string::npos)
      << errors[0];

  auto molar = kb::testing::load_with("labs.toml", lab + R"(to = "mmol/L"
factor = 0.6206
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  EXPECT_TRUE(molar.kb) << ::testing::PrintToString(kb::testing::errors_of(molar));
}

}  // namespace
}  // namespace paraderm
