// FAERS quarterly ASCII extracts ($-delimited, one header row per file): deduplication to the
// latest case version, deleted cases, drug roles, and drug-name normalisation
// (standards-and-anchors.md §4).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "common/text.h"
#include "paraderm/pv.h"

namespace paraderm::pv {
namespace {

namespace fs = std::filesystem;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Files whose name starts with `prefix` (case-insensitive) and ends in .txt, below dir.
std::vector<fs::path> files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string n = upper(e.path().filename().string());
    if (n.rfind(prefix, 0) == 0 && n.size() > 4 && n.substr(n.size() - 4) == ".TXT") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string f;
  for (char c : line) {
    if (c == sep) {
      out.push_back(f);
      f.clear();
    } else if (c != '\r') {
      f += c;
    }
  }
  out.push_back(f);
  return out;
}

// Reads one $-delimited file, calling `row` with the fields of each well-formed line.
template <class F>
void read_dollar(const fs::path& path, const std::vector<std::string>& want, FaersData& d, F row) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return;
  auto header = split(line, '$');
  std::vector<std::size_t> idx;
  for (const auto& w : want) {
    auto it = std::find_if(header.begin(), header.end(), [&](const std::string& h) { return upper(h) == upper(w); });
    if (it == header.end()) {
      ++d.malformed;
      if (d.problems.size() < 20) d.problems.push_back(fmt::format("{}:1: no column {}", path.string(), w));
      return;
    }
    idx.push_back(static_cast<std::size_t>(it - header.begin()));
  }
  int lineno = 1;
  std::vector<std::string> picked(want.size());
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    auto f = split(line, '$');
    // Some quarters end every data line with a trailing '$' the header lacks; tolerate one.
    if (f.size() != header.size() && !(f.size() == header.size() + 1 && f.back().empty())) {
      ++d.malformed;
      if (d.problems.size() < 20) {
        d.problems.push_back(fmt::format("{}:{}: expected {} fields, found {}", path.string(), lineno, header.size(), f.size()));
      }
      continue;
    }
    for (std::size_t i = 0; i < idx.size(); ++i) picked[i] = f[idx[i]];
    row(picked);
  }
}

}  // namespace

DrugNormaliser::DrugNormaliser(const std::vector<std::pair<std::string, std::string>>& names) {
  for (const auto& [n, ing] : names) {
    std::string c = clean(n);
    if (!c.empty()) names_.emplace_back(c, ing);
  }
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; }),
               names_.end());
}

std::string DrugNormaliser::clean(const std::string& verbatim) {
  // Upper case, bracketed text (strengths, forms) dropped, non-alphanumerics to spaces, salt and
  // form words dropped, single spaces.
  static const std::set<std::string> kDrop = {"CITRATE", "PHOSPHATE", "TOSYLATE", "MALEATE", "HEMIHYDRATE",
                                              "HYDROCHLORIDE", "HCL", "SODIUM", "TABLET", "TABLETS", "TAB",
                                              "CAPSULE", "CAPSULES", "INJECTION", "SOLUTION", "CREAM", "XR",
                                              "ER", "MG", "ORAL", "PREFILLED", "SYRINGE", "PEN"};
  std::string s;
  int depth = 0;
  for (char c : upper(verbatim)) {
    if (c == '(' || c == '[') ++depth;
    else if ((c == ')' || c == ']') && depth > 0) --depth;
    else if (depth == 0) s += std::isalnum(static_cast<unsigned char>(c)) ? c : ' ';
  }
  std::string out, word;
  auto flush = [&] {
    bool number = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!word.empty() && !kDrop.count(word) && !number) out += (out.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : s) {
    if (c == ' ') flush();
    else word += c;
  }
  flush();
  return out;
}

std::optional<std::string> DrugNormaliser::ingredient(const std::string& verbatim) const {
  std::string c = clean(verbatim);
  if (c.empty()) return std::nullopt;
  auto it = std::lower_bound(names_.begin(), names_.end(), std::make_pair(c, std::string()));
  if (it != names_.end() && it->first == c) return it->second;
  if (c.size() >= 6) {
    for (const auto& [n, ing] : names_) {
      if (n.size() >= 6 && common::edit_distance(n, c) == 1) return ing;
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> kb_drug_names(const kb::KnowledgeBase& kb) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& b : kb.biologics) {
    out.emplace_back(b.id, b.id);
    out.emplace_back(b.name, b.id);
    if (b.brands) {
      for (const auto& n : b.brands->names) out.emplace_back(n, b.id);
    }
  }
  for (const auto& d : kb.drugs) {
    for (const auto& n : {d.id, d.name, d.ingredient}) out.emplace_back(n, d.ingredient);
    for (const auto& br : d.brand) out.emplace_back(br.name, d.ingredient);
  }
  for (const auto& ic : kb.interaction_classes) {
    for (const auto& m : ic.member) out.emplace_back(m.name, m.name);
  }
  return out;
}

Result<FaersData> read_faers(const std::string& dir, const DrugNormaliser& norm, const FaersOptions& options) {
  if (!fs::is_directory(dir)) {
    return Status::invalid_input(fmt::format("--faers: value \"{}\": expected a folder with extracted FAERS "
                                             "quarters (DEMO/DRUG/REAC*.txt); unzip the faers_ascii_*.zip first",
                                             dir));
  }
  FaersData d;
  auto demo = files(dir, "DEMO"), drug = files(dir, "DRUG"), reac = files(dir, "REAC"), del = files(dir, "DELETE");
  if (demo.empty() || drug.empty() || reac.empty()) {
    return Status::invalid_input(fmt::format("--faers: value \"{}\": no DEMO, DRUG or REAC file found", dir));
  }
  std::set<std::string> deleted;
  for (const auto& p : del) {
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
      auto f = split(line, '$');
      if (!f.empty() && !f[0].empty() && std::isdigit(static_cast<unsigned char>(f[0][0]))) deleted.insert(f[0]);
    }
  }
  struct Version {
    long long caseversion = 0;
    std::string fda_dt, primaryid;
  };
  std::unordered_map<std::string, Version> latest;  // caseid -> kept version
  for (const auto& p : demo) {
    read_dollar(p, {"primaryid", "caseid", "caseversion", "fda_dt"}, d, [&](const std::vector<std::string>& f) {
      ++d.reports_read;
      Version v{std::atoll(f[2].c_str()), f[3], f[0]};
      auto [it, inserted] = latest.emplace(f[1], v);
      if (inserted) return;
      ++d.superseded;
      auto key = [](const Version& x) { return std::make_tuple(x.caseversion, x.fda_dt, x.primaryid.size(), x.primaryid); };
      if (key(v) > key(it->second)) it->second = v;
    });
  }
  std::unordered_map<std::string, bool> kept;  // primaryid -> kept
  for (const auto& [caseid, v] : latest) {
    if (deleted.count(caseid)) {
      ++d.deleted;
      continue;
    }
    kept[v.primaryid] = true;
  }
  d.reports_kept = kept.size();
  std::unordered_map<std::string, std::vector<std::string>> drugs_of, events_of;
  std::map<std::string, std::size_t> unmapped;
  for (const auto& p : drug) {
    read_dollar(p, {"primaryid", "role_cod", "drugname", "prod_ai"}, d, [&](const std::vector<std::string>& f) {
      if (!kept.count(f[0])) return;
      if (std::find(options.roles.begin(), options.roles.end(), upper(f[1])) == options.roles.end()) return;
      auto ing = norm.ingredient(f[3]);
      if (!ing) ing = norm.ingredient(f[2]);
      std::string name = ing ? *ing : upper(f[2]);
      if (!ing) ++unmapped[name];
      auto& v = drugs_of[f[0]];
      if (std::find(v.begin(), v.end(), name) == v.end()) v.push_back(name);
    });
  }
  for (const auto& p : reac) {
    read_dollar(p, {"primaryid", "pt"}, d, [&](const std::vector<std::string>& f) {
      if (!kept.count(f[0]) || f[1].empty()) return;
      auto& v = events_of[f[0]];
      std::string pt = upper(f[1]);
      if (std::find(v.begin(), v.end(), pt) == v.end()) v.push_back(pt);
    });
  }
  for (const auto& [id, ds] : drugs_of) {
    auto ev = events_of.find(id);
    if (ev == events_of.end()) continue;
    for (const auto& dr : ds) {
      for (const auto& e : ev->second) d.rows.push_back({id, dr, e, ""});
    }
  }
  d.unmapped.assign(unmapped.begin(), unmapped.end());
  std::sort(d.unmapped.begin(), d.unmapped.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return d;
}

}  // namespace paraderm::pv
