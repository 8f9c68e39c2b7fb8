// A synthetic FAERS-scale corpus written in the real FAERS quarterly ASCII layout (or the legacy
// LAERS layout), so that the real reader, the counts, the MGPS fit and every score can be
// benchmarked end to end and tested against planted signals whose truth is known.
//
// Everything is a pure function of (options, seed): each case draws from its own counter-seeded
// generator, so the corpus is streamed quarter by quarter in blocks (never held in memory) and the
// files are byte-identical for any number of threads. Names are made up: drug names are invented
// words with invented stems, event names ("Kobatu syndrome") are invented words and are NOT
// MedDRA terms; with kb_names a few drugs carry real brand/ingredient spellings.
//
// docs/pv-synth.md describes the construction (distributions, planted signals, the follow-up,
// deletion, malformed-line and role models) and its measured speed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "paraderm/status.h"

namespace paraderm::pv {

struct SynthOptions {
  enum class Layout {
    faers,  // 2014Q3+ FAERS: ASCII/DEMOyyQq.txt ... keyed by primaryid/caseid/caseversion, Deleted/
    laers,  // 2004Q1-2012Q3 legacy AERS: ascii/DEMOyyQq.TXT ... keyed by ISR and CASE, no deletion
            // lists
  };
  std::uint64_t reports = 100000;  // distinct cases; superseded versions are written in addition
  std::uint64_t seed = 1;
  double mean_drugs = 3, mean_events = 3;  // per report: 1 + Poisson(mean - 1), at most 25
  std::size_t drug_vocabulary = 5000, event_vocabulary = 8000;
  // Rank-frequency law of names per draw: P(rank r) proportional to r^-zipf_exponent (see the doc
  // for why 1.0).
  double zipf_exponent = 1.0;
  std::size_t planted = 20;  // planted (drug, event) pairs, each with its own drug and event
  double planted_rr_min = 3, planted_rr_max = 10;  // target relative reporting ratios, log-spaced
  double follow_up_fraction =
      0.1;  // cases that also appear with an older version in an earlier quarter
  double deleted_fraction = 0.005;  // cases listed in a Deleted/DELETEyyQq.txt (faers layout only)
  double malformed_fraction =
      1e-4;  // records broken by an embedded line break (or '$'), per record
  double non_suspect_fraction = 0.3;  // drug rows with role C or I (the first drug is always PS)
  int quarters = 4;  // consecutive quarters ending 2025Q3 (faers) or 2012Q3 (laers)
  Layout layout = Layout::faers;
  bool kb_names =
      true;  // a few frequent drugs spelled as real products (HUMIRA, dupilumab 300 mg, ...)
  unsigned threads =
      0;  // 0: std::thread::hardware_concurrency(), at most 4; output does not depend on it
};

struct PlantedSignal {
  std::string drug, event;       // drug as written (drugname = prod_ai), event as written in REAC
  double relative_risk = 0;      // the target relative reporting ratio N*a/(n_drug*n_event)
  double extra_probability = 0;  // q: P(event added | drug suspect, event not drawn)
  // Exact counts the reader must produce (latest visible version per case, deleted cases dropped,
  // roles PS+SS, malformed lines dropped; unique reports): the pair, its margins and all reports.
  std::uint64_t expected_n = 0, expected_drug = 0, expected_event = 0, expected_total = 0;
  double realised_rr = 0;  // expected_n * expected_total / (expected_drug * expected_event)
};

struct SynthSummary {
  std::vector<std::string> quarters;  // "25Q3", ... oldest first
  std::uint64_t reports_written = 0;  // DEMO records, superseded versions included
  std::uint64_t distinct_cases = 0;
  std::uint64_t superseded_versions = 0;  // older versions written (one per follow-up case)
  std::uint64_t deleted_cases = 0;        // caseids listed in the Deleted files
  std::uint64_t kept_cases = 0;  // cases kept after dedup and deletions (what the reader keeps)
  std::uint64_t drug_rows = 0, reaction_rows = 0;  // DRUG and REAC records, all versions
  std::uint64_t malformed_records = 0;             // records broken on purpose
  std::uint64_t malformed_lines = 0;               // physical lines whose field count is wrong
  std::uint64_t bytes = 0;                         // all files written
  std::vector<PlantedSignal> planted;
};

// Writes the corpus below `dir` (created; it must not exist or be empty): per quarter yyQq
// faers: ASCII/DEMOyyQq.txt, ASCII/DRUGyyQq.txt, ASCII/REACyyQq.txt, Deleted/DELETEyyQq.txt;
// laers: ascii/DEMOyyQq.TXT, ascii/DRUGyyQq.TXT, ascii/REACyyQq.TXT; and planted.csv at the top.
Result<SynthSummary> write_synthetic_faers(const std::string& dir, const SynthOptions& options);

// The made-up names by frequency rank (1 = most frequent), before kb_names replaces a few drug
// ranks.
std::string synthetic_drug_name(std::size_t rank, std::size_t vocabulary);
std::string synthetic_event_name(std::size_t rank, std::size_t vocabulary);

// The drug ranks that carry real product spellings when kb_names is on, with the spellings used
// (drugname) and the ingredient written as prod_ai (faers layout).
struct SynthKbDrug {
  std::size_t rank = 0;
  std::string ingredient;
  std::vector<std::string> spellings;
};
std::vector<SynthKbDrug> synthetic_kb_drugs(std::size_t vocabulary);

// The exact header rows (without line ending) of DEMO, DRUG and REAC for a layout and quarter.
std::string synthetic_header(SynthOptions::Layout layout, const std::string& file, int year,
                             int quarter);

}  // namespace paraderm::pv
