#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kb_test_util.h"

namespace paraderm::kb {
namespace {

using testing::errors_of;
using testing::load_with;

TEST(KbLoader, MinimalKbLoadsIntoTypedStructs) {
  LoadResult r = load_with("cytokines.toml", testing::kMinimalCytokine);
  ASSERT_TRUE(r.kb.has_value()) << ::testing::PrintToString(errors_of(r));
  const KnowledgeBase& kb = *r.kb;
  ASSERT_EQ(kb.cytokines.size(), 1u);
  const Cytokine& il2 = kb.cytokines[0];
  EXPECT_EQ(il2.id, "IL-2");
  ASSERT_TRUE(il2.pair.has_value());
  EXPECT_EQ(il2.pair->kinases, (std::vector<std::string>{"JAK1", "JAK3"}));
  EXPECT_EQ(il2.pair->prov.conf, Confidence::kConfirmed);
  EXPECT_EQ(il2.loc.file, "cytokines.toml");
  EXPECT_EQ(il2.loc.line, 2);
  EXPECT_EQ(kb.find_cytokine("IL-2"), &il2);
  EXPECT_EQ(kb.find_cytokine("IL-99"), nullptr);
  // 2 kinases + the cytokine + its pair = 4 facts, all confirmed.
  EXPECT_EQ(kb.facts_by_confidence[static_cast<std::size_t>(Confidence::kConfirmed)], 4u);
  EXPECT_EQ(kb.grade_of(il2.prov), Grade::kMechanistic);
}

TEST(KbLoader, AbsentValuesStayAbsent) {
  LoadResult r = load_with("cytokines.toml", testing::kMinimalCytokine);
  ASSERT_TRUE(r.kb.has_value());
  EXPECT_FALSE(r.kb->cytokines[0].biology.has_value());
  EXPECT_FALSE(r.kb->sources[0].year.has_value());
}

TEST(KbLoader, VersionIsAContentHash) {
  LoadResult a = load_with("cytokines.toml", testing::kMinimalCytokine);
  LoadResult b = load_with("cytokines.toml", testing::kMinimalCytokine);
  LoadResult c = load_with("cytokines.toml", std::string(testing::kMinimalCytokine) + "\n# edit\n");
  ASSERT_TRUE(a.kb && b.kb && c.kb);
  EXPECT_EQ(a.kb->version, b.kb->version);
  EXPECT_NE(a.kb->version, c.kb->version);
  EXPECT_EQ(a.kb->version.size(), 16u);
}

TEST(KbLoader, ExportJsonRoundTripsFieldNames) {
  LoadResult r = load_with("cytokines.toml", testing::kMinimalCytokine);
  ASSERT_TRUE(r.kb.has_value());
  std::string json = export_json(*r.kb);
  EXPECT_NE(json.find("\"cytokine\""), std::string::npos);
  EXPECT_NE(json.find("\"signalling\": \"jak\""), std::string::npos);
  EXPECT_NE(json.find("\"conf\": \"confirmed\""), std::string::npos);
  // Absent optional fields are not exported as null or 0.
  EXPECT_EQ(json.find("\"biology\""), std::string::npos);
}

TEST(KbLoader, ListAndShow) {
  LoadResult r = load_with("cytokines.toml", testing::kMinimalCytokine);
  ASSERT_TRUE(r.kb.has_value());
  auto rows = list_kind(*r.kb, "cytokine");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].first, "IL-2");
  EXPECT_EQ((*rows)[0].second, "Interleukin-2");
  EXPECT_FALSE(list_kind(*r.kb, "nonsense").has_value());
  auto shown = show_entry(*r.kb, "IL-2");
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_NE(shown[0].find("\"defined_at\": \"cytokines.toml:2\""), std::string::npos);
  EXPECT_TRUE(show_entry(*r.kb, "IL-99").empty());
}

TEST(KbLoader, LoadsADirectoryRecursively) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "paraderm_kb_dir_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "sources");
  std::ofstream(dir / "sources" / "a.toml") << testing::kMinimalSources;
  std::ofstream(dir / "kinases.toml") << testing::kMinimalKinases;
  std::ofstream(dir / "cytokines.toml") << testing::kMinimalCytokine;
  std::ofstream(dir / "README.md") << "not a KB file";
  LoadResult r = load_directory(dir);
  ASSERT_TRUE(r.kb.has_value()) << ::testing::PrintToString(errors_of(r));
  EXPECT_EQ(r.kb->sources[0].loc.file, "sources/a.toml");
  fs::remove_all(dir);
}

TEST(KbLoader, MissingDirectoryIsAnError) {
  LoadResult r = load_directory("/nonexistent/paraderm/kb");
  EXPECT_FALSE(r.kb.has_value());
  ASSERT_EQ(r.error_count(), 1u);
  EXPECT_NE(r.issues[0].message.find("not a directory"), std::string::npos);
}

TEST(KbLoader, RegionApplicability) {
  EXPECT_TRUE(applies_to(Region::kBoth, Region::kUs));
  EXPECT_TRUE(applies_to(Region::kEu, Region::kEu));
  EXPECT_FALSE(applies_to(Region::kEu, Region::kUs));
  EXPECT_FALSE(applies_to(Region::kUs, Region::kEu));
}

// The ages a rule's outcome changes at, which decide whether a birth date given to the year is
// enough (case build.cpp): indication, dose and risk-group minimum ages, the year after a dose's
// maximum ("12-17" ends at 18), and only the age constants — not the Cockcroft-Gault age offset.
TEST(KbLoader, AgeLimitsAreEveryAgeARuleChangesAt) {
  KnowledgeBase kb;
  Drug d;
  d.indication.push_back(
      {.region = Region::kEu, .disease = "atopic-dermatitis", .min_age_years = 12.0});
  d.dose.push_back(
      {.indication = "atopic-dermatitis", .min_age_years = 12.0, .max_age_years = 17.0});
  d.dose.push_back(
      {.indication = "atopic-dermatitis", .min_age_years = 2.0, .max_age_years = 10.0});
  kb.drugs.push_back(d);
  kb.risk_groups.push_back({.min_age_years = 65.0});
  kb.formula_constants.push_back({.id = "age-group.adult-min-age", .value = 18});
  kb.formula_constants.push_back({.id = "cockcroft-gault.age-offset", .value = 140});
  EXPECT_EQ(kb.age_limits(), (std::vector<double>{2, 11, 12, 18, 65}));
  EXPECT_TRUE(KnowledgeBase{}.age_limits().empty());
}

}  // namespace
}  // namespace paraderm::kb
