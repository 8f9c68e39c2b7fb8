// paraderm_faers_synth: writes a synthetic FAERS (or legacy LAERS) quarterly ASCII corpus with
// planted signals (docs/pv-synth.md) and prints its summary and the time it took.
//
//   paraderm_faers_synth --out DIR --reports N --seed S [--layout faers|laers] [--quarters Q]
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <exception>

#include <chrono>
#include <cstdio>

#include "faers_synth/faers_synth.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"Write a synthetic FAERS-layout corpus with planted drug-event signals"};
  paraderm::pv::SynthOptions o;
  std::string out, layout = "faers";
  app.add_option("--out", out, "Folder to create (must not exist or be empty)")->required();
  app.add_option("--reports", o.reports, "Distinct cases (older versions are written in addition)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed; the same seed gives the same files")
      ->capture_default_str();
  app.add_option("--layout", layout, "faers (2014Q3+) or laers (legacy 2004Q1-2012Q3)")
      ->check(CLI::IsMember({"faers", "laers"}))
      ->capture_default_str();
  app.add_option("--quarters", o.quarters,
                 "Consecutive quarters ending 2025Q3 (faers) or 2012Q3 (laers)")
      ->capture_default_str();
  app.add_option("--mean-drugs", o.mean_drugs, "Mean drugs per report")->capture_default_str();
  app.add_option("--mean-events", o.mean_events, "Mean events per report")->capture_default_str();
  app.add_option("--drug-vocabulary", o.drug_vocabulary, "Distinct drug names")
      ->capture_default_str();
  app.add_option("--event-vocabulary", o.event_vocabulary, "Distinct event names")
      ->capture_default_str();
  app.add_option("--zipf", o.zipf_exponent, "Rank-frequency exponent of names")
      ->capture_default_str();
  app.add_option("--planted", o.planted, "Planted drug-event pairs")->capture_default_str();
  app.add_option("--rr-min", o.planted_rr_min, "Smallest planted relative reporting ratio")
      ->capture_default_str();
  app.add_option("--rr-max", o.planted_rr_max, "Largest planted relative reporting ratio")
      ->capture_default_str();
  app.add_option("--follow-up", o.follow_up_fraction,
                 "Fraction of cases with an older version in an earlier quarter")
      ->capture_default_str();
  app.add_option("--deleted", o.deleted_fraction, "Fraction of cases listed as deleted (faers)")
      ->capture_default_str();
  app.add_option("--malformed", o.malformed_fraction, "Fraction of records broken across lines")
      ->capture_default_str();
  app.add_option("--non-suspect", o.non_suspect_fraction, "Fraction of drug rows with role C or I")
      ->capture_default_str();
  bool no_kb = false;
  app.add_flag("--no-kb-names", no_kb, "No real product spellings (HUMIRA, dupilumab 300 mg, ...)");
  app.add_option("--threads", o.threads,
                 "Worker threads (0: the cores, at most 4); the output does not depend on it")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  o.kb_names = !no_kb;
  o.layout = layout == "laers" ? paraderm::pv::SynthOptions::Layout::laers
                               : paraderm::pv::SynthOptions::Layout::faers;

  auto t0 = std::chrono::steady_clock::now();
  auto r = paraderm::pv::write_synthetic_faers(out, o);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.is_ok()) {
    fmt::print(stderr, "error: {}\n", r.status().message());
    return 1;
  }
  const auto& s = r.value();
  fmt::print("quarters             {}\n", fmt::join(s.quarters, " "));
  fmt::print("distinct cases       {}\n", s.distinct_cases);
  fmt::print("reports written      {} ({} superseded versions)\n", s.reports_written,
             s.superseded_versions);
  fmt::print("deleted cases        {}\n", s.deleted_cases);
  fmt::print("kept cases           {} (after dedup and deletions)\n", s.kept_cases);
  fmt::print("drug rows            {} ({:.2f} per report)\n", s.drug_rows,
             static_cast<double>(s.drug_rows) / static_cast<double>(s.reports_written));
  fmt::print("reaction rows        {} ({:.2f} per report)\n", s.reaction_rows,
             static_cast<double>(s.reaction_rows) / static_cast<double>(s.reports_written));
  fmt::print("malformed            {} records, {} lines\n", s.malformed_records, s.malformed_lines);
  fmt::print("bytes                {} ({:.1f} per report written)\n", s.bytes,
             static_cast<double>(s.bytes) / static_cast<double>(s.reports_written));
  fmt::print("time                 {:.2f} s ({:.0f} reports/s, {:.0f} MB/s)\n", seconds,
             static_cast<double>(s.reports_written) / seconds,
             static_cast<double>(s.bytes) / seconds / 1e6);
  fmt::print("planted signals      {} (planted.csv)\n", s.planted.size());
  fmt::print("  {:<22} {:<28} {:>6} {:>8} {:>8} {:>8} {:>9}\n", "drug", "event", "target", "n",
             "n_drug", "n_event", "realised");
  for (const auto& p : s.planted) {
    fmt::print("  {:<22} {:<28} {:>6.2f} {:>8} {:>8} {:>8} {:>9.2f}\n", p.drug, p.event,
               p.relative_risk, p.expected_n, p.expected_drug, p.expected_event, p.realised_rr);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An exception that escapes is a bug; it is reported, not left to std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
  }
  return 1;
}
