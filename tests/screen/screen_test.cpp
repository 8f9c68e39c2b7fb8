// Cohort screening (paraderm::screen, docs/scale.md) on a bulk_synth export with planted patients
// and on a plain FHIR export written by hand (tests/data/bulk/plain).
#include "paraderm/screen.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../test_support.h"

namespace paraderm::screen {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using paraderm::testing::shipped_kb;

// The planted timelines of bulk_synth end on its --as-of (default 2026-06-30).
const clinical::Date kAsOf = *clinical::parse_date("2026-06-30");

fs::path temp_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / fmt::format("paraderm-screen-test-{}-{}", ::getpid(), name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void synth(const fs::path& out, const std::string& extra) {
  std::string cmd = fmt::format("{} --patients 300 --seed 42 --out {} {}", BULK_SYNTH_BINARY,
                                out.string(), extra);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

struct Run {
  std::string output;
  Summary summary;
};

Run screen(const fs::path& dir, ScreenOptions o, Format format = Format::kNdjson) {
  o.as_of = kAsOf;
  std::ostringstream out;
  auto r = screen_directory(shipped_kb(), dir, o, format, out);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return {out.str(), r.is_ok() ? r.value() : Summary{}};
}

std::map<std::string, Json> rows_by_patient(const std::string& ndjson) {
  std::map<std::string, Json> m;
  std::istringstream in(ndjson);
  for (std::string line; std::getline(in, line);) {
    auto j = Json::parse(line);
    m[j["patient"].get<std::string>()] = j;
  }
  return m;
}

// Every field the expectation names equals the finding's.
bool matches(const Json& expected, const Json& finding) {
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    if (!finding.contains(it.key()) || finding[it.key()] != it.value()) return false;
  }
  return true;
}

class PlantedExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("synth"));
    gz_dir_ = new fs::path(temp_dir("synth-gz"));
    synth(*dir_, "--files-per-type 3");
    synth(*gz_dir_, "--files-per-type 3 --gzip");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    fs::remove_all(*gz_dir_);
    delete dir_;
    delete gz_dir_;
  }
  static fs::path* dir_;
  static fs::path* gz_dir_;
};
fs::path* PlantedExport::dir_ = nullptr;
fs::path* PlantedExport::gz_dir_ = nullptr;

std::vector<Json> expectations(const fs::path& dir) {
  std::vector<Json> v;
  std::ifstream in(dir / "expected.ndjson");
  for (std::string line; std::getline(in, line);) v.push_back(Json::parse(line));
  return v;
}

TEST_F(PlantedExport, EveryPlantedFindingIsFoundAndNoNegativeControlIsFlagged) {
  auto run = screen(*dir_, {});
  auto rows = rows_by_patient(run.output);
  auto planted = expectations(*dir_);
  ASSERT_GE(planted.size(), 40u);
  std::size_t positives = 0, negatives = 0;
  for (const auto& p : planted) {
    std::string id = p["patient"];
    if (p["expect"].empty()) {
      ++negatives;
      EXPECT_FALSE(rows.count(id)) << p["scenario"] << " " << id << " flagged: " << rows[id].dump();
      continue;
    }
    ++positives;
    ASSERT_TRUE(rows.count(id)) << p["scenario"] << " " << id << " not flagged";
    for (const auto& e : p["expect"]) {
      bool found = false;
      for (const auto& f : rows[id]["findings"]) found = found || matches(e, f);
      EXPECT_TRUE(found) << p["scenario"] << " " << id << ": " << e.dump() << " not in "
                         << rows[id].dump();
    }
  }
  EXPECT_GE(positives, 20u);
  EXPECT_GE(negatives, 15u);
  EXPECT_EQ(run.summary.patients, 300u);
  EXPECT_EQ(run.summary.malformed_lines, 0u);
  EXPECT_EQ(run.summary.partitions, 1u);
}

// The pre-filter (patients whose medications name no KB biologic or JAK inhibitor are not
// assessed) loses nothing: assessing every patient gives the same rows.
TEST_F(PlantedExport, SkippingPatientsWithoutBiologicOrJakChangesNothing) {
  ScreenOptions all;
  all.assess_all = true;
  auto a = screen(*dir_, all), b = screen(*dir_, {});
  EXPECT_EQ(a.output, b.output);
  EXPECT_EQ(a.summary.assessed, 300u);
  EXPECT_LT(b.summary.assessed, 150u);
}

// The pre-filter hashes 4-byte windows at every (shortest name - 3)th byte of a squashed line
// only: a KB name must still be found at every alignment. The shortest KB name ("Taltz", 5 bytes)
// and longer ones are shifted by 0 to 7 bytes; each such patient is assessed, the controls
// (medications the KB does not hold) are not, and assessing everyone gives the same rows.
TEST(PreFilter, FindsAKbNameAtEveryAlignmentAndSkipsTheOthers) {
  fs::path d = temp_dir("prefilter");
  std::ofstream patients(d / "Patient.ndjson"), meds(d / "MedicationStatement.ndjson");
  const std::vector<std::string> kb_names = {"Taltz", "TALTZ 80 MG/ML", "ixekizumab",
                                             "Olumiant 4 MG", "upadacitinib"};
  const std::vector<std::string> others = {"Tylenol", "methotrexate 15 MG", "prednisone 5 MG"};
  int n = 0;
  auto add = [&](const std::string& text) {
    std::string id = fmt::format("p{}", n++);
    patients << Json{{"resourceType", "Patient"},
                     {"id", id},
                     {"gender", "female"},
                     {"birthDate", "1980-01-01"}}
                    .dump()
             << "\n";
    meds << Json{{"resourceType", "MedicationStatement"},
                 {"id", "m" + id},
                 {"status", "active"},
                 {"subject", {{"reference", "Patient/" + id}}},
                 {"medicationCodeableConcept", {{"text", text}}}}
                .dump()
         << "\n";
  };
  for (const auto& name : kb_names) {
    for (int shift = 0; shift < 8; ++shift)
      add(std::string(static_cast<std::size_t>(shift), 'x') + " " + name);
  }
  for (const auto& other : others) {
    for (int shift = 0; shift < 8; ++shift)
      add(std::string(static_cast<std::size_t>(shift), 'x') + " " + other);
  }
  patients.close();
  meds.close();
  ScreenOptions all;
  all.assess_all = true;
  auto filtered = screen(d, {}), every = screen(d, all);
  EXPECT_EQ(filtered.summary.patients, static_cast<std::uint64_t>(n));
  EXPECT_EQ(filtered.summary.assessed, kb_names.size() * 8);
  EXPECT_EQ(every.summary.assessed, static_cast<std::uint64_t>(n));
  EXPECT_EQ(filtered.output, every.output);
  fs::remove_all(d);
}

TEST_F(PlantedExport, SameBytesForOneAndFourThreadsAndForManyPartitions) {
  ScreenOptions one, four, spill;
  one.threads = 1;
  four.threads = 4;
  four.chunk_bytes = 10000;  // files indexed in many chunks
  spill.threads = 2;
  spill.memory_mb = 1;  // the export is a few MB: several partitions, spilled to disk
  spill.spill_dir = temp_dir("spill");
  auto a = screen(*dir_, one), b = screen(*dir_, four), c = screen(*dir_, spill);
  ASSERT_FALSE(a.output.empty());
  EXPECT_EQ(a.output, b.output);
  EXPECT_EQ(a.output, c.output);
  EXPECT_GT(c.summary.partitions, 1u);
  EXPECT_GT(c.summary.spilled_bytes, 0u);
  EXPECT_EQ(c.summary.patients, a.summary.patients);
  EXPECT_EQ(c.summary.flagged_by_kind, a.summary.flagged_by_kind);
  EXPECT_TRUE(fs::is_empty(spill.spill_dir)) << "spill files left behind";
  fs::remove_all(spill.spill_dir);
}

TEST_F(PlantedExport, GzipInputGivesTheSameRows) {
  auto plain = screen(*dir_, {}), gz = screen(*gz_dir_, {});
  std::string unzipped = gz.output;
  for (std::size_t p; (p = unzipped.find(".ndjson.gz:")) != std::string::npos;)
    unzipped.erase(p + 7, 3);
  EXPECT_EQ(plain.output, unzipped);
  EXPECT_EQ(gz.summary.files, 15u);
  EXPECT_GT(gz.summary.flagged, 0u);
}

TEST_F(PlantedExport, MalformedLinesAreCountedWithFileAndLineAndTheRestIsScreened) {
  fs::path d = temp_dir("malformed");
  for (const auto& e : fs::directory_iterator(*dir_)) fs::copy(e.path(), d / e.path().filename());
  std::size_t lines = 0;
  {
    std::ifstream in(d / "Condition.001.ndjson");
    for (std::string l; std::getline(in, l);) ++lines;
  }
  {
    std::ofstream out(d / "Condition.001.ndjson", std::ios::app);
    out << "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/x\"}\n";  // cut
                                                                                           // short
    out << "[1,2,3]\n";
    out << "{\"resourceType\":\"Condition\",\"id\":\"no-subject\"}\n";
  }
  ScreenOptions o, chunked;
  o.memory_mb = 1;
  chunked.chunk_bytes = 4096;  // line numbers counted across chunks of one file
  auto bad = screen(d, o), good = screen(*dir_, {}), bad_chunked = screen(d, chunked);
  EXPECT_EQ(bad_chunked.summary.lines, bad.summary.lines);
  EXPECT_EQ(bad_chunked.summary.malformed_lines, 2u);
  ASSERT_EQ(bad_chunked.summary.problems.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(bad_chunked.summary.problems[i].where, bad.summary.problems[i].where);
  EXPECT_EQ(bad_chunked.output, good.output);
  EXPECT_EQ(bad.summary.malformed_lines, 2u);
  EXPECT_EQ(bad.summary.without_patient, 1u);
  ASSERT_EQ(bad.summary.problems.size(), 3u);
  EXPECT_EQ(bad.summary.problems[0].where, fmt::format("Condition.001.ndjson:{}", lines + 1));
  EXPECT_EQ(bad.summary.problems[1].where, fmt::format("Condition.001.ndjson:{}", lines + 2));
  EXPECT_EQ(bad.summary.problems[2].where, fmt::format("Condition.001.ndjson:{}", lines + 3));
  EXPECT_EQ(bad.output, good.output);
  fs::remove_all(d);
}

// ---- the hand-written export ------------------------------------------------------------------

fs::path plain_export() { return fs::path(PARADERM_SOURCE_DIR) / "tests/data/bulk/plain"; }

TEST(PlainExport, PatientSplitAcrossFilesIsGroupedAndAssessed) {
  auto run = screen(plain_export(), {});
  auto rows = rows_by_patient(run.output);
  // alpha: atopic dermatitis (Condition.000), dupilumab from 2025-09-01, psoriasis from 2026-01-10
  // (Condition.001): kb/paradoxical.toml has psoriasiform reactions to IL-4Ra inhibitors.
  ASSERT_TRUE(rows.count("alpha")) << run.output;
  const auto& f = rows["alpha"]["findings"][0];
  EXPECT_EQ(f["kind"], "paradoxical_reaction");
  EXPECT_EQ(f["drug"], "dupilumab");
  EXPECT_EQ(f["new_disease"], "psoriasis");
  EXPECT_EQ(f["onset"], "2026-01-10");
  EXPECT_NE(f["record"].dump().find("Condition.001.ndjson:1"), std::string::npos) << f.dump();
  EXPECT_NE(f["record"].dump().find("MedicationRequest.ndjson:1"), std::string::npos) << f.dump();
}

TEST(PlainExport, JakInhibitorWithContraindicationAndCrossedThreshold) {
  auto rows = rows_by_patient(screen(plain_export(), {}).output);
  ASSERT_TRUE(rows.count("bravo"));
  bool tb = false, alc = false;
  for (const auto& f : rows["bravo"]["findings"]) {
    EXPECT_EQ(f["drug"], "tofacitinib") << f.dump();  // named by its brand only
    // docs/reason-codes.md ACTIVE_TB: active tuberculosis blocks a JAK inhibitor.
    tb = tb || (f["kind"] == "contraindication" && f["code"] == "ACTIVE_TB");
    // kb/drugs/tofacitinib.toml (S9): US, ALC < 500 cells/uL -> discontinue; 0.4 x 10^3/uL = 400.
    alc = alc ||
          (f["kind"] == "lab_threshold" && f["code"] == "LAB_DISCONTINUE" && f["detail"] == "alc");
  }
  EXPECT_TRUE(tb) << rows["bravo"].dump();
  EXPECT_TRUE(alc) << rows["bravo"].dump();
}

TEST(PlainExport, NoFindingWithoutBiologicOrJakAndOrphanResourcesCounted) {
  auto run = screen(plain_export(), {});
  auto rows = rows_by_patient(run.output);
  EXPECT_FALSE(rows.count("charlie"));
  EXPECT_FALSE(rows.count("ghost"));
  EXPECT_EQ(run.summary.patients, 3u);
  EXPECT_EQ(run.summary.orphan_patients, 1u);
  EXPECT_EQ(run.summary.files, 6u);
  EXPECT_EQ(run.summary.flagged, 2u);
  EXPECT_EQ(run.summary.flagged_by_kind.at("paradoxical_reaction"), 1u);
  EXPECT_EQ(run.summary.flagged_by_kind.at("contraindication"), 1u);
}

TEST(PlainExport, RegionChangesTheLabelRules) {
  ScreenOptions eu;
  eu.region = "eu";
  auto run = screen(plain_export(), eu);
  EXPECT_EQ(run.summary.region, "eu");
  auto rows = rows_by_patient(run.output);
  // kb/drugs/tofacitinib.toml, EU only (tofacitinib-eu-review-table-pmc6535722): ALC < 0.75 x
  // 10^9/L
  // -> dose-reduce; bravo's 0.4 x 10^3/uL is 0.4 x 10^9/L. The US rows have no dose-reduce.
  bool reduce = false;
  for (const auto& f : rows["bravo"]["findings"]) reduce = reduce || f["code"] == "LAB_DOSE_REDUCE";
  EXPECT_TRUE(reduce) << rows["bravo"].dump();
  bool us_reduce = false;
  // Named: a temporary in the range expression would be destroyed before the loop body runs
  // (ASan: heap-use-after-free).
  auto us_rows = rows_by_patient(screen(plain_export(), {}).output);
  for (const auto& f : us_rows["bravo"]["findings"]) {
    us_reduce = us_reduce || f["code"] == "LAB_DOSE_REDUCE";
  }
  EXPECT_FALSE(us_reduce);
}

TEST(PlainExport, UnreadableRecordIsAFindingAndCounted) {
  fs::path d = temp_dir("unreadable");
  std::ofstream(d / "Patient.ndjson")
      << R"({"resourceType":"Patient","id":"delta","birthDate":"2030-01-01"})"
         "\n";
  std::ofstream(d / "MedicationStatement.ndjson")
      << R"({"resourceType":"MedicationStatement","id":"m","status":"active","medicationCodeableConcept":{"text":"Dupixent 300 MG"},"subject":{"reference":"Patient/delta"},"effectivePeriod":{"start":"2025-03-01"}})"
      << "\n";
  auto run =
      screen(d, {});  // born after the screening date: impossible data, the reader refuses it
  auto rows = rows_by_patient(run.output);
  ASSERT_TRUE(rows.count("delta")) << run.output;
  const auto& f = rows["delta"]["findings"][0];
  EXPECT_EQ(f["kind"], "unreadable_record");
  EXPECT_EQ(f["code"], "RECORD_UNREADABLE");
  EXPECT_EQ(f["record"][0], "Patient.ndjson:1");
  EXPECT_NE(f["text"].get<std::string>().find("2030-01-01"), std::string::npos);
  EXPECT_EQ(run.summary.unreadable_records, 1u);
  ASSERT_EQ(run.summary.problems.size(), 1u);
  EXPECT_EQ(run.summary.problems[0].where, "Patient.ndjson:1");
  fs::remove_all(d);
}

// The per-partition entry point the Dask layer calls: given every file of the export (one partition
// holding all patients), the same rows as the whole-folder screen.
TEST(PlainExport, ScreenPartitionOnTheFilesGivesTheFolderRows) {
  ScreenOptions o;
  o.as_of = kAsOf;
  Summary s;
  auto rows = screen_partition(shipped_kb(), bulk_files(plain_export()), o, s);
  ASSERT_TRUE(rows.is_ok()) << rows.status().message();
  std::string joined;
  for (const auto& r : rows.value()) joined += to_ndjson(r);
  EXPECT_EQ(joined, screen(plain_export(), {}).output);
  EXPECT_EQ(s.patients, 3u);
  EXPECT_EQ(s.files, 6u);
}

// tests/data/bulk/collision: patients "bzS3563AOGG" and "2pqEVzNl9GB" have the same 64-bit FNV-1a
// hash (0xd6a212aebaa03a95, found by a Pollard-rho search; the grouping sorts on that hash). One
// has atopic dermatitis on dupilumab, the other atopic dermatitis and psoriasis from 2026-01-10
// on no biologic: apart, nobody is flagged; mixed into one record they would read as psoriasis
// under dupilumab (a paradoxical reaction), which the second run shows by giving both one id.
TEST(PlainExport, PatientsWhoseKeysCollideAreNotMixed) {
  const fs::path collision = fs::path(PARADERM_SOURCE_DIR) / "tests/data/bulk/collision";
  auto run = screen(collision, {});
  EXPECT_EQ(run.summary.patients, 2u);
  EXPECT_EQ(run.summary.assessed, 1u);  // the patient on dupilumab
  EXPECT_EQ(run.summary.flagged, 0u) << run.output;
  EXPECT_EQ(run.output, "");

  fs::path merged = temp_dir("collision-merged");
  for (const auto& e : fs::directory_iterator(collision)) {
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    for (auto at = s.find("2pqEVzNl9GB"); at != std::string::npos; at = s.find("2pqEVzNl9GB"))
      s.replace(at, 11, "bzS3563AOGG");
    std::ofstream(merged / e.path().filename()) << s;
  }
  auto mixed = screen(merged, {});
  EXPECT_EQ(mixed.summary.patients, 1u);
  EXPECT_EQ(mixed.summary.flagged, 1u) << mixed.output;
  fs::remove_all(merged);
}

TEST(PlainExport, CsvHasOneRowPerFlaggedPatient) {
  auto run = screen(plain_export(), {}, Format::kCsv);
  std::istringstream in(run.output);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u) << run.output;
  EXPECT_EQ(lines[0] + "\n", csv_header());
  EXPECT_EQ(lines[1].rfind("alpha,paradoxical_reaction,", 0), 0u) << lines[1];
  EXPECT_NE(lines[2].find("ACTIVE_TB"), std::string::npos) << lines[2];
}

TEST(PlainExport, CommandLine) {
  auto r = paraderm::testing::run_cli(
      fmt::format("screen --input {} --as-of 2026-06-30 --quiet", plain_export().string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"patient\":\"alpha\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"orphan_patients\": 1"), std::string::npos) << r.output;
  auto bad = paraderm::testing::run_cli("screen --input /nonexistent-folder");
  EXPECT_EQ(bad.exit_code, 2);
  fs::path empty = temp_dir("empty");  // a folder that is not a bulk export: said, exit 2
  auto none = paraderm::testing::run_cli(fmt::format("screen --input {} --quiet", empty.string()));
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("expected a FHIR Bulk Data export folder"), std::string::npos)
      << none.output;
  fs::remove_all(empty);
}

// docs/reason-codes.md PRAC_AGE_65 (EU only: EMA PRAC 2022, "only if no suitable alternative" from
// age 65): a patient already on a JAK inhibitor in such a group is who the measures ask
// prescribers to review, so the screen reports it as a risk_group finding. Not in the US, not
// at 50.
TEST(PlainExport, EuRiskGroupOfAPatientOnAJakInhibitor) {
  auto write = [](const std::string& name, const std::string& birth) {
    fs::path d = temp_dir(name);
    std::ofstream(d / "Patient.ndjson")
        << R"({"resourceType":"Patient","id":"p","gender":"male","birthDate":")" << birth
        << "\"}\n";
    std::ofstream(d / "Condition.ndjson")
        << R"({"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"24079001"}]},"onsetDateTime":"2010-01-01"})"
        << "\n";
    std::ofstream(d / "MedicationStatement.ndjson")
        << R"({"resourceType":"MedicationStatement","id":"m","status":"active","subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"text":"Rinvoq 15 mg"},"effectivePeriod":{"start":"2026-01-01"}})"
        << "\n";
    return d;
  };
  auto has_age_group = [](const std::string& output) {
    auto rows = rows_by_patient(output);
    if (!rows.count("p")) return false;
    for (const auto& f : rows["p"]["findings"]) {
      if (f["kind"] == "risk_group" && f["code"] == "PRAC_AGE_65") return true;
    }
    return false;
  };
  ScreenOptions eu;
  eu.region = "eu";
  fs::path old = write("prac-old", "1950-03-01"), young = write("prac-young", "1976-03-01");
  auto old_eu = screen(old, eu);
  EXPECT_TRUE(has_age_group(old_eu.output)) << old_eu.output;
  EXPECT_EQ(old_eu.summary.flagged_by_kind.count("risk_group"), 1u);
  EXPECT_FALSE(has_age_group(screen(old, {}).output));    // US label: no PRAC group
  EXPECT_FALSE(has_age_group(screen(young, eu).output));  // 50 years old
  auto csv = screen(old, eu, Format::kCsv).output;
  EXPECT_NE(csv.find("PRAC_AGE_65"), std::string::npos) << csv;
  fs::remove_all(old);
  fs::remove_all(young);
}

// Pharmacy feeds, allergy and immunization lists are part of a Bulk export: MedicationDispense,
// MedicationAdministration, AllergyIntolerance and Immunization files are read (the FHIR reader
// reads them), and
// a file of a type the screen does not read is named in the summary, never skipped silently.
TEST(PlainExport, DispenseAndAllergyFilesAreReadAndOtherTypesReported) {
  fs::path d = temp_dir("dispense");
  std::ofstream(d / "Patient.ndjson")
      << R"({"resourceType":"Patient","id":"delta","gender":"female","birthDate":"1990-02-01"})"
      << "\n"
      << R"({"resourceType":"Patient","id":"echo","gender":"male","birthDate":"1980-02-01"})"
      << "\n";
  std::ofstream(d / "Condition.ndjson")
      << R"({"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/delta"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"24079001"}]},"onsetDateTime":"2010-01-01"})"
      << "\n"
      << R"({"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/delta"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"9014002"}]},"onsetDateTime":"2026-01-10"})"
      << "\n"
      << R"({"resourceType":"Condition","id":"c3","subject":{"reference":"Patient/echo"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"69896004"}]},"onsetDateTime":"2015-01-01"})"
      << "\n";
  // delta: dupilumab known only from the pharmacy (RxNorm 1876376, kb/interaction-classes.toml).
  std::ofstream(d / "MedicationDispense.ndjson")
      << R"({"resourceType":"MedicationDispense","id":"md","status":"completed","subject":{"reference":"Patient/delta"},"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1876376","display":"dupilumab"}]},"whenHandedOver":"2025-09-01"})"
      << "\n";
  // echo: on upadacitinib (by brand) with an allergy to it: a hypersensitivity contraindication.
  std::ofstream(d / "MedicationStatement.ndjson")
      << R"({"resourceType":"MedicationStatement","id":"ms","status":"active","subject":{"reference":"Patient/echo"},"medicationCodeableConcept":{"text":"Rinvoq 15 mg"},"effectivePeriod":{"start":"2026-01-01"}})"
      << "\n";
  std::ofstream(d / "AllergyIntolerance.ndjson")
      << R"({"resourceType":"AllergyIntolerance","id":"al","patient":{"reference":"Patient/echo"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},"code":{"text":"upadacitinib"}})"
      << "\n";
  std::ofstream(d / "Immunization.ndjson")
      << R"({"resourceType":"Immunization","id":"i","status":"completed","patient":{"reference":"Patient/echo"},"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"187"}]},"occurrenceDateTime":"2025-06-01"})"
      << "\n";
  std::ofstream(d / "Encounter.ndjson")
      << R"({"resourceType":"Encounter","id":"e","subject":{"reference":"Patient/echo"}})"
      << "\n";
  ScreenOptions o;
  o.region = "eu";  // the EU SmPC 4.3 contraindicates hypersensitivity (kb/drugs/upadacitinib.toml)
  auto run = screen(d, o);
  auto rows = rows_by_patient(run.output);
  ASSERT_TRUE(rows.count("delta")) << run.output;
  bool pr = false;
  for (const auto& f : rows["delta"]["findings"])
    pr = pr || (f["kind"] == "paradoxical_reaction" && f["drug"] == "dupilumab");
  EXPECT_TRUE(pr) << rows["delta"].dump();
  ASSERT_TRUE(rows.count("echo")) << run.output;
  bool allergy = false;
  for (const auto& f : rows["echo"]["findings"])
    allergy = allergy || (f["kind"] == "contraindication" && f["drug"] == "upadacitinib");
  EXPECT_TRUE(allergy) << rows["echo"].dump();
  EXPECT_EQ(run.summary.files, 6u);
  EXPECT_EQ(run.summary.unread_files, std::vector<std::string>{"Encounter.ndjson"});
  EXPECT_NE(summary_json(run.summary).find("\"unread_files\": [\n    \"Encounter.ndjson\""),
            std::string::npos)
      << summary_json(run.summary);
  fs::remove_all(d);
}

// EHR bulk exports (Epic's among them) name the product of a MedicationRequest through
// medicationReference ("Medication/abc") and export the Medication resources in Medication.ndjson.
// The screen did not read that file: the patient's dupilumab was invisible, the pre-filter skipped
// the patient, and a paradoxical psoriasis went unlisted. Both ways: without the Medication file
// the reference is counted as unresolved and nothing is made up.
TEST(PlainExport, MedicationReferencesAreResolvedFromTheExportsMedicationFile) {
  fs::path d = temp_dir("medref");
  std::ofstream(d / "Patient.ndjson")
      << R"({"resourceType":"Patient","id":"fox","gender":"female","birthDate":"1988-02-01"})"
      << "\n";
  std::ofstream(d / "Condition.ndjson")
      << R"({"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/fox"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"24079001"}]},"onsetDateTime":"2000-01-01"})"
      << "\n"
      << R"({"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/fox"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"9014002"}]},"onsetDateTime":"2026-04-01"})"
      << "\n";
  // dupilumab by RxNorm 1876376 (kb/biologics.toml), only in the referenced Medication.
  std::ofstream(d / "MedicationRequest.ndjson")
      << R"({"resourceType":"MedicationRequest","id":"mr","status":"active","intent":"order","subject":{"reference":"Patient/fox"},"medicationReference":{"reference":"Medication/med-dupi"},"authoredOn":"2025-10-01"})"
      << "\n";
  const std::string medication =
      R"({"resourceType":"Medication","id":"med-dupi","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1876376"}]}})";
  auto dupilumab_pr = [](const screen::Run& run) {
    auto rows = rows_by_patient(run.output);
    if (!rows.count("fox")) return false;
    bool pr = false;
    for (const auto& f : rows["fox"]["findings"])
      pr = pr || (f["kind"] == "paradoxical_reaction" && f["drug"] == "dupilumab");
    return pr;
  };
  // Without the Medication file: not found, and said.
  auto without = screen(d, {});
  EXPECT_FALSE(dupilumab_pr(without)) << without.output;
  EXPECT_EQ(without.summary.medications, 0u);
  EXPECT_EQ(without.summary.unresolved_medication_references, 1u);
  EXPECT_NE(summary_json(without.summary).find("\"unresolved_medication_references\": 1"),
            std::string::npos);
  // With it (and an unrelated malformed line): found, neither unread nor unresolved.
  std::ofstream(d / "Medication.ndjson") << medication << "\n"
                                         << "{not json\n";
  auto with = screen(d, {});
  EXPECT_TRUE(dupilumab_pr(with)) << with.output;
  EXPECT_EQ(with.summary.medications, 1u);
  EXPECT_EQ(with.summary.unresolved_medication_references, 0u);
  EXPECT_TRUE(with.summary.unread_files.empty());
  EXPECT_EQ(with.summary.malformed_lines, 1u);
  // Spilled into partitions, and one partition screened as a distributed caller does.
  ScreenOptions small;
  small.memory_mb = 1;
  small.chunk_bytes = 64;
  EXPECT_EQ(screen(d, small).output, with.output);
  ScreenOptions part;
  part.as_of = kAsOf;
  part.medication_files = medication_files(d);
  ASSERT_EQ(part.medication_files.size(), 1u);
  Summary summary;
  auto rows = screen_partition(shipped_kb(), bulk_files(d), part, summary);
  ASSERT_TRUE(rows.is_ok()) << rows.status().message();
  ASSERT_EQ(rows.value().size(), 1u);
  EXPECT_EQ(rows.value()[0].patient, "fox");
  fs::remove_all(d);
}

}  // namespace
}  // namespace paraderm::screen
