// The pv on-disk store: the corpus as raw little-endian arrays plus name lists, and the scores of
// every pair when the ingest computed them, so repeated analyses (and the server) read binary
// data instead of re-parsing quarterly text files or re-fitting the prior.
#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "paraderm/pv_data.h"
#include "text/utf8.h"

namespace paraderm::pv {
namespace {

namespace fs = std::filesystem;
constexpr int kFormat = 2;
static_assert(std::endian::native == std::endian::little, "the store is written little-endian");
static_assert(std::is_trivially_copyable_v<Score>);

template <class T>
bool write_array(const fs::path& p, const std::vector<T>& v) {
  std::ofstream o(p, std::ios::binary);
  o.write(reinterpret_cast<const char*>(v.data()),
          static_cast<std::streamsize>(v.size() * sizeof(T)));
  return static_cast<bool>(o);
}

template <class T>
bool read_array(const fs::path& p, std::size_t count, std::vector<T>& v) {
  std::error_code ec;
  if (fs::file_size(p, ec) != count * sizeof(T) || ec) return false;
  v.resize(count);
  std::ifstream in(p, std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(T)));
  return static_cast<bool>(in);
}

bool write_names(const fs::path& p, const std::vector<std::string>& names) {
  std::ofstream o(p, std::ios::binary);
  for (const auto& n : names) o << n << '\n';
  return static_cast<bool>(o);
}

bool read_names(const fs::path& p, std::size_t count, std::vector<std::string>& names) {
  std::ifstream in(p, std::ios::binary);
  names.clear();
  // A store written before names were checked may hold other encodings: read them as Windows-1252.
  for (std::string line; std::getline(in, line);) {
    text::ensure_utf8(line);
    names.push_back(line);
  }
  return names.size() == count;
}

Status damaged(const std::string& dir, const std::string& what) {
  return Status::invalid_input(
      fmt::format("--store: value \"{}\": the store is truncated or damaged ({})", dir, what));
}

Result<nlohmann::json> read_meta(const std::string& dir) {
  std::ifstream m(fs::path(dir) / "meta.json");
  if (!m)
    return Status::invalid_input(
        fmt::format("--store: value \"{}\": not a paraderm pv store (no meta.json)", dir));
  auto meta = nlohmann::json::parse(m, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || meta.value("format", 0) != kFormat) {
    return Status::invalid_input(
        fmt::format("--store: value \"{}\": unsupported store format (expected {}; "
                    "re-run `paraderm pv ingest`)",
                    dir, kFormat));
  }
  return meta;
}

}  // namespace

Status save_store(const std::string& dir, const Corpus& c, const SignalTable* signals,
                  const StoreMeta& info) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Status::io_error(
        fmt::format("--out: value \"{}\": cannot create the folder: {}", dir, ec.message()));
  for (const auto* names : {&c.drugs, &c.events, &c.strata}) {
    for (const auto& n : *names) {
      if (n.find('\n') != std::string::npos)
        return Status::invalid_input(fmt::format("a name contains a line break: {:?}", n));
    }
  }
  nlohmann::json meta = {{"format", kFormat},        {"source", info.source},
                         {"reports", c.reports()},   {"pairs", c.pairs.size()},
                         {"drugs", c.drugs.size()},  {"events", c.events.size()},
                         {"strata", c.strata.size()}};
  if (!info.input_report_json.empty())
    meta["input"] = nlohmann::json::parse(info.input_report_json, nullptr, false);
  std::vector<std::string> files = {"drugs.txt",          "events.txt",       "strata.txt",
                                    "report_stratum.u32", "report_begin.u64", "pairs.u64"};
  auto tmp = [&](const std::string& name) { return fs::path(dir) / (name + ".tmp"); };
  bool ok = write_names(tmp("drugs.txt"), c.drugs) && write_names(tmp("events.txt"), c.events) &&
            write_names(tmp("strata.txt"), c.strata) &&
            write_array(tmp("report_stratum.u32"), c.report_stratum) &&
            write_array(tmp("report_begin.u64"), c.report_begin) &&
            write_array(tmp("pairs.u64"), c.pairs);
  fs::remove(fs::path(dir) / "scores.bin", ec);
  if (signals) {
    const auto& f = signals->fit;
    meta["scores"] = {
        {"rows", signals->scores.size()},
        {"record_bytes", sizeof(Score)},
        {"fit_data", signals->fit_data == FitData::kFull ? "full" : "squashed"},
        {"fit_points", signals->fit_points},
        {"theta", {f.theta.alpha1, f.theta.beta1, f.theta.alpha2, f.theta.beta2, f.theta.p}},
        {"neg_log_lik", f.neg_log_lik},
        {"converged", f.converged},
        {"starts", f.starts},
        {"starts_converged", f.starts_converged},
        {"starts_agreeing", f.starts_agreeing},
        {"message", f.message},
        {"qn", to_string(signals->qn)},
        {"prior", signals->prior_given ? "given" : "fitted"}};
    ok = ok && write_array(tmp("scores.bin"), signals->scores);
    files.emplace_back("scores.bin");
  }
  {
    std::ofstream m(tmp("meta.json"));
    m << meta.dump(2) << '\n';
    ok = ok && static_cast<bool>(m);
  }
  if (!ok) return Status::io_error(fmt::format("--out: cannot write the store in \"{}\"", dir));
  // meta.json last: a store whose meta.json is missing or old is never mistaken for a whole one.
  files.emplace_back("meta.json");
  fs::remove(fs::path(dir) / "meta.json", ec);
  for (const auto& name : files) {
    fs::rename(tmp(name), fs::path(dir) / name, ec);
    if (ec) return Status::io_error(fmt::format("--out: cannot finish {}: {}", name, ec.message()));
  }
  return Status::ok();
}

// A meta.json field of the wrong type (hand-edited or damaged) is a damaged store, not a crash
// (F8).
template <class Load>
static auto guarded_meta(const std::string& dir, Load load) -> decltype(load(dir)) {
  try {
    return load(dir);
  } catch (const nlohmann::json::exception& e) {
    return damaged(dir, fmt::format("meta.json: {}", e.what()));
  }
}

static Result<Corpus> load_store_corpus_unguarded(const std::string& dir);
static Result<SignalTable> load_store_signals_unguarded(const std::string& dir);
Result<Corpus> load_store_corpus(const std::string& dir) {
  return guarded_meta(dir, load_store_corpus_unguarded);
}
Result<SignalTable> load_store_signals(const std::string& dir) {
  return guarded_meta(dir, load_store_signals_unguarded);
}

static Result<Corpus> load_store_corpus_unguarded(const std::string& dir) {
  auto meta = read_meta(dir);
  if (!meta.is_ok()) return meta.status();
  const auto& m = meta.value();
  Corpus c;
  fs::path d(dir);
  std::size_t reports = m.value("reports", std::size_t{0}),
              pairs = m.value("pairs", std::size_t{0});
  if (!read_names(d / "drugs.txt", m.value("drugs", std::size_t{0}), c.drugs) ||
      !read_names(d / "events.txt", m.value("events", std::size_t{0}), c.events) ||
      !read_names(d / "strata.txt", m.value("strata", std::size_t{0}), c.strata)) {
    return damaged(dir, "name lists");
  }
  if (!read_array(d / "report_stratum.u32", reports, c.report_stratum) ||
      !read_array(d / "report_begin.u64", reports + 1, c.report_begin) ||
      !read_array(d / "pairs.u64", pairs, c.pairs)) {
    return damaged(dir, "arrays");
  }
  // Every index must point inside its list: a damaged store must not read out of bounds.
  if (c.report_begin.front() != 0 || c.report_begin.back() != pairs)
    return damaged(dir, "report offsets");
  for (std::size_t r = 0; r < reports; ++r) {
    if (c.report_begin[r] > c.report_begin[r + 1] || c.report_stratum[r] >= c.strata.size()) {
      return damaged(dir, fmt::format("report {}", r));
    }
  }
  for (std::uint64_t p : c.pairs) {
    if (Corpus::drug_of(p) >= c.drugs.size() || Corpus::event_of(p) >= c.events.size())
      return damaged(dir, "pair ids");
  }
  return c;
}

static Result<SignalTable> load_store_signals_unguarded(const std::string& dir) {
  auto meta = read_meta(dir);
  if (!meta.is_ok()) return meta.status();
  const auto& m = meta.value();
  if (!m.contains("scores")) {
    return Status::not_found(fmt::format(
        "--store: value \"{}\": the store holds no scores (ingested with --no-scores)", dir));
  }
  const auto& s = m["scores"];
  if (s.value("record_bytes", std::size_t{0}) != sizeof(Score))
    return damaged(dir, "score record size");
  SignalTable t;
  fs::path d(dir);
  if (!read_names(d / "drugs.txt", m.value("drugs", std::size_t{0}), t.drugs) ||
      !read_names(d / "events.txt", m.value("events", std::size_t{0}), t.events)) {
    return damaged(dir, "name lists");
  }
  if (!read_array(d / "scores.bin", s.value("rows", std::size_t{0}), t.scores))
    return damaged(dir, "scores");
  for (const auto& x : t.scores) {
    if (x.drug >= t.drugs.size() || x.event >= t.events.size()) return damaged(dir, "score ids");
  }
  auto theta = s.value("theta", std::vector<double>{});
  if (theta.size() != 5) return damaged(dir, "theta");
  t.fit.theta = {theta[0], theta[1], theta[2], theta[3], theta[4]};
  t.fit.neg_log_lik = s.value("neg_log_lik", 0.0);
  t.fit.converged = s.value("converged", false);
  t.fit.starts = s.value("starts", 0);
  t.fit.starts_converged = s.value("starts_converged", 0);
  t.fit.starts_agreeing = s.value("starts_agreeing", 0);
  t.fit.message = s.value("message", std::string());
  t.fit_data =
      s.value("fit_data", std::string()) == "squashed" ? FitData::kSquashed : FitData::kFull;
  t.fit_points = s.value("fit_points", std::size_t{0});
  // Stores written before the Q_n rule was recorded used the conditional weights.
  std::string qn = s.value("qn", std::string("conditional"));
  if (qn != "published" && qn != "conditional") return damaged(dir, "qn");
  t.qn = qn == "published" ? QnRule::kPublished : QnRule::kConditional;
  t.prior_given = s.value("prior", std::string("fitted")) == "given";
  t.reports = m.value("reports", 0.0);
  t.source = m.value("source", std::string());
  t.build_index();
  return t;
}

}  // namespace paraderm::pv
