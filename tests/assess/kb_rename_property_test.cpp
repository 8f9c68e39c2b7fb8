// Issue 11 item 5: rules are typed data matched by code, never by a KB id spelled in C++. So
// renaming any KB id either fails `kb validate` (a reference or an engine-read id breaks) or
// changes no verdict, dose or classification of a set of patients (checked for every id of the KB).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/kb.h"

namespace paraderm::assess {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<kb::SourceFile> kb_files() {
  std::vector<kb::SourceFile> files;
  fs::path root = fs::path(PARADERM_SOURCE_DIR) / "kb";
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() == ".toml") {
      files.push_back({fs::relative(e.path(), root).generic_string(), slurp(e.path())});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return files;
}

// Patients covering the rule families (labels by region, risk groups, infections, labs, renal,
// hepatic, interactions, children).
const std::vector<std::string>& case_files() {
  static const std::vector<std::string> files = {"rx-adolescent-14y-eu.json",
                                                 "rx-cyp3a4-inhibitor-ketoconazole-us.json",
                                                 "rx-oat3-probenecid-baricitinib-eu.json",
                                                 "rx-renal-egfr25-eu.json",
                                                 "safety-breastfeeding-eu.json",
                                                 "safety-hbv-active-eu.json",
                                                 "safety-hepatic-child-pugh-b-labs-us.json",
                                                 "safety-lab-alc-below-eu.json",
                                                 "pr-adalimumab-hs-nonsmoker-us.json",
                                                 "pr-secukinumab-eczema-atopy-eu.json",
                                                 "fhir-adalimumab-psoriasis-ra-smoker-eu.json",
                                                 "fs-child-pugh-range-us.json"};
  return files;
}

// What a clinician acts on: per option (by name, since an id may be renamed) verdict and dose,
// and the PR classification.
std::string outcome(const kb::KnowledgeBase& kb) {
  std::string out;
  PathwayCache cache(kb);
  for (const auto& f : case_files()) {
    Json v = Json::parse(slurp(fs::path(PARADERM_SOURCE_DIR) / "tests" / "vignettes" / f));
    clinical::ParseOptions po;
    if (v.contains("args") && v["args"].contains("region"))
      po.region = v["args"]["region"].get<std::string>();
    auto parsed = clinical::parse_case(v["input"].dump(), kb, po);
    if (!parsed.record) {
      out += f + ": input problem\n";
      continue;
    }
    AssessOptions ao;
    ao.cache = &cache;
    auto a = assess(kb, *parsed.record, ao);
    std::vector<std::string> rows;
    for (const auto& o : a.options) {
      rows.push_back(
          o.name + "=" + std::string(to_string(o.verdict)) +
          (o.dose ? fmt::format(" {:g}{} {}", o.dose->amount, o.dose->unit, o.dose->frequency)
                  : ""));
    }
    std::sort(rows.begin(), rows.end());
    out += f + ": " + std::string(to_string(a.pr.classification));
    for (const auto& r : rows) out += "; " + r;
    out += "\n";
  }
  return out;
}

TEST(KbRename, RenamingAnyIdFailsValidationOrChangesNoVerdict) {
  const auto files = kb_files();
  auto base = kb::load_files(files);
  ASSERT_TRUE(base.kb);
  const std::string expected = outcome(*base.kb);
  // Every top-level id definition: (file index, byte offset of the line).
  std::vector<std::pair<std::size_t, std::size_t>> defs;
  const std::regex id_line(R"(^id = "[^"]+"$)");
  for (std::size_t i = 0; i < files.size(); ++i) {
    // Source ids are only matched against `src` references, whose renaming validation catches;
    // no C++ reads one. Skipping them halves the run.
    if (files[i].name.rfind("sources/", 0) == 0) continue;
    std::size_t pos = 0;
    while (pos < files[i].content.size()) {
      std::size_t end = files[i].content.find('\n', pos);
      if (end == std::string::npos) end = files[i].content.size();
      if (std::regex_match(files[i].content.substr(pos, end - pos), id_line))
        defs.emplace_back(i, pos);
      pos = end + 1;
    }
  }
  ASSERT_GT(defs.size(), 200u);
  // Every id, not a sample: an id the engine reads by name is found for certain.
  std::vector<std::string> changed;
  for (const auto& [file, offset] : defs) {
    auto renamed = files;
    auto& text = renamed[file].content;
    std::size_t close = text.find('"', offset + 6);  // the closing quote of id = "..."
    text.insert(close, "-renamed");
    auto loaded = kb::load_files(renamed);
    if (!loaded.kb) continue;  // kb validate fails: the rename is caught
    if (outcome(*loaded.kb) != expected) {
      changed.push_back(files[file].name + ": " +
                        text.substr(offset, text.find('\n', offset) - offset));
    }
  }
  EXPECT_TRUE(changed.empty()) << changed.size() << " renames changed a verdict silently, e.g. "
                               << changed.front();
}

}  // namespace
}  // namespace paraderm::assess
