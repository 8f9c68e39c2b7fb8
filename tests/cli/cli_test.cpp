// Runs the paraderm binary as a user would and checks exit codes and messages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "../test_support.h"

namespace {

using paraderm::testing::CliRun;
CliRun run(const std::string& args) { return paraderm::testing::run_cli(args); }

TEST(Cli, ValidatePrintsCountsAndConfidence) {
  CliRun r = run("kb validate");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cytokine"), std::string::npos);
  EXPECT_NE(r.output.find("facts by confidence"), std::string::npos);
  EXPECT_NE(r.output.find("confirmed"), std::string::npos);
  EXPECT_NE(r.output.find("valid: 0 errors"), std::string::npos);
}

TEST(Cli, InvalidKbDirectoryExitsTwoWithFileAndLine) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "paraderm_cli_bad_kb";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "axes.toml")
      << "[[axis]]\nid = \"Th2\"\nname = \"T helper 2\"\nconf = \"confirmed\"\n";
  CliRun r = run("--kb " + dir.string() + " kb validate");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("axes.toml:1: axis[0].src: missing required field 'src'"),
            std::string::npos)
      << r.output;
  fs::remove_all(dir);
}

TEST(Cli, UnknownKindExitsTwo) {
  CliRun r = run("kb list nonsense");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("value \"nonsense\": expected one of"), std::string::npos) << r.output;
}

TEST(Cli, UnknownIdExitsTwo) {
  CliRun r = run("kb show no-such-thing");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("no entry with this id"), std::string::npos) << r.output;
}

TEST(Cli, ShowAndListAndExport) {
  CliRun show = run("kb show upadacitinib");
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("\"kind\": \"drug\""), std::string::npos);
  CliRun list = run("kb list drug");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.output.find("deucravacitinib"), std::string::npos);
  CliRun exp = run("kb export --format json");
  EXPECT_EQ(exp.exit_code, 0);
  EXPECT_EQ(exp.output.rfind("{", 0), 0u);
}

TEST(Cli, HelpOnEveryCommand) {
  for (const char* cmd :
       {"--help", "kb --help", "kb validate --help", "kb list --help", "kb show --help",
        "kb export --help", "pk --help", "pathways --help", "assess --help"}) {
    CliRun r = run(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd << r.output;
  }
}

TEST(Cli, BadOptionExitsTwo) {
  CliRun r = run("kb export --format yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace

namespace {

TEST(CliPk, SteadyStateCurveAsCsv) {
  CliRun r = run("pk --drug tofacitinib --dose 5mg --every 12h --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("t_h,conc_ng_ml,conc_nm\n", 0), 0u);
  // 0:12:0.5 -> 25 points plus the header.
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 26);
}

TEST(CliPk, BadDoseExitsTwoNamingTheField) {
  CliRun r = run("pk --drug tofacitinib --dose five --every 12h");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--dose: value \"five\": expected a positive amount in mg"),
            std::string::npos)
      << r.output;
}

TEST(CliPk, UnknownDrugAndMissingModel) {
  CliRun unknown = run("pk --drug tofacitinob --dose 5mg");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("no such drug"), std::string::npos);
  // Ritlecitinib: oral, but neither a published model nor V or CL in the KB.
  CliRun none = run("pk --drug ritlecitinib --dose 50mg");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.output.find("no published PK model"), std::string::npos) << none.output;
  // A topical product has no systemic curve: it says so (cited) instead of failing.
  CliRun topical = run("pk --drug delgocitinib --dose 5mg");
  EXPECT_EQ(topical.exit_code, 0) << topical.output;
  EXPECT_NE(topical.output.find("topical: minimal systemic exposure"), std::string::npos)
      << topical.output;
}

}  // namespace

namespace {

TEST(CliPathways, JsonHasTheDocumentedFieldsAndNullForUnknown) {
  CliRun r = run("pathways --drug tofacitinib --dose 5mg --every 12h --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.size(), 1u);
  const auto& prof = j[0];
  EXPECT_EQ(prof["drug"], "tofacitinib");
  EXPECT_EQ(prof["regimen"]["frequency"], "bid");
  bool saw_il2 = false, saw_il17 = false;
  for (const auto& p : prof["pathways"]) {
    for (const char* key : {"cytokine", "jak_pair", "avg_inhibition_pct", "hours_above_50pct",
                            "peak_inhibition_pct", "trough_inhibition_pct", "basis", "assay",
                            "effect", "excluded_from_aggregates", "sources"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
    if (p["cytokine"] == "IL-2") {
      saw_il2 = true;
      EXPECT_EQ(p["jak_pair"], "JAK1/JAK3");
      EXPECT_EQ(p["basis"], "quantitative");
      EXPECT_EQ(p["assay"], "whole-blood");  // Mohamed 2020 EC50, against total concentration
      EXPECT_EQ(p["effect"], "inhibited");
      EXPECT_TRUE(p["avg_inhibition_pct"].is_number());
      EXPECT_FALSE(p["sources"].empty());
    }
    if (p["cytokine"] == "IL-17A/F") {
      saw_il17 = true;
      EXPECT_TRUE(p["avg_inhibition_pct"].is_null());
      EXPECT_EQ(p["basis"], "not-jak-dependent");
    }
  }
  EXPECT_TRUE(saw_il2 && saw_il17);

  CliRun filgo = run("pathways --drug filgotinib --dose 200mg --format json");
  ASSERT_EQ(filgo.exit_code, 0) << filgo.output;
  const auto filgo_json = nlohmann::json::parse(filgo.output);
  for (const auto& p : filgo_json[0]["pathways"]) {
    EXPECT_TRUE(p["avg_inhibition_pct"].is_null()) << p["cytokine"];  // unknown, never 0
    EXPECT_NE(p["basis"], "quantitative");
    if (p["basis"] == "qualitative") {
      EXPECT_TRUE(p["effect"] == "inhibited" || p["effect"] == "spared");
    }
  }
}

// Issue 12: topical products print a table (qualitative at the application site, the cited
// systemic-exposure statement) instead of exiting 2 without --dose.
TEST(CliPathways, TopicalProductsPrintATableWithoutADose) {
  for (const char* id : {"ruxolitinib-cream", "delgocitinib"}) {
    CliRun r = run(std::string("pathways --drug ") + id);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("topical: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("systemic exposure"), std::string::npos) << r.output;
  }
}

// `pk --dose 15mg` for upadacitinib draws the ER product's published IR equivalent and says so.
TEST(CliPk, UpadacitinibErDoseIsDrawnAsItsIrEquivalent) {
  CliRun r = run("pk --drug upadacitinib --dose 15mg --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  ASSERT_TRUE(j.contains("drawn_as")) << r.output;
  EXPECT_EQ(j["drawn_as"]["dose_mg"], 6);
  EXPECT_EQ(j["drawn_as"]["interval_h"], 12);
  CliRun table = run("pk --drug upadacitinib --dose 15mg");
  EXPECT_NE(table.output.find("drawn as equivalent"), std::string::npos) << table.output;
  // A dose that is not an ER product regimen is drawn as given.
  CliRun plain = run("pk --drug upadacitinib --dose 6mg --every 12h --format json");
  EXPECT_FALSE(nlohmann::json::parse(plain.output).contains("drawn_as"));
}

TEST(CliPathways, EveryApprovedRegimenWithoutADose) {
  CliRun r = run("pathways --drug tofacitinib --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.size(), 2u);  // 5 mg BID and 11 mg QD XR
  EXPECT_EQ(j[1]["regimen"]["amount"], 11);
  EXPECT_EQ(j[1]["modelled_as"]["amount"], 5);  // XR modelled as IR 5 mg BID
}

TEST(CliPathways, CsvOneRowPerPathwayUnknownCellsEmpty) {
  CliRun r = run("pathways --drug deucravacitinib --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("drug,amount_mg,frequency,formulation,modifier,cytokine,jak_pair,"
                           "avg_inhibition_pct,hours_above_50pct,peak_inhibition_pct,"
                           "trough_inhibition_pct,basis,assay,effect,excluded_from_aggregates,"
                           "bound,sources\n",
                           0),
            0u);
  EXPECT_NE(r.output.find(
                "deucravacitinib,6,qd,tablet,,IL-23,JAK2/TYK2,,,,,qualitative,,inhibited,false,,"),
            std::string::npos)
      << r.output;
}

TEST(CliPathways, ModifierAndDiseaseAreChecked) {
  CliRun bad = run("pathways --drug tofacitinib --modifier strong-cyp3a4-inhibiter");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--modifier: value 'strong-cyp3a4-inhibiter'"), std::string::npos)
      << bad.output;
  CliRun disease = run("pathways --drug tofacitinib --disease psoriasiss");
  EXPECT_EQ(disease.exit_code, 2);
  EXPECT_NE(disease.output.find("--disease: value \"psoriasiss\": no such disease"),
            std::string::npos)
      << disease.output;
  CliRun ok =
      run("pathways --drug tofacitinib --dose 5mg --every 12h --modifier "
          "strong-cyp3a4-inhibitor --disease psoriasis");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("modifier strong-cyp3a4-inhibitor (ketoconazole): AUC +103%"),
            std::string::npos)
      << ok.output;
  EXPECT_NE(ok.output.find("disease psoriasis: pair coverage 100%"), std::string::npos)
      << ok.output;
}

}  // namespace

namespace {

const std::string kExample =
    std::string(PARADERM_SOURCE_DIR) + "/examples/dupilumab-psoriasis.json";
const std::string kFhir =
    std::string(PARADERM_SOURCE_DIR) + "/examples/dupilumab-psoriasis.fhir.json";

TEST(CliAssess, JsonIsVersionedAndRanked) {
  CliRun r = run("assess " + kExample + " --format json --start 2026-12-01");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["schema_version"], "1");
  EXPECT_EQ(j["region"], "eu");
  EXPECT_EQ(j["paradoxical_reaction"]["classification"], "likely");
  EXPECT_EQ(j["paradoxical_reaction"]["culprits"][0]["biologic"], "dupilumab");
  ASSERT_FALSE(j["options"].empty());
  EXPECT_EQ(j["safety_plan"]["start_date"], "2026-12-01");
  for (const auto& o : j["options"]) {
    for (const char* key : {"kind", "verdict", "dose", "coverage", "label", "reasons"}) {
      EXPECT_TRUE(o.contains(key)) << key;
    }
    if (o["verdict"] == "avoid" || o["verdict"] == "contraindicated") {
      EXPECT_TRUE(o["dose"].is_null());
    }
  }
}

TEST(CliAssess, TextFitsEightyColumnsAndHtmlIsSelfContained) {
  CliRun text = run("assess " + kExample);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  std::size_t start = 0;
  while (start < text.output.size()) {
    std::size_t end = text.output.find('\n', start);
    if (end == std::string::npos) end = text.output.size();
    EXPECT_LE(end - start, 80u) << text.output.substr(start, end - start);
    start = end + 1;
  }
  CliRun html = run("assess " + kExample + " --format html");
  ASSERT_EQ(html.exit_code, 0);
  EXPECT_NE(html.output.find("<svg"), std::string::npos);
  EXPECT_EQ(html.output.find("<script"), std::string::npos);
  EXPECT_EQ(html.output.find("http://"), std::string::npos);
  EXPECT_EQ(html.output.find("https://"), std::string::npos);
}

TEST(CliAssess, FhirBundleWithRegion) {
  CliRun r = run("assess " + kFhir + " --region eu --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["input_kind"], "fhir");
  EXPECT_EQ(j["paradoxical_reaction"]["classification"], "likely");
}

TEST(CliAssess, BadInputExitsTwoWithOneLinePerProblem) {
  namespace fs = std::filesystem;
  fs::path bad = fs::temp_directory_path() / "paraderm_bad_case.json";
  std::ofstream(bad) << R"({"as_of":"2026-11-20","patient":{"age_years":"x"},
    "medications":[{"name":"dupilumab","start":"2026-05-01","stop":"2026-01-01"}]})";
  CliRun r = run("assess " + bad.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("/patient/age_years: value \"x\": expected a number"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("/medications/0/stop: value \"2026-01-01\": before the start 2026-05-01"),
            std::string::npos)
      << r.output;
  CliRun missing = run("assess /nonexistent/case.json");
  EXPECT_EQ(missing.exit_code, 2);
  CliRun date = run("assess " + kExample + " --start 2026-02-30");
  EXPECT_EQ(date.exit_code, 2);
  EXPECT_NE(date.output.find("--start: value \"2026-02-30\": expected a date"), std::string::npos);
  fs::remove(bad);
}

}  // namespace

namespace {

TEST(CliPv, SignalsCsvHasTheDocumentedColumnsAndBadColumnsExitTwo) {
  std::string data = paraderm::testing::shared_data("caers.csv");
  if (data.empty()) GTEST_SKIP() << "shared/data/caers.csv not present";
  CliRun r = run("pv signals --input " + data +
                 " --id-col id --drug-col var1 --event-col var2 --format csv --min-count 10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // stderr (the fitted theta) and stdout are merged by run(): the CSV header starts a line.
  EXPECT_NE(r.output.find("\ndrug,event,n,expected,rr,prr,prr_chi2,ror,ror_lo,ror_hi,ic,ic025,"
                          "ic975,ebgm,eb05,eb95"),
            std::string::npos)
      << r.output.substr(0, 300);
  EXPECT_NE(r.output.find("MGPS prior on 17189 full-data points"), std::string::npos)
      << r.output.substr(0, 300);
  CliRun bad = run("pv signals --input " + data + " --id-col id --drug-col nope --event-col var2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--drug-col: value \"nope\": no such column"), std::string::npos)
      << bad.output;
}

// ingest -> store -> signals from the stored scores -> the assessment cites the store.
TEST(CliPv, IngestedStoreServesSignalsAndTheAssessment) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("paraderm_clipv_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "reports.csv");
    csv << "report,drug,event\n";
    for (int i = 0; i < 200; ++i) csv << i << ",drug" << i % 7 << ",event" << i % 9 << "\n";
    for (int i = 200; i < 215; ++i) csv << i << ",DUPILUMAB,PSORIASIS\n";
  }
  std::string store = (dir / "store").string();
  CliRun in = run("pv ingest --input " + (dir / "reports.csv").string() +
                  " --id-col report --out " + store);
  ASSERT_EQ(in.exit_code, 0) << in.output;
  EXPECT_NE(in.output.find("store " + store + ": 215 reports"), std::string::npos) << in.output;
  CliRun sig = run("pv signals --store " + store + " --drug dupilumab --format json");
  ASSERT_EQ(sig.exit_code, 0) << sig.output;
  auto j = nlohmann::json::parse(
      sig.output.substr(sig.output.find('{'), sig.output.rfind('}') - sig.output.find('{') + 1));
  ASSERT_EQ(j["pairs"].size(), 1u);
  EXPECT_EQ(j["pairs"][0]["n"], 15);
  EXPECT_TRUE(j["pairs"][0]["signal"]["eb05"].get<bool>());
  CliRun a = run("assess " + std::string(PARADERM_SOURCE_DIR "/examples/dupilumab-psoriasis.json") +
                 " --format json --pv-store " + store);
  ASSERT_EQ(a.exit_code, 0) << a.output.substr(0, 500);
  auto aj = nlohmann::json::parse(a.output);
  const auto& rs = aj["paradoxical_reaction"]["reporting_signals"];
  ASSERT_TRUE(rs.is_object());
  EXPECT_NE(rs["store"].get<std::string>().find("reports.csv"), std::string::npos) << rs["store"];
  EXPECT_EQ(rs["citations"][0]["signal"]["n"], 15);
  CliRun none =
      run("assess " + std::string(PARADERM_SOURCE_DIR "/examples/dupilumab-psoriasis.json") +
          " --pv-store " + (dir / "missing").string());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.output.find("not a paraderm pv store"), std::string::npos) << none.output;
  fs::remove_all(dir);
}

}  // namespace
