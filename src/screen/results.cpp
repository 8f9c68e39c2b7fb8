// Reading a results folder back (flagged.ndjson + summary.json, docs/scale.md): what
// `paraderm serve --screen-results` serves. Strict, because a server shows these rows to
// clinicians as they are: a row this library would not have written, or rows that disagree with
// their summary, is refused with the file, line, pointer and value.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/enum_names.h"
#include "paraderm/screen.h"

namespace paraderm::screen {
namespace {

constexpr std::pair<FindingKind, std::string_view> kFindingKindNames[] = {
    {FindingKind::kParadoxicalReaction, "paradoxical_reaction"},
    {FindingKind::kContraindication, "contraindication"},
    {FindingKind::kLabThreshold, "lab_threshold"},
    {FindingKind::kRuleUnknown, "rule_unknown"},
    {FindingKind::kMissingScreening, "missing_screening"},
    {FindingKind::kRiskGroup, "risk_group"},
    {FindingKind::kUnreadableRecord, "unreadable_record"},
};

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A problem at a JSON pointer of the document being read.
struct Bad {
  std::string pointer, message;
};

std::string shown(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

const Json& member(const Json& o, const std::string& at, const char* key) {
  if (!o.contains(key)) throw Bad{at + "/" + key, "missing"};
  return o[key];
}
std::string text(const Json& o, const std::string& at, const char* key, bool required = true,
                 bool non_empty = false) {
  if (!required && (!o.contains(key) || o[key].is_null())) return "";
  const Json& v = member(o, at, key);
  if (!v.is_string() || (non_empty && v.get<std::string>().empty())) {
    throw Bad{at + "/" + key, fmt::format("value {}: expected a{} string", shown(v),
                                          non_empty ? " non-empty" : "")};
  }
  return v.get<std::string>();
}
std::uint64_t count(const Json& o, const std::string& at, const char* key) {
  const Json& v = member(o, at, key);
  if (!v.is_number_unsigned())
    throw Bad{at + "/" + key, fmt::format("value {}: expected a whole number >= 0", shown(v))};
  return v.get<std::uint64_t>();
}
std::vector<std::string> texts(const Json& o, const std::string& at, const char* key) {
  const Json& v = member(o, at, key);
  if (!v.is_array())
    throw Bad{at + "/" + key, fmt::format("value {}: expected an array of strings", shown(v))};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      throw Bad{fmt::format("{}/{}/{}", at, key, i),
                fmt::format("value {}: expected a string", shown(v[i]))};
    out.push_back(v[i].get<std::string>());
  }
  return out;
}
std::map<std::string, std::uint64_t> counts(const Json& o, const std::string& at, const char* key) {
  const Json& v = member(o, at, key);
  if (!v.is_object())
    throw Bad{at + "/" + key, fmt::format("value {}: expected an object of counts", shown(v))};
  std::map<std::string, std::uint64_t> out;
  for (auto it = v.begin(); it != v.end(); ++it)
    out[it.key()] = count(v, at + "/" + key, it.key().c_str());
  return out;
}

Finding finding_of(const Json& j, const std::string& at) {
  if (!j.is_object()) throw Bad{at, fmt::format("value {}: expected a finding object", shown(j))};
  Finding f;
  const std::string kind = text(j, at, "kind");
  if (auto k = parse_finding_kind(kind)) {
    f.kind = *k;
  } else {
    throw Bad{
        at + "/kind",
        fmt::format("value \"{}\": expected a finding kind of paraderm screen (docs/scale.md)",
                    kind)};
  }
  f.code = text(j, at, "code", true, true);
  if (const std::string severity = text(j, at, "severity", false); !severity.empty()) {
    f.severity = assess::parse_severity(severity);
    if (!f.severity) {
      throw Bad{at + "/severity",
                fmt::format("value \"{}\": expected info, caution, warning or block", severity)};
    }
  }
  f.drug = text(j, at, "drug", false);
  if (f.kind == FindingKind::kParadoxicalReaction) {
    f.classification = f.detail = text(j, at, "classification", true, true);
    f.culprit_class = text(j, at, "culprit_class");
    f.new_disease = text(j, at, "new_disease", false);
    f.phenotype = text(j, at, "phenotype");
    f.onset = text(j, at, "onset", false);
  } else {
    f.detail = text(j, at, "detail", false);
  }
  f.text = text(j, at, "text");
  f.record = texts(j, at, "record");
  f.kb_sources = texts(j, at, "kb_sources");
  return f;
}

PatientResult row_of(const Json& j) {
  if (!j.is_object()) throw Bad{"", fmt::format("value {}: expected a row object", shown(j))};
  PatientResult r;
  r.patient = text(j, "", "patient", true, true);
  r.warnings = count(j, "", "warnings");
  const Json& findings = member(j, "", "findings");
  if (!findings.is_array() || findings.empty()) {
    throw Bad{
        "/findings",
        fmt::format("value {}: expected a non-empty array (only patients with findings are rows)",
                    shown(findings))};
  }
  for (std::size_t i = 0; i < findings.size(); ++i)
    r.findings.push_back(finding_of(findings[i], fmt::format("/findings/{}", i)));
  r.assessed = std::none_of(r.findings.begin(), r.findings.end(), [](const Finding& f) {
    return f.kind == FindingKind::kUnreadableRecord;
  });
  return r;
}

Summary summary_of(const Json& j) {
  if (!j.is_object()) throw Bad{"", fmt::format("value {}: expected the summary object", shown(j))};
  Summary s;
  s.region = text(j, "", "region");
  s.as_of = text(j, "", "as_of");
  s.files = count(j, "", "files");
  s.lines = count(j, "", "lines");
  s.bytes = count(j, "", "bytes");
  s.patients = count(j, "", "patients");
  s.assessed = count(j, "", "assessed");
  s.flagged = count(j, "", "flagged");
  s.flagged_by_kind = counts(j, "", "flagged_by_kind");
  s.pr_by_classification = counts(j, "", "pr_by_classification");
  s.warnings = count(j, "", "warnings");
  s.malformed_lines = count(j, "", "malformed_lines");
  s.without_patient = count(j, "", "without_patient");
  s.orphan_patients = count(j, "", "orphan_patients");
  s.unreadable_records = count(j, "", "unreadable_records");
  const Json& problems = member(j, "", "problems");
  if (!problems.is_array())
    throw Bad{"/problems", fmt::format("value {}: expected an array", shown(problems))};
  for (std::size_t i = 0; i < problems.size(); ++i) {
    std::string at = fmt::format("/problems/{}", i);
    if (!problems[i].is_object())
      throw Bad{at, fmt::format("value {}: expected {{\"where\", \"what\"}}", shown(problems[i]))};
    s.problems.push_back({text(problems[i], at, "where"), text(problems[i], at, "what")});
  }
  // Written since session 18 (medicationReference): a summary from before has neither.
  for (auto [key, field] :
       {std::pair{"medications", &s.medications},
        std::pair{"unresolved_medication_references", &s.unresolved_medication_references}}) {
    if (j.contains(key)) *field = count(j, "", key);
  }
  s.partitions = count(j, "", "partitions");
  s.spilled_bytes = count(j, "", "spilled_bytes");
  const Json& seconds = member(j, "", "seconds");
  if (!seconds.is_number())
    throw Bad{"/seconds", fmt::format("value {}: expected a number", shown(seconds))};
  s.seconds = seconds.get<double>();
  if (s.flagged > s.patients || s.assessed > s.patients) {
    throw Bad{"/flagged",
              fmt::format("value {} (assessed {}): expected at most the {} patients screened",
                          s.flagged, s.assessed, s.patients)};
  }
  return s;
}

// The file's size within `limit`, or an error naming it.
Result<std::uint64_t> sized(const fs::path& file, std::uint64_t limit) {
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    return Status::invalid_input(fmt::format(
        "{}: missing (a results folder holds {} and {}, as paraderm screen --out writes)",
        file.string(), kResultRowsFile, kResultSummaryFile));
  }
  if (!fs::is_regular_file(status))
    return Status::invalid_input(fmt::format("{}: not a regular file", file.string()));
  auto size = fs::file_size(file, ec);
  if (ec)
    return Status::io_error(
        fmt::format("{}: cannot read its size: {}", file.string(), ec.message()));
  if (size > limit) {
    return Status::invalid_input(
        fmt::format("{}: {} bytes: expected at most {}", file.string(), size, limit));
  }
  return size;
}

}  // namespace

std::string_view to_string(FindingKind k) { return common::name_of(kFindingKindNames, k); }
std::optional<FindingKind> parse_finding_kind(std::string_view name) {
  return common::value_of(kFindingKindNames, name);
}

Result<Results> read_results(const fs::path& dir, const ResultLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::invalid_input(fmt::format("{}: not a folder", dir.string()));
  Results out;

  fs::path summary_file = dir / kResultSummaryFile;
  auto summary_size = sized(summary_file, limits.max_summary_bytes);
  if (!summary_size.is_ok()) return summary_size.status();
  {
    std::ifstream in(summary_file, std::ios::binary);
    std::string body(summary_size.value(), '\0');
    if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) {
      return Status::io_error(fmt::format("{}: cannot read", summary_file.string()));
    }
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded())
      return Status::invalid_input(fmt::format("{}: not valid JSON", summary_file.string()));
    try {
      out.summary = summary_of(j);
    } catch (const Bad& b) {
      return Status::invalid_input(fmt::format("{}: {}: {}", summary_file.string(),
                                               b.pointer.empty() ? "/" : b.pointer, b.message));
    }
  }

  fs::path rows_file = dir / kResultRowsFile;
  auto rows_size = sized(rows_file, limits.max_rows_bytes);
  if (!rows_size.is_ok()) return rows_size.status();
  std::ifstream in(rows_file, std::ios::binary);
  if (!in) return Status::io_error(fmt::format("{}: cannot read", rows_file.string()));
  std::map<std::string, std::uint64_t> by_kind;
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    auto where = [&](const std::string& pointer) {
      return fmt::format("{}:{}{}", rows_file.string(), line_no,
                         pointer.empty() ? "" : ": " + pointer);
    };
    if (line.size() > limits.max_line_bytes) {
      return Status::invalid_input(fmt::format("{}: {} bytes: expected a row of at most {}",
                                               where(""), line.size(), limits.max_line_bytes));
    }
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded())
      return Status::invalid_input(fmt::format("{}: not valid JSON", where("")));
    PatientResult r;
    try {
      r = row_of(j);
    } catch (const Bad& b) {
      return Status::invalid_input(
          fmt::format("{}: {}", where(b.pointer.empty() ? "/" : b.pointer), b.message));
    }
    if (!out.patients.empty() && !(out.patients.back().patient < r.patient)) {
      return Status::invalid_input(
          fmt::format("{}: /patient: value \"{}\": expected rows sorted by patient id, each "
                      "patient once (after \"{}\")",
                      where(""), r.patient, out.patients.back().patient));
    }
    std::set<std::string> kinds;
    for (const auto& f : r.findings) kinds.emplace(to_string(f.kind));
    for (const auto& k : kinds) by_kind[k]++;
    out.patients.push_back(std::move(r));
  }
  if (in.bad()) return Status::io_error(fmt::format("{}: read failed", rows_file.string()));

  // Rows and summary of the same run: the counts the summary states are the rows'.
  if (out.patients.size() != out.summary.flagged) {
    return Status::invalid_input(fmt::format(
        "{}: {} rows, but {} says /flagged {}: expected the rows and the summary of "
        "one run",
        rows_file.string(), out.patients.size(), kResultSummaryFile, out.summary.flagged));
  }
  std::map<std::string, std::uint64_t> stated;
  for (const auto& [k, n] : out.summary.flagged_by_kind) {
    if (n > 0) stated[k] = n;
  }
  if (by_kind != stated) {
    std::string rows_text, summary_text;
    for (const auto& [k, n] : by_kind) rows_text += fmt::format(" {} {}", k, n);
    for (const auto& [k, n] : stated) summary_text += fmt::format(" {} {}", k, n);
    return Status::invalid_input(
        fmt::format("{}: patients per finding kind{} but {} says /flagged_by_kind{}: expected "
                    "the rows and the summary of one run",
                    rows_file.string(), rows_text, kResultSummaryFile, summary_text));
  }
  return out;
}

}  // namespace paraderm::screen
