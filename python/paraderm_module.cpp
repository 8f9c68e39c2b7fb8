// paraderm._paraderm: the library entry points the Python package (python/paraderm) wraps.
// Strings cross the boundary as the CLI writes them (JSON, NDJSON rows, summary JSON), so the
// Python results are the CLI's by construction; the package turns them into dicts.
// Errors raise ValueError with the message the CLI prints. The GIL is released while C++ works,
// so Dask threads can screen partitions in parallel.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/kb.h"
#include "paraderm/pv.h"
#include "paraderm/pv_data.h"
#include "paraderm/report.h"
#include "paraderm/screen.h"

namespace py = pybind11;
using namespace paraderm;

namespace {

// One KB per folder ("" = the embedded one), loaded once per process (a Dask worker keeps it).
const kb::KnowledgeBase& knowledge_base(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<kb::KnowledgeBase>> loaded;
  std::lock_guard lock(mu);
  auto it = loaded.find(dir);
  if (it != loaded.end()) return *it->second;
  kb::LoadResult r = dir.empty() ? kb::load_embedded() : kb::load_directory(dir);
  if (!r.kb) {
    std::string msg;
    for (const auto& issue : r.issues) {
      if (issue.severity != kb::ValidationIssue::Severity::kWarning)
        msg += issue.to_string() + "\n";
    }
    msg += fmt::format("knowledge base {} is invalid: {} error(s)",
                       dir.empty() ? "(embedded)" : dir, r.error_count());
    throw py::value_error(msg);
  }
  return *loaded.emplace(dir, std::make_unique<kb::KnowledgeBase>(std::move(*r.kb))).first->second;
}

std::optional<clinical::Date> date_option(const char* option,
                                          const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto d = clinical::parse_date(*text);
  if (!d || text->size() != 10)
    throw py::value_error(
        fmt::format("{}: value \"{}\": expected a date YYYY-MM-DD", option, *text));
  return d;
}

std::string assess_json(const std::string& text, const std::optional<std::string>& region,
                        const std::optional<std::string>& as_of,
                        const std::optional<std::string>& start, const std::string& kb_dir) {
  clinical::ParseOptions po;
  if (text.size() > po.max_bytes) {
    throw py::value_error(fmt::format("CASE: {} bytes: expected at most {} bytes ({} MiB)",
                                      text.size(), po.max_bytes, po.max_bytes >> 20));
  }
  if (region) {
    if (*region != "us" && *region != "eu") {
      throw py::value_error(fmt::format("--region: {} not in {{us,eu}}", *region));
    }
    po.region = *region;
  }
  po.as_of = date_option("--as-of", as_of);
  assess::AssessOptions ao;
  ao.start = date_option("--start", start);
  ao.engine_version = PARADERM_VERSION;
  const auto& kb = knowledge_base(kb_dir);
  py::gil_scoped_release release;
  auto parsed = clinical::parse_case(text, kb, po);
  if (!parsed.record) {
    std::string msg;
    for (const auto& p : parsed.problems) msg += (msg.empty() ? "" : "\n") + p.to_string();
    py::gil_scoped_acquire acquire;
    throw py::value_error(msg);
  }
  return report::to_json(assess::assess(kb, *parsed.record, ao));
}

screen::ScreenOptions screen_options(const std::string& region,
                                     const std::optional<std::string>& as_of, bool assess_all,
                                     unsigned threads, std::size_t listed_problems) {
  screen::ScreenOptions so;
  so.region = region == "EU" || region == "eu" ? "eu" : "us";  // as `paraderm screen --region`
  so.as_of = date_option("--as-of", as_of);
  so.assess_all = assess_all;
  so.threads = threads;
  so.listed_problems = listed_problems;
  return so;
}

// (rows as (patient, ndjson line, csv line), summary JSON)
py::tuple screen_partition(const std::vector<std::filesystem::path>& paths,
                           const std::string& region, const std::optional<std::string>& as_of,
                           bool assess_all, unsigned threads, std::size_t listed_problems,
                           const std::string& kb_dir,
                           const std::vector<std::filesystem::path>& medication_files) {
  auto so = screen_options(region, as_of, assess_all, threads, listed_problems);
  so.medication_files = medication_files;
  if (!so.as_of) so.as_of = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const auto& kb = knowledge_base(kb_dir);
  screen::Summary summary;
  summary.region = so.region;
  summary.as_of = clinical::to_string(*so.as_of);
  std::vector<std::tuple<std::string, std::string, std::string>> rows;
  {
    py::gil_scoped_release release;
    auto r = screen::screen_partition(kb, paths, so, summary);
    if (!r.is_ok()) {
      py::gil_scoped_acquire acquire;
      throw py::value_error(r.status().message());
    }
    for (const auto& row : r.value())
      rows.emplace_back(row.patient, screen::to_ndjson(row), screen::to_csv(row));
  }
  return py::make_tuple(rows, screen::summary_json(summary));
}

std::string spill_file(const std::filesystem::path& file,
                       const std::vector<std::filesystem::path>& outputs,
                       std::size_t listed_problems) {
  screen::ScreenOptions so;
  so.listed_problems = listed_problems;
  screen::Summary summary;
  Status st;
  {
    py::gil_scoped_release release;
    st = screen::spill_file(file, outputs, so, summary);
  }
  if (!st.is_ok()) throw py::value_error(st.message());
  return screen::summary_json(summary);
}

// Counts of one report partition, keyed by names so that partitions merge by adding:
// reports per stratum, reports per (stratum, drug) and (stratum, event), reports per (drug, event).
py::dict pv_counts(const std::string& path, const std::string& id_col, const std::string& drug_col,
                   const std::string& event_col, const std::vector<std::string>& stratum_cols) {
  pv::CsvColumns cols{id_col, drug_col, event_col, stratum_cols};
  std::optional<pv::CsvCorpus> data;
  {
    py::gil_scoped_release release;
    auto r = pv::read_long_csv(path, cols);
    if (!r.is_ok()) {
      py::gil_scoped_acquire acquire;
      throw py::value_error(r.status().message());
    }
    data = std::move(r.value());
  }
  const pv::Corpus& c = data->corpus;
  const std::size_t ns = std::max<std::size_t>(c.strata.size(), 1);
  auto stratum_name = [&](std::size_t s) { return c.strata.empty() ? std::string() : c.strata[s]; };
  std::vector<std::map<std::string, double>> drug(ns), event(ns);
  std::vector<double> reports(ns, 0);
  std::map<std::string, std::map<std::string, double>> pairs;
  std::vector<std::uint32_t> seen;
  for (std::size_t r = 0; r < c.reports(); ++r) {
    std::size_t s = c.report_stratum[r];
    ++reports[s];
    seen.clear();
    std::uint32_t last_drug = UINT32_MAX;
    for (std::uint64_t i = c.report_begin[r]; i < c.report_begin[r + 1]; ++i) {
      std::uint32_t d = pv::Corpus::drug_of(c.pairs[i]), e = pv::Corpus::event_of(c.pairs[i]);
      if (d != last_drug) ++drug[s][c.drugs[d]];
      last_drug = d;
      seen.push_back(e);
      ++pairs[c.drugs[d]][c.events[e]];
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (auto e : seen) ++event[s][c.events[e]];
  }
  py::dict strata;
  for (std::size_t s = 0; s < ns; ++s) {
    strata[py::str(stratum_name(s))] = py::dict(
        py::arg("reports") = reports[s], py::arg("drugs") = drug[s], py::arg("events") = event[s]);
  }
  py::dict out;
  out["strata"] = strata;
  out["pairs"] = pairs;
  out["rows"] = data->input.rows_read;
  out["malformed"] = data->input.malformed;
  out["problems"] = data->input.problems;
  return out;
}

// `paraderm pv signals --format json` from merged counts: drugs, events and strata in the given
// order (the single-machine command uses first appearance in the input); fit and scores by
// pv::score_counts, the same code `paraderm pv` runs.
std::string pv_signals(const py::dict& counts, const std::vector<std::string>& drug_order,
                       const std::vector<std::string>& event_order,
                       const std::vector<std::string>& stratum_order, const std::string& fit,
                       int fit_min_count, const std::string& qn, const std::string& source,
                       const std::string& kb_dir) {
  std::map<std::string, std::uint32_t> drug_id, event_id;
  for (const auto& d : drug_order) drug_id.emplace(d, static_cast<std::uint32_t>(drug_id.size()));
  for (const auto& e : event_order)
    event_id.emplace(e, static_cast<std::uint32_t>(event_id.size()));
  const std::size_t ns = std::max<std::size_t>(stratum_order.size(), 1), nd = drug_order.size(),
                    ne = event_order.size();
  std::vector<double> drug_s(nd * ns, 0), event_s(ne * ns, 0), n_s(ns, 0);
  auto strata = counts["strata"].cast<std::map<std::string, py::dict>>();
  for (std::size_t s = 0; s < stratum_order.size(); ++s) {
    auto it = strata.find(stratum_order[s]);
    if (it == strata.end()) continue;
    n_s[s] = it->second["reports"].cast<double>();
    for (const auto& [d, n] : it->second["drugs"].cast<std::map<std::string, double>>())
      drug_s[drug_id.at(d) * ns + s] = n;
    for (const auto& [e, n] : it->second["events"].cast<std::map<std::string, double>>())
      event_s[event_id.at(e) * ns + s] = n;
  }
  double total = 0;
  for (double n : n_s) total += n;
  std::vector<pv::PairCount> pc;
  for (const auto& [d, events] :
       counts["pairs"].cast<std::map<std::string, std::map<std::string, double>>>()) {
    for (const auto& [e, n] : events) {
      pv::PairCount p;
      p.drug = drug_id.at(d);
      p.event = event_id.at(e);
      p.n = n;
      pc.push_back(p);
    }
  }
  // As count_pairs: sorted by (drug, event), margins and E summed over strata in stratum order.
  std::sort(pc.begin(), pc.end(), [](const auto& a, const auto& b) {
    return a.drug != b.drug ? a.drug < b.drug : a.event < b.event;
  });
  for (auto& p : pc) {
    p.total = total;
    for (std::size_t s = 0; s < ns; ++s) {
      p.n_drug += drug_s[p.drug * ns + s];
      p.n_event += event_s[p.event * ns + s];
      if (n_s[s] > 0) p.expected += drug_s[p.drug * ns + s] * event_s[p.event * ns + s] / n_s[s];
    }
  }
  pv::ScoreOptions so;
  so.min_count = fit_min_count;
  so.qn = qn == "conditional" ? pv::QnRule::kConditional : pv::QnRule::kPublished;
  if (fit == "squashed") so.fit_data = pv::FitData::kSquashed;
  if (fit == "full") so.fit_data = pv::FitData::kFull;
  const auto& kb = knowledge_base(kb_dir);
  auto rules = pv::signal_rules(kb);
  if (!rules.is_ok()) throw py::value_error(rules.status().message());
  py::gil_scoped_release release;
  auto t = pv::score_counts(drug_order, event_order, std::move(pc), total, so);
  t.source = source;
  // The rest as cli/pv_command.cpp writes `pv signals --format json` (min count 1, no filters).
  std::vector<const pv::Score*> rows;
  for (const auto& s : t.scores) rows.push_back(&s);
  pv::sort_by_signal(rows);
  return pv::signals_json(t, rows, rules.value()) + "\n";
}

}  // namespace

PYBIND11_MODULE(_paraderm, m) {
  m.doc() = "paraderm engine (C++): assessment, cohort screening, pharmacovigilance counts";
  m.attr("version") = PARADERM_VERSION;
  m.def("assess_json", &assess_json, py::arg("text"), py::arg("region") = py::none(),
        py::arg("as_of") = py::none(), py::arg("start") = py::none(), py::arg("kb_dir") = "");
  m.def("screen_partition", &screen_partition, py::arg("paths"), py::arg("region") = "us",
        py::arg("as_of") = py::none(), py::arg("assess_all") = false, py::arg("threads") = 0u,
        py::arg("listed_problems") = 20, py::arg("kb_dir") = "",
        py::arg("medication_files") = std::vector<std::filesystem::path>{});
  m.def("spill_file", &spill_file, py::arg("file"), py::arg("outputs"),
        py::arg("listed_problems") = 20);
  m.def("csv_header", &screen::csv_header);
  m.def("pv_counts", &pv_counts, py::arg("path"), py::arg("id_col") = "id",
        py::arg("drug_col") = "drug", py::arg("event_col") = "event",
        py::arg("stratum_cols") = std::vector<std::string>{});
  m.def("pv_signals", &pv_signals, py::arg("counts"), py::arg("drug_order"), py::arg("event_order"),
        py::arg("stratum_order"), py::arg("fit") = "auto", py::arg("fit_min_count") = 1,
        py::arg("qn") = "published", py::arg("source") = "", py::arg("kb_dir") = "");
}
