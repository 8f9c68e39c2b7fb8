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

namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliRun run(const std::string& args) {
  std::string cmd = std::string(PARADERM_BINARY) + " " + args + " 2>&1";
  CliRun r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe)) r.output += buf.data();
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

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
  std::ofstream(dir / "axes.toml") << "[[axis]]\nid = \"Th2\"\nname = \"T helper 2\"\nconf = \"confirmed\"\n";
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
  for (const char* cmd : {"--help", "kb --help", "kb validate --help", "kb list --help",
                          "kb show --help", "kb export --help"}) {
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
  CliRun none = run("pk --drug delgocitinib --dose 5mg");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.output.find("no published PK model"), std::string::npos) << none.output;
}

}  // namespace
