// One test per class of validation error: each asserts that the error names the file, the line,
// the field and what was expected, and that a KB with the error does not load.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "kb_test_util.h"

namespace paraderm::kb {
namespace {

using testing::errors_of;
using testing::load_with;

// Asserts that the load failed with exactly one error, at file:line, whose text contains all of
// `fragments`.
void expect_single_error(const LoadResult& r, const std::string& file_line,
                         std::initializer_list<std::string> fragments) {
  EXPECT_FALSE(r.kb.has_value());
  auto errors = errors_of(r);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0].rfind(file_line + ": ", 0), 0u) << errors[0];
  for (const auto& f : fragments) EXPECT_NE(errors[0].find(f), std::string::npos) << errors[0];
}

TEST(KbValidation, FactWithoutSourceIsRejected) {
  auto r = load_with("axes.toml", R"(
[[axis]]
id = "Th2"
name = "T helper 2"
conf = "confirmed"
)");
  expect_single_error(r, "axes.toml:2", {"axis[0].src", "missing required field 'src'"});
}

TEST(KbValidation, EmptySourceListIsRejected) {
  auto r = load_with("axes.toml", R"(
[[axis]]
id = "Th2"
name = "T helper 2"
src = []
conf = "confirmed"
)");
  expect_single_error(r, "axes.toml:5", {"axis[0].src", "expected at least one element"});
}

TEST(KbValidation, UnknownSourceIdIsRejectedWithSuggestion) {
  auto r = load_with("axes.toml", R"(
[[axis]]
id = "Th2"
name = "T helper 2"
src = ["cst-jak-stat-tabel"]
conf = "confirmed"
)");
  expect_single_error(r, "axes.toml:5",
                      {"axis[0].src[0]", "\"cst-jak-stat-tabel\"", "no source with this id",
                       "did you mean 'cst-jak-stat-table'"});
}

// The suggestion reaches three edits and no further, whatever the lengths (the search skips ids
// whose length alone rules them out): three letters appended is suggested, four is not.
TEST(KbValidation, SuggestionReachesThreeEditsAndNoFurther) {
  auto with_src = [](const std::string& id) {
    return load_with("axes.toml", fmt::format(R"(
[[axis]]
id = "Th2"
name = "T helper 2"
src = ["{}"]
conf = "confirmed"
)",
                                              id));
  };
  auto three = errors_of(with_src("cst-jak-stat-tablexyz"));
  ASSERT_EQ(three.size(), 1u);
  EXPECT_NE(three[0].find("did you mean 'cst-jak-stat-table'"), std::string::npos) << three[0];
  auto four = errors_of(with_src("cst-jak-stat-tablewxyz"));
  ASSERT_EQ(four.size(), 1u);
  EXPECT_EQ(four[0].find("did you mean"), std::string::npos) << four[0];
  EXPECT_NE(four[0].find("no source with this id"), std::string::npos) << four[0];
}

// kb/vaccines.toml: a vaccine is matched by its CVX code (FHIR Immunization.vaccineCode), so
// another code system is refused; a CVX code loads.
TEST(KbValidation, AVaccineCodeMustBeCvx) {
  auto vaccine = [](const char* system) {
    return load_with("vaccines.toml", fmt::format(R"(
[[vaccine]]
id = "v"
name = "A vaccine"
live = false
src = ["cst-jak-stat-table"]
conf = "confirmed"

[[vaccine.code]]
system = "{}"
code = "187"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)",
                                                  system));
  };
  expect_single_error(vaccine("loinc"), "vaccines.toml:2",
                      {"vaccine[0].code", "system \"loinc\": expected cvx or atc"});
  EXPECT_TRUE(errors_of(vaccine("cvx")).empty())
      << ::testing::PrintToString(errors_of(vaccine("cvx")));
}

TEST(KbValidation, UnknownFieldIsRejected) {
  auto r = load_with("axes.toml", R"(
[[axis]]
id = "Th2"
name = "T helper 2"
efectors = ["IL-4"]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  expect_single_error(
      r, "axes.toml:5",
      {"axis[0].efectors", "unknown field 'efectors'", "expected one of", "effectors"});
}

TEST(KbValidation, UnknownKindIsRejected) {
  auto r = load_with("x.toml", R"(
[[cytokines]]
id = "IL-2"
)");
  expect_single_error(r, "x.toml:2", {"unknown kind 'cytokines'", "cytokine"});
}

TEST(KbValidation, BadTypeIsRejected) {
  auto r = load_with("labs.toml", R"(
[[lab]]
id = "hb"
name = "Haemoglobin"
unit = "g/dL"

[[unit_conversion]]
analyte = "hb"
from = "g/dL"
to = "mmol/L"
factor = "ten"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  expect_single_error(r, "labs.toml:11",
                      {"unit_conversion[0].factor", "value \"ten\"", "expected a number"});
}

TEST(KbValidation, BadEnumValueIsRejected) {
  auto r = load_with("axes.toml", R"(
[[axis]]
id = "Th2"
name = "T helper 2"
src = ["cst-jak-stat-table"]
conf = "likely"
)");
  expect_single_error(r, "axes.toml:6",
                      {"axis[0].conf", "\"likely\"", "confirmed, secondary, derived, unconfirmed"});
}

// kb/fhir.toml region_country: one label region per row, upper-case ISO 3166-1 codes.
TEST(KbValidation, RegionCountryNeedsOneRegionAndIsoCodes) {
  auto both = load_with("fhir.toml", R"(
[[region_country]]
id = "x"
region = "both"
countries = ["FR"]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  expect_single_error(both, "fhir.toml:2", {"region_country[0].region", "expected us or eu"});
  auto lower = load_with("fhir.toml", R"(
[[region_country]]
id = "x"
region = "eu"
countries = ["FR", "fra", "France"]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  auto errors = errors_of(lower);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("\"fra\""), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("\"France\""), std::string::npos) << errors[1];
  auto good = load_with("fhir.toml", R"(
[[region_country]]
id = "x"
region = "eu"
countries = ["FR", "FRA"]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  ASSERT_TRUE(good.kb) << ::testing::PrintToString(errors_of(good));
  EXPECT_EQ(kb::region_of_country(*good.kb, "fra"), std::optional<Region>(Region::kEu));
  EXPECT_EQ(kb::region_of_country(*good.kb, "CH"), std::nullopt);
}

TEST(KbValidation, OutOfRangeNumberIsRejected) {
  auto r = load_with("sources2.toml", R"(
[[source]]
id = "old-paper"
title = "A paper"
venue = "Some journal"
year = 1850
grade = "review"
)");
  expect_single_error(r, "sources2.toml:6",
                      {"source[0].year", "value 1850", "expected a number in [1900, 2100]"});
}

TEST(KbValidation, DuplicateIdIsRejected) {
  auto r = load_with("kinases2.toml", R"(
[[kinase]]
id = "JAK1"
name = "Janus kinase 1, again"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  expect_single_error(r, "kinases2.toml:2",
                      {"duplicate kinase id 'JAK1'", "first defined at kinases.toml:2"});
}

// A native result names its test by a lab's id, name or alias: a name shared by two labs would
// file results under whichever the reader indexed first.
TEST(KbValidation, ALabNameOrAliasIdentifiesOneLab) {
  auto r = load_with("labs.toml", R"(
[[lab]]
id = "hb"
name = "Haemoglobin"
aliases = ["hemoglobin", "Hgb"]

[[lab]]
id = "hct"
name = "Haematocrit"
aliases = ["HGB"]
)");
  expect_single_error(r, "labs.toml:7",
                      {"lab 'hct'.aliases", "name \"HGB\" also names lab 'hb'",
                       "expected each name to identify one lab"});
  r = load_with("labs.toml", R"(
[[lab]]
id = "hb"
name = "Haemoglobin"
aliases = ["hemoglobin", "Hgb"]

[[lab]]
id = "hct"
name = "Haematocrit"
aliases = ["Hct"]
)");
  EXPECT_TRUE(r.kb.has_value()) << ::testing::PrintToString(errors_of(r));
}

// absolute = total x percentage / 100 holds only with the percentage in % and the total in the
// absolute count's unit.
TEST(KbValidation, AnAbsoluteCountFromAPercentageNeedsMatchingUnits) {
  const std::string labs = R"(
[[lab]]
id = "wbc"
name = "White blood cell count"
unit = "cells/uL"

[[lab]]
id = "lymphocytes-pct"
name = "Lymphocytes, percentage"
unit = "PCT_UNIT"

[[lab]]
id = "alc"
name = "Lymphocytes, absolute count"
unit = "cells/uL"

[lab.from_percentage]
percentage = "lymphocytes-pct"
total = "wbc"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";
  auto with_unit = [&](const std::string& unit) {
    std::string t = labs;
    t.replace(t.find("PCT_UNIT"), 8, unit);
    return load_with("labs.toml", t);
  };
  auto bad = with_unit("cells/uL");
  expect_single_error(bad, "labs.toml:12",
                      {"lab 'alc'.from_percentage.percentage", "expected \"%\""});
  auto good = with_unit("%");
  EXPECT_TRUE(good.kb.has_value()) << ::testing::PrintToString(errors_of(good));
}

TEST(KbValidation, DanglingReferenceIsRejected) {
  std::string cytokine = testing::kMinimalCytokine;
  cytokine.replace(cytokine.find("kinases = [\"JAK1\", \"JAK3\"]"), 26,
                   "kinases = [\"JAK1\", \"JAK9\"]");
  auto r = load_with("cytokines.toml", cytokine);
  EXPECT_FALSE(r.kb.has_value());
  auto errors = errors_of(r);
  bool found = false;
  for (const auto& e : errors) {
    found = found || (e.rfind("cytokines.toml:7: cytokine[0].pair.kinases[1]: ", 0) == 0 &&
                      e.find("\"JAK9\": no kinase with this id") != std::string::npos);
  }
  EXPECT_TRUE(found) << ::testing::PrintToString(errors);
}

TEST(KbValidation, JakPairMustHaveTwoKinases) {
  std::string cytokine = testing::kMinimalCytokine;
  cytokine.replace(cytokine.find("kinases = [\"JAK1\", \"JAK3\"]"), 26, "kinases = [\"JAK1\"]");
  auto r = load_with("cytokines.toml", cytokine);
  expect_single_error(r, "cytokines.toml:7",
                      {"cytokine[0].pair.kinases", "array of 1 elements: expected exactly 2"});
}

TEST(KbValidation, NonJakCytokineMustNotHaveAPair) {
  auto r = load_with("cytokines.toml", R"(
[[cytokine]]
id = "TNF"
name = "Tumour necrosis factor"
signalling = "none"
non_jak_pathway = "TNFR1 -> TRADD, RIPK1, TRAF2 -> NF-kB"
receptor = [{ chains = ["TNFR1"], jaks = ["JAK1"] }]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  expect_single_error(r, "cytokines.toml:2",
                      {"cytokine[0].receptor", "expected receptor jaks = []"});
}

// cytokine.signalling is a closed set: both names load (the minimal cytokine signals through JAKs,
// the TNF entry without), a misspelt one is an error naming the allowed names.
TEST(KbValidation, CytokineSignallingIsJakOrNone) {
  const std::string tnf = R"(
[[cytokine]]
id = "TNF"
name = "Tumour necrosis factor"
signalling = "none"
non_jak_pathway = "TNFR1 -> TRADD, RIPK1, TRAF2 -> NF-kB"
receptor = [{ chains = ["TNFR1"], jaks = [] }]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";
  EXPECT_TRUE(errors_of(load_with("cytokines.toml", testing::kMinimalCytokine)).empty());
  EXPECT_TRUE(errors_of(load_with("cytokines.toml", tnf)).empty());
  std::string misspelt = tnf;
  misspelt.replace(misspelt.find("\"none\""), 6, "\"None\"");
  // One error, on the field's line: the pair check does not read the default it fell back to.
  expect_single_error(load_with("cytokines.toml", misspelt), "cytokines.toml:5",
                      {"cytokine[0].signalling", "value \"None\": expected one of jak, none"});
}

TEST(KbValidation, MissingRequiredFieldIsRejected) {
  auto r = load_with("sources2.toml", R"(
[[source]]
id = "no-title"
url = "https://example.org"
grade = "review"
)");
  expect_single_error(r, "sources2.toml:2", {"source[0].title", "missing required field 'title'"});
}

TEST(KbValidation, UntraceableSourceIsRejected) {
  auto r = load_with("sources2.toml", R"(
[[source]]
id = "mystery"
title = "Something I read"
grade = "review"
)");
  expect_single_error(r, "sources2.toml:2",
                      {"source 'mystery' cannot be found again", "doi, pmid, url, venue"});
}

TEST(KbValidation, InvalidTomlSyntaxIsRejectedWithLine) {
  auto r = load_with("broken.toml", "[[axis]]\nid = \"Th2\n");
  EXPECT_FALSE(r.kb.has_value());
  auto errors = errors_of(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("broken.toml:2: (syntax): invalid TOML", 0), 0u) << errors[0];
}

TEST(KbValidation, QuantityNeedsANumber) {
  auto r = load_with("drugs.toml", R"(
[[pr_pattern]]
id = "x"
culprit_class = "none"
phenotype = "psoriasiform"
text = "t"
latency = { unit = "months", src = ["cst-jak-stat-table"], conf = "confirmed" }
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  EXPECT_FALSE(r.kb.has_value());
  auto errors = errors_of(r);
  bool found = false;
  for (const auto& e : errors) {
    found = found || (e.find("drugs.toml:7: pr_pattern[0].latency") == 0 &&
                      e.find("expected 'value' or 'low' and 'high'") != std::string::npos);
  }
  EXPECT_TRUE(found) << ::testing::PrintToString(errors);
}

TEST(KbValidation, LabThresholdNeedsExactlyOneBound) {
  auto r = load_with("labs.toml", R"(
[[lab]]
id = "anc"
name = "Absolute neutrophil count"
unit = "cells/uL"
)" + std::string(R"(
[[drug]]
id = "testinib"
name = "testinib"
ingredient = "testinib"
route = "oral"
mechanism = { binding = "atp-competitive", targets = ["JAK1"], src = ["cst-jak-stat-table"], conf = "confirmed" }
potency = [{ assay = "enzymatic", target = "JAK1", ic50_nm = 5, src = ["cst-jak-stat-table"], conf = "confirmed" }]
[[drug.lab_threshold]]
region = "us"
analyte = "anc"
below = 1000
above = 500
unit = "cells/uL"
action = "do-not-start"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)"));
  expect_single_error(r, "labs.toml:14",
                      {"drug[0].lab_threshold[0]", "exactly one of 'below' or 'above'"});
}

// A score the engine does not read is an error, not a band silently never used (before, a
// misspelt "child_pugh" loaded and left the Child-Pugh class unknown).
TEST(KbValidation, ScoreBandScoreIsOneTheEngineReads) {
  auto band = [](const std::string& score) {
    return errors_of(load_with("formulas.toml", R"(
[[score_band]]
id = "b"
score = ")" + score + R"("
factor = "bilirubin"
min = 0
max = 2
points = 1
src = ["cst-jak-stat-table"]
conf = "confirmed"
)"));
  };
  EXPECT_TRUE(band("child-pugh").empty()) << ::testing::PrintToString(band("child-pugh"));
  EXPECT_TRUE(band("naranjo").empty());
  auto errors = band("child_pugh");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("score_band[0].score: value \"child_pugh\": expected one of naranjo, "
                           "child-pugh, pv-signal"),
            std::string::npos)
      << errors[0];
}

TEST(KbValidation, ScoreBandNeedsABandAndAResult) {
  auto r = load_with("formulas.toml", R"(
[[score_band]]
id = "child-pugh.bilirubin.1"
score = "child-pugh"
factor = "bilirubin"
unit = "mg/dL"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  EXPECT_FALSE(r.kb.has_value());
  EXPECT_EQ(errors_of(r).size(), 2u) << ::testing::PrintToString(errors_of(r));
}

TEST(KbValidation, SignalThresholdNeedsAKnownStatisticAndARule) {
  auto r = load_with("formulas.toml", R"(
[[score_band]]
id = "pv-signal.x"
score = "pv-signal"
factor = "eb50"
min = 2
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  EXPECT_FALSE(r.kb.has_value());
  auto errors = errors_of(r);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("without a result"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("score_band[0].factor: value \"eb50\": expected one of"),
            std::string::npos)
      << errors[1];
  // A rule needs its category, not points.
  auto points = load_with("formulas.toml", R"(
[[score_band]]
id = "pv-signal.x"
score = "pv-signal"
factor = "eb05"
min = 2
points = 1
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  expect_single_error(points, "formulas.toml:2",
                      {"score_band[0].category", "needs the rule it belongs to"});
  // The same band with a known statistic and its rule loads.
  auto ok = load_with("formulas.toml", R"(
[[score_band]]
id = "pv-signal.x"
score = "pv-signal"
factor = "eb05"
min = 2
category = "mgps"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  EXPECT_TRUE(ok.kb.has_value()) << ::testing::PrintToString(errors_of(ok));
}

TEST(KbValidation, MeddraTermNeedsItsOwnSource) {
  auto r = load_with("phenotypes.toml", R"(
[[phenotype]]
id = "vitiligo"
name = "Vitiligo"
src = ["cst-jak-stat-table"]
conf = "derived"

[[phenotype.meddra_pt]]
pt = "Vitiligo"
conf = "derived"
)");
  expect_single_error(r, "phenotypes.toml:8",
                      {"phenotype[0].meddra_pt[0].src", "missing required field 'src'"});
}

TEST(KbValidation, EveryErrorIsReportedNotJustTheFirst) {
  auto r = load_with("axes.toml", R"(
[[axis]]
id = "Th2"
name = "T helper 2"
colour = "blue"
src = ["nope"]
conf = "sure"
)");
  EXPECT_EQ(errors_of(r).size(), 3u) << ::testing::PrintToString(errors_of(r));
}

}  // namespace
}  // namespace paraderm::kb

namespace paraderm::kb {
namespace {

// A range must read low <= high (a reversed latency or incidence range would make every onset
// "outside the published range"); checked where it fires and where it does not.
std::vector<std::string> range_errors(const std::string& latency) {
  auto r = load_with("paradoxical.toml", R"(
[[pr_pattern]]
id = "p"
culprit_class = "tnf-inhibitor"
phenotype = "psoriasiform"
latency = )" + latency + R"(
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  std::vector<std::string> out;
  for (const auto& e : errors_of(r)) {
    if (e.find("expected low <= high") != std::string::npos) out.push_back(e);
  }
  return out;
}

TEST(KbValidation, ReversedRangeIsRejected) {
  auto errors = range_errors(
      R"({ low = 5, high = 3, unit = "months", src = ["cst-jak-stat-table"], conf = "confirmed" })");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("paradoxical.toml:6: "), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("range [5, 3]"), std::string::npos) << errors[0];
}

TEST(KbValidation, OrderedRangeIsAccepted) {
  EXPECT_TRUE(
      range_errors(
          R"({ low = 3, high = 5, unit = "months", src = ["cst-jak-stat-table"], conf = "confirmed" })")
          .empty());
}

}  // namespace
}  // namespace paraderm::kb

namespace paraderm::kb {
namespace {

// The record reader maps a smoking-status answer and a clinicalStatus code onto closed sets
// without reading any text: the KB must say which member each one is (fires / does not fire).
constexpr const char* kSmokingLab = R"(
[[lab]]
id = "smoking-status"
name = "Tobacco smoking status"
)";

// One answer_code `id` with `meaning` and `code` (SNOMED) under the lab `lab` (TOML), answering
// `question` (a TOML line or "") and carrying `status` (a TOML line or "").
std::vector<std::string> answer_code_errors(const std::string& lab, const std::string& id,
                                            const std::string& question, const std::string& meaning,
                                            const std::string& status, const std::string& code) {
  auto r = load_with("labs.toml", lab + fmt::format(R"(
[[answer_code]]
id = "{}"
{}
meaning = "{}"
{}
src = ["cst-jak-stat-table"]
conf = "confirmed"

[answer_code.code]
system = "snomed"
code = "{}"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)",
                                                    id, question, meaning, status, code));
  return errors_of(r);
}

std::vector<std::string> answer_errors(const std::string& question, const std::string& status) {
  return answer_code_errors(kSmokingLab, "a", question, "former-smoker", status, "8517006");
}

TEST(KbValidation, SmokingAnswerWithoutItsStatusIsRejected) {
  auto errors = answer_errors(R"(question = "smoking-status")", "");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("answer_code 'a'.smoking_status"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("missing"), std::string::npos) << errors[0];
}

TEST(KbValidation, SmokingAnswerWithItsStatusIsAccepted) {
  EXPECT_TRUE(
      answer_errors(R"(question = "smoking-status")", R"(smoking_status = "former")").empty());
}

TEST(KbValidation, SmokingStatusOutsideTheClosedSetIsRejected) {
  auto errors = answer_errors(R"(question = "smoking-status")", R"(smoking_status = "ex")");
  EXPECT_TRUE(std::any_of(errors.begin(), errors.end(), [](const std::string& e) {
    return e.find(
               "smoking_status: value \"ex\": expected one of unknown, current, former, "
               "never, smoker") != std::string::npos;
  })) << ::testing::PrintToString(errors);
}

TEST(KbValidation, SmokingStatusOnAnotherAnswerIsRejected) {
  auto errors = answer_errors("", R"(smoking_status = "former")");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("only answers to smoking-status"), std::string::npos) << errors[0];
}

// The same for an answer to pregnancy-status: what it records is typed, never read from text.
std::vector<std::string> pregnancy_answer_errors(const std::string& question,
                                                 const std::string& status) {
  return answer_code_errors(R"(
[[lab]]
id = "pregnancy-status"
name = "Pregnancy status"
)",
                            "p", question, "possible-pregnancy", status, "146799005");
}

TEST(KbValidation, PregnancyAnswerMustSayWhatItRecords) {
  for (const char* v : {"pregnant", "not-pregnant", "unknown"}) {
    EXPECT_TRUE(pregnancy_answer_errors(R"(question = "pregnancy-status")",
                                        fmt::format(R"(pregnancy_status = "{}")", v))
                    .empty())
        << v;
  }
  auto missing = pregnancy_answer_errors(R"(question = "pregnancy-status")", "");
  ASSERT_EQ(missing.size(), 1u) << ::testing::PrintToString(missing);
  EXPECT_NE(missing[0].find("answer_code 'p'.pregnancy_status"), std::string::npos) << missing[0];
  EXPECT_NE(missing[0].find("missing"), std::string::npos) << missing[0];
  auto misspelt =
      pregnancy_answer_errors(R"(question = "pregnancy-status")", R"(pregnancy_status = "maybe")");
  EXPECT_TRUE(std::any_of(misspelt.begin(), misspelt.end(), [](const std::string& e) {
    return e.find(
               "pregnancy_status: value \"maybe\": expected one of pregnant, not-pregnant, "
               "unknown") != std::string::npos;
  })) << ::testing::PrintToString(misspelt);
  auto elsewhere = pregnancy_answer_errors("", R"(pregnancy_status = "unknown")");
  ASSERT_EQ(elsewhere.size(), 1u) << ::testing::PrintToString(elsewhere);
  EXPECT_NE(elsewhere[0].find("only answers to pregnancy-status"), std::string::npos)
      << elsewhere[0];
}

// The validation errors of one kb/fhir.toml row with a meaning.
std::vector<std::string> fhir_code_errors(const std::string& id, const std::string& resource,
                                          const std::string& element, const std::string& code,
                                          const std::string& effect, const std::string& meaning) {
  auto r = load_with("fhir.toml", R"(
[[fhir_code]]
id = ")" + id + R"("
resource = ")" + resource + R"("
element = ")" + element + R"("
code = ")" + code + R"("
effect = ")" + effect + R"("
meaning = ")" + meaning + R"("
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  return errors_of(r);
}

std::vector<std::string> clinical_status_errors(const std::string& effect,
                                                const std::string& meaning) {
  return fhir_code_errors("c", "Condition", "clinicalStatus", "remission", effect, meaning);
}

TEST(KbValidation, ClinicalStatusMeaningMustBeAConditionStatus) {
  auto errors = clinical_status_errors("use", "inactive");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("fhir_code 'c'.meaning"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("expected active or resolved"), std::string::npos) << errors[0];
  EXPECT_EQ(clinical_status_errors("warn", "inactive").size(), 1u);
}

TEST(KbValidation, ClinicalStatusMeaningThatIsAConditionStatusIsAccepted) {
  EXPECT_TRUE(clinical_status_errors("use", "resolved").empty());
  EXPECT_TRUE(clinical_status_errors("ignore", "inactive").empty());  // never read
}

}  // namespace
std::vector<std::string> risk_factor_errors(const std::string& measure,
                                            const std::string& direction,
                                            const std::string& match) {
  auto r = load_with("pr.toml", R"(
[[risk_factor]]
id = "rf"
factor = "a factor"
reaction = "psoriasiform eruption"
measure = ")" + measure + R"("
estimate = 2.0
direction = ")" + direction + R"("
match = ")" + match + R"("
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  return errors_of(r);
}

// The closed sets a rule is matched on are typed: every name the engine knows loads, and a
// misspelt one is an error naming the field and the allowed names (before, a misspelt match rule
// loaded and then never matched).
TEST(KbValidation, RiskFactorClosedSetsLoadEveryKnownName) {
  for (const char* m : {"condition", "sex", "smoking", "flag", "age-per-year", "comedication",
                        "culprit-class", "culprit"}) {
    EXPECT_TRUE(risk_factor_errors("or", "increases", m).empty()) << m;
  }
  for (const char* m : {"hr", "or", "irr", "rr", "prevalence-pct", "relapse-pct"}) {
    EXPECT_TRUE(risk_factor_errors(m, "increases", "sex").empty()) << m;
  }
  for (const char* d : {"increases", "decreases", "no-effect"}) {
    EXPECT_TRUE(risk_factor_errors("or", d, "sex").empty()) << d;
  }
}

TEST(KbValidation, RiskFactorClosedSetsRejectAMisspeltName) {
  auto errors = risk_factor_errors("or", "increases", "culprit_class");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("risk_factor[0].match: value \"culprit_class\": expected one of "
                           "condition, sex, smoking, flag, age-per-year, comedication, "
                           "culprit-class, culprit"),
            std::string::npos)
      << errors[0];
  errors = risk_factor_errors("OR", "increases", "sex");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("risk_factor[0].measure: value \"OR\""), std::string::npos) << errors[0];
  errors = risk_factor_errors("or", "increase", "sex");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("risk_factor[0].direction: value \"increase\""), std::string::npos)
      << errors[0];
}

TEST(KbValidation, FhirCodeEffectIsAClosedSet) {
  for (const char* e : {"use", "warn", "ignore"}) {
    EXPECT_TRUE(clinical_status_errors(e, "active").empty()) << e;
  }
  auto errors = clinical_status_errors("skip", "active");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("effect: value \"skip\": expected one of use, warn, ignore"),
            std::string::npos)
      << errors[0];
}

std::vector<std::string> drug_errors(const std::string& binding, const std::string& potency,
                                     const std::string& effect) {
  auto r = load_with(
      "drugs.toml",
      R"(
[[drug]]
id = "testinib"
name = "testinib"
ingredient = "testinib"
route = "oral"
mechanism = { binding = ")" +
          binding + R"(", targets = ["JAK1"], src = ["cst-jak-stat-table"], conf = "confirmed" }
potency = [{ )" +
          potency +
          R"(, target = "JAK1", ic50_nm = 5, src = ["cst-jak-stat-table"], conf = "confirmed" }]
pathway_effect = [{ target = "JAK1", )" +
          effect + R"(, text = "t", src = ["cst-jak-stat-table"], conf = "confirmed" }]
)");
  return errors_of(r);
}

// The pharmacology closed sets: every name loads; a KB pathway statement cannot claim the
// engine-only exposure "mixed"; a misspelt matrix is rejected (before, "whole blood" loaded and
// was then compared with unbound instead of total concentrations).
TEST(KbValidation, PharmacologyClosedSetsLoadEveryKnownName) {
  const std::string potency = R"(assay = "enzymatic")";
  const std::string effect = R"(effect = "inhibited", exposure = "clinical")";
  for (const char* b : {"atp-competitive", "allosteric", "covalent"}) {
    EXPECT_TRUE(drug_errors(b, potency, effect).empty()) << b;
  }
  for (const char* a : {"enzymatic", "cellular", "cellular-selectivity"}) {
    for (const char* m : {"enzyme", "cells", "pbmc", "whole-blood"}) {
      auto p = fmt::format(R"(assay = "{}", matrix = "{}")", a, m);
      EXPECT_TRUE(drug_errors("allosteric", p, effect).empty()) << p;
    }
  }
  for (const char* q : {"<", "<=", ">", ">=", "~"}) {
    auto p = fmt::format(R"(assay = "enzymatic", qualifier = "{}")", q);
    EXPECT_TRUE(drug_errors("allosteric", p, effect).empty()) << p;
  }
  for (const char* e : {"inhibited", "spared"}) {
    for (const char* x : {"clinical", "application-site"}) {
      auto q = fmt::format(R"(effect = "{}", exposure = "{}")", e, x);
      EXPECT_TRUE(drug_errors("allosteric", potency, q).empty()) << q;
    }
  }
}

TEST(KbValidation, PharmacologyClosedSetsRejectUnknownNames) {
  const std::string potency = R"(assay = "enzymatic")";
  const std::string effect = R"(effect = "inhibited", exposure = "clinical")";
  auto one_error_with = [](const std::vector<std::string>& errors, const std::string& text) {
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_NE(errors[0].find(text), std::string::npos) << errors[0];
  };
  one_error_with(drug_errors("irreversible", potency, effect),
                 "mechanism.binding: value \"irreversible\": expected one of atp-competitive, "
                 "allosteric, covalent");
  one_error_with(drug_errors("covalent", R"(assay = "enzymatic", matrix = "whole blood")", effect),
                 "matrix: value \"whole blood\": expected one of enzyme, cells, pbmc, whole-blood");
  one_error_with(drug_errors("covalent", R"(assay = "cell")", effect),
                 "assay: value \"cell\": expected one of enzymatic, cellular, "
                 "cellular-selectivity");
  one_error_with(drug_errors("covalent", R"(assay = "enzymatic", qualifier = "=<")", effect),
                 "qualifier: value \"=<\": expected one of <, <=, >, >=, ~");
  one_error_with(drug_errors("covalent", potency, R"(effect = "blocked", exposure = "clinical")"),
                 "effect: value \"blocked\": expected one of inhibited, spared");
  one_error_with(drug_errors("covalent", potency, R"(effect = "spared", exposure = "mixed")"),
                 "exposure: value \"mixed\": expected one of clinical, application-site");
}

std::vector<std::string> severity_code_errors(const std::string& effect,
                                              const std::string& meaning_line) {
  auto r = load_with("fhir.toml", R"(
[[fhir_code]]
id = "s"
resource = "Condition"
element = "severity"
system = "snomed"
code = "255604002"
effect = ")" + effect + R"("
)" + meaning_line + R"(
src = ["cst-jak-stat-table"]
conf = "confirmed"
)");
  return errors_of(r);
}

// The FHIR reader takes a used Condition.severity code's meaning as the grade.
TEST(KbValidation, SeverityCodeMeaningMustBeAGrade) {
  for (const char* g : {"mild", "moderate", "severe"}) {
    EXPECT_TRUE(severity_code_errors("use", fmt::format(R"(meaning = "{}")", g)).empty()) << g;
  }
  auto errors = severity_code_errors("use", R"(meaning = "moderate-to-severe")");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("fhir_code 's'.meaning: value \"moderate-to-severe\": expected mild, "
                           "moderate or severe"),
            std::string::npos)
      << errors[0];
  EXPECT_EQ(severity_code_errors("warn", "").size(), 1u);  // used without a meaning
  EXPECT_TRUE(severity_code_errors("ignore", R"(meaning = "unknown")").empty());  // never read
}

std::vector<std::string> medication_code_errors(const std::string& resource,
                                                const std::string& element,
                                                const std::string& effect,
                                                const std::string& meaning) {
  return fhir_code_errors("m", resource, element, "proposal", effect, meaning);
}

// The medication reader knows "ended" and "planned"; another meaning would be read as taken.
TEST(KbValidation, MedicationCodeMeaningIsEndedOrPlanned) {
  EXPECT_TRUE(medication_code_errors("MedicationRequest", "intent", "warn", "planned").empty());
  EXPECT_TRUE(medication_code_errors("MedicationStatement", "status", "warn", "planned").empty());
  EXPECT_TRUE(medication_code_errors("MedicationStatement", "status", "use", "ended").empty());
  auto errors = medication_code_errors("MedicationStatement", "status", "use", "future");
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("fhir_code 'm'.meaning: value \"future\": expected ended or planned"),
            std::string::npos)
      << errors[0];
  // An administration happened; an ignored code is never read.
  EXPECT_EQ(medication_code_errors("MedicationAdministration", "status", "use", "planned").size(),
            1u);
  EXPECT_EQ(medication_code_errors("MedicationRequest", "status", "ignore", "planned").size(), 1u);
  // Only MedicationRequest has an intent.
  auto intent = medication_code_errors("MedicationStatement", "intent", "warn", "planned");
  ASSERT_EQ(intent.size(), 1u) << ::testing::PrintToString(intent);
  EXPECT_NE(intent[0].find("only MedicationRequest.intent is read"), std::string::npos);
}

// Every repeated dose frequency has its dosing interval in the KB (the PK model and dose picking
// read it there); a KB without one fails to load instead of losing the regimen.
TEST(KbValidation, RepeatedDoseFrequencyNeedsADosingInterval) {
  auto with_dose = [](const std::string& frequency, bool interval) {
    std::string toml = R"(
[[disease]]
id = "ad"
name = "atopic dermatitis"
category = "immune-skin"

[[drug]]
id = "testinib"
name = "testinib"
ingredient = "testinib"
route = "oral"
mechanism = { binding = "allosteric", targets = ["JAK1"], src = ["cst-jak-stat-table"], conf = "confirmed" }
potency = [{ assay = "enzymatic", target = "JAK1", ic50_nm = 5, src = ["cst-jak-stat-table"], conf = "confirmed" }]
indication = [{ region = "us", disease = "ad", status = "approved", src = ["cst-jak-stat-table"], conf = "confirmed" }]
[[drug.dose]]
region = "us"
indication = "ad"
amount = 5
unit = "mg"
frequency = ")" + frequency +
                       R"("
role = "standard"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";
    if (interval) {
      toml += R"(
[[formula_constant]]
id = "dosing-interval.bid"
formula = "dosing-interval"
name = "bid"
value = 12
unit = "h"
src = ["cst-jak-stat-table"]
conf = "derived"
)";
    }
    return errors_of(load_with("drugs.toml", toml));
  };
  EXPECT_TRUE(with_dose("bid", true).empty()) << ::testing::PrintToString(with_dose("bid", true));
  EXPECT_TRUE(with_dose("once", false).empty())
      << ::testing::PrintToString(with_dose("once", false));
  auto errors = with_dose("bid", false);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("drug 'testinib'.dose[0].frequency: frequency 'bid' has no "
                           "dosing-interval formula_constant"),
            std::string::npos)
      << errors[0];
}

// What a match rule compares with the case must exist: a misspelt disease, class or status
// would load and then never match.
TEST(KbValidation, RiskFactorValuesAreIdsOrStatusesOfTheirMatchRule) {
  auto values_errors = [](const std::string& match, const std::string& values) {
    return errors_of(load_with("pr.toml", R"(
[[disease]]
id = "asthma"
name = "asthma"
category = "immune-systemic"

[[risk_factor]]
id = "rf"
factor = "a factor"
reaction = "eczematous eruption"
measure = "or"
estimate = 2.0
direction = "increases"
match = ")" + match + R"("
values = )" + values + R"(
src = ["cst-jak-stat-table"]
conf = "confirmed"
)"));
  };
  EXPECT_TRUE(values_errors("condition", R"(["asthma"])").empty())
      << ::testing::PrintToString(values_errors("condition", R"(["asthma"])"));
  EXPECT_TRUE(values_errors("smoking", R"(["current", "former"])").empty());
  EXPECT_TRUE(values_errors("age-per-year", "[]").empty());
  auto one = [](const std::vector<std::string>& errors, const std::string& text) {
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_NE(errors[0].find(text), std::string::npos) << errors[0];
  };
  one(values_errors("condition", R"(["asthma", "astma"])"),
      "risk_factor 'rf'.values: value \"astma\": expected a disease id");
  one(values_errors("smoking", R"(["ex-smoker"])"),
      "value \"ex-smoker\": expected a smoking status");
  one(values_errors("culprit-class", R"(["il17"])"),
      "value \"il17\": expected a biologic_class id");
  one(values_errors("culprit", R"(["humira"])"), "value \"humira\": expected a biologic id");
  one(values_errors("age-per-year", R"(["65"])"), "expected no values");
}

}  // namespace paraderm::kb
