#include "paraderm/server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <openssl/evp.h>
#include <zlib.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <semaphore>
#include <set>
#include <type_traits>
#include <unordered_map>

#include "paraderm/auth.h"

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/pathways.h"
#include "paraderm/pv_data.h"
#include "paraderm/report.h"
#include "paraderm/screen.h"
#include "paraderm/store.h"
#include "server/access.h"
#include "server/cds_hooks.h"
#include "server/http_core.h"
#include "server/jwt.h"
#include "text/json_depth.h"
#include "text/utf8.h"

namespace paraderm::server {

extern const char* const kOpenApiJson;  // generated from docs/openapi.json
struct WebAsset {
  const char* path;
  const char* mime;
  const char* data;
  std::size_t size;
};
extern const WebAsset kWebAssets[];  // generated from web/src and web/vendor
extern const std::size_t kWebAssetCount;

namespace {

using Json = nlohmann::json;

// Prometheus metrics: requests and errors per route and status, latency histogram per route.
class Metrics {
 public:
  void observe(const std::string& route, int status, double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[{route, status}];
    auto& h = latency_[route];
    h.count++;
    h.sum += seconds;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      if (seconds <= kBuckets[i]) h.buckets[i]++;
    }
  }
  std::string render() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string o =
        "# HELP paraderm_requests_total HTTP requests by route and status.\n"
        "# TYPE paraderm_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      o += fmt::format("paraderm_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", k.first,
                       k.second, n);
    }
    o += "# HELP paraderm_errors_total HTTP responses with status >= 400 by route.\n"
         "# TYPE paraderm_errors_total counter\n";
    std::map<std::string, long> errors;
    for (const auto& [k, n] : requests_) {
      if (k.second >= 400) errors[k.first] += n;
    }
    for (const auto& [r, n] : errors)
      o += fmt::format("paraderm_errors_total{{route=\"{}\"}} {}\n", r, n);
    o += "# HELP paraderm_request_seconds Request latency.\n# TYPE paraderm_request_seconds "
         "histogram\n";
    for (const auto& [r, h] : latency_) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        o += fmt::format("paraderm_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", r,
                         kBuckets[i], h.buckets[i]);
      }
      o += fmt::format("paraderm_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", r,
                       h.count);
      o += fmt::format("paraderm_request_seconds_sum{{route=\"{}\"}} {}\n", r, h.sum);
      o += fmt::format("paraderm_request_seconds_count{{route=\"{}\"}} {}\n", r, h.count);
    }
    return o;
  }

 private:
  static constexpr std::array<double, 8> kBuckets = {0.0001, 0.00025, 0.0005, 0.001,
                                                     0.0025, 0.01,    0.1,    1};
  struct Histogram {
    long count = 0;
    double sum = 0;
    std::array<long, 8> buckets{};
  };
  std::mutex mu_;
  std::map<std::pair<std::string, int>, long> requests_;
  std::map<std::string, Histogram> latency_;
};

// Serialises without throwing: text that is not UTF-8 (only possible from data stored before the
// boundary checked it) is sent with U+FFFD instead of failing the whole response.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Takes the body by value: an assessment is ~45 KB, moved rather than copied into the response.
void send_json(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.body = std::move(body);
  auto old = res.headers.equal_range("Content-Type");
  res.headers.erase(old.first, old.second);
  res.set_header("Content-Type", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::vector<clinical::InputProblem>& problems = {}) {
  Json e = {{"status", status}, {"message", message}};
  if (!problems.empty()) {
    e["problems"] = Json::array();
    for (const auto& p : problems)
      e["problems"].push_back({{"pointer", p.pointer}, {"message", p.message}});
  }
  send_json(res, status, dump(Json{{"error", e}}));
}

// Pages of /api/v1/screening (patients per answer): a page renders at once on a phone.
constexpr std::int64_t kScreeningPage = 50;
constexpr std::int64_t kScreeningMaxPage = 500;

// Not clinical: a limit on the shape of the input, the same as clinical::ParseOptions::max_depth.
constexpr std::size_t kMaxJsonDepth = 256;

// A JSON body: the right Content-Type, and nesting within the limit before anything recursive
// (parsing, dumping, destroying) touches it.
bool json_content(const httplib::Request& req, httplib::Response& res) {
  auto ct = req.get_header_value("Content-Type");
  if (ct.rfind("application/json", 0) != 0 && ct.rfind("application/fhir+json", 0) != 0) {
    send_error(
        res, 415,
        fmt::format("Content-Type \"{}\": expected application/json or application/fhir+json",
                    ct.substr(0, 100)));
    return false;
  }
  if (text::json_too_deep_at(req.body, kMaxJsonDepth) != text::kDepthWithinLimit) {
    send_error(res, 400,
               fmt::format("body: JSON nested deeper than {} objects or arrays", kMaxJsonDepth));
    return false;
  }
  return true;
}

// Failed logins per user name and per client address over a fixed window: beyond the limit the
// login answers 429 with Retry-After (the seconds left in the window) without checking the
// password, so guessing costs the attacker time and the server no argon2id work.
class LoginLimiter {
 public:
  LoginLimiter(std::int64_t window_s, int per_user, int per_address)
      : window_(window_s), per_user_(per_user), per_address_(per_address) {}

  // Seconds to wait before the next attempt; 0 when it may proceed.
  std::int64_t retry_after(const std::string& user, const std::string& address, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::max(wait(users_, user, per_user_, now),
                    wait(addresses_, address, per_address_, now));
  }
  void failed(const std::string& user, const std::string& address, std::int64_t now) {
    std::lock_guard<std::mutex> lock(mu_);
    count(users_, user, now);
    count(addresses_, address, now);
  }
  // A correct password clears its user's count; the address keeps its count, or one valid account
  // would let its holder spray guesses at every other account.
  void succeeded(const std::string& user) {
    std::lock_guard<std::mutex> lock(mu_);
    users_.erase(user);
  }

 private:
  struct Window {
    std::int64_t start = 0;
    int failures = 0;
  };
  using Table = std::unordered_map<std::string, Window>;
  std::int64_t wait(const Table& t, const std::string& key, int limit, std::int64_t now) const {
    auto it = t.find(key);
    if (it == t.end() || now >= it->second.start + window_ || it->second.failures < limit) return 0;
    return it->second.start + window_ - now;
  }
  void count(Table& t, const std::string& key, std::int64_t now) {
    // Bounded memory under a spray of made-up user names: expired windows go first.
    if (t.size() > 100'000) {
      for (auto it = t.begin(); it != t.end();)
        it = now >= it->second.start + window_ ? t.erase(it) : std::next(it);
    }
    Window& w = t[key];
    if (w.failures == 0 || now >= w.start + window_) w = {now, 0};
    w.failures++;
  }
  std::int64_t window_;
  int per_user_, per_address_;
  std::mutex mu_;
  Table users_, addresses_;
};

// The value of one cookie from the Cookie header, or "".
std::string cookie_value(const httplib::Request& req, std::string_view name) {
  std::string header = req.get_header_value("Cookie");
  std::string_view rest(header);
  while (!rest.empty()) {
    std::size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return "";
}

std::optional<std::int64_t> id_param(const httplib::Request& req, httplib::Response& res) {
  const std::string& s = req.matches[1];
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && end == s.data() + s.size() && v > 0) return v;
  send_error(res, 400, fmt::format("case id \"{}\": expected a positive integer", s.substr(0, 40)));
  return std::nullopt;
}

}  // namespace

struct Server::Impl {
  const kb::KnowledgeBase* kb = nullptr;
  ServerOptions opt;
  std::unique_ptr<store::Store> db;  // declared before the transport: outlives its workers
  std::unique_ptr<assess::PathwayCache> cache;
  Metrics metrics;
  int port = 0;
  Json signal_fit;    // the store's MGPS fit, when a pv store is configured
  Json signal_about;  // prior, Q_n rule and data of the signals (signals_about)
  std::shared_ptr<const pv::SignalTable> signal_table;
  std::vector<std::uint32_t> signal_order;           // score indexes by EB05, best first
  std::vector<std::string> drug_upper, event_upper;  // names in upper case, for the filters
  std::shared_ptr<const assess::SignalSource> signal_source;  // the same store, for the assessment
  // A `paraderm screen --out` folder, read and checked once at start (load_screening).
  struct ScreeningRow {
    int severity = 0;  // the row's most serious finding (severity_rank)
    std::size_t findings = 0;
    std::string patient;
    unsigned kinds = 0;  // bit: screen::FindingKind
    std::string json;    // the row as /api/v1/screening serves it
  };
  bool screening_loaded = false;
  Json screening_summary;
  std::vector<ScreeningRow> screening_rows;  // most serious first

  // Who is calling, as the gate established it; handed to every route.
  struct Caller {
    enum class Via { kNone, kSession, kToken, kInsecure } via = Via::kNone;
    store::Actor actor;   // user id and name ("anonymous" without auth)
    unsigned roles = 0;   // role bits (all of them with --insecure-no-auth)
    std::string role;     // clinician | pharmacist | admin | "" without auth
    std::string session;  // the session id from the cookie, when via a session
    bool is(unsigned role_bit) const { return (roles & role_bit) != 0; }
  };
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Caller&)>;
  struct Route {
    std::string method;
    std::string
        name;  // the pattern as documented, e.g. /api/v1/cases/{id}; logged instead of the path
    std::regex pattern;
    Handler handler;
    unsigned allowed = kPublic;  // from kAccessMatrix
  };
  std::vector<Route> route_table;
  std::vector<std::string> routes_without_access;  // registration errors: Server::create refuses
  std::unique_ptr<LoginLimiter> limiter;
  std::unique_ptr<std::counting_semaphore<1024>>
      hashing;             // bounds argon2id memory (64 MiB per run)
  std::string dummy_hash;  // verified for unknown users so they take as long as a wrong password
  std::string
      session_cookie;  // __Host-paraderm_session under TLS (needs Secure), else paraderm_session

  std::int64_t now() const {
    if (opt.clock) return opt.clock();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::set<std::string> allowed_hosts;  // Host header names accepted (DNS rebinding)
  std::string content_security_policy;
  struct StaticAsset {
    std::string path, mime, etag, cache_control;
    std::string_view body;
    std::string gzip;  // compressed once at start; empty when it would not be smaller
  };
  std::vector<StaticAsset> assets;
  std::unique_ptr<cds::Services> cds;
  std::unique_ptr<jwt::Verifier>
      cds_verifier;                  // absent: CDS routes refused (or open with --insecure-dev)
  std::unique_ptr<http::Core> core;  // last: stopped and joined before the rest is destroyed

  template <class F>
  void get(const std::string& name, F h) {
    add("GET", name, std::move(h));
  }
  template <class F>
  void post(const std::string& name, F h) {
    add("POST", name, std::move(h));
  }
  template <class F>
  void put(const std::string& name, F h) {
    add("PUT", name, std::move(h));
  }
  template <class F>
  void del(const std::string& name, F h) {
    add("DELETE", name, std::move(h));
  }
  // Routes that do not care who calls take (req, res); the others also get the Caller.
  template <class F>
  void add(const std::string& method, const std::string& name, F f) {
    Handler h;
    if constexpr (std::is_invocable_v<F&, const httplib::Request&, httplib::Response&,
                                      const Caller&>) {
      h = std::move(f);
    } else {
      h = [f = std::move(f)](const httplib::Request& q, httplib::Response& r, const Caller&) {
        f(q, r);
      };
    }
    // {id} is one path segment; {path} (static files) may span several.
    std::string re = std::regex_replace(name, std::regex(R"(\{id\})"), "([^/]+)");
    re = std::regex_replace(re, std::regex(R"(\{path\})"), "(.+)");
    auto access =
        std::find_if(kAccessMatrix.begin(), kAccessMatrix.end(),
                     [&](const RouteAccess& a) { return method == a.method && name == a.route; });
    if (access == kAccessMatrix.end()) routes_without_access.push_back(method + " " + name);
    route_table.push_back({method, name, std::regex(re), std::move(h),
                           access == kAccessMatrix.end() ? kAdmin : access->allowed});
  }

  static Json finite(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

  // The store's scores; a store ingested with --no-scores is scored here, once, at start.
  Status load_signals(const std::string& dir) {
    auto stored = pv::load_store_signals(dir);
    if (!stored.is_ok() && stored.status().code() != Status::Code::kNotFound)
      return stored.status();
    pv::SignalTable t;
    if (stored.is_ok()) {
      t = std::move(stored.value());
    } else {
      auto corpus = pv::load_store_corpus(dir);
      if (!corpus.is_ok()) return corpus.status();
      t = pv::score(corpus.value());
      t.source = dir;
    }
    signal_fit = {{"alpha1", t.fit.theta.alpha1},
                  {"beta1", t.fit.theta.beta1},
                  {"alpha2", t.fit.theta.alpha2},
                  {"beta2", t.fit.theta.beta2},
                  {"p", t.fit.theta.p},
                  {"neg_log_lik", t.fit.neg_log_lik},
                  {"converged", t.fit.converged},
                  {"fit_data", t.fit_data == pv::FitData::kFull ? "full" : "squashed"},
                  {"fit_points", t.fit_points},
                  {"reports", t.reports},
                  {"prior", t.prior_given ? "given" : "fitted"},
                  {"qn", pv::to_string(t.qn)}};
    signal_about = signals_about(dir, t, stored.is_ok());
    // Pairs by EB05, best first; the route filters this order and stops at 500 (a FAERS-scale store
    // has ~10^7 pairs: their JSON is built per request, never all at once).
    auto table = std::make_shared<const pv::SignalTable>(std::move(t));
    signal_order.resize(table->scores.size());
    for (std::uint32_t i = 0; i < signal_order.size(); ++i) signal_order[i] = i;
    std::sort(signal_order.begin(), signal_order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return table->scores[a].post.eb05 > table->scores[b].post.eb05;
    });
    auto upper_all = [](const std::vector<std::string>& names) {
      std::vector<std::string> out(names);
      for (auto& n : out) {
        for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      return out;
    };
    drug_upper = upper_all(table->drugs);
    event_upper = upper_all(table->events);
    signal_table = table;
    signal_source = pv::make_signal_source(table);
    return Status::ok();
  }
  // What the signals were computed with, in words a reader of the table needs (issue 14 item 6):
  // the prior θ in openEBGM's order and whether it was fitted or given, the Q_n rule (docs/pv.md),
  // and the data: the store's source and counts as its meta.json states them.
  static Json signals_about(const std::string& dir, const pv::SignalTable& t, bool scores_stored) {
    const auto& th = t.fit.theta;
    std::string fit_data = t.fit_data == pv::FitData::kFull ? "full" : "squashed";
    std::string prior_text =
        t.prior_given
            ? fmt::format("given by the operator (not fitted); −log L at it {:.2f}",
                          t.fit.neg_log_lik)
            : fmt::format(
                  "fitted by maximum likelihood{} on {} (n, E) points ({} data): −log L {:.2f}{}",
                  scores_stored ? "" : " when this server started", t.fit_points, fit_data,
                  t.fit.neg_log_lik,
                  t.fit.converged ? "" : fmt::format(" — not converged ({})", t.fit.message));
    Json prior = {{"origin", t.prior_given ? "given" : "fitted"},
                  {"theta", {th.alpha1, th.beta1, th.alpha2, th.beta2, th.p}},
                  {"theta_order", {"alpha1", "beta1", "alpha2", "beta2", "p"}},
                  {"neg_log_lik", t.fit.neg_log_lik},
                  {"converged", t.fit.converged},
                  {"fit_data", fit_data},
                  {"fit_points", t.fit_points},
                  {"text", prior_text}};
    // docs/pv.md, "Q_n".
    std::string qn_text = t.qn == pv::QnRule::kPublished
                              ? "as published (DuMouchel 1999, eq. 6): Qn = P f1(n) / (P f1(n) + "
                                "(1 − P) f2(n)) with the untruncated "
                                "negative-binomial marginals, as openEBGM's Qn()"
                              : "conditional: each component's marginal f_j divided by 1 − P(N < "
                                "min_count) under that component, the "
                                "same likelihood the prior is fitted with (the counts seen are "
                                "those at or above the fit's minimum "
                                "count; N > 0 by default)";
    Json qn = {{"rule", pv::to_string(t.qn)}, {"text", qn_text}};
    // The counts as ingested (meta.json), which the table cannot give back: the corpus's
    // report-drug-event entries and strata.
    Json meta = Json::object();
    if (std::ifstream in(std::filesystem::path(dir) / "meta.json"); in)
      meta = Json::parse(in, nullptr, false);
    if (!meta.is_object()) meta = Json::object();
    auto number = [&](const char* key, const Json& fallback) {
      return meta.contains(key) && meta[key].is_number() ? meta[key] : fallback;
    };
    Json data = {{"source", meta.contains("source") && meta["source"].is_string() ? meta["source"]
                                                                                  : Json(t.source)},
                 {"reports", number("reports", t.reports)},
                 {"drugs", number("drugs", t.drugs.size())},
                 {"events", number("events", t.events.size())},
                 {"strata", number("strata", nullptr)},
                 {"report_entries", number("pairs", nullptr)},
                 {"pairs", t.scores.size()},
                 {"scores_stored", scores_stored}};
    return Json{{"prior", prior}, {"qn", qn}, {"data", data}};
  }

  // The reason severities of docs/reason-codes.md in increasing order; a finding without one
  // (an unreadable record: nothing could be assessed) ranks below them all.
  static int severity_rank(const std::optional<assess::Severity>& severity) {
    return severity ? static_cast<int>(*severity) + 1 : 0;
  }

  // The rows most serious first: the highest finding severity, then more findings, then patient
  // id (the file's order) so that paging is stable.
  Status load_screening(const std::string& dir) {
    auto read = screen::read_results(dir);
    if (!read.is_ok()) return Status::invalid_input("--screen-results: " + read.status().message());
    screening_summary = Json::parse(screen::summary_json(read.value().summary));
    for (const auto& r : read.value().patients) {
      ScreeningRow row;
      row.patient = r.patient;
      row.findings = r.findings.size();
      Json j = Json::parse(screen::to_ndjson(r));
      Json kinds = Json::array();
      std::string top;
      for (const auto& f : r.findings) {
        if (severity_rank(f.severity) > row.severity) {
          row.severity = severity_rank(f.severity);
          top = assess::to_string(*f.severity);
        }
        auto k = static_cast<unsigned>(f.kind);
        if ((row.kinds & (1u << k)) == 0) kinds.emplace_back(screen::to_string(f.kind));
        row.kinds |= 1u << k;
      }
      j["severity"] = top.empty() ? Json(nullptr) : Json(top);
      j["kinds"] = kinds;
      row.json = dump(j);
      screening_rows.push_back(std::move(row));
    }
    std::stable_sort(screening_rows.begin(), screening_rows.end(),
                     [](const ScreeningRow& a, const ScreeningRow& b) {
                       if (a.severity != b.severity) return a.severity > b.severity;
                       if (a.findings != b.findings) return a.findings > b.findings;
                       return a.patient < b.patient;
                     });
    screening_loaded = true;
    return Status::ok();
  }

  // A whole-number query parameter within [lo, hi]; nullopt when it is not (the 400 is written).
  static std::optional<std::int64_t> whole_param(const httplib::Request& req,
                                                 httplib::Response& res, const char* name,
                                                 std::int64_t fallback, std::int64_t lo,
                                                 std::int64_t hi) {
    if (!req.has_param(name)) return fallback;
    std::string v = req.get_param_value(name);
    std::int64_t n = 0;
    bool ok = !v.empty() && v.size() <= 12 &&
              std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) n = std::stoll(v);
    if (!ok || n < lo || n > hi) {
      send_error(res, 400,
                 fmt::format("{} \"{}\": expected a whole number from {} to {}", name,
                             text::replace_invalid_utf8(v.substr(0, 40)), lo, hi));
      return std::nullopt;
    }
    return n;
  }

  // Parses and assesses a case body; on a problem writes the 4xx and returns nullopt.
  // planned: the drug a saved case's plan was written for (AssessOptions::planned_drug); taking:
  // filled with the JAK inhibitors the patient is on at the assessment date.
  std::optional<std::pair<std::string, std::string>> run_assessment(
      const std::string& body, const httplib::Request& req, httplib::Response& res,
      const std::optional<std::string>& planned = std::nullopt,
      std::vector<std::string>* taking = nullptr, std::size_t lab_offset = 0) {
    clinical::ParseOptions po;
    po.max_bytes = opt.max_body_bytes;
    if (req.has_param("region")) {
      auto r = req.get_param_value("region");
      if (r != "us" && r != "eu") {
        send_error(res, 400, fmt::format("region \"{}\": expected us or eu", r));
        return std::nullopt;
      }
      po.region = r;
    }
    assess::AssessOptions ao;
    ao.cache = cache.get();
    ao.signals = signal_source.get();
    ao.engine_version = opt.engine_version;
    if (req.has_param("start")) {
      auto s = req.get_param_value("start");
      ao.start = clinical::parse_date(s);
      if (!ao.start) {
        send_error(res, 400, fmt::format("start \"{}\": expected a date YYYY-MM-DD", s));
        return std::nullopt;
      }
    }
    ao.planned_drug = planned;
    auto parsed = clinical::parse_case(body, *kb, po);
    if (!parsed.record) {
      // Follow-up labs are appended to the stored ones: name them as the request did.
      for (auto& p : parsed.problems) p.pointer = request_lab_pointer(p.pointer, lab_offset);
      send_error(res, 400, "the case is not valid", parsed.problems);
      return std::nullopt;
    }
    if (taking) {
      for (const auto& m : parsed.record->medications) {
        if (m.jak_drug && m.taken_on(parsed.record->as_of)) taking->push_back(*m.jak_drug);
      }
    }
    auto a = assess::assess(*kb, *parsed.record, ao);
    return std::make_pair(report::to_json(a, -1), parsed.record->input_kind);
  }

  // "/labs/7/date" in the merged case is "/labs/2/date" of a request whose labs start at 5.
  static std::string request_lab_pointer(const std::string& pointer, std::size_t offset) {
    if (offset == 0 || pointer.rfind("/labs/", 0) != 0) return pointer;
    std::size_t end = pointer.find('/', 6);
    std::string index = pointer.substr(6, end == std::string::npos ? std::string::npos : end - 6);
    if (index.empty() || index.size() > 9 || !std::all_of(index.begin(), index.end(), ::isdigit))
      return pointer;
    std::size_t i = std::stoul(index);
    if (i < offset) return pointer;
    return "/labs/" + std::to_string(i - offset) +
           (end == std::string::npos ? "" : pointer.substr(end));
  }

  // A stored native case with its follow-up labs appended. Follow-up results come after the
  // assessment they follow: the merged case is assessed as of its newest result when that is
  // later than the stored assessment date (which the case reader would otherwise refuse).
  // first_follow_up: the index in the merged "labs" of the first follow-up result.
  static std::string merged_input(const store::CaseRecord& c,
                                  std::size_t* first_follow_up = nullptr) {
    if (first_follow_up) *first_follow_up = 0;
    if (c.labs.empty()) return c.input;
    Json j = Json::parse(c.input);
    if (!j.contains("labs") || !j["labs"].is_array()) j["labs"] = Json::array();
    if (first_follow_up) *first_follow_up = j["labs"].size();
    // Valid dates only ("" otherwise); YYYY-MM-DD text orders as the dates do.
    auto date_of = [](const Json& o, const char* key) {
      if (!o.is_object() || !o.contains(key) || !o[key].is_string()) return std::string();
      std::string text = o[key].get<std::string>();
      return clinical::parse_date(text) && text.size() == 10 ? text : std::string();
    };
    std::string as_of = date_of(j, "as_of");
    for (const auto& l : c.labs) {
      Json lab = Json::parse(l);
      std::string date = date_of(lab, "date");
      if (!as_of.empty() && date > as_of) as_of = date;
      j["labs"].push_back(std::move(lab));
    }
    if (!as_of.empty()) j["as_of"] = as_of;
    return j.dump();
  }

  // The drug a saved case's plan was written for before any follow-up result: what the clinician
  // planned, against which later results are checked. None when the case is not readable now.
  std::optional<std::string> planned_drug(const store::CaseRecord& c) {
    auto parsed = clinical::parse_case(c.input, *kb, {});
    if (!parsed.record) return std::nullopt;
    assess::AssessOptions ao;
    ao.cache = cache.get();
    return assess::assess(*kb, *parsed.record, ao).plan.for_drug;
  }

  void routes() {
    service_routes();
    population_routes();
    kb_routes();
    case_routes();
    cds_routes();
    account_routes();
  }

  // The service itself: health, metrics, the web page and its assets, the API description, one-shot
  // assessment.
  void service_routes() {
    get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200,
                dump(Json{{"status", "ok"},
                          {"kb_version", kb->version},
                          {"engine_version", opt.engine_version},
                          {"db_schema", db->schema_version()},
                          {"cds_auth", cds_verifier       ? "jwt"
                                       : opt.insecure_dev ? "insecure-dev"
                                                          : "refused"},
                          {"auth", opt.insecure_no_auth ? "disabled" : "required"}}));
    });
    get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      auto w = db->write_stats();
      std::string store = fmt::format(
          "# HELP paraderm_store_commits_total Group commits (one transaction and fsync each).\n"
          "# TYPE paraderm_store_commits_total counter\nparaderm_store_commits_total {}\n"
          "# HELP paraderm_store_writes_total Writes committed (cases, labs, audit rows).\n"
          "# TYPE paraderm_store_writes_total counter\nparaderm_store_writes_total {}\n"
          "# HELP paraderm_store_largest_batch Most writes committed together.\n"
          "# TYPE paraderm_store_largest_batch gauge\nparaderm_store_largest_batch {}\n",
          w.batches, w.writes, w.largest_batch);
      res.set_content(metrics.render() + store, "text/plain; version=0.0.4");
    });
    get("/", [this](const httplib::Request& req, httplib::Response& res) {
      serve_asset("index.html", req, res);
    });
    get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    get("/static/{path}", [this](const httplib::Request& req, httplib::Response& res) {
      if (!serve_asset(req.matches[1], req, res)) send_error(res, 404, "no such static file");
    });
    get("/api/openapi.json",
        [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, kOpenApiJson); });

    post("/api/v1/assess", [this](const httplib::Request& req, httplib::Response& res,
                                  const Caller& who) {
      if (!json_content(req, res)) return;
      auto r = run_assessment(req.body, req, res);
      if (!r) return;
      auto stored = db->record_assessment(std::nullopt, store::content_hash(req.body), kb->version,
                                          opt.engine_version, r->first, who.actor);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      send_json(res, 200, std::move(r->first));
    });
  }

  // Population views: reporting signals and screening results.
  void population_routes() {
    get("/api/v1/signals", [this](const httplib::Request& req, httplib::Response& res) {
      if (!signal_table) {
        return send_error(
            res, 404, "no pharmacovigilance store is configured (paraderm serve --pv-store DIR)");
      }
      auto upper = [](std::string v) {
        for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return v;
      };
      std::string drug = upper(req.get_param_value("drug")),
                  event = upper(req.get_param_value("event"));
      if (drug.size() > 200 || event.size() > 200)
        return send_error(res, 400, "drug, event: expected at most 200 characters");
      double min_count = 1;
      if (req.has_param("min_count")) {
        try {
          min_count = std::stod(req.get_param_value("min_count"));
        } catch (...) {
          return send_error(res, 400, "min_count: expected a number");
        }
      }
      const auto& t = *signal_table;
      Json out = Json::array();
      for (std::uint32_t i : signal_order) {
        const pv::Score& p = t.scores[i];
        if (p.n < min_count) continue;
        if (!drug.empty() && drug_upper[p.drug].find(drug) == std::string::npos) continue;
        if (!event.empty() && event_upper[p.event].find(event) == std::string::npos) continue;
        out.push_back({{"drug", t.drugs[p.drug]},
                       {"event", t.events[p.event]},
                       {"n", p.n},
                       {"expected", p.expected},
                       {"ror", finite(p.d.ror)},
                       {"ror_lo", finite(p.d.ror_lo)},
                       {"prr", finite(p.d.prr)},
                       {"prr_chi2", finite(p.d.chi2)},
                       {"ic025", p.d.ic025},
                       {"ebgm", p.post.ebgm},
                       {"eb05", p.post.eb05},
                       {"eb95", p.post.eb95}});
        if (out.size() >= 500) break;
      }
      send_json(res, 200,
                dump(Json{{"fit", signal_fit},
                          {"prior", signal_about["prior"]},
                          {"qn", signal_about["qn"]},
                          {"data", signal_about["data"]},
                          {"pairs", out},
                          {"note", "reporting signals from spontaneous reports, not incidences"}}));
    });
    // Population screening results (docs/scale.md): patient data, so every read is an audit event.
    get("/api/v1/screening",
        [this](const httplib::Request& req, httplib::Response& res, const Caller& who) {
          if (!screening_loaded) {
            return send_error(
                res, 404,
                "No population screening results are available on this server. Ask the person "
                "who runs paraderm for you if your team needs them.");
          }
          auto offset = whole_param(req, res, "offset", 0, 0, 1'000'000'000);
          if (!offset) return;
          auto limit = whole_param(req, res, "limit", kScreeningPage, 1, kScreeningMaxPage);
          if (!limit) return;
          unsigned wanted = 0;
          Json kinds = Json::array();
          if (req.has_param("kind")) {
            std::string list = req.get_param_value("kind");
            std::size_t at = 0;
            while (at <= list.size()) {
              std::size_t comma = std::min(list.find(',', at), list.size());
              std::string k = list.substr(at, comma - at);
              auto kind = screen::parse_finding_kind(k);
              if (!kind) {
                std::string all;
                for (auto name : screen::kFindingKinds)
                  all += (all.empty() ? "" : ", ") + std::string(screen::to_string(name));
                return send_error(
                    res, 400,
                    fmt::format("kind \"{}\": expected finding kinds separated by commas, of {}",
                                text::replace_invalid_utf8(k.substr(0, 60)), all));
              }
              wanted |= 1u << static_cast<unsigned>(*kind);
              kinds.push_back(k);
              at = comma + 1;
            }
          }
          std::string page = "[";
          std::int64_t total = 0, shown = 0;
          for (const auto& row : screening_rows) {
            if (wanted && (row.kinds & wanted) == 0) continue;
            if (total++ < *offset || shown >= *limit) continue;
            if (shown++) page += ',';
            page += row.json;
          }
          page += ']';
          // Who read which page (the audit trail holds no patient data); patient data nobody could
          // trace a read of is not shown.
          auto audited = db->record_event(who.actor, "screening_read",
                                          fmt::format("offset {} limit {} kind {}", *offset, *limit,
                                                      kinds.empty() ? "any" : kinds.dump()),
                                          req.remote_addr);
          if (!audited.is_ok()) {
            return send_error(
                res, 500,
                "the read could not be recorded in the audit trail, so no patient data is "
                "shown; try again, and tell your administrator if it keeps happening");
          }
          Json head = {{"summary", screening_summary},
                       {"total", total},
                       {"offset", *offset},
                       {"limit", *limit},
                       {"kind", kinds},
                       {"order",
                        "most serious finding first (block, warning, caution, info), then more "
                        "findings, then patient id"}};
          std::string body = dump(head);
          body.pop_back();
          send_json(res, 200, body + ",\"patients\":" + page + "}");
        });
  }

  // The knowledge base, read only.
  void kb_routes() {
    // The KB is immutable while serving: its lists are serialised once and answered on the I/O
    // thread (see run_inline).
    Json drug_list = Json::array();
    for (const auto& d : kb->drugs)
      drug_list.push_back({{"id", d.id}, {"name", d.name}, {"route", kb::to_string(d.route)}});
    get("/api/v1/drugs", [body = dump(drug_list)](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, body);
    });
    auto show = [this](const char* kind) {
      return [this, kind](const httplib::Request& req, httplib::Response& res) {
        std::string id = req.matches[1];
        for (const auto& e : kb::show_entry(*kb, id, -1)) {
          Json j = Json::parse(e);
          if (j["kind"] == kind) return send_json(res, 200, dump(j["entry"]));
        }
        send_error(res, 404, fmt::format("{} \"{}\": not in the KB", kind, id));
      };
    };
    get("/api/v1/drugs/{id}", show("drug"));
    get("/api/v1/sources/{id}", show("source"));
    auto list = [this](const char* kind) {
      Json a = Json::array();
      const auto entries = kb::list_kind(*kb, kind);
      for (const auto& [id, name] : *entries) a.push_back({{"id", id}, {"name", name}});
      return [body = dump(a)](const httplib::Request&, httplib::Response& res) {
        send_json(res, 200, body);
      };
    };
    get("/api/v1/cytokines", list("cytokine"));
    get("/api/v1/diseases", list("disease"));
    get("/api/v1/labs", list("lab"));

    get("/api/v1/pathways", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = req.get_param_value("drug");
      const kb::Drug* drug = kb->find_drug(id);
      if (!drug) return send_error(res, 400, fmt::format("drug \"{}\": not in the KB", id));
      std::vector<pharm::Regimen> regimens;
      if (drug->route == kb::Route::kTopical) {
        // No systemic regimen: one profile, qualitative at the application site
        // (docs/pharmacology.md §2b).
        regimens.push_back({0, 24, std::string("topical"), {}});
      } else if (req.has_param("dose")) {
        std::string dose = req.get_param_value("dose"),
                    every = req.has_param("every") ? req.get_param_value("every") : "24h";
        double mg = 0, h = 0;
        try {
          std::size_t a = 0, b = 0;
          mg = std::stod(dose, &a);
          h = std::stod(every, &b);
          if (dose.substr(a) != "mg" || every.substr(b) != "h" || !(mg > 0) || !(h > 0) || h > 168)
            throw 0;
        } catch (...) {
          return send_error(
              res, 400,
              fmt::format("dose \"{}\" / every \"{}\": expected e.g. dose=15mg&every=24h", dose,
                          every));
        }
        bool matched = false;
        for (const auto& r : pharm::approved_regimens(*kb, *drug)) {
          if (r.amount_mg == mg && r.tau_h == h) {
            regimens.push_back(r);
            matched = true;
          }
        }
        if (!matched) regimens.push_back({mg, h, std::nullopt, {}});
      } else {
        regimens = pharm::approved_regimens(*kb, *drug);
      }
      Json out = Json::array();
      for (const auto& r : regimens) {
        auto p = cache->get(*drug, r, nullptr);
        out.push_back(Json::parse(pharm::to_json(*p, {}, -1, req.get_param_value("curve") == "1")));
      }
      send_json(res, 200, dump(out));
    });
  }

  // Saved cases, their results, shares, feedback and assessments.
  void case_routes() {
    post("/api/v1/cases", [this](const httplib::Request& req, httplib::Response& res,
                                 const Caller& who) {
      if (!json_content(req, res)) return;
      auto parsed = clinical::parse_case(req.body, *kb, {});
      if (!parsed.record) return send_error(res, 400, "the case is not valid", parsed.problems);
      std::string title = req.has_param("title") ? req.get_param_value("title") : "";
      if (title.size() > 200) return send_error(res, 400, "title: expected at most 200 characters");
      std::string shared = req.has_param("shared") ? req.get_param_value("shared") : "0";
      if (shared != "0" && shared != "1") return send_error(res, 400, "shared: expected 0 or 1");
      // One key per Save in the page: a double click or a retry stores the case once.
      std::string key = req.get_header_value("Idempotency-Key");
      if (key.size() > 200 ||
          !std::all_of(key.begin(), key.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; })) {
        return send_error(res, 400, "Idempotency-Key: expected 1 to 200 visible ASCII characters");
      }
      store::SaveOutcome outcome = store::SaveOutcome::kCreated;
      auto id = db->save_case(title, parsed.record->input_kind, req.body, who.actor, shared == "1",
                              key, &outcome);
      if (!id.is_ok()) return send_error(res, 500, "the case could not be stored");
      if (outcome == store::SaveOutcome::kKeyConflict) {
        return send_error(
            res, 409,
            fmt::format("Idempotency-Key already used for case {} with a different title or "
                        "case; send a new key for a new case",
                        id.value()));
      }
      if (outcome == store::SaveOutcome::kReplayed) res.set_header("Idempotent-Replayed", "true");
      send_json(res, outcome == store::SaveOutcome::kReplayed ? 200 : 201,
                dump(Json{{"id", id.value()}}));
    });
    get("/api/v1/cases",
        [this](const httplib::Request&, httplib::Response& res, const Caller& who) {
          Json a = Json::array();
          // Pharmacists read every case; a clinician sees their own and the shared ones.
          auto visible_to = who.is(kPharmacist) ? std::nullopt : who.actor.user_id;
          for (const auto& c : db->list_cases(100, visible_to)) {
            a.push_back({{"id", c.id},
                         {"created_at", c.created_at},
                         {"title", c.title},
                         {"input_kind", c.input_kind},
                         {"owner", c.owner},
                         {"shared", c.shared}});
          }
          send_json(res, 200, dump(a));
        });
    get("/api/v1/cases/{id}", [this](const httplib::Request& req, httplib::Response& res,
                                     const Caller& who) {
      auto c = visible_case(req, res, who);
      if (!c) return;
      Json labs = Json::array();
      for (const auto& l : c->labs) labs.push_back(Json::parse(l));
      Json feedback = Json::array();
      for (const auto& f : db->case_feedback(c->id)) {
        feedback.push_back({{"created_at", f.created_at}, {"user", f.username}, {"text", f.text}});
      }
      send_json(res, 200,
                dump(Json{{"id", c->id},
                          {"created_at", c->created_at},
                          {"title", c->title},
                          {"input_kind", c->input_kind},
                          {"owner", c->owner},
                          {"shared", c->shared},
                          {"input", Json::parse(c->input)},
                          {"labs", labs},
                          {"feedback", feedback}}));
    });
    post("/api/v1/cases/{id}/share", [this](const httplib::Request& req, httplib::Response& res,
                                            const Caller& who) {
      if (!json_content(req, res)) return;
      auto c = visible_case(req, res, who);
      if (!c) return;
      if (who.via != Caller::Via::kInsecure && c->owner_id != who.actor.user_id) {
        return send_error(res, 403, fmt::format("case {}: only its owner may share it", c->id));
      }
      Json body = Json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object() || !body.contains("shared") ||
          !body["shared"].is_boolean()) {
        return send_error(res, 400, "expected {\"shared\": true or false}");
      }
      if (!db->set_shared(c->id, body["shared"].get<bool>()).is_ok()) {
        return send_error(res, 500, "the case could not be updated");
      }
      send_json(res, 200, dump(Json{{"id", c->id}, {"shared", body["shared"]}}));
    });
    post("/api/v1/cases/{id}/feedback",
         [this](const httplib::Request& req, httplib::Response& res, const Caller& who) {
           if (!json_content(req, res)) return;
           auto c = visible_case(req, res, who);
           if (!c) return;
           Json body = Json::parse(req.body, nullptr, false);
           if (body.is_discarded() || !body.is_object() || !body.contains("text") ||
               !body["text"].is_string() || body["text"].get<std::string>().empty() ||
               body["text"].get<std::string>().size() > 10'000) {
             return send_error(res, 400, "expected {\"text\": feedback of 1 to 10000 characters}");
           }
           auto id = db->add_case_feedback(c->id, who.actor, body["text"].get<std::string>());
           if (!id.is_ok()) return send_error(res, 500, "the feedback could not be stored");
           send_json(res, 201, dump(Json{{"id", id.value()}}));
         });
    post("/api/v1/cases/{id}/labs", [this](const httplib::Request& req, httplib::Response& res,
                                           const Caller& who) {
      if (!json_content(req, res)) return;
      auto c = visible_case(req, res, who);
      if (!c) return;
      auto id = std::optional<std::int64_t>(c->id);
      if (c->input_kind != "native") {
        return send_error(
            res, 409,
            "follow-up labs can be added to native cases only (this case is a FHIR Bundle)");
      }
      Json body = Json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object() || !body.contains("labs") ||
          !body["labs"].is_array() || body["labs"].empty()) {
        return send_error(res, 400, "expected {\"labs\": [lab objects as in the case format]}");
      }
      // A result from the future is a typo ("9686-12-01"): stored, it would move the case's
      // assessment date to that day for good. One day of margin for the time zones ahead of UTC.
      const clinical::Date latest_possible = clinical::today_utc() + std::chrono::days(1);
      std::vector<clinical::InputProblem> future;
      for (std::size_t i = 0; i < body["labs"].size(); ++i) {
        const Json& l = body["labs"][i];
        if (!l.is_object() || !l.contains("date") || !l["date"].is_string()) continue;
        const std::string text = l["date"].get<std::string>();
        if (auto d = clinical::parse_date(text); d && *d > latest_possible) {
          future.push_back(
              {fmt::format("/labs/{}/date", i),
               fmt::format("value \"{}\": after today ({}): a result cannot come "
                           "from the future; check the year",
                           text.substr(0, 40),
                           clinical::to_string(latest_possible - std::chrono::days(1)))});
        }
      }
      if (!future.empty()) return send_error(res, 400, "follow-up lab dated in the future", future);
      std::vector<std::string> labs;
      for (const auto& l : body["labs"]) labs.push_back(l.dump());
      // Validate the case with the new labs before storing anything.
      store::CaseRecord trial = *c;
      trial.labs.insert(trial.labs.end(), labs.begin(), labs.end());
      std::size_t first_follow_up = 0;
      std::string merged = merged_input(trial, &first_follow_up);
      auto planned = planned_drug(*c);
      std::vector<std::string> taking;
      auto r = run_assessment(merged, req, res, planned, &taking, first_follow_up + c->labs.size());
      if (!r) return;
      if (!db->add_labs(*id, labs).is_ok())
        return send_error(res, 500, "the labs could not be stored");
      auto stored = db->record_assessment(id, store::content_hash(merged), kb->version,
                                          opt.engine_version, r->first, who.actor);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      Json result = Json::parse(r->first);
      // What the results were checked against, so "no alert" can say for which drugs.
      Json checked = Json::array();
      for (const auto& d : taking) checked.push_back({{"drug", d}, {"status", "taking"}});
      if (result["safety_plan"].contains("for_drug") &&
          result["safety_plan"]["for_drug"].is_string() &&
          std::find(taking.begin(), taking.end(),
                    result["safety_plan"]["for_drug"].get<std::string>()) == taking.end()) {
        checked.push_back({{"drug", result["safety_plan"]["for_drug"]}, {"status", "planned"}});
      }
      send_json(res, 201,
                dump(Json{{"assessment_id", stored.value()},
                          {"alerts", result["safety_plan"]["alerts"]},
                          {"checked", checked},
                          {"assessment", result}}));
    });
    post("/api/v1/cases/{id}/assessments", [this](const httplib::Request& req,
                                                  httplib::Response& res, const Caller& who) {
      auto c = visible_case(req, res, who);
      if (!c) return;
      std::string merged = merged_input(*c);
      auto r = run_assessment(merged, req, res, planned_drug(*c));
      if (!r) return;
      auto stored = db->record_assessment(c->id, store::content_hash(merged), kb->version,
                                          opt.engine_version, r->first, who.actor);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      send_json(
          res, 201,
          dump(Json{{"assessment_id", stored.value()}, {"assessment", Json::parse(r->first)}}));
    });
    get("/api/v1/cases/{id}/assessments",
        [this](const httplib::Request& req, httplib::Response& res, const Caller& who) {
          auto c = visible_case(req, res, who);
          if (!c) return;
          Json a = Json::array();
          for (const auto& r : db->assessments(c->id)) {
            Json result = Json::parse(r.result);
            a.push_back({{"id", r.id},
                         {"created_at", r.created_at},
                         {"user", r.username},
                         {"input_hash", r.input_hash},
                         {"kb_version", r.kb_version},
                         {"engine_version", r.engine_version},
                         {"classification", result["paradoxical_reaction"]["classification"]},
                         {"alerts", result["safety_plan"]["alerts"].size()}});
          }
          send_json(res, 200, dump(a));
        });
  }

  // CDS Hooks (docs/cds-hooks.md).
  void cds_routes() {
    // CDS Hooks (docs/cds-hooks.md); the gate has checked the Bearer JWT before these run.
    get("/cds-services", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, cds->discovery());
    });
    post("/cds-services/{id}", [this](const httplib::Request& req, httplib::Response& res) {
      std::string id = req.matches[1];
      if (!cds->has(id))
        return send_json(res, 404,
                         cds::operation_outcome("not-found", "no such CDS service", "id"));
      if (!json_content(req, res)) return;
      auto r = cds->call(id, req.body, base_url(req));
      send_json(res, r.status, r.body);
    });
    post("/cds-services/{id}/feedback",
         [this](const httplib::Request& req, httplib::Response& res) {
           std::string id = req.matches[1];
           if (!cds->has(id))
             return send_json(res, 404,
                              cds::operation_outcome("not-found", "no such CDS service", "id"));
           if (!json_content(req, res)) return;
           auto r = cds->feedback(id, req.body);
           send_json(res, r.status, r.body);
         });
    get("/api/v1/cds-feedback", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, cds->feedback_list());
    });
  }

  // The case named by the path when the caller may see it. Another clinician's unshared case is
  // 404 like a missing one, so its id is not even confirmed.
  std::optional<store::CaseRecord> visible_case(const httplib::Request& req, httplib::Response& res,
                                                const Caller& who) {
    auto id = id_param(req, res);
    if (!id) return std::nullopt;
    auto c = db->get_case(*id);
    if (c &&
        (who.is(kPharmacist) || c->shared || (c->owner_id && c->owner_id == who.actor.user_id)))
      return c;
    send_error(res, 404, fmt::format("case {}: not found", *id));
    return std::nullopt;
  }

  // --- sessions, users, audit ---------------------------------------------------------------
  std::string cookie(const std::string& value, std::int64_t max_age) const {
    return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", session_cookie,
                       value, max_age, core && core->tls() ? "; Secure" : "");
  }

  static Json user_json(const std::string& name, const std::string& role) {
    return Json{{"name", name}, {"role", role}};
  }

  void account_routes() {
    post("/api/v1/session",
         [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
    get("/api/v1/session",
        [this](const httplib::Request&, httplib::Response& res, const Caller& who) {
          Json j{{"user", user_json(who.actor.name, who.role)},
                 {"via", who.via == Caller::Via::kSession ? "session"
                         : who.via == Caller::Via::kToken ? "token"
                                                          : "none"},
                 {"auth", opt.insecure_no_auth ? "disabled" : "required"}};
          if (who.via == Caller::Via::kSession) {
            j["csrf_token"] = auth::csrf_token(who.session);
            j["idle_timeout_s"] = opt.session_idle_s;
          }
          send_json(res, 200, dump(j));
        });
    del("/api/v1/session",
        [this](const httplib::Request& req, httplib::Response& res, const Caller& who) {
          if (who.via == Caller::Via::kSession) {
            // A logout that did not end the session must not look like one: the cookie would still
            // work.
            if (!db->delete_session(auth::secret_hash(who.session)).is_ok()) {
              return send_error(res, 500, "the session could not be ended; try again");
            }
            audit(who.actor, "logout", "", req.remote_addr);
          }
          res.set_header("Set-Cookie", cookie("", 0));
          res.status = 204;
        });
    get("/api/v1/users", [this](const httplib::Request&, httplib::Response& res) {
      Json a = Json::array();
      for (const auto& u : db->list_users()) {
        a.push_back({{"name", u.name},
                     {"role", u.role},
                     {"disabled", u.disabled},
                     {"created_at", u.created_at}});
      }
      send_json(res, 200, dump(a));
    });
    post("/api/v1/users",
         [this](const httplib::Request& req, httplib::Response& res, const Caller& who) {
           if (!json_content(req, res)) return;
           Json body = Json::parse(req.body, nullptr, false);
           auto text = [&](const char* k) {
             return body.is_object() && body.contains(k) && body[k].is_string()
                        ? body[k].get<std::string>()
                        : "";
           };
           std::string name = text("name"), role = text("role"), password = text("password");
           if (auto problem = user_name_problem(name)) return send_error(res, 400, *problem);
           if (!auth::parse_role(role))
             return send_error(res, 400, "role: expected clinician, pharmacist or admin");
           if (auto problem = auth::password_problem(password); !problem.empty())
             return send_error(res, 400, problem);
           if (db->find_user(name))
             return send_error(res, 409, fmt::format("user \"{}\": exists already", name));
           auto hash = hash_password(password);
           if (!hash.is_ok()) return send_error(res, 503, hash.status().message());
           if (!db->add_user(name, role, hash.value()).is_ok())
             return send_error(res, 500, "the user could not be stored");
           if (!audit(who.actor, "user_add", name + " " + role, req.remote_addr))
             return send_unaudited(res);
           send_json(res, 201, dump(user_json(name, role)));
         });
    put("/api/v1/users/{id}", [this](const httplib::Request& req, httplib::Response& res,
                                     const Caller& who) {
      if (!json_content(req, res)) return;
      std::string name = req.matches[1];
      auto user = db->find_user(name);
      if (!user)
        return send_error(res, 404, fmt::format("user \"{}\": not found", name.substr(0, 100)));
      Json body = Json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        return send_error(res, 400, "expected {\"role\"?, \"disabled\"?, \"password\"?}");
      }
      // Everything is checked before anything changes.
      if (body.contains("role") &&
          (!body["role"].is_string() || !auth::parse_role(body["role"].get<std::string>()))) {
        return send_error(res, 400, "role: expected clinician, pharmacist or admin");
      }
      if (body.contains("disabled") && !body["disabled"].is_boolean()) {
        return send_error(res, 400, "disabled: expected true or false");
      }
      std::string hash;
      if (body.contains("password")) {
        if (!body["password"].is_string())
          return send_error(res, 400, "password: expected a string");
        if (auto problem = auth::password_problem(body["password"].get<std::string>());
            !problem.empty()) {
          return send_error(res, 400, problem);
        }
        auto h = hash_password(body["password"].get<std::string>());
        if (!h.is_ok()) return send_error(res, 503, h.status().message());
        hash = h.value();
      }
      if (body.contains("disabled") && body["disabled"].get<bool>() && who.actor.name == name) {
        return send_error(res, 409, "an administrator cannot disable their own account");
      }
      bool ok = true, audited = true;
      if (body.contains("role")) {
        ok = ok && db->set_user_role(name, body["role"].get<std::string>()).is_ok();
        audited = ok && audited &&
                  audit(who.actor, "user_role", name + " " + body["role"].get<std::string>(),
                        req.remote_addr);
      }
      if (body.contains("disabled")) {
        ok = ok && db->set_user_disabled(name, body["disabled"].get<bool>()).is_ok();
        audited = ok && audited &&
                  audit(who.actor, body["disabled"].get<bool>() ? "user_disable" : "user_enable",
                        name, req.remote_addr);
      }
      if (!hash.empty()) {
        ok = ok && db->set_user_password(name, hash).is_ok();
        audited = ok && audited && audit(who.actor, "user_password", name, req.remote_addr);
      }
      if (!ok) return send_error(res, 500, "the user could not be updated");
      if (!audited) return send_unaudited(res);
      auto after = db->find_user(name);
      send_json(
          res, 200,
          dump(Json{{"name", after->name}, {"role", after->role}, {"disabled", after->disabled}}));
    });
    get("/api/v1/audit", [this](const httplib::Request& req, httplib::Response& res) {
      int limit = 200;
      if (req.has_param("limit")) {
        try {
          limit = std::clamp(std::stoi(req.get_param_value("limit")), 1, 10'000);
        } catch (...) {
          return send_error(res, 400, "limit: expected a number");
        }
      }
      Json assessments = Json::array();
      for (const auto& a : db->audit_assessments(limit)) {
        assessments.push_back({{"id", a.id},
                               {"case_id", a.case_id ? Json(*a.case_id) : Json(nullptr)},
                               {"created_at", a.created_at},
                               {"user", a.username},
                               {"input_hash", a.input_hash},
                               {"kb_version", a.kb_version},
                               {"engine_version", a.engine_version}});
      }
      Json events = Json::array();
      for (const auto& e : db->list_events(limit)) {
        events.push_back({{"id", e.id},
                          {"created_at", e.created_at},
                          {"user", e.username},
                          {"action", e.action},
                          {"detail", e.detail},
                          {"address", e.address}});
      }
      send_json(res, 200, dump(Json{{"assessments", assessments}, {"events", events}}));
    });
  }

  static std::optional<std::string> user_name_problem(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64;
    for (char c : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (ok) return std::nullopt;
    return "name: expected 1 to 64 letters, digits, '.', '_' or '-'";
  }

  // argon2id takes ~64 MiB per run: at most `password_hash_concurrency` at once, whatever the
  // number of workers. A flood of logins waits at most 2 s for its turn and is then told to come
  // back (503), so it cannot park every worker here.
  static constexpr auto kHashWait = std::chrono::seconds(2);
  Result<std::string> hash_password(const std::string& password) {
    if (!hashing->try_acquire_for(kHashWait))
      return Status::io_error("too many password checks at once; try again");
    auto h = auth::hash_password(password);
    hashing->release();
    return h;
  }
  // nullopt: no turn within kHashWait.
  std::optional<bool> verify_password(const std::string& hash, const std::string& password) {
    if (!hashing->try_acquire_for(kHashWait)) return std::nullopt;
    bool ok = auth::verify_password(hash, password);
    hashing->release();
    return ok;
  }

  // POST /api/v1/session. An unknown user, a wrong password and a disabled account get the same
  // answer after the same work (an unknown user is verified against a dummy hash).
  // A store write that failed where the request can go on (the line names the operation, never
  // the request's data).
  static void store_failed(const char* operation, const Status& status) {
    fmt::print(stderr, "store: {} failed: {}\n", operation, escape_for_log(status.message()));
  }
  // Records an account or session event; false (after the log line) when it was not stored, so
  // the caller can refuse what would otherwise happen without a trace in the audit trail.
  bool audit(const store::Actor& who, const std::string& action, const std::string& detail,
             const std::string& address) {
    auto r = db->record_event(who, action, detail, address);
    if (!r.is_ok()) store_failed("record_event", r.status());
    return r.is_ok();
  }
  static void send_unaudited(httplib::Response& res) {
    send_error(
        res, 500,
        "the change was made but could not be recorded in the audit trail; see the server log");
  }

  void login(const httplib::Request& req, httplib::Response& res) {
    if (!json_content(req, res)) return;
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("username") ||
        !body["username"].is_string() || !body.contains("password") ||
        !body["password"].is_string()) {
      return send_error(res, 400, "expected {\"username\": \"...\", \"password\": \"...\"}");
    }
    std::string name = body["username"].get<std::string>().substr(0, 200);
    std::string password = body["password"].get<std::string>();
    if (password.size() > auth::kMaxPasswordLength) password.resize(auth::kMaxPasswordLength + 1);
    const std::string& address = req.remote_addr;
    std::int64_t t = now();
    if (std::int64_t wait = limiter->retry_after(name, address, t); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      return send_error(res, 429, fmt::format("too many failed logins; try again in {} s", wait));
    }
    auto user = db->find_user(name);
    auto verified = verify_password(user ? user->password_hash : dummy_hash, password);
    if (!verified) {
      res.set_header("Retry-After", "1");
      return send_error(res, 503, "too many logins at once; try again in a second");
    }
    bool ok = *verified && user && !user->disabled;
    if (!ok) {
      limiter->failed(name, address, t);
      // The typed name is kept only when it is an account: a password typed into the name field
      // must not end up in the audit trail.
      store::Actor who{user ? std::optional<std::int64_t>(user->id) : std::nullopt,
                       user ? user->name : ""};
      // A failed attempt that cannot be recorded is still refused; the operator sees the log line.
      audit(who, "login_failed", user ? (user->disabled ? "disabled" : "password") : "unknown user",
            address);
      res.set_header("WWW-Authenticate", "Bearer realm=\"paraderm\"");
      return send_error(res, 401, "user name or password not accepted");
    }
    limiter->succeeded(name);
    // Expired rows are refused by their times anyway; purging is housekeeping.
    if (auto r = db->purge_sessions(t - opt.session_absolute_s, t - opt.session_idle_s);
        !r.is_ok()) {
      store_failed("purge_sessions", r.status());
    }
    std::string session = auth::random_secret("pds_");
    if (!db->add_session(auth::secret_hash(session), user->id, t).is_ok()) {
      return send_error(res, 500, "the session could not be stored");
    }
    store::Actor who{user->id, user->name};
    if (!audit(who, "login", "", address)) {
      // No unaudited session: end it before its cookie is ever sent.
      (void)db->delete_session(auth::secret_hash(session));
      return send_error(res, 503, "the login could not be recorded; try again");
    }
    res.set_header("Set-Cookie", cookie(session, opt.session_absolute_s));
    send_json(res, 200,
              dump(Json{{"user", user_json(user->name, user->role)},
                        {"csrf_token", auth::csrf_token(session)},
                        {"idle_timeout_s", opt.session_idle_s},
                        {"absolute_timeout_s", opt.session_absolute_s}}));
  }

  // Who is calling: a Bearer token (machine clients) or the session cookie (the page). On failure
  // writes the 401 and returns nullopt.
  std::optional<Caller> authenticate(const httplib::Request& req, httplib::Response& res) {
    auto refuse = [&](const std::string& message,
                      bool clear_cookie = false) -> std::optional<Caller> {
      res.set_header("WWW-Authenticate", "Bearer realm=\"paraderm\"");
      if (clear_cookie) res.set_header("Set-Cookie", cookie("", 0));
      send_error(res, 401, message);
      return std::nullopt;
    };
    Caller who;
    std::string authorization = req.get_header_value("Authorization");
    if (!authorization.empty()) {
      // A token that fails is a failure: never fall back to the cookie.
      constexpr std::string_view kBearer = "Bearer ";
      if (authorization.size() <= kBearer.size() ||
          authorization.compare(0, kBearer.size(), kBearer) != 0) {
        return refuse("Authorization: expected Bearer followed by an API token");
      }
      auto user = db->user_for_token(
          auth::secret_hash(std::string_view(authorization).substr(kBearer.size())));
      if (!user)
        return refuse("API token not accepted (unknown or revoked, or its user is disabled)");
      who.via = Caller::Via::kToken;
      who.actor = {user->id, user->name};
      who.role = user->role;
    } else {
      std::string session = cookie_value(req, session_cookie);
      if (session.empty()) {
        return refuse(
            "authentication required: log in (POST /api/v1/session) or send Authorization: Bearer "
            "TOKEN");
      }
      std::string id_hash = auth::secret_hash(session);
      auto s = db->find_session(id_hash);
      if (!s) return refuse("session ended: log in again", true);
      std::int64_t t = now();
      bool absolute = t - s->created >= opt.session_absolute_s,
           idle = t - s->last_seen >= opt.session_idle_s;
      if (absolute || idle) {
        // Refused either way; a row left behind is expired by its times and purged at the next
        // login.
        if (auto r = db->delete_session(id_hash); !r.is_ok())
          store_failed("delete_session", r.status());
        return refuse(absolute
                          ? "session expired (time since login reached its limit): log in again"
                          : "session expired after inactivity: log in again",
                      true);
      }
      // Recording every request would cost a durable write each; minute resolution is enough for
      // an idle limit measured in minutes.
      // A failed touch errs on the safe side: the session expires earlier, never later.
      if (t - s->last_seen >= std::clamp<std::int64_t>(opt.session_idle_s / 10, 1, 60)) {
        if (auto r = db->touch_session(id_hash, t); !r.is_ok())
          store_failed("touch_session", r.status());
      }
      who.via = Caller::Via::kSession;
      who.actor = {s->user.id, s->user.name};
      who.role = s->user.role;
      who.session = std::move(session);
    }
    if (auto role = auth::parse_role(who.role)) who.roles = static_cast<unsigned>(*role);
    return who;
  }

  // scheme://Host as the client addressed this server (Host is checked by the gate).
  std::string base_url(const httplib::Request& req) const {
    if (!opt.public_url.empty()) return opt.public_url;
    return fmt::format("{}://{}", core && core->tls() ? "https" : "http",
                       req.get_header_value("Host"));
  }

  // CDS Hooks calls carry a Bearer JWT of an allow-listed client (jwt.h); a failure is 401 with the
  // reason code, logged without the token.
  bool cds_authorised(const httplib::Request& req, httplib::Response& res) {
    std::optional<jwt::Failure> failure;
    if (cds_verifier) {
      std::string called = base_url(req) + req.path;
      std::vector<std::string> audiences = {called};
      // Feedback belongs to a service: a token addressed to the service is accepted for it too.
      constexpr std::string_view kFeedback = "/feedback";
      if (called.size() > kFeedback.size() &&
          called.compare(called.size() - kFeedback.size(), kFeedback.size(), kFeedback) == 0) {
        audiences.push_back(called.substr(0, called.size() - kFeedback.size()));
      }
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch());
      failure = cds_verifier->verify(req.get_header_value("Authorization"), audiences, now.count());
    } else if (!opt.insecure_dev) {
      failure = jwt::Failure{
          "CDS_AUTH_NOT_CONFIGURED",
          "CDS Hooks calls need a client allow-list (paraderm serve --cds-jwks ISSUER=FILE)"};
    }
    if (!failure) return true;
    if (opt.access_log) fmt::print(stderr, "cds: 401 {} {}\n", failure->code, failure->message);
    res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    send_json(res, 401, cds::operation_outcome("security", failure->message, "", failure->code));
    return false;
  }

  // --- the one place every request passes through -------------------------------------------
  // Order: transport sanity (Host, UTF-8), then (when accounts exist) authentication and
  // authorisation, then the route. Every response leaves with the security headers.
  void handle(http::Exchange& ex) {
    auto& req = ex.req;
    auto& res = ex.res;
    ex.route = "(none)";
    guarded(ex);
    if (res.status <= 0) res.status = 200;
    security_headers(req, res);
  }

  void guarded(http::Exchange& ex) {
    auto& req = ex.req;
    auto& res = ex.res;
    if (auto problem = host_problem(req)) return send_error(res, 421, *problem);
    if (auto problem = utf8_problem(req)) return send_error(res, 400, *problem);
    // CDS Hooks clients prove themselves with a signed JWT before anything else about their
    // request (even its route) is answered.
    if ((req.path == "/cds-services" || req.path.rfind("/cds-services/", 0) == 0) &&
        req.method != "OPTIONS") {
      ex.route = "/cds-services (auth)";
      if (!cds_authorised(req, res)) return;
    }
    std::string method = req.method == "HEAD" ? "GET" : req.method;
    std::set<std::string> allowed;
    for (auto& route : route_table) {
      std::smatch m;
      if (!std::regex_match(req.path, m, route.pattern)) continue;
      allowed.insert(route.method);
      ex.route = route.name;
      if (route.method != method) continue;
      req.matches = std::move(m);
      auto who = admit(route, method, req, res);
      if (!who) return;
      return route.handler(req, res, *who);
    }
    if (allowed.empty()) return send_error(res, 404, "no such route");
    if (allowed.count("GET")) allowed.insert("HEAD");
    allowed.insert("OPTIONS");
    std::string allow;
    for (const auto& a : allowed) allow += (allow.empty() ? "" : ", ") + a;
    res.set_header("Allow", allow);
    if (method == "OPTIONS") {
      res.status = 204;  // same-origin only: no CORS headers, so browsers refuse cross-origin calls
      return;
    }
    send_error(res, 405, fmt::format("method {}: this route allows {}", method, allow));
  }

  // Authentication and authorisation for one matched route: the role matrix (access.h) is
  // enforced here and nowhere else. Cookie-authenticated writes must also carry the session's
  // CSRF token. nullopt: the 401/403 is written.
  std::optional<Caller> admit(const Route& route, const std::string& method,
                              const httplib::Request& req, httplib::Response& res) {
    if (route.allowed == kPublic || route.allowed == kCdsJwt)
      return Caller{};  // CDS: checked above
    if (opt.insecure_no_auth) {
      return Caller{Caller::Via::kInsecure, {std::nullopt, "anonymous"}, kAnyRole, "", ""};
    }
    auto who = authenticate(req, res);
    if (!who) return std::nullopt;
    bool safe = method == "GET" || method == "HEAD" || method == "OPTIONS";
    if (who->via == Caller::Via::kSession && !safe &&
        !auth::constant_time_equal(req.get_header_value("X-CSRF-Token"),
                                   auth::csrf_token(who->session))) {
      send_error(
          res, 403,
          "X-CSRF-Token: missing or not this session's token (GET /api/v1/session gives it)");
      return std::nullopt;
    }
    if ((route.allowed & who->roles) == 0) {
      send_error(res, 403,
                 fmt::format("role {} may not {} {}", who->role.empty() ? "(none)" : who->role,
                             method, route.name));
      return std::nullopt;
    }
    return who;
  }

  // DNS rebinding: a page on another origin that resolves its own name to this address must not
  // reach the API, so the Host header must name this server.
  std::optional<std::string> host_problem(const httplib::Request& req) const {
    if (req.get_header_value_count("Host") != 1) {
      return req.version == "HTTP/1.0" ? std::nullopt
                                       : std::optional<std::string>("Host: expected exactly one");
    }
    std::string host = req.get_header_value("Host");
    std::string name = host;
    if (!name.empty() && name.front() == '[') {
      name = name.substr(0, name.find(']') + 1);
    } else if (auto colon = name.rfind(':'); colon != std::string::npos) {
      name = name.substr(0, colon);
    }
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (allowed_hosts.count(name)) return std::nullopt;
    return fmt::format(
        "Host \"{}\": not a name of this server (allowed: the bind address, localhost, "
        "127.0.0.1, [::1] and --allowed-host)",
        text::replace_invalid_utf8(host.substr(0, 100)));
  }

  // Everything decoded from the request line and the headers must be UTF-8: it may be echoed in
  // an error, stored (a case title) or logged, and JSON cannot carry anything else.
  static std::optional<std::string> utf8_problem(const httplib::Request& req) {
    if (!text::is_valid_utf8(req.path)) return "path: not UTF-8 after percent-decoding";
    for (const auto& [k, v] : req.params) {
      if (!text::is_valid_utf8(k) || !text::is_valid_utf8(v)) {
        return fmt::format("query parameter \"{}\": not UTF-8 after percent-decoding",
                           text::replace_invalid_utf8(k.substr(0, 40)));
      }
    }
    for (const auto& [k, v] : req.headers) {
      if (!text::is_valid_utf8(v)) return fmt::format("header {}: not UTF-8", k);
    }
    return std::nullopt;
  }

  void security_headers(const httplib::Request& req, httplib::Response& res) const {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Content-Security-Policy", content_security_policy);
    res.set_header("Cross-Origin-Opener-Policy", "same-origin");
    res.set_header("Cross-Origin-Resource-Policy", "same-origin");
    if (core && core->tls()) res.set_header("Strict-Transport-Security", "max-age=31536000");
    // Patient data must not be kept by browsers or proxies: every API answer, errors included.
    if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
    (void)req;
  }

  bool serve_asset(const std::string& path, const httplib::Request& req, httplib::Response& res) {
    auto it = std::find_if(assets.begin(), assets.end(),
                           [&](const StaticAsset& a) { return a.path == path; });
    if (it == assets.end()) return false;
    res.set_header("ETag", it->etag);
    res.set_header("Cache-Control", it->cache_control);
    res.set_header("Vary", "Accept-Encoding");
    std::string match = req.get_header_value("If-None-Match");
    if (!match.empty() && (match == "*" || match.find(it->etag) != std::string::npos)) {
      res.status = 304;
      return true;
    }
    std::string accept = req.get_header_value("Accept-Encoding");
    if (!it->gzip.empty() && accept.find("gzip") != std::string::npos) {
      res.set_content(it->gzip, it->mime);
      res.set_header("Content-Encoding", "gzip");
    } else {
      res.set_content(it->body.data(), it->body.size(), it->mime);
    }
    return true;
  }

  static std::string gzip(std::string_view in) {
    z_stream z{};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out(deflateBound(&z, in.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int r = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return r == Z_STREAM_END && out.size() < in.size() ? out : std::string();
  }

  static std::string sha256_base64(std::string_view text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr);
    std::string b64(4 * ((n + 2) / 3) + 1, '\0');
    int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), md, static_cast<int>(n));
    b64.resize(static_cast<std::size_t>(len));
    return b64;
  }

  // The page's assets, each with its ETag and its compressed form, prepared once; the CSP allows
  // the page's own inline scripts (its import map) by hash and nothing else inline.
  void prepare_assets() {
    std::string script_hashes;
    for (std::size_t i = 0; i < kWebAssetCount; ++i) {
      const WebAsset& w = kWebAssets[i];
      StaticAsset a;
      a.path = w.path;
      a.mime = w.mime;
      a.body = std::string_view(w.data, w.size);
      a.etag = "\"" + store::content_hash(std::string(a.body)) + "\"";
      // The vendored libraries are pinned (web/package-lock.json): cache them long. The page's own
      // files change with each release and are revalidated by ETag.
      a.cache_control = a.path.rfind("vendor/", 0) == 0 ? "public, max-age=31536000, immutable"
                                                        : "public, max-age=0, must-revalidate";
      a.gzip = gzip(a.body);
      if (a.path == "index.html") {
        for (std::size_t at = a.body.find("<script"); at != std::string_view::npos;
             at = a.body.find("<script", at + 1)) {
          std::size_t open_end = a.body.find('>', at);
          std::size_t close = a.body.find("</script>", open_end);
          if (open_end == std::string_view::npos || close == std::string_view::npos) break;
          if (a.body.substr(at, open_end - at).find("src=") != std::string_view::npos) continue;
          script_hashes +=
              " 'sha256-" + sha256_base64(a.body.substr(open_end + 1, close - open_end - 1)) + "'";
        }
      }
      assets.push_back(std::move(a));
    }
    content_security_policy =
        "default-src 'self'; script-src 'self'" + script_hashes +
        "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  }

  static std::string escape_for_log(std::string_view s) {
    std::string o;
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F || c == '\\')
        o += fmt::format("\\x{:02x}", u);
      else
        o += c;
    }
    return o;
  }

  void log(const http::Exchange& ex) {
    // The route pattern, never the path: ids and query strings may identify a patient's record.
    std::string route =
        escape_for_log(ex.req.method.empty() ? "-" : ex.req.method) + " " + ex.route;
    double secs = std::chrono::duration<double>(http::Clock::now() - ex.start).count();
    metrics.observe(route, ex.res.status, secs);
    if (opt.access_log) fmt::print(stderr, "{} {} {:.3f}ms\n", route, ex.res.status, secs * 1000);
  }
};

Server::Server() : impl_(std::make_unique<Impl>()) {}
Server::~Server() {
  // Workers may be inside a handler: stop and join them before the routes' state goes away.
  impl_->core.reset();
}

Result<std::unique_ptr<Server>> Server::create(const kb::KnowledgeBase& kb,
                                               const ServerOptions& options) {
  std::unique_ptr<Server> s(new Server());
  auto& i = *s->impl_;
  i.kb = &kb;
  i.opt = options;
  if (options.insecure_no_auth && !is_loopback(options.host)) {
    return Status::invalid_input(
        fmt::format("--insecure-no-auth: refused with --host {}: only a loopback address "
                    "(127.0.0.1, ::1, localhost) may "
                    "serve without authentication",
                    options.host));
  }
  // Before the database is touched: a bad folder ends the start without a first-start admin.
  if (!options.screen_results.empty()) {
    Status st = i.load_screening(options.screen_results);
    if (!st.is_ok()) return st;
  }
  if (Status st = auth::init(); !st.is_ok()) return st;
  auto db = store::Store::open(options.db);
  if (!db.is_ok()) return db.status();
  i.db = std::move(db.value());
  i.limiter = std::make_unique<LoginLimiter>(
      options.login_window_s, options.login_failures_per_user, options.login_failures_per_address);
  i.hashing = std::make_unique<std::counting_semaphore<1024>>(
      std::clamp(options.password_hash_concurrency, 1, 1024));
  if (!options.insecure_no_auth) {
    auto dummy = auth::hash_password(auth::random_password());
    if (!dummy.is_ok()) return dummy.status();
    i.dummy_hash = dummy.value();
    if (i.db->user_count() == 0) {
      // A fresh database: an administrator with a random password, shown once, so the first
      // start needs no extra step and no default password ever exists.
      std::string password = auth::random_password();
      auto hash = auth::hash_password(password);
      if (!hash.is_ok()) return hash.status();
      if (!i.db->add_user("admin", "admin", hash.value()).is_ok())
        return Status::io_error("--db: cannot add the first user");
      if (auto r =
              i.db->record_event({std::nullopt, "(first start)"}, "user_add", "admin admin", "");
          !r.is_ok()) {
        return Status::io_error(
            "--db: the first user was added but its audit event could not be stored: " +
            r.status().message());
      }
      std::string message = fmt::format(
          "\nFirst start: created user \"admin\" (role admin) with password\n\n    {}\n\n"
          "It is shown only this once. Admins manage users and read the audit; clinicians assess.\n"
          "Add a clinician with `paraderm user add NAME --role clinician --db {}`\n"
          "(or POST /api/v1/users as admin).\n\n",
          password, options.db);
      if (options.announce)
        options.announce(message);
      else
        fmt::print(stderr, "{}", message);
    }
  }
  i.cache = std::make_unique<assess::PathwayCache>(kb);
  i.cache->warm();
  if (!options.pv_store.empty()) {
    Status st = i.load_signals(options.pv_store);
    if (!st.is_ok()) return st;
  }
  auto lower = [](std::string v) {
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
  };
  std::string bind_host = options.host.find(':') != std::string::npos && options.host.front() != '['
                              ? "[" + options.host + "]"
                              : options.host;
  i.allowed_hosts = {"localhost", "127.0.0.1", "[::1]", lower(bind_host)};
  for (const auto& h : options.allowed_hosts) i.allowed_hosts.insert(lower(h));
  if (!options.public_url.empty()) {
    const std::string& u = options.public_url;
    auto scheme_end = u.find("://");
    std::string scheme = scheme_end == std::string::npos ? "" : u.substr(0, scheme_end);
    std::string rest = scheme_end == std::string::npos ? "" : u.substr(scheme_end + 3);
    std::string authority = rest.substr(0, rest.find('/'));
    bool ok = (scheme == "http" || scheme == "https") && !authority.empty() && u.back() != '/' &&
              u.size() <= 2000 && std::none_of(u.begin(), u.end(), [](char c) {
                return c == '?' || c == '#' || c == '@' || static_cast<unsigned char>(c) <= ' ' ||
                       static_cast<unsigned char>(c) >= 0x7f;
              });
    if (!ok) {
      return Status::invalid_input(
          fmt::format("--public-url: value \"{}\": expected http(s)://host[:port][/path] with no "
                      "query, credentials or trailing slash",
                      u.substr(0, 200)));
    }
    i.allowed_hosts.insert(lower(authority));  // requests forwarded with this Host
  }
  if (!options.cds_jwks.empty()) {
    auto verifier = jwt::Verifier::create(options.cds_jwks);
    if (!verifier.is_ok()) return verifier.status();
    i.cds_verifier = std::move(verifier.value());
  }
  cds::Config cc;
  cc.kb = &kb;
  cc.cache = i.cache.get();
  cc.db = i.db.get();
  cc.signals = i.signal_source.get();
  cc.engine_version = options.engine_version;
  cc.region = options.cds_region;
  cc.as_of = options.cds_as_of;
  cc.allow_http_fhir = options.insecure_dev;
  i.cds = std::make_unique<cds::Services>(cc);
  i.prepare_assets();
  i.routes();
  if (!i.routes_without_access.empty()) {
    std::string missing;
    for (const auto& r : i.routes_without_access) missing += " " + r;
    return Status::internal("routes missing from the access matrix (src/server/access.h):" +
                            missing);
  }
  bool tls = !options.tls_cert.empty();
  i.session_cookie = tls ? "__Host-paraderm_session" : "paraderm_session";
  http::Limits limits;
  limits.max_body_bytes = options.max_body_bytes;
  limits.workers = options.threads;
  limits.keep_alive_max = options.keep_alive_max;
  limits.header_timeout_ms = options.header_timeout_ms;
  limits.body_timeout_ms = options.body_timeout_ms;
  limits.idle_timeout_ms = options.idle_timeout_ms;
  limits.write_timeout_ms = options.write_timeout_ms;
  limits.max_connections = options.max_connections;
  limits.backlog = options.backlog;
  http::Callbacks cb;
  Impl* impl = &i;
  cb.handle = [impl](http::Exchange& ex) { impl->handle(ex); };
  // Answers that cost microseconds and never block (liveness, metrics, the page's files, the KB
  // lists serialised at start) run on the I/O thread: no hand-off to a worker and back, and they
  // stay fast when every worker is busy. Everything touching the database or the engine goes to
  // the workers.
  // Routes behind authentication read the database for the credentials, so they go to the
  // workers unless there is no authentication.
  cb.run_inline = [insecure = options.insecure_no_auth](const httplib::Request& req) {
    const std::string& p = req.path;
    return p == "/healthz" || p == "/" || p.rfind("/static/", 0) == 0 || p == "/api/openapi.json" ||
           (insecure && (p == "/metrics" || p == "/api/v1/drugs" || p == "/api/v1/cytokines" ||
                         p == "/api/v1/diseases"));
  };
  cb.error = [impl](http::Exchange& ex, int status, const std::string& message) {
    send_error(ex.res, status, message);
    impl->security_headers(ex.req, ex.res);
  };
  cb.done = [impl](const http::Exchange& ex) { impl->log(ex); };
  auto core = http::Core::create(limits, std::move(cb), {options.tls_cert, options.tls_key});
  if (!core.is_ok()) return core.status();
  i.core = std::move(core.value());
  return s;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

Result<int> Server::bind() {
  auto& i = *impl_;
  auto port = i.core->bind(i.opt.host, i.opt.port);
  if (!port.is_ok()) return port.status();
  i.port = port.value();
  return i.port;
}

void Server::listen() { impl_->core->run(); }
void Server::stop() { impl_->core->stop(); }
LocalResponse Server::handle_local(const LocalRequest& request) {
  http::Exchange ex;
  ex.start = http::Clock::now();
  auto& req = ex.req;
  req.method = request.method;
  req.target = request.target;
  req.version = "HTTP/1.1";
  req.remote_addr = request.remote_addr;
  http::split_target(req);
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if (!req.has_header("Host")) req.headers.emplace("Host", "localhost");
  req.body = request.body;
  impl_->handle(ex);
  LocalResponse out;
  out.status = ex.res.status;
  for (const auto& [name, value] : ex.res.headers) out.headers.emplace_back(name, value);
  out.body = std::move(ex.res.body);
  return out;
}

int Server::port() const { return impl_->port; }
bool Server::tls() const { return impl_->core->tls(); }

}  // namespace paraderm::server
