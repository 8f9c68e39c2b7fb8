#include "screen_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "common.h"
#include "paraderm/screen.h"
#include "progress.h"

namespace paraderm::cli {
namespace {

struct ScreenCli {
  std::string input, output = "-", format = "ndjson", region = "US", as_of, spill_dir, summary,
                     out_dir;
  unsigned threads = 0;
  std::size_t memory_mb = 1024, listed = 20;
  bool assess_all = false, quiet = false;
};

}  // namespace

void add_screen_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto o = std::make_shared<ScreenCli>();
  auto* cmd = app.add_subcommand(
      "screen",
      "Screen a FHIR Bulk Data export (NDJSON, gzip accepted) for paradoxical reactions and unsafe "
      "JAK/TYK2 "
      "inhibitor use, one row per patient with findings; summary as JSON on stderr or --summary");
  cmd->add_option("--input", o->input,
                  "Folder of Patient/Condition/MedicationStatement/MedicationRequest/"
                  "Observation[.*].ndjson[.gz] files")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* output_option =
      cmd->add_option("--output", o->output, "Result file, or - for standard output")
          ->capture_default_str();
  cmd->add_option("--format", o->format, "ndjson | csv")
      ->check(CLI::IsMember({"ndjson", "csv"}))
      ->capture_default_str();
  cmd->add_option("--region", o->region, "Label region: US | EU")
      ->transform(CLI::IsMember({"US", "EU", "us", "eu"}))
      ->capture_default_str();
  cmd->add_option("--as-of", o->as_of, "Screening date YYYY-MM-DD (default: today, UTC)");
  cmd->add_option("--threads", o->threads, "Worker threads (0: every core)")->capture_default_str();
  cmd->add_option("--spill-dir", o->spill_dir,
                  "Folder for the partition spill files (default: the temporary folder)");
  cmd->add_option("--memory-mb", o->memory_mb,
                  "Memory budget for one partition; decides the number of partitions")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto* summary_option =
      cmd->add_option("--summary", o->summary, "Also write the summary JSON to this file");
  // The folder `paraderm serve --screen-results` reads (docs/scale.md): NDJSON rows and summary.
  cmd->add_option(
         "--out", o->out_dir,
         fmt::format(
             "Results folder for `paraderm serve --screen-results`: writes {} and {} (NDJSON)",
             screen::kResultRowsFile, screen::kResultSummaryFile))
      ->excludes(output_option)
      ->excludes(summary_option);
  cmd->add_option("--list-problems", o->listed,
                  "Malformed lines / unreadable records named in the summary")
      ->capture_default_str();
  cmd->add_flag("--assess-all", o->assess_all,
                "Assess every patient, also those whose medications name no KB biologic or "
                "JAK/TYK2 inhibitor");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->callback([o, &kb_dir, &exit_code] {
    auto kb = load_kb(kb_dir);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    screen::ScreenOptions so;
    so.region = o->region == "EU" || o->region == "eu" ? "eu" : "us";
    if (!o->as_of.empty()) {
      so.as_of = clinical::parse_date(o->as_of);
      if (!so.as_of || o->as_of.size() != 10) {
        fmt::print(stderr, "--as-of: value \"{}\": expected a date YYYY-MM-DD\n", o->as_of);
        exit_code = kExitBadInput;
        return;
      }
    }
    so.threads = o->threads;
    so.spill_dir = o->spill_dir;
    so.memory_mb = o->memory_mb;
    so.listed_problems = o->listed;
    so.assess_all = o->assess_all;
    Progress progress(!o->quiet);
    so.progress = [&progress](std::string_view phase, std::uint64_t done, std::uint64_t total) {
      progress(phase, done, total);
    };
    if (!o->out_dir.empty()) {
      if (o->format != "ndjson") {
        fmt::print(stderr,
                   "--format: value \"{}\": --out writes NDJSON (the rows the server reads)\n",
                   o->format);
        exit_code = kExitBadInput;
        return;
      }
      std::error_code ec;
      std::filesystem::create_directories(o->out_dir, ec);
      if (ec) {
        fmt::print(stderr, "--out: {}: cannot create the folder: {}\n", o->out_dir, ec.message());
        exit_code = kExitBadInput;
        return;
      }
      o->output = (std::filesystem::path(o->out_dir) / screen::kResultRowsFile).string();
      o->summary = (std::filesystem::path(o->out_dir) / screen::kResultSummaryFile).string();
    }
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (o->output != "-") {
      file.open(o->output, std::ios::binary);
      if (!file) {
        fmt::print(stderr, "--output: {}: cannot write\n", o->output);
        exit_code = kExitBadInput;
        return;
      }
      out = &file;
    }
    auto r = screen::screen_directory(
        *kb, o->input, so, o->format == "csv" ? screen::Format::kCsv : screen::Format::kNdjson,
        *out);
    std::string phases = progress.summary();
    if (!r.is_ok()) {
      fmt::print(stderr, "{}\n", r.status().message());
      exit_code = kExitBadInput;
      return;
    }
    std::string summary = screen::summary_json(r.value());
    if (!o->summary.empty()) {
      std::ofstream s(o->summary, std::ios::binary);
      s << summary;
      if (!s) {
        fmt::print(stderr, "--summary: {}: cannot write\n", o->summary);
        exit_code = kExitBadInput;
        return;
      }
    }
    if (o->summary.empty() || o->output != "-") fmt::print(stderr, "{}", summary);
    if (!o->quiet && !phases.empty()) fmt::print(stderr, "{}\n", phases);
  });
}

}  // namespace paraderm::cli
