// Reading a results folder back (screen::read_results, docs/scale.md "Results folder"): what
// `paraderm serve --screen-results` serves. The folder is written the way `paraderm screen --out`
// writes it, from the hand-written export tests/data/bulk/plain (alpha: a PR candidate on
// dupilumab; bravo: tofacitinib with active TB and a low ALC), then damaged one way at a time.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "paraderm/screen.h"

namespace paraderm::screen {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ResultsFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("paraderm-results-test-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ScreenOptions o;
    o.as_of = clinical::parse_date("2026-06-30");
    std::ofstream rows(dir_ / kResultRowsFile, std::ios::binary);
    auto s = screen_directory(paraderm::testing::shipped_kb(),
                              fs::path(PARADERM_SOURCE_DIR) / "tests/data/bulk/plain", o,
                              Format::kNdjson, rows);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    std::ofstream(dir_ / kResultSummaryFile, std::ios::binary) << summary_json(s.value());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The rows file with line `n` (1-based) replaced.
  void replace_line(std::size_t n, const std::string& text) {
    std::istringstream in(slurp(dir_ / kResultRowsFile));
    std::string out;
    std::size_t i = 0;
    for (std::string line; std::getline(in, line);) out += (++i == n ? text : line) + "\n";
    std::ofstream(dir_ / kResultRowsFile, std::ios::binary) << out;
  }
  std::string error(const ResultLimits& limits = {}) {
    auto r = read_results(dir_, limits);
    EXPECT_FALSE(r.is_ok());
    return r.is_ok() ? "" : r.status().message();
  }

  fs::path dir_;
};

TEST_F(ResultsFolder, ReadsBackWhatTheScreenWroteByteForByte) {
  auto r = read_results(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  // The plain export flags alpha (PR) and bravo (contraindication, lab threshold):
  // tests/screen/screen_test.cpp.
  ASSERT_EQ(r.value().patients.size(), 2u);
  EXPECT_EQ(r.value().patients[0].patient, "alpha");
  EXPECT_EQ(r.value().patients[0].findings[0].kind, FindingKind::kParadoxicalReaction);
  EXPECT_EQ(r.value().patients[0].findings[0].drug, "dupilumab");
  EXPECT_EQ(r.value().patients[1].patient, "bravo");
  std::string rows;
  for (const auto& p : r.value().patients) rows += to_ndjson(p);
  EXPECT_EQ(rows, slurp(dir_ / kResultRowsFile));
  EXPECT_EQ(summary_json(r.value().summary), slurp(dir_ / kResultSummaryFile));
}

// The medicationReference counts (session 18) survive the round trip the web app's Screening tab
// makes (they were re-served as 0); a summary written before them still reads, as 0.
TEST_F(ResultsFolder, MedicationReferenceCountsAreReadBackAndOptional) {
  auto written = nlohmann::json::parse(slurp(dir_ / kResultSummaryFile));
  written["medications"] = 7;
  written["unresolved_medication_references"] = 3;
  std::ofstream(dir_ / kResultSummaryFile, std::ios::binary) << written.dump(2) << "\n";
  auto r = read_results(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().summary.medications, 7u);
  EXPECT_EQ(r.value().summary.unresolved_medication_references, 3u);
  written.erase("medications");
  written.erase("unresolved_medication_references");
  std::ofstream(dir_ / kResultSummaryFile, std::ios::binary) << written.dump(2) << "\n";
  r = read_results(dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().summary.unresolved_medication_references, 0u);
}

TEST_F(ResultsFolder, MissingFolderOrFileIsNamed) {
  EXPECT_NE(read_results(dir_ / "nowhere").status().message().find("not a folder"),
            std::string::npos);
  fs::remove(dir_ / kResultRowsFile);
  std::string e = error();
  EXPECT_NE(e.find(kResultRowsFile), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
}

TEST_F(ResultsFolder, ARowTheScreenWouldNotWriteIsRefusedWithLineAndPointer) {
  std::string first =
      slurp(dir_ / kResultRowsFile).substr(0, slurp(dir_ / kResultRowsFile).find('\n'));
  std::string bad = first;
  bad.replace(bad.find("\"paradoxical_reaction\""), 22, "\"sunburn\"");
  replace_line(1, bad);
  std::string e = error();
  EXPECT_NE(e.find(std::string(kResultRowsFile) + ":1: /findings/0/kind: value \"sunburn\""),
            std::string::npos)
      << e;
  replace_line(1, "{\"patient\":\"alpha\"");
  e = error();
  EXPECT_NE(e.find(":1: not valid JSON"), std::string::npos) << e;
  replace_line(1, R"({"patient":"alpha","warnings":0,"findings":[]})");
  e = error();
  EXPECT_NE(e.find(":1: /findings: value []: expected a non-empty array"), std::string::npos) << e;
}

TEST_F(ResultsFolder, RowsOutOfOrderOrFromAnotherRunAreRefused) {
  std::string rows = slurp(dir_ / kResultRowsFile);
  std::string first = rows.substr(0, rows.find('\n') + 1),
              second = rows.substr(rows.find('\n') + 1);
  std::ofstream(dir_ / kResultRowsFile, std::ios::binary) << second << first;
  std::string e = error();
  EXPECT_NE(e.find(":2: /patient: value \"alpha\": expected rows sorted by patient id"),
            std::string::npos)
      << e;
  // One row fewer than the summary's flagged count: the summary of another run.
  std::ofstream(dir_ / kResultRowsFile, std::ios::binary) << first;
  e = error();
  EXPECT_NE(e.find("1 rows, but summary.json says /flagged 2"), std::string::npos) << e;
}

TEST_F(ResultsFolder, SummaryProblemsAndSizesAreNamed) {
  std::string summary = slurp(dir_ / kResultSummaryFile);
  std::string bad = summary;
  bad.replace(bad.find("\"flagged\": 2"), 12, "\"flagged\": -2");
  std::ofstream(dir_ / kResultSummaryFile, std::ios::binary) << bad;
  std::string e = error();
  EXPECT_NE(e.find("summary.json: /flagged: value -2: expected a whole number >= 0"),
            std::string::npos)
      << e;
  std::ofstream(dir_ / kResultSummaryFile, std::ios::binary) << summary;
  ResultLimits small;
  small.max_rows_bytes = 100;
  e = error(small);
  EXPECT_NE(e.find(fmt::format("{}: {} bytes: expected at most 100", kResultRowsFile,
                               fs::file_size(dir_ / kResultRowsFile))),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace paraderm::screen
