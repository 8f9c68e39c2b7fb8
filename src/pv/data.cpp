// Long-format report data: CSV reading and 2x2 counts from unique report ids (as openEBGM counts).
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "paraderm/pv.h"

namespace paraderm::pv {
namespace {

// RFC 4180 fields of one record; false when a quote is left open at the end of the line.
bool split_csv(const std::string& line, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(field);
      field.clear();
    } else if (ch != '\r') {
      field += ch;
    }
  }
  out.push_back(field);
  return !quoted;
}

}  // namespace

Result<CsvData> read_long_csv(const std::string& path, const CsvColumns& cols) {
  std::ifstream in(path);
  if (!in) return Status::io_error(fmt::format("--input: value \"{}\": cannot open the file", path));
  std::string line;
  std::vector<std::string> f;
  if (!std::getline(in, line) || !split_csv(line, f)) {
    return Status::invalid_input(fmt::format("{}:1: expected a header row", path));
  }
  auto find = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f[i] == name) return i;
    }
    return std::nullopt;
  };
  std::string header_list;
  for (const auto& h : f) header_list += (header_list.empty() ? "" : ", ") + h;
  auto need = [&](const std::string& flag, const std::string& name) -> Result<std::size_t> {
    auto i = find(name);
    if (!i) {
      return Status::invalid_input(fmt::format("{}: value \"{}\": no such column in {} (columns: {})", flag,
                                               name, path, header_list));
    }
    return *i;
  };
  auto id = need("--id-col", cols.id), drug = need("--drug-col", cols.drug), event = need("--event-col", cols.event);
  for (auto* r : {&id, &drug, &event}) {
    if (!r->is_ok()) return r->status();
  }
  std::optional<std::size_t> stratum;
  if (cols.stratum) {
    auto s = need("--stratum-col", *cols.stratum);
    if (!s.is_ok()) return s.status();
    stratum = s.value();
  }
  CsvData out;
  std::size_t width = f.size();
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    if (!split_csv(line, f) || f.size() != width) {
      ++out.malformed;
      if (out.problems.size() < 20) {
        out.problems.push_back(fmt::format("{}:{}: expected {} fields, found {}{}", path, lineno, width, f.size(),
                                           f.size() == width ? " (unclosed quote)" : ""));
      }
      continue;
    }
    Row r{f[id.value()], f[drug.value()], f[event.value()], stratum ? f[*stratum] : std::string()};
    if (r.id.empty() || r.drug.empty() || r.event.empty()) {
      ++out.malformed;
      if (out.problems.size() < 20) out.problems.push_back(fmt::format("{}:{}: empty id, drug or event", path, lineno));
      continue;
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

std::vector<PairCounts> count_pairs(const std::vector<Row>& rows) {
  // Intern strings so the counting works on integers.
  std::unordered_map<std::string, int> ids, drugs, events, strata;
  auto intern = [](std::unordered_map<std::string, int>& m, const std::string& s) {
    return m.emplace(s, static_cast<int>(m.size())).first->second;
  };
  struct Triple {
    int report, drug, event, stratum;
  };
  std::vector<Triple> t;
  t.reserve(rows.size());
  for (const auto& r : rows) {
    t.push_back({intern(ids, r.id), intern(drugs, r.drug), intern(events, r.event), intern(strata, r.stratum)});
  }
  // A report's stratum is the one on its rows (the first seen if they disagree).
  std::vector<int> report_stratum(ids.size(), -1);
  for (const auto& x : t) {
    if (report_stratum[static_cast<std::size_t>(x.report)] < 0) report_stratum[static_cast<std::size_t>(x.report)] = x.stratum;
  }
  std::set<std::pair<int, int>> drug_reports, event_reports;  // (drug, report), (event, report)
  std::set<std::tuple<int, int, int>> pair_reports;           // (drug, event, report)
  for (const auto& x : t) {
    drug_reports.insert({x.drug, x.report});
    event_reports.insert({x.event, x.report});
    pair_reports.insert({x.drug, x.event, x.report});
  }
  std::size_t ns = strata.size();
  std::vector<double> n_s(ns, 0);
  for (int s : report_stratum) n_s[static_cast<std::size_t>(s)] += 1;
  std::vector<std::vector<double>> drug_s(drugs.size(), std::vector<double>(ns, 0)),
      event_s(events.size(), std::vector<double>(ns, 0));
  for (const auto& [d, r] : drug_reports) drug_s[static_cast<std::size_t>(d)][static_cast<std::size_t>(report_stratum[static_cast<std::size_t>(r)])] += 1;
  for (const auto& [e, r] : event_reports) event_s[static_cast<std::size_t>(e)][static_cast<std::size_t>(report_stratum[static_cast<std::size_t>(r)])] += 1;
  std::map<std::pair<int, int>, double> n_pair;
  for (const auto& [d, e, r] : pair_reports) n_pair[{d, e}] += 1;
  std::vector<std::string> drug_name(drugs.size()), event_name(events.size());
  for (const auto& [s, i] : drugs) drug_name[static_cast<std::size_t>(i)] = s;
  for (const auto& [s, i] : events) event_name[static_cast<std::size_t>(i)] = s;
  double total = static_cast<double>(ids.size());
  std::vector<PairCounts> out;
  out.reserve(n_pair.size());
  for (const auto& [key, n] : n_pair) {
    const auto& ds = drug_s[static_cast<std::size_t>(key.first)];
    const auto& es = event_s[static_cast<std::size_t>(key.second)];
    PairCounts p;
    p.drug = drug_name[static_cast<std::size_t>(key.first)];
    p.event = event_name[static_cast<std::size_t>(key.second)];
    p.n = n;
    p.total = total;
    for (std::size_t s = 0; s < ns; ++s) {
      p.n_drug += ds[s];
      p.n_event += es[s];
      if (n_s[s] > 0) p.expected += ds[s] * es[s] / n_s[s];
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace paraderm::pv
