// Pharmacovigilance data: report-level input (long CSV, FAERS/LAERS quarterly extracts, folders or
// zip files), the interned in-memory corpus, 2x2 counts, every pair's scores and the on-disk store.
//
// Data flows one way: reader -> Corpus -> count_pairs -> score -> SignalTable (-> store).
// Contracts:
//  - A Corpus holds, per report, its drug-event pairs sorted and unique, so every count is a count
//    of unique reports (as openEBGM counts them). Reports without any pair are not in the corpus.
//  - Readers never throw on bad rows: they count them and keep "file:line: what" for the first
//  ones.
//  - Work is spread over the cores with oneTBB; text is read in bounded blocks, so memory grows
//    with the corpus (about 8 bytes per drug-event pair) and not with the input size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "paraderm/kb.h"
#include "paraderm/pv.h"
#include "paraderm/signal_source.h"
#include "paraderm/status.h"

namespace paraderm::pv {

// Called now and then with the phase, bytes done and bytes in the phase (0 when unknown).
using ProgressFn =
    std::function<void(std::string_view phase, std::uint64_t done, std::uint64_t total)>;

// --- the corpus --------------------------------------------------------------------------------

struct Corpus {
  std::vector<std::string> drugs, events, strata;  // dictionaries; ids are indexes
  std::vector<std::uint32_t> report_stratum;       // one per report
  std::vector<std::uint64_t> report_begin;         // reports + 1 offsets into pairs
  std::vector<std::uint64_t> pairs;                // (drug << 32) | event, sorted unique per report

  std::size_t reports() const { return report_stratum.size(); }
  static std::uint32_t drug_of(std::uint64_t pair) {
    return static_cast<std::uint32_t>(pair >> 32);
  }
  static std::uint32_t event_of(std::uint64_t pair) { return static_cast<std::uint32_t>(pair); }
};

// One row of long-format data (tests and small inputs).
struct Row {
  std::string id, drug, event, stratum;
};
// Groups rows by report id; a report's stratum is the one on its first row.
Corpus corpus_from_rows(const std::vector<Row>& rows);

// --- long-format CSV -----------------------------------------------------------------------------

struct CsvColumns {
  std::string id = "id", drug = "drug", event = "event";
  // Stratum columns: a report's stratum is the combination of their values (as openEBGM's
  // processRaw combines every strat* column); none: one stratum.
  std::vector<std::string> strata;
};

struct InputReport {
  std::size_t rows_read = 0, malformed = 0;
  std::vector<std::string> problems;  // "file:line: ..." for the first malformed rows
};

struct CsvCorpus {
  Corpus corpus;
  InputReport input;
};

// RFC 4180 CSV with a header row; the columns are chosen by name.
Result<CsvCorpus> read_long_csv(const std::string& path, const CsvColumns& columns);

// --- FAERS / LAERS quarterly ASCII extracts
// -------------------------------------------------------

// Maps verbatim drug names (drugname / prod_ai) to KB ingredients: KB ids, names, brands and
// interaction-class members; case, spacing, punctuation, bracketed strengths and salt words
// ignored; one-letter misspellings of names of 6+ letters accepted.
class DrugNormaliser {
 public:
  explicit DrugNormaliser(
      const std::vector<std::pair<std::string, std::string>>& names);  // (name, ingredient)
  static std::string clean(const std::string& verbatim);
  std::optional<std::string> ingredient(const std::string& verbatim) const;

 private:
  std::vector<std::pair<std::string, std::string>> names_;  // cleaned name -> ingredient, sorted
};

// (name, ingredient) pairs from the KB: biologics (ids, names, brands), JAK/TYK2 products (ids,
// names, ingredients, brands; creams map to their ingredient) and interaction-class members.
std::vector<std::pair<std::string, std::string>> kb_drug_names(const kb::KnowledgeBase& kb);

struct FaersOptions {
  std::vector<std::string> roles = {"PS", "SS"};  // drug roles kept (PS, SS, C, I)
  // Drop a report's reaction when the same report gives that PT as an indication (INDI files):
  // the disease being treated, not a reaction to the treatment (e.g. psoriasis under a TNF blocker
  // given for psoriasis). Off by default, as openEBGM counts.
  bool drop_indication_events = false;
  ProgressFn progress;
  std::size_t block_bytes = 8u << 20;  // text is parsed in blocks of this size, a few at a time
};

struct FaersReport : InputReport {
  std::size_t reports_read = 0;   // DEMO rows (report versions), both layouts
  std::size_t laers_reports = 0;  // of which legacy (ISR-keyed) rows
  std::size_t superseded = 0;     // older versions of a case
  std::size_t deleted = 0;        // cases dropped because a Deleted file lists them
  std::size_t reports_kept = 0;   // latest versions of live cases
  std::size_t without_pairs = 0;  // kept reports with no kept drug or no event
  std::size_t drug_rows = 0, drug_rows_kept = 0, reaction_rows = 0;
  std::size_t indication_events_dropped = 0;  // report-reaction pairs dropped as indications
  std::vector<std::pair<std::string, std::size_t>> unmapped;  // verbatim drug names by drug rows
  std::vector<std::string> files;                             // what was read
};

struct FaersCorpus {
  Corpus corpus;  // one stratum ""; drugs are KB ingredients or the verbatim name in upper case
  FaersReport input;
};

// `inputs`: folders (searched recursively for DEMO/DRUG/REAC/INDI/DELETE*.txt and for *.zip) and
// zip files as FDA publishes them (faers_ascii_*.zip, aers_ascii_*.zip). FAERS files are keyed by
// primaryid/caseid/caseversion, legacy LAERS files by ISR/CASE. Per case the latest version is
// kept (FAERS over LAERS, then highest caseversion, later fda_dt, higher primaryid / ISR);
// cases listed in a Deleted file are dropped; drugs are filtered by role and normalised.
Result<FaersCorpus> read_faers(const std::vector<std::string>& inputs,
                               const DrugNormaliser& normaliser, const FaersOptions& options = {});

// --- counts and scores
// -----------------------------------------------------------------------------

struct PairCount {
  std::uint32_t drug = 0, event = 0;
  double n = 0, n_drug = 0, n_event = 0, total = 0, expected = 0;
};

// Every drug-event pair seen together in a report; the expected count is summed over strata.
std::vector<PairCount> count_pairs(const Corpus& corpus);

enum class FitData { kFull, kSquashed };

struct ScoreOptions {
  // kFull fits the prior on every pair; kSquashed on squashed data (DuMouchel & Pregibon 2001).
  // Unset: full up to `full_fit_max_pairs` pairs, squashed above.
  std::optional<FitData> fit_data;
  std::size_t full_fit_max_pairs = 250'000;
  int min_count = 1;  // the prior is fitted on pairs with n >= min_count (conditional likelihood)
  // Given: every pair is scored with this prior and nothing is fitted (fit.neg_log_lik is -log L
  // at it on the data it would have been fitted on).
  std::optional<MgpsPrior> prior;
  QnRule qn = QnRule::kPublished;
  bool standard_errors = false;  // compute fit.theta's standard errors (pv fit)
  ProgressFn progress;
};

struct Score {
  std::uint32_t drug = 0, event = 0;
  double n = 0, n_drug = 0, n_event = 0, total = 0, expected = 0;
  Disproportionality d;
  Posterior post;
};

struct SignalTable {
  std::vector<std::string> drugs, events;
  std::vector<Score> scores;  // sorted by (drug, event)
  MgpsFit fit;
  FitData fit_data = FitData::kFull;
  std::size_t fit_points = 0;  // points the prior was fitted on
  double reports = 0;
  std::string source;              // what was ingested (paths), for citations
  QnRule qn = QnRule::kPublished;  // how the scores' Q_n were computed
  bool prior_given = false;        // the prior was given (--prior), not fitted
  std::optional<MgpsStandardErrors> standard_errors;

  // Case-insensitive lookup of a pair by names; nullptr when no report names both.
  // Needs build_index() after the names change (score() and load_store_signals() call it).
  const Score* find(std::string_view drug, std::string_view event) const;
  void build_index();

  std::unordered_map<std::string, std::uint32_t> drug_index, event_index;  // upper-case name -> id
};

SignalTable score(const Corpus& corpus, const ScoreOptions& options = {});
// The same from pair counts already made (count_pairs, or counts of report partitions added up:
// n, n_drug, n_event, total and expected are sums over reports, so partitions merge by adding;
// python/paraderm/dask.py). `counts` sorted by (drug, event); ids index `drugs` / `events`.
SignalTable score_counts(std::vector<std::string> drugs, std::vector<std::string> events,
                         std::vector<PairCount> counts, double reports,
                         const ScoreOptions& options = {});

// --- signal rules (standards-and-anchors.md §3.2)
// ---------------------------------------------------

struct SignalRules {
  double evans_prr = 2, evans_chi2 = 4, evans_n = 3, ror025 = 1, ic025 = 0, eb05 = 2;
};
struct SignalFlags {
  bool evans = false, ror = false, ic = false, eb05 = false;
  bool any() const { return evans || ror || ic || eb05; }
};
SignalFlags flags(const Score& s, const SignalRules& rules);
// The rules as the KB states them (kb/formulas.toml, score "pv-signal", with their sources);
// invalid_input when the KB lacks one.
Result<SignalRules> signal_rules(const kb::KnowledgeBase& kb);

// The order `pv signals` lists pairs in: EB05 descending, then n descending.
void sort_by_signal(std::vector<const Score*>& rows);
// `paraderm pv signals --format json` for `rows`: the fit, source, label and one object per pair
// (extra posterior quantiles as "q<p>"); infinite values are "inf" / "-inf", undefined ones null.
// Indented by 2, no final newline. The CLI and the Python module print the same bytes from it.
std::string signals_json(const SignalTable& t, const std::vector<const Score*>& rows,
                         const SignalRules& rules, const std::vector<double>& quantiles = {});

// --- into the assessment
// ----------------------------------------------------------------------------

// The scores as the assessment's source of reporting signals (case-insensitive lookup). A store
// ingested with --no-scores is scored first. The description names the store, its size and fit.
Result<std::shared_ptr<const assess::SignalSource>> open_signal_source(
    const std::string& store_dir);
std::shared_ptr<const assess::SignalSource> make_signal_source(
    std::shared_ptr<const SignalTable> table);

// --- on-disk store
// ---------------------------------------------------------------------------------

// A folder holding an ingest so analyses need not re-parse text: meta.json (format, counts,
// source, the input report, the fit), drugs.txt / events.txt / strata.txt (one name per line),
// report_stratum.u32, report_begin.u64, pairs.u64 (the corpus, little-endian) and, when scored,
// scores.bin (the SignalTable's rows). Files are written under temporary names and renamed.
struct StoreMeta {
  std::string source;
  std::string input_report_json;  // the reader's counts, as JSON text
};
Status save_store(const std::string& dir, const Corpus& corpus, const SignalTable* signals,
                  const StoreMeta& meta);
Result<Corpus> load_store_corpus(const std::string& dir);
// The stored scores (computed at ingest); not_found when the store holds none.
Result<SignalTable> load_store_signals(const std::string& dir);

}  // namespace paraderm::pv
