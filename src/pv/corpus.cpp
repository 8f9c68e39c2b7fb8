// The corpus (report -> drug-event pairs), long-format CSV input, 2x2 counts from unique report
// ids with stratified expected counts (as openEBGM counts), and every pair's scores.
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <unordered_map>

#include "paraderm/pv_data.h"
#include "pv/special.h"
#include "text/utf8.h"

namespace paraderm::pv {
namespace {

std::string upper(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

// Interns long-format rows and groups them into a corpus.
class CorpusBuilder {
 public:
  void add(const std::string& id, const std::string& drug, const std::string& event,
           const std::string& stratum) {
    auto [r, fresh] = reports_.emplace(id, static_cast<std::uint32_t>(reports_.size()));
    if (fresh) report_stratum_.push_back(intern(strata_, c_.strata, stratum));
    std::uint64_t pair = static_cast<std::uint64_t>(intern(drugs_, c_.drugs, drug)) << 32 |
                         intern(events_, c_.events, event);
    rows_.emplace_back(r->second, pair);
  }

  Corpus finish() && {
    std::sort(rows_.begin(), rows_.end());
    rows_.erase(std::unique(rows_.begin(), rows_.end()), rows_.end());
    c_.report_stratum = std::move(report_stratum_);
    c_.report_begin.assign(c_.report_stratum.size() + 1, 0);
    for (const auto& [r, p] : rows_) ++c_.report_begin[r + 1];
    for (std::size_t i = 1; i < c_.report_begin.size(); ++i)
      c_.report_begin[i] += c_.report_begin[i - 1];
    c_.pairs.reserve(rows_.size());
    for (const auto& [r, p] : rows_) c_.pairs.push_back(p);
    if (c_.strata.empty()) c_.strata.emplace_back("");
    return std::move(c_);
  }

 private:
  static std::uint32_t intern(std::unordered_map<std::string, std::uint32_t>& m,
                              std::vector<std::string>& names, const std::string& s) {
    auto [it, fresh] = m.emplace(s, static_cast<std::uint32_t>(names.size()));
    if (fresh) names.push_back(s);
    return it->second;
  }
  Corpus c_;
  std::unordered_map<std::string, std::uint32_t> reports_, drugs_, events_, strata_;
  std::vector<std::uint32_t> report_stratum_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> rows_;
};

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

// A report's stratum from several columns: their values joined by '|' ('|' and '\\' in a value
// escaped with '\\', so different combinations never share a name); one column: its value.
std::string combined_stratum(const std::vector<std::string>& fields,
                             const std::vector<std::size_t>& columns) {
  if (columns.size() == 1) return fields[columns[0]];
  std::string out;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    if (k) out += '|';
    for (char c : fields[columns[k]]) {
      if (c == '|' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

}  // namespace

Corpus corpus_from_rows(const std::vector<Row>& rows) {
  CorpusBuilder b;
  for (const auto& r : rows) b.add(r.id, r.drug, r.event, r.stratum);
  return std::move(b).finish();
}

Result<CsvCorpus> read_long_csv(const std::string& path, const CsvColumns& cols) {
  std::ifstream in(path);
  if (!in)
    return Status::io_error(fmt::format("--input: value \"{}\": cannot open the file", path));
  std::string line;
  std::vector<std::string> f;
  if (!std::getline(in, line) || !split_csv(line, f)) {
    return Status::invalid_input(fmt::format("{}:1: expected a header row", path));
  }
  std::string header_list;
  for (const auto& h : f) header_list += (header_list.empty() ? "" : ", ") + h;
  auto need = [&](const std::string& flag, const std::string& name) -> Result<std::size_t> {
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f[i] == name) return i;
    }
    return Status::invalid_input(fmt::format("{}: value \"{}\": no such column in {} (columns: {})",
                                             flag, name, path, header_list));
  };
  auto id = need("--id-col", cols.id), drug = need("--drug-col", cols.drug),
       event = need("--event-col", cols.event);
  for (auto* r : {&id, &drug, &event}) {
    if (!r->is_ok()) return r->status();
  }
  std::vector<std::size_t> strata;
  for (const auto& name : cols.strata) {
    auto s = need("--stratum-col", name);
    if (!s.is_ok()) return s.status();
    strata.push_back(s.value());
  }
  CsvCorpus out;
  CorpusBuilder builder;
  std::size_t width = f.size();
  auto bad = [&](int lineno, std::string what) {
    ++out.input.malformed;
    if (out.input.problems.size() < 20)
      out.input.problems.push_back(fmt::format("{}:{}: {}", path, lineno, what));
  };
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    ++out.input.rows_read;
    if (!split_csv(line, f) || f.size() != width) {
      bad(lineno, fmt::format("expected {} fields, found {}{}", width, f.size(),
                              f.size() == width ? " (unclosed quote)" : ""));
      continue;
    }
    const std::string& i = f[id.value()];
    std::string d = f[drug.value()], e = f[event.value()], st = combined_stratum(f, strata);
    if (i.empty() || d.empty() || e.empty()) {
      bad(lineno, "empty id, drug or event");
      continue;
    }
    // Names end up in JSON, which needs UTF-8; a spreadsheet export that is not UTF-8 is almost
    // always Windows-1252. The row is kept (transcoded) and reported.
    bool transcoded = text::ensure_utf8(d);
    transcoded = text::ensure_utf8(e) || transcoded;
    transcoded = text::ensure_utf8(st) || transcoded;
    if (transcoded && out.input.problems.size() < 20) {
      out.input.problems.push_back(
          fmt::format("{}:{}: a name is not UTF-8: read as Windows-1252", path, lineno));
    }
    builder.add(i, d, e, st);
  }
  out.corpus = std::move(builder).finish();
  return out;
}

std::vector<PairCount> count_pairs(const Corpus& c) {
  const std::size_t ns = std::max<std::size_t>(c.strata.size(), 1), nd = c.drugs.size(),
                    ne = c.events.size();
  // Margins per stratum: reports naming each drug / each event (thread-local, then summed).
  struct Margins {
    std::vector<std::uint32_t> drug, event, reports;
    std::vector<std::uint32_t> scratch;
  };
  tbb::enumerable_thread_specific<Margins> local([&] {
    return Margins{std::vector<std::uint32_t>(nd * ns, 0),
                   std::vector<std::uint32_t>(ne * ns, 0),
                   std::vector<std::uint32_t>(ns, 0),
                   {}};
  });
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, c.reports(), 1 << 14), [&](const auto& range) {
        Margins& m = local.local();
        for (std::size_t r = range.begin(); r != range.end(); ++r) {
          std::size_t s = c.report_stratum[r];
          ++m.reports[s];
          m.scratch.clear();
          std::uint32_t last_drug = UINT32_MAX;
          for (std::uint64_t i = c.report_begin[r]; i < c.report_begin[r + 1]; ++i) {
            std::uint32_t d = Corpus::drug_of(c.pairs[i]);
            if (d != last_drug) ++m.drug[d * ns + s];
            last_drug = d;
            m.scratch.push_back(Corpus::event_of(c.pairs[i]));
          }
          std::sort(m.scratch.begin(), m.scratch.end());
          m.scratch.erase(std::unique(m.scratch.begin(), m.scratch.end()), m.scratch.end());
          for (std::uint32_t e : m.scratch) ++m.event[e * ns + s];
        }
      });
  std::vector<double> drug_s(nd * ns, 0), event_s(ne * ns, 0), n_s(ns, 0);
  for (const Margins& m : local) {
    for (std::size_t i = 0; i < drug_s.size(); ++i) drug_s[i] += m.drug[i];
    for (std::size_t i = 0; i < event_s.size(); ++i) event_s[i] += m.event[i];
    for (std::size_t i = 0; i < ns; ++i) n_s[i] += m.reports[i];
  }
  // Pair counts: every (drug, event) of every report, sorted and run-length counted.
  std::vector<std::uint64_t> keys(c.pairs);
  tbb::parallel_sort(keys.begin(), keys.end());
  std::vector<PairCount> out;
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    PairCount p;
    p.drug = Corpus::drug_of(keys[i]);
    p.event = Corpus::event_of(keys[i]);
    p.n = static_cast<double>(j - i);
    out.push_back(p);
    i = j;
  }
  std::vector<std::uint64_t>().swap(keys);
  double total = static_cast<double>(c.reports());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, out.size(), 1 << 12),
                    [&](const auto& range) {
                      for (std::size_t k = range.begin(); k != range.end(); ++k) {
                        PairCount& p = out[k];
                        p.total = total;
                        const double* ds = &drug_s[p.drug * ns];
                        const double* es = &event_s[p.event * ns];
                        for (std::size_t s = 0; s < ns; ++s) {
                          p.n_drug += ds[s];
                          p.n_event += es[s];
                          if (n_s[s] > 0) p.expected += ds[s] * es[s] / n_s[s];
                        }
                      }
                    });
  return out;
}

SignalTable score(const Corpus& corpus, const ScoreOptions& options) {
  if (options.progress) options.progress("count", 0, 0);
  return score_counts(corpus.drugs, corpus.events, count_pairs(corpus),
                      static_cast<double>(corpus.reports()), options);
}

SignalTable score_counts(std::vector<std::string> drugs, std::vector<std::string> events,
                         std::vector<PairCount> counts, double reports,
                         const ScoreOptions& options) {
  SignalTable t;
  t.drugs = std::move(drugs);
  t.events = std::move(events);
  t.reports = reports;
  std::vector<double> n, e;
  for (const auto& p : counts) {
    if (p.n >= options.min_count) {
      n.push_back(p.n);
      e.push_back(p.expected);
    }
  }
  t.fit_data = options.fit_data.value_or(
      n.size() <= options.full_fit_max_pairs ? FitData::kFull : FitData::kSquashed);
  t.qn = options.qn;
  t.prior_given = options.prior.has_value();
  std::optional<Squashed> sq;
  if (t.fit_data == FitData::kSquashed) sq = squash(n, e);
  std::span<const double> fn = sq ? sq->n : n, fe = sq ? sq->e : e,
                          fw = sq ? std::span<const double>(sq->weight) : std::span<const double>();
  t.fit_points = fn.size();
  if (options.prior) {
    if (options.progress) options.progress("likelihood", 0, 0);
    t.fit.theta = *options.prior;
    t.fit.neg_log_lik =
        mgps_neg_log_lik_gradient(*options.prior, fn, fe, fw, options.min_count).value;
    t.fit.message = "prior given (not fitted)";
  } else {
    if (options.progress) options.progress("fit", 0, 0);
    t.fit = fit_mgps(fn, fe, fw, options.min_count);
  }
  if (options.standard_errors)
    t.standard_errors = mgps_standard_errors(t.fit.theta, fn, fe, fw, options.min_count);
  if (options.progress) options.progress("score", 0, 0);
  // The posterior and the IC interval depend on (n, E) only, and pairs share them (caers: 17 189
  // pairs, 3 753 distinct (n, E)): they are computed once per distinct point.
  std::vector<std::uint32_t> order(counts.size());
  for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  tbb::parallel_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return counts[a].n != counts[b].n ? counts[a].n < counts[b].n
                                      : counts[a].expected < counts[b].expected;
  });
  struct Shared {
    Posterior post;
    double ic025 = 0, ic975 = 0;
  };
  std::vector<std::uint32_t> first;  // index in `order` where each distinct (n, E) begins
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || counts[order[i]].n != counts[order[i - 1]].n ||
        counts[order[i]].expected != counts[order[i - 1]].expected) {
      first.push_back(static_cast<std::uint32_t>(i));
    }
  }
  first.push_back(static_cast<std::uint32_t>(order.size()));
  t.scores.resize(counts.size());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, first.size() - 1, 64), [&](const auto& range) {
        for (std::size_t u = range.begin(); u != range.end(); ++u) {
          const PairCount& q = counts[order[first[u]]];
          Shared sh;
          sh.post = mgps_posterior(t.fit.theta, q.n, q.expected, options.qn, options.min_count);
          sh.ic025 = std::log2(gamma_quantile(q.n + 0.5, q.expected + 0.5, 0.025));
          sh.ic975 = std::log2(gamma_quantile(q.n + 0.5, q.expected + 0.5, 0.975));
          for (std::uint32_t i = first[u]; i < first[u + 1]; ++i) {
            const PairCount& p = counts[order[i]];
            Score& s = t.scores[order[i]];
            s.drug = p.drug;
            s.event = p.event;
            s.n = p.n;
            s.n_drug = p.n_drug;
            s.n_event = p.n_event;
            s.total = p.total;
            s.expected = p.expected;
            s.d = disproportionality(p.n, p.n_drug, p.n_event, p.total, p.expected, false);
            s.d.ic025 = sh.ic025;
            s.d.ic975 = sh.ic975;
            s.post = sh.post;
          }
        }
      });
  t.build_index();
  return t;
}

void SignalTable::build_index() {
  drug_index.clear();
  event_index.clear();
  for (std::size_t i = 0; i < drugs.size(); ++i)
    drug_index.emplace(upper(drugs[i]), static_cast<std::uint32_t>(i));
  for (std::size_t i = 0; i < events.size(); ++i)
    event_index.emplace(upper(events[i]), static_cast<std::uint32_t>(i));
}

const Score* SignalTable::find(std::string_view drug, std::string_view event) const {
  auto d = drug_index.find(upper(drug));
  auto e = event_index.find(upper(event));
  if (d == drug_index.end() || e == event_index.end()) return nullptr;
  auto key = std::make_pair(d->second, e->second);
  auto it = std::lower_bound(scores.begin(), scores.end(), key,
                             [](const Score& s, const std::pair<std::uint32_t, std::uint32_t>& k) {
                               return std::make_pair(s.drug, s.event) < k;
                             });
  return it != scores.end() && it->drug == key.first && it->event == key.second ? &*it : nullptr;
}

SignalFlags flags(const Score& s, const SignalRules& r) {
  SignalFlags f;
  f.evans = s.d.prr >= r.evans_prr && s.d.chi2 >= r.evans_chi2 && s.n >= r.evans_n;
  f.ror = s.d.ror_lo > r.ror025;
  f.ic = s.d.ic025 > r.ic025;
  f.eb05 = s.post.eb05 >= r.eb05;
  return f;
}

}  // namespace paraderm::pv
