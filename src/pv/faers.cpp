// FAERS quarterly ASCII extracts ($-delimited, one header row per file): deduplication to the
// latest case version, deleted cases, drug roles, and drug-name normalisation
// (standards-and-anchors.md §4).
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <iterator>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>

#include "common/text.h"
#include "paraderm/pv_data.h"
#include "pv/text_input.h"
#include "text/utf8.h"

namespace paraderm::pv {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
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
  static const std::set<std::string> kDrop = {
      "CITRATE",  "PHOSPHATE", "TOSYLATE",  "MALEATE", "HEMIHYDRATE", "HYDROCHLORIDE",
      "HCL",      "SODIUM",    "TABLET",    "TABLETS", "TAB",         "CAPSULE",
      "CAPSULES", "INJECTION", "SOLUTION",  "CREAM",   "XR",          "ER",
      "MG",       "ORAL",      "PREFILLED", "SYRINGE", "PEN"};
  std::string s;
  int depth = 0;
  for (char c : upper(verbatim)) {
    if (c == '(' || c == '[')
      ++depth;
    else if ((c == ')' || c == ']') && depth > 0)
      --depth;
    else if (depth == 0)
      s += std::isalnum(static_cast<unsigned char>(c)) ? c : ' ';
  }
  std::string out, word;
  auto flush = [&] {
    bool number = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!word.empty() && !kDrop.count(word) && !number) out += (out.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : s) {
    if (c == ' ')
      flush();
    else
      word += c;
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
      if (n.size() >= 6 && common::one_edit_apart(n, c)) return ing;
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

namespace {

enum class Kind { kDemo, kDrug, kReac, kIndi, kDelete, kOther };

Kind kind_of(const detail::TextFile& f) {
  std::string n = f.name();
  if (n.rfind("DEMO", 0) == 0) return Kind::kDemo;
  if (n.rfind("DRUG", 0) == 0) return Kind::kDrug;
  if (n.rfind("REAC", 0) == 0) return Kind::kReac;
  if (n.rfind("INDI", 0) == 0) return Kind::kIndi;
  if (n.rfind("DELETE", 0) == 0) return Kind::kDelete;
  return Kind::kOther;
}

// Legacy (LAERS) report keys are ISRs, a different number space from FAERS primaryids.
constexpr std::uint64_t kLaersTag = 1ull << 63;
constexpr std::size_t kMaxProblems = 20;

bool parse_u64(std::string_view s, std::uint64_t& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out < kLaersTag;
}

// YYYYMMDD with partial dates (YYYY, YYYYMM) padded, so that later dates compare greater.
std::uint32_t date_key(std::string_view s) {
  std::uint64_t v = 0;
  if (!parse_u64(s, v)) return 0;
  if (s.size() == 4) v *= 10000;
  if (s.size() == 6) v *= 100;
  return v > 99991231 ? 0 : static_cast<std::uint32_t>(v);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The positions of the wanted columns in a $-delimited header (case-insensitive).
struct Layout {
  bool laers = false;
  std::size_t width = 0;
  std::vector<std::size_t> col;
};

std::optional<Layout> find_layout(const std::string& header,
                                  const std::vector<std::string>& faers_cols,
                                  const std::vector<std::string>& laers_cols) {
  std::vector<std::string_view> h;
  detail::split_fields(header, '$', h);
  auto pick = [&](const std::vector<std::string>& want) -> std::optional<std::vector<std::size_t>> {
    std::vector<std::size_t> idx;
    for (const auto& w : want) {
      auto it = std::find_if(h.begin(), h.end(),
                             [&](std::string_view x) { return upper(std::string(trim(x))) == w; });
      if (it == h.end()) return std::nullopt;
      idx.push_back(static_cast<std::size_t>(it - h.begin()));
    }
    return idx;
  };
  Layout l;
  l.width = h.size();
  if (auto f = pick(faers_cols)) {
    l.col = *f;
    return l;
  }
  if (auto f = pick(laers_cols)) {
    l.laers = true;
    l.col = *f;
    return l;
  }
  return std::nullopt;
}

struct BlockProblems {
  std::size_t rows = 0, malformed = 0;
  std::vector<std::string> problems;
  void bad(const std::string& file, std::uint64_t line, std::string what) {
    ++malformed;
    if (problems.size() < kMaxProblems)
      problems.push_back(fmt::format("{}:{}: {}", file, line, what));
  }
};

// Calls row(fields, line) for every line with the header's field count (some quarters end each
// data line with a '$' the header lacks: one extra empty field is tolerated).
template <class Row>
void for_each_line(const detail::Block& b, const Layout& l, const std::string& file,
                   BlockProblems& pr, Row row) {
  std::vector<std::string_view> f;
  std::string_view text = b.text;
  std::uint64_t line = b.first_line;
  for (std::size_t pos = 0; pos < text.size(); ++line) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view s = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (s.empty() || s == "\r") continue;
    ++pr.rows;
    std::size_t n = detail::split_fields(s, '$', f);
    if (n != l.width && !(n == l.width + 1 && f.back().empty())) {
      pr.bad(file, line, fmt::format("expected {} fields, found {}", l.width, n));
      continue;
    }
    row(f, line);
  }
}

// Interns names on every thread: a thread-local cache in front of one locked dictionary, so the
// (costly) normalisation runs once per distinct verbatim name.
class Interner {
 public:
  using Normalise =
      std::function<std::pair<std::string, bool>(std::string_view key)>;  // name, mapped
  explicit Interner(Normalise f) : normalise_(std::move(f)) {}

  std::uint32_t id(const std::string& key) {
    auto& cache = local_.local();
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    std::uint32_t id;
    {
      std::lock_guard lock(mu_);
      auto k = by_key_.find(key);
      if (k != by_key_.end()) {
        id = k->second;
      } else {
        auto [name, mapped] = normalise_(key);
        auto [n, inserted] = by_name_.emplace(name, static_cast<std::uint32_t>(names_.size()));
        if (inserted) {
          names_.push_back(name);
          mapped_.push_back(mapped);
        }
        id = n->second;
        by_key_.emplace(key, id);
      }
    }
    cache.emplace(key, id);
    return id;
  }
  std::vector<std::string>& names() { return names_; }
  const std::vector<char>& mapped() const { return mapped_; }

 private:
  Normalise normalise_;
  tbb::enumerable_thread_specific<std::unordered_map<std::string, std::uint32_t>> local_;
  std::mutex mu_;
  std::unordered_map<std::string, std::uint32_t> by_key_, by_name_;
  std::vector<std::string> names_;
  std::vector<char> mapped_;
};

struct DemoRec {
  std::uint64_t caseid = 0, key = 0;  // key: primaryid, or ISR | kLaersTag
  std::uint32_t version = 0, fda_dt = 0;
  bool faers = false;
  auto rank() const { return std::make_tuple(faers, version, fda_dt, key); }
};

struct Keyed {
  std::vector<std::uint64_t> recs;  // (report << 32) | name id
  BlockProblems pr;
};

// The kept report a DRUG/REAC/INDI line belongs to: its index in `kept`, or -1 (a report not
// kept, or a key that is not a number, which is counted as malformed). Consecutive lines usually
// share a report, so the last hit is tried first.
class LineReport {
 public:
  explicit LineReport(const std::vector<std::uint64_t>& kept) : kept_(kept) {}
  std::int64_t operator()(std::string_view field, const Layout& l, const std::string& file,
                          std::uint64_t line, BlockProblems& pr) {
    std::uint64_t id;
    if (!parse_u64(field, id)) {
      pr.bad(file, line, fmt::format("{} must be a number", l.laers ? "ISR" : "primaryid"));
      return -1;
    }
    std::uint64_t key = l.laers ? id | kLaersTag : id;
    if (key == last_key_) return last_;
    last_key_ = key;
    auto it = std::lower_bound(kept_.begin(), kept_.end(), key);
    last_ = (it != kept_.end() && *it == key) ? it - kept_.begin() : -1;
    return last_;
  }

 private:
  const std::vector<std::uint64_t>& kept_;
  std::uint64_t last_key_ = ~0ull;
  std::int64_t last_ = -1;
};

// for_each_line over the lines of kept reports only: row(fields, line, report index).
template <class Row>
void for_each_kept_line(const detail::Block& b, const Layout& l, const std::string& file,
                        const std::vector<std::uint64_t>& kept, BlockProblems& pr, Row row) {
  LineReport report_of(kept);
  for_each_line(b, l, file, pr, [&](const std::vector<std::string_view>& f, std::uint64_t line) {
    std::int64_t r = report_of(f[l.col[0]], l, file, line, pr);
    if (r >= 0) row(f, line, static_cast<std::uint64_t>(r));
  });
}

// The report keys to count (sorted, unique): the latest version of every case not deleted; the
// versions are consumed.
std::vector<std::uint64_t> latest_versions(std::vector<DemoRec>& versions,
                                           const std::vector<std::uint64_t>& deleted,
                                           FaersReport& rep) {
  rep.reports_read = versions.size();
  for (const auto& v : versions) rep.laers_reports += v.faers ? 0 : 1;
  tbb::parallel_sort(versions.begin(), versions.end(), [](const DemoRec& a, const DemoRec& b) {
    return a.caseid != b.caseid ? a.caseid < b.caseid : a.rank() < b.rank();
  });
  std::vector<std::uint64_t> kept;
  for (std::size_t i = 0; i < versions.size();) {
    std::size_t j = i;
    while (j + 1 < versions.size() && versions[j + 1].caseid == versions[i].caseid) ++j;
    rep.superseded += j - i;
    if (std::binary_search(deleted.begin(), deleted.end(), versions[i].caseid)) {
      ++rep.deleted;
    } else {
      kept.push_back(versions[j].key);
    }
    i = j + 1;
  }
  std::vector<DemoRec>().swap(versions);
  tbb::parallel_sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()),
             kept.end());  // a primaryid repeated across quarters
  rep.reports_kept = kept.size();
  return kept;
}

// The quarter's files by kind; DEMO, DRUG and REAC are required.
struct FaersFiles {
  std::vector<detail::TextFile> demo, drug, reac, indi, del;
  std::string where;  // the inputs, for messages
};

Result<FaersFiles> faers_files(const std::vector<std::string>& inputs) {
  auto listed = detail::list_text_files(inputs);
  if (!listed.is_ok()) return listed.status();
  FaersFiles out;
  auto& [demo, drug, reac, indi, del, where] = out;
  for (const auto& f : listed.value()) {
    switch (kind_of(f)) {
      case Kind::kDemo:
        demo.push_back(f);
        break;
      case Kind::kDrug:
        drug.push_back(f);
        break;
      case Kind::kReac:
        reac.push_back(f);
        break;
      case Kind::kIndi:
        indi.push_back(f);
        break;
      case Kind::kDelete:
        del.push_back(f);
        break;
      case Kind::kOther:
        break;
    }
  }
  for (const auto& i : inputs) where += (where.empty() ? "" : ", ") + i;
  if (demo.empty() || drug.empty() || reac.empty()) {
    return Status::invalid_input(
        fmt::format("--faers: value \"{}\": expected DEMO, DRUG and REAC files "
                    "(FAERS or LAERS quarterly ASCII layout); found {} DEMO, {} DRUG, {} REAC",
                    where, demo.size(), drug.size(), reac.size()));
  }
  return out;
}

// Deleted case ids (one per line; the first field), sorted.
Result<std::vector<std::uint64_t>> deleted_case_ids(const std::vector<detail::TextFile>& del,
                                                    std::size_t block_bytes, FaersReport& rep) {
  std::vector<std::uint64_t> deleted;
  for (const auto& f : del) {
    rep.files.push_back(f.display());
    auto r = detail::TextReader::open(f);
    if (!r.is_ok()) return r.status();
    detail::Block b;
    std::vector<std::string_view> fields;
    while (r.value()->next(b, block_bytes)) {
      std::string_view text = b.text;
      for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        detail::split_fields(text.substr(pos, nl - pos), '$', fields);
        pos = nl + 1;
        std::uint64_t id;
        if (parse_u64(fields[0], id)) deleted.push_back(id);  // a header or blank line is not an id
      }
    }
  }
  std::sort(deleted.begin(), deleted.end());
  return deleted;
}

// Drug names the normaliser did not map, by the drug rows that carry them (most first).
void list_unmapped(Interner& drugs, const std::vector<std::uint64_t>& drug_recs, FaersReport& rep) {
  std::vector<std::size_t> rows(drugs.names().size(), 0);
  for (std::uint64_t r : drug_recs) ++rows[static_cast<std::uint32_t>(r)];
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!drugs.mapped()[i] && rows[i]) rep.unmapped.emplace_back(drugs.names()[i], rows[i]);
  }
  std::sort(rep.unmapped.begin(), rep.unmapped.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
}

// Names must be UTF-8 (they end up in JSON); older FAERS quarters hold Windows-1252 bytes.
void transcode_names(Corpus& c, FaersReport& rep) {
  std::size_t transcoded = 0;
  for (auto* names : {&c.drugs, &c.events}) {
    for (auto& n : *names) transcoded += text::ensure_utf8(n) ? 1 : 0;
  }
  for (auto& [name, rows] : rep.unmapped) text::ensure_utf8(name);
  if (transcoded > 0) {
    rep.problems.push_back(
        fmt::format("{} drug or event names are not UTF-8: read as Windows-1252", transcoded));
  }
}

// Step 5 of read_faers: the corpus pairs, per kept report every kept drug x every event (unique);
// a reaction that is also an indication in the same report (a disease treated, not caused) is
// dropped from it. Records are (report index << 32 | name id), `reports` the kept reports.
void build_pairs(std::size_t reports, std::vector<std::uint64_t>& drug_recs,
                 std::vector<std::uint64_t>& event_recs,
                 std::vector<std::uint64_t>& indication_recs, FaersReport& rep, Corpus& c) {
  tbb::parallel_invoke([&] { tbb::parallel_sort(drug_recs.begin(), drug_recs.end()); },
                       [&] { tbb::parallel_sort(event_recs.begin(), event_recs.end()); });
  drug_recs.erase(std::unique(drug_recs.begin(), drug_recs.end()), drug_recs.end());
  event_recs.erase(std::unique(event_recs.begin(), event_recs.end()), event_recs.end());
  if (!indication_recs.empty()) {
    // A reaction that is also an indication in the same report (a disease treated, not caused)
    // is dropped from that report.
    tbb::parallel_sort(indication_recs.begin(), indication_recs.end());
    std::vector<std::uint64_t> kept_events;
    kept_events.reserve(event_recs.size());
    std::set_difference(event_recs.begin(), event_recs.end(), indication_recs.begin(),
                        indication_recs.end(), std::back_inserter(kept_events));
    rep.indication_events_dropped = event_recs.size() - kept_events.size();
    event_recs.swap(kept_events);
  }
  auto ranges = [&](const std::vector<std::uint64_t>& recs) {
    std::vector<std::uint64_t> begin(reports + 1, 0);
    for (std::uint64_t r : recs) ++begin[(r >> 32) + 1];
    for (std::size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
    return begin;
  };
  std::vector<std::uint64_t> db = ranges(drug_recs), eb = ranges(event_recs);
  c.strata = {""};
  std::vector<std::uint32_t> with_pairs;
  c.report_begin.push_back(0);
  for (std::size_t r = 0; r < reports; ++r) {
    std::uint64_t k = (db[r + 1] - db[r]) * (eb[r + 1] - eb[r]);
    if (k == 0) {
      ++rep.without_pairs;
      continue;
    }
    with_pairs.push_back(static_cast<std::uint32_t>(r));
    c.report_begin.push_back(c.report_begin.back() + k);
  }
  c.report_stratum.assign(with_pairs.size(), 0);
  c.pairs.resize(c.report_begin.back());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, with_pairs.size(), 4096), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          std::uint32_t r = with_pairs[i];
          std::uint64_t pos = c.report_begin[i];
          for (std::uint64_t d = db[r]; d < db[r + 1]; ++d) {
            for (std::uint64_t e = eb[r]; e < eb[r + 1]; ++e) {
              c.pairs[pos++] =
                  (drug_recs[d] & 0xffffffffull) << 32 | (event_recs[e] & 0xffffffffull);
            }
          }
        }
      });
}

}  // namespace

Result<FaersCorpus> read_faers(const std::vector<std::string>& inputs, const DrugNormaliser& norm,
                               const FaersOptions& options) {
  auto sorted = faers_files(inputs);
  if (!sorted.is_ok()) return sorted.status();
  const auto& [demo, drug, reac, indi, del, where] = sorted.value();
  FaersCorpus out;
  FaersReport& rep = out.input;
  auto merge_problems = [&](BlockProblems& p) {
    rep.rows_read += p.rows;
    rep.malformed += p.malformed;
    for (auto& s : p.problems) {
      if (rep.problems.size() < kMaxProblems) rep.problems.push_back(std::move(s));
    }
  };
  auto total_bytes = [](const std::vector<detail::TextFile>& fs) {
    std::uint64_t t = 0;
    for (const auto& f : fs) t += f.size;
    return t;
  };
  // Runs `parse(block, layout, file)` over every file of a kind; nullopt layout: the header lacks
  // columns.
  auto run = [&](const std::vector<detail::TextFile>& files, std::string_view phase,
                 const std::vector<std::string>& fc, const std::vector<std::string>& lc, auto parse,
                 auto merge) -> Status {
    std::uint64_t done = 0, total = total_bytes(files);
    for (const auto& f : files) {
      rep.files.push_back(f.display());
      auto r = detail::TextReader::open(f);
      if (!r.is_ok()) return r.status();
      auto& reader = *r.value();
      auto header = reader.header();
      if (!header) continue;
      auto layout = find_layout(*header, fc, lc);
      if (!layout) {
        BlockProblems p;
        std::string want;
        for (const auto& c : fc) want += (want.empty() ? "" : ", ") + c;
        p.bad(f.display(), 1,
              fmt::format("header lacks the columns {} (FAERS) or their LAERS equivalents", want));
        merge_problems(p);
        continue;
      }
      std::string file = f.display();
      detail::parse_blocks(
          reader, options.block_bytes,
          [&](const detail::Block& b) { return parse(b, *layout, file); }, merge, options.progress,
          phase, done, total);
      if (reader.failed()) return Status::io_error(fmt::format("{}: read error", file));
      done += f.size ? f.size : reader.bytes_read();
    }
    return Status::ok();
  };

  // 1. Deleted case ids.
  auto deleted_ids = deleted_case_ids(del, options.block_bytes, rep);
  if (!deleted_ids.is_ok()) return deleted_ids.status();
  const std::vector<std::uint64_t>& deleted = deleted_ids.value();

  // 2. DEMO: one row per report version.
  std::vector<DemoRec> versions;
  struct DemoBlock {
    std::vector<DemoRec> recs;
    BlockProblems pr;
  };
  Status st = run(
      demo, "DEMO", {"PRIMARYID", "CASEID", "CASEVERSION", "FDA_DT"}, {"ISR", "CASE", "FDA_DT"},
      [](const detail::Block& b, const Layout& l, const std::string& file) {
        DemoBlock res;
        for_each_line(
            b, l, file, res.pr, [&](const std::vector<std::string_view>& f, std::uint64_t line) {
              DemoRec r;
              std::uint64_t version = 0;
              bool ok = parse_u64(f[l.col[0]], r.key) && parse_u64(f[l.col[1]], r.caseid) &&
                        (l.laers || parse_u64(f[l.col[2]], version));
              if (!ok) {
                res.pr.bad(file, line,
                           l.laers ? "ISR and CASE must be numbers"
                                   : "primaryid, caseid and caseversion must be numbers");
                return;
              }
              r.faers = !l.laers;
              r.version = static_cast<std::uint32_t>(std::min<std::uint64_t>(version, UINT32_MAX));
              r.fda_dt = date_key(f[l.col[l.laers ? 2 : 3]]);
              if (l.laers) r.key |= kLaersTag;
              res.recs.push_back(r);
            });
        return res;
      },
      [&](DemoBlock&& b) {
        merge_problems(b.pr);
        versions.insert(versions.end(), b.recs.begin(), b.recs.end());
      });
  if (!st.is_ok()) return st;
  const std::vector<std::uint64_t> kept = latest_versions(versions, deleted, rep);
  // 3. DRUG: kept reports, kept roles, names normalised.
  Interner drugs([&norm](std::string_view key) -> std::pair<std::string, bool> {
    auto sep = key.find('\x1f');
    std::string prod_ai(key.substr(0, sep)), drugname(key.substr(sep + 1));
    auto ing = norm.ingredient(prod_ai);
    if (!ing) ing = norm.ingredient(drugname);
    if (ing) return {*ing, true};
    return {upper(std::string(trim(drugname.empty() ? prod_ai : drugname))), false};
  });
  std::vector<std::string> roles;
  roles.reserve(options.roles.size());
  for (const auto& r : options.roles) roles.push_back(upper(r));
  std::vector<std::uint64_t> drug_recs;
  std::size_t rows_before_drug = rep.rows_read;
  auto merge_keyed = [&](std::vector<std::uint64_t>& into) {
    return [&](Keyed&& b) {
      merge_problems(b.pr);
      into.insert(into.end(), b.recs.begin(), b.recs.end());
    };
  };
  st = run(
      drug, "DRUG", {"PRIMARYID", "ROLE_COD", "DRUGNAME", "PROD_AI"},
      {"ISR", "ROLE_COD", "DRUGNAME"},
      [&](const detail::Block& b, const Layout& l, const std::string& file) {
        Keyed res;
        std::string key;
        for_each_kept_line(
            b, l, file, kept, res.pr,
            [&](const std::vector<std::string_view>& f, std::uint64_t line, std::uint64_t r) {
              std::string_view role = trim(f[l.col[1]]);
              if (std::none_of(roles.begin(), roles.end(), [&](const std::string& x) {
                    return x.size() == role.size() &&
                           std::equal(x.begin(), x.end(), role.begin(), [](char a, char c) {
                             return a == std::toupper(static_cast<unsigned char>(c));
                           });
                  })) {
                return;
              }
              key.assign(l.laers ? std::string_view() : trim(f[l.col[3]]));
              key += '\x1f';
              key += trim(f[l.col[2]]);
              if (key.size() == 1) {
                res.pr.bad(file, line, "empty drugname and prod_ai");
                return;
              }
              res.recs.push_back(r << 32 | drugs.id(key));
            });
        return res;
      },
      merge_keyed(drug_recs));
  if (!st.is_ok()) return st;
  rep.drug_rows = rep.rows_read - rows_before_drug;

  // 4. REAC: MedDRA preferred terms, upper case (and INDI's indications, when asked, in the same
  // dictionary so that a reaction and an indication with the same PT compare equal).
  Interner events([](std::string_view key) -> std::pair<std::string, bool> {
    return {upper(std::string(key)), true};
  });
  auto parse_terms = [&](const char* what) {
    return [&, what](const detail::Block& b, const Layout& l, const std::string& file) {
      Keyed res;
      std::string key;
      for_each_kept_line(
          b, l, file, kept, res.pr,
          [&](const std::vector<std::string_view>& f, std::uint64_t line, std::uint64_t r) {
            key.assign(trim(f[l.col[1]]));
            if (key.empty()) {
              res.pr.bad(file, line, fmt::format("empty {}", what));
              return;
            }
            res.recs.push_back(r << 32 | events.id(key));
          });
      return res;
    };
  };
  std::vector<std::uint64_t> event_recs, indication_recs;
  st = run(reac, "REAC", {"PRIMARYID", "PT"}, {"ISR", "PT"}, parse_terms("pt"),
           merge_keyed(event_recs));
  if (!st.is_ok()) return st;
  if (options.drop_indication_events) {
    if (indi.empty()) {
      return Status::invalid_input(
          fmt::format("--drop-indication-events: no INDI file found in \"{}\"", where));
    }
    st = run(indi, "INDI", {"PRIMARYID", "INDI_PT"}, {"ISR", "INDI_PT"}, parse_terms("indi_pt"),
             merge_keyed(indication_recs));
    if (!st.is_ok()) return st;
  }
  rep.drug_rows_kept = drug_recs.size();
  rep.reaction_rows = event_recs.size();

  list_unmapped(drugs, drug_recs, rep);
  if (options.progress) options.progress("pairs", 0, 0);

  // 5. The corpus: per report, every kept drug x every event (unique).
  Corpus& c = out.corpus;
  build_pairs(kept.size(), drug_recs, event_recs, indication_recs, rep, c);
  c.drugs = std::move(drugs.names());
  c.events = std::move(events.names());
  transcode_names(c, rep);
  return out;
}
}  // namespace paraderm::pv
