// Cohort screening over FHIR Bulk Data NDJSON (docs/scale.md): every patient of an export read
// with the same FHIR reader as the bedside path and assessed, and the patients with findings
// listed — paradoxical-reaction candidates, and patients on a JAK/TYK2 inhibitor with a
// contraindication, a crossed lab threshold, a rule the KB cannot answer, or missing screening.
//
// Contract:
//  * Bounded memory: bulk files are not sorted by patient, so lines are hash-partitioned by patient
//    into spill files and one partition at a time is held in memory; `memory_mb` decides how many.
//  * Deterministic: rows sorted by patient id; the same input gives the same bytes whatever the
//    thread count or the number of partitions.
//  * Never fatal on data: a malformed line, a resource without a patient, or a record the reader
//    refuses is counted (file:line) and the rest is screened. Only I/O errors return a Status.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/kb.h"
#include "paraderm/status.h"

namespace paraderm::screen {

enum class Format { kNdjson, kCsv };

struct ScreenOptions {
  std::string region = "us";            // us | eu
  std::optional<clinical::Date> as_of;  // default: today (UTC), fixed once per run
  unsigned threads = 0;                 // 0: every core
  std::filesystem::path spill_dir;      // default: the system temporary folder
  std::size_t memory_mb = 1024;         // budget for one partition in memory
  std::size_t listed_problems = 20;     // malformed lines / unreadable records named in the summary
  std::size_t chunk_bytes =
      16 << 20;  // a larger file is indexed in chunks of this size, in parallel
  // Assess every patient. By default a patient none of whose medication resources names a KB
  // biologic or JAK/TYK2 inhibitor (by code or by a KB name, as the reader matches them) is not
  // assessed: no finding of this screen can arise without one (docs/scale.md).
  bool assess_all = false;
  // Medication .ndjson[.gz] files of the export: MedicationStatement/Request/... name a product
  // through medicationReference ("Medication/abc"), as EHR bulk exports (Epic's among them) mostly
  // do; the Medication resources referenced are added to each patient's Bundle. screen_directory
  // fills it from the folder; a distributed caller passes the export's Medication files.
  std::vector<std::filesystem::path> medication_files;
  // Called from one thread at a time: phase ("partition" | "screen"), bytes done, bytes in the
  // phase (the screen phase restarts for every partition).
  std::function<void(std::string_view, std::uint64_t, std::uint64_t)> progress;
};

// One finding. `kind`: paradoxical_reaction | contraindication | lab_threshold | rule_unknown |
// missing_screening | unreadable_record.
// What a finding is about; the names are the `kind` values of the rows (docs/scale.md).
enum class FindingKind {
  kParadoxicalReaction,
  kContraindication,
  kLabThreshold,
  kRuleUnknown,
  kMissingScreening,
  kRiskGroup,
  kUnreadableRecord,
};
inline constexpr std::array<FindingKind, 7> kFindingKinds = {
    FindingKind::kParadoxicalReaction, FindingKind::kContraindication, FindingKind::kLabThreshold,
    FindingKind::kRuleUnknown,         FindingKind::kMissingScreening, FindingKind::kRiskGroup,
    FindingKind::kUnreadableRecord};
std::string_view to_string(FindingKind k);  // paradoxical_reaction | contraindication | ...
std::optional<FindingKind> parse_finding_kind(std::string_view name);

struct Finding {
  FindingKind kind = FindingKind::kParadoxicalReaction;
  std::string
      code;  // the assessment's reason / alert code, or SCREENING_NOT_RECORDED, RECORD_UNREADABLE
  std::optional<assess::Severity> severity;  // absent when the finding is not a reason
  std::string drug;    // the JAK/TYK2 inhibitor taken, or the culprit biologic
  std::string detail;  // PR: classification; screening: item; lab: analyte; ...
  std::string text;
  std::vector<std::string> record;      // where in the input: file:line of the resources involved
  std::vector<std::string> kb_sources;  // the KB sources of the rule
  // Paradoxical reaction only.
  std::string classification, culprit_class, new_disease, phenotype, onset;
};

struct PatientResult {
  std::string patient;  // Patient.id
  std::vector<Finding> findings;
  std::size_t warnings = 0;  // reader warnings on this record
  bool assessed = false;
};

struct SourceProblem {
  std::string where;  // file:line
  std::string what;
};

struct Summary {
  std::uint64_t files = 0, lines = 0, bytes = 0;
  std::uint64_t patients = 0;  // Patient resources grouped with their records
  std::uint64_t assessed = 0;  // patients the assessment ran on
  std::uint64_t flagged = 0;   // patients with at least one finding
  std::map<std::string, std::uint64_t> flagged_by_kind;  // patients per finding kind
  std::map<std::string, std::uint64_t> pr_by_classification;
  std::uint64_t warnings = 0;            // reader warnings over all assessed records
  std::uint64_t malformed_lines = 0;     // not JSON, or not a FHIR resource object
  std::uint64_t without_patient = 0;     // resources with no Patient reference (not screened)
  std::uint64_t orphan_patients = 0;     // resources referencing a patient with no Patient resource
  std::uint64_t unreadable_records = 0;  // records the reader refused (a finding of their own)
  std::vector<SourceProblem> problems;   // the first `listed_problems` of the above, in input order
  std::vector<std::string> unread_files;  // .ndjson[.gz] files of a type the screen does not read
  std::uint64_t medications = 0;          // Medication resources read (medicationReference targets)
  std::uint64_t unresolved_medication_references = 0;  // medicationReference naming none of them
  std::uint64_t partitions = 0;
  std::uint64_t spilled_bytes = 0;
  double seconds = 0;
  std::string region, as_of;
};

std::string summary_json(const Summary& s);

// The screen's result rows. NDJSON: one object per patient with findings; CSV: the same rows
// flattened (docs/scale.md lists the columns).
std::string csv_header();
std::string to_ndjson(const PatientResult& r);
std::string to_csv(const PatientResult& r);

// The files of a Bulk Data export folder that are read: <Type>[.anything].ndjson[.gz] for the
// types Patient, Condition, MedicationStatement, MedicationRequest, MedicationAdministration,
// MedicationDispense, Observation, AllergyIntolerance; sorted by name.
std::vector<std::filesystem::path> bulk_files(const std::filesystem::path& dir);
// The Medication .ndjson[.gz] files of a folder (ScreenOptions::medication_files), sorted by name.
std::vector<std::filesystem::path> medication_files(const std::filesystem::path& dir);
// The .ndjson[.gz] files of the folder whose type is not read (Encounter, Procedure ...), by
// name: reported in the summary.
std::vector<std::string> unread_bulk_files(const std::filesystem::path& dir);

// Screens one partition: `paths` are NDJSON files (plain, .gz, or spill files of screen_directory)
// that together hold every resource of their patients. Returns the patients with findings, sorted
// by id; counts go into `summary` (not reset). The Python/Dask layer maps this over partitions.
Result<std::vector<PatientResult>> screen_partition(const kb::KnowledgeBase& kb,
                                                    const std::vector<std::filesystem::path>& paths,
                                                    const ScreenOptions& options, Summary& summary);

// The partition pass of one bulk file, for a distributed layer (python/paraderm/dask.py): every
// line validated and keyed, and appended to outputs[fnv1a(patient id) mod outputs.size()] as a
// spill line (the format screen_directory spills). Each output file is created (truncated); the
// line counts, malformed lines and resources without a patient go into `summary`. The spill files
// of one partition index, from every input file, are what screen_partition takes.
Status spill_file(const std::filesystem::path& file,
                  const std::vector<std::filesystem::path>& outputs, const ScreenOptions& options,
                  Summary& summary);

// Screens every bulk file of `input`: writes the rows (sorted by patient id) to `out` and returns
// the summary.
Result<Summary> screen_directory(const kb::KnowledgeBase& kb, const std::filesystem::path& input,
                                 const ScreenOptions& options, Format format, std::ostream& out);

// --- a results folder --------------------------------------------------------------------------
// `paraderm screen --out DIR` writes the NDJSON rows and the summary under these names;
// `paraderm serve --screen-results DIR` reads them back with read_results.
inline constexpr const char* kResultRowsFile = "flagged.ndjson";
inline constexpr const char* kResultSummaryFile = "summary.json";

// Sizes read_results accepts: the rows are held in memory by whoever reads them.
struct ResultLimits {
  std::uint64_t max_rows_bytes = std::uint64_t{256} << 20;
  std::uint64_t max_summary_bytes = std::uint64_t{4} << 20;
  std::size_t max_line_bytes = std::size_t{4} << 20;
};

struct Results {
  Summary summary;
  std::vector<PatientResult> patients;  // as written: sorted by patient id
};

// Reads a results folder and checks it: every row as to_ndjson writes it, patient ids unique and
// in order, and the rows agreeing with the summary (flagged, flagged_by_kind) so that a summary
// and rows of two different runs are not served together. An error names the file, the line or
// the JSON pointer, the value and what was expected. to_ndjson / summary_json of what is read give
// the bytes back.
Result<Results> read_results(const std::filesystem::path& dir, const ResultLimits& limits = {});

}  // namespace paraderm::screen
