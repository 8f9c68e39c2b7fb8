#include "paraderm/server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <regex>
#include <set>
#include <zlib.h>

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/pathways.h"
#include "paraderm/pv_data.h"
#include "paraderm/store.h"
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
    std::string o = "# HELP paraderm_requests_total HTTP requests by route and status.\n"
                    "# TYPE paraderm_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      o += fmt::format("paraderm_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", k.first, k.second, n);
    }
    o += "# HELP paraderm_errors_total HTTP responses with status >= 400 by route.\n"
         "# TYPE paraderm_errors_total counter\n";
    std::map<std::string, long> errors;
    for (const auto& [k, n] : requests_) {
      if (k.second >= 400) errors[k.first] += n;
    }
    for (const auto& [r, n] : errors) o += fmt::format("paraderm_errors_total{{route=\"{}\"}} {}\n", r, n);
    o += "# HELP paraderm_request_seconds Request latency.\n# TYPE paraderm_request_seconds histogram\n";
    for (const auto& [r, h] : latency_) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        o += fmt::format("paraderm_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", r, kBuckets[i], h.buckets[i]);
      }
      o += fmt::format("paraderm_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", r, h.count);
      o += fmt::format("paraderm_request_seconds_sum{{route=\"{}\"}} {}\n", r, h.sum);
      o += fmt::format("paraderm_request_seconds_count{{route=\"{}\"}} {}\n", r, h.count);
    }
    return o;
  }

 private:
  static constexpr std::array<double, 8> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1, 1};
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

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::vector<clinical::InputProblem>& problems = {}) {
  Json e = {{"status", status}, {"message", message}};
  if (!problems.empty()) {
    e["problems"] = Json::array();
    for (const auto& p : problems) e["problems"].push_back({{"pointer", p.pointer}, {"message", p.message}});
  }
  send_json(res, status, dump(Json{{"error", e}}));
}

// Not clinical: a limit on the shape of the input, the same as clinical::ParseOptions::max_depth.
constexpr std::size_t kMaxJsonDepth = 256;

// A JSON body: the right Content-Type, and nesting within the limit before anything recursive
// (parsing, dumping, destroying) touches it.
bool json_content(const httplib::Request& req, httplib::Response& res) {
  auto ct = req.get_header_value("Content-Type");
  if (ct.rfind("application/json", 0) != 0 && ct.rfind("application/fhir+json", 0) != 0) {
    send_error(res, 415, fmt::format("Content-Type \"{}\": expected application/json or application/fhir+json",
                                     ct.substr(0, 100)));
    return false;
  }
  if (text::json_too_deep_at(req.body, kMaxJsonDepth) != text::kDepthWithinLimit) {
    send_error(res, 400, fmt::format("body: JSON nested deeper than {} objects or arrays", kMaxJsonDepth));
    return false;
  }
  return true;
}

std::optional<std::int64_t> id_param(const httplib::Request& req, httplib::Response& res) {
  const std::string& s = req.matches[1];
  try {
    std::size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size() && v > 0) return v;
  } catch (...) {
  }
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
  Json signal_fit;  // the store's MGPS fit, when a pv store is configured
  std::shared_ptr<const pv::SignalTable> signal_table;
  std::vector<std::uint32_t> signal_order;           // score indexes by EB05, best first
  std::vector<std::string> drug_upper, event_upper;  // names in upper case, for the filters
  std::shared_ptr<const assess::SignalSource> signal_source;  // the same store, for the assessment

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  struct Route {
    std::string method;
    std::string name;  // the pattern as documented, e.g. /api/v1/cases/{id}; logged instead of the path
    std::regex pattern;
    Handler handler;
  };
  std::vector<Route> route_table;
  std::set<std::string> allowed_hosts;  // Host header names accepted (DNS rebinding)
  std::string content_security_policy;
  struct StaticAsset {
    std::string path, mime, etag, cache_control;
    std::string_view body;
    std::string gzip;  // compressed once at start; empty when it would not be smaller
  };
  std::vector<StaticAsset> assets;
  std::unique_ptr<cds::Services> cds;
  std::unique_ptr<jwt::Verifier> cds_verifier;  // absent: CDS routes refused (or open with --insecure-dev)
  std::unique_ptr<http::Core> core;  // last: stopped and joined before the rest is destroyed

  void get(const std::string& name, Handler h) { add("GET", name, std::move(h)); }
  void post(const std::string& name, Handler h) { add("POST", name, std::move(h)); }
  void add(const std::string& method, const std::string& name, Handler h) {
    // {id} is one path segment; {path} (static files) may span several.
    std::string re = std::regex_replace(name, std::regex(R"(\{id\})"), "([^/]+)");
    re = std::regex_replace(re, std::regex(R"(\{path\})"), "(.+)");
    route_table.push_back({method, name, std::regex(re), std::move(h)});
  }

  static Json finite(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

  // The store's scores; a store ingested with --no-scores is scored here, once, at start.
  Status load_signals(const std::string& dir) {
    auto stored = pv::load_store_signals(dir);
    if (!stored.is_ok() && stored.status().code() != Status::Code::kNotFound) return stored.status();
    pv::SignalTable t;
    if (stored.is_ok()) {
      t = std::move(stored.value());
    } else {
      auto corpus = pv::load_store_corpus(dir);
      if (!corpus.is_ok()) return corpus.status();
      t = pv::score(corpus.value());
      t.source = dir;
    }
    signal_fit = {{"alpha1", t.fit.theta.alpha1}, {"beta1", t.fit.theta.beta1}, {"alpha2", t.fit.theta.alpha2},
                  {"beta2", t.fit.theta.beta2}, {"p", t.fit.theta.p}, {"neg_log_lik", t.fit.neg_log_lik},
                  {"converged", t.fit.converged}, {"fit_data", t.fit_data == pv::FitData::kFull ? "full" : "squashed"},
                  {"fit_points", t.fit_points}, {"reports", t.reports},
                  {"prior", t.prior_given ? "given" : "fitted"}, {"qn", pv::to_string(t.qn)}};
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
  // Parses and assesses a case body; on a problem writes the 4xx and returns nullopt.
  std::optional<std::pair<std::string, std::string>> run_assessment(
      const std::string& body, const httplib::Request& req, httplib::Response& res) {
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
    auto parsed = clinical::parse_case(body, *kb, po);
    if (!parsed.record) {
      send_error(res, 400, "the case is not valid", parsed.problems);
      return std::nullopt;
    }
    auto a = assess::assess(*kb, *parsed.record, ao);
    return std::make_pair(assess::to_json(a, -1), parsed.record->input_kind);
  }

  // A stored native case with its follow-up labs appended.
  static std::string merged_input(const store::CaseRecord& c) {
    if (c.labs.empty()) return c.input;
    Json j = Json::parse(c.input);
    if (!j.contains("labs") || !j["labs"].is_array()) j["labs"] = Json::array();
    for (const auto& l : c.labs) j["labs"].push_back(Json::parse(l));
    return j.dump();
  }

  void routes() {
    get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, dump(Json{{"status", "ok"}, {"kb_version", kb->version},
                               {"engine_version", opt.engine_version}, {"db_schema", db->schema_version()},
                               {"cds_auth", cds_verifier ? "jwt" : opt.insecure_dev ? "insecure-dev" : "refused"}}
                              ));
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
    get("/", [this](const httplib::Request& req, httplib::Response& res) { serve_asset("index.html", req, res); });
    get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    get("/static/{path}", [this](const httplib::Request& req, httplib::Response& res) {
      if (!serve_asset(req.matches[1], req, res)) send_error(res, 404, "no such static file");
    });
    get("/api/openapi.json", [](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, kOpenApiJson);
    });

    post("/api/v1/assess", [this](const httplib::Request& req, httplib::Response& res) {
      if (!json_content(req, res)) return;
      auto r = run_assessment(req.body, req, res);
      if (!r) return;
      auto stored = db->record_assessment(std::nullopt, store::content_hash(req.body), kb->version,
                                          opt.engine_version, r->first);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      send_json(res, 200, r->first);
    });

    get("/api/v1/signals", [this](const httplib::Request& req, httplib::Response& res) {
      if (!signal_table) {
        return send_error(res, 404, "no pharmacovigilance store is configured (paraderm serve --pv-store DIR)");
      }
      auto upper = [](std::string v) {
        for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return v;
      };
      std::string drug = upper(req.get_param_value("drug")), event = upper(req.get_param_value("event"));
      if (drug.size() > 200 || event.size() > 200) return send_error(res, 400, "drug, event: expected at most 200 characters");
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
        out.push_back({{"drug", t.drugs[p.drug]}, {"event", t.events[p.event]}, {"n", p.n},
                       {"expected", p.expected}, {"ror", finite(p.d.ror)}, {"ror_lo", finite(p.d.ror_lo)},
                       {"prr", finite(p.d.prr)}, {"prr_chi2", finite(p.d.chi2)}, {"ic025", p.d.ic025},
                       {"ebgm", p.post.ebgm}, {"eb05", p.post.eb05}, {"eb95", p.post.eb95}});
        if (out.size() >= 500) break;
      }
      send_json(res, 200, dump(Json{{"fit", signal_fit}, {"pairs", out},
                               {"note", "reporting signals from spontaneous reports, not incidences"}}));
    });
    // The KB is immutable while serving: its lists are serialised once and answered on the I/O
    // thread (see run_inline).
    Json drug_list = Json::array();
    for (const auto& d : kb->drugs) drug_list.push_back({{"id", d.id}, {"name", d.name}, {"route", d.route}});
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
      return [body = dump(a)](const httplib::Request&, httplib::Response& res) { send_json(res, 200, body); };
    };
    get("/api/v1/cytokines", list("cytokine"));
    get("/api/v1/diseases", list("disease"));

    get("/api/v1/pathways", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = req.get_param_value("drug");
      const kb::Drug* drug = kb->find_drug(id);
      if (!drug) return send_error(res, 400, fmt::format("drug \"{}\": not in the KB", id));
      std::vector<pharm::Regimen> regimens;
      if (drug->route == "topical") {
        // No systemic regimen: one profile, qualitative at the application site (docs/pharmacology.md §2b).
        regimens.push_back({0, 24, std::string("topical"), {}});
      } else if (req.has_param("dose")) {
        std::string dose = req.get_param_value("dose"), every = req.has_param("every") ? req.get_param_value("every") : "24h";
        double mg = 0, h = 0;
        try {
          std::size_t a = 0, b = 0;
          mg = std::stod(dose, &a);
          h = std::stod(every, &b);
          if (dose.substr(a) != "mg" || every.substr(b) != "h" || !(mg > 0) || !(h > 0) || h > 168) throw 0;
        } catch (...) {
          return send_error(res, 400, fmt::format("dose \"{}\" / every \"{}\": expected e.g. dose=15mg&every=24h", dose, every));
        }
        bool matched = false;
        for (const auto& r : pharm::approved_regimens(*drug)) {
          if (r.amount_mg == mg && r.tau_h == h) {
            regimens.push_back(r);
            matched = true;
          }
        }
        if (!matched) regimens.push_back({mg, h, std::nullopt, {}});
      } else {
        regimens = pharm::approved_regimens(*drug);
      }
      Json out = Json::array();
      for (const auto& r : regimens) {
        auto p = cache->get(*drug, r, nullptr);
        out.push_back(Json::parse(pharm::to_json(*p, {}, -1, req.get_param_value("curve") == "1")));
      }
      send_json(res, 200, dump(out));
    });

    post("/api/v1/cases", [this](const httplib::Request& req, httplib::Response& res) {
      if (!json_content(req, res)) return;
      auto parsed = clinical::parse_case(req.body, *kb, {});
      if (!parsed.record) return send_error(res, 400, "the case is not valid", parsed.problems);
      std::string title = req.has_param("title") ? req.get_param_value("title") : "";
      if (title.size() > 200) return send_error(res, 400, "title: expected at most 200 characters");
      auto id = db->save_case(title, parsed.record->input_kind, req.body);
      if (!id.is_ok()) return send_error(res, 500, "the case could not be stored");
      send_json(res, 201, dump(Json{{"id", id.value()}}));
    });
    get("/api/v1/cases", [this](const httplib::Request&, httplib::Response& res) {
      Json a = Json::array();
      for (const auto& c : db->list_cases()) {
        a.push_back({{"id", c.id}, {"created_at", c.created_at}, {"title", c.title}, {"input_kind", c.input_kind}});
      }
      send_json(res, 200, dump(a));
    });
    get("/api/v1/cases/{id}", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_param(req, res);
      if (!id) return;
      auto c = db->get_case(*id);
      if (!c) return send_error(res, 404, fmt::format("case {}: not found", *id));
      Json labs = Json::array();
      for (const auto& l : c->labs) labs.push_back(Json::parse(l));
      send_json(res, 200, dump(Json{{"id", c->id}, {"created_at", c->created_at}, {"title", c->title},
                               {"input_kind", c->input_kind}, {"input", Json::parse(c->input)}, {"labs", labs}}
                              ));
    });
    post("/api/v1/cases/{id}/labs", [this](const httplib::Request& req, httplib::Response& res) {
      if (!json_content(req, res)) return;
      auto id = id_param(req, res);
      if (!id) return;
      auto c = db->get_case(*id);
      if (!c) return send_error(res, 404, fmt::format("case {}: not found", *id));
      if (c->input_kind != "native") {
        return send_error(res, 409, "follow-up labs can be added to native cases only (this case is a FHIR Bundle)");
      }
      Json body = Json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object() || !body.contains("labs") || !body["labs"].is_array() ||
          body["labs"].empty()) {
        return send_error(res, 400, "expected {\"labs\": [lab objects as in the case format]}");
      }
      std::vector<std::string> labs;
      for (const auto& l : body["labs"]) labs.push_back(l.dump());
      // Validate the case with the new labs before storing anything.
      store::CaseRecord trial = *c;
      trial.labs.insert(trial.labs.end(), labs.begin(), labs.end());
      std::string merged = merged_input(trial);
      auto r = run_assessment(merged, req, res);
      if (!r) return;
      if (!db->add_labs(*id, labs).is_ok()) return send_error(res, 500, "the labs could not be stored");
      auto stored = db->record_assessment(*id, store::content_hash(merged), kb->version, opt.engine_version, r->first);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      Json result = Json::parse(r->first);
      send_json(res, 201, dump(Json{{"assessment_id", stored.value()},
                               {"alerts", result["safety_plan"]["alerts"]},
                               {"assessment", result}}
                              ));
    });
    post("/api/v1/cases/{id}/assessments", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_param(req, res);
      if (!id) return;
      auto c = db->get_case(*id);
      if (!c) return send_error(res, 404, fmt::format("case {}: not found", *id));
      std::string merged = merged_input(*c);
      auto r = run_assessment(merged, req, res);
      if (!r) return;
      auto stored = db->record_assessment(*id, store::content_hash(merged), kb->version, opt.engine_version, r->first);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      send_json(res, 201, dump(Json{{"assessment_id", stored.value()}, {"assessment", Json::parse(r->first)}}));
    });
    get("/api/v1/cases/{id}/assessments", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_param(req, res);
      if (!id) return;
      if (!db->get_case(*id)) return send_error(res, 404, fmt::format("case {}: not found", *id));
      Json a = Json::array();
      for (const auto& r : db->assessments(*id)) {
        Json result = Json::parse(r.result);
        a.push_back({{"id", r.id}, {"created_at", r.created_at}, {"input_hash", r.input_hash},
                     {"kb_version", r.kb_version}, {"engine_version", r.engine_version},
                     {"classification", result["paradoxical_reaction"]["classification"]},
                     {"alerts", result["safety_plan"]["alerts"].size()}});
      }
      send_json(res, 200, dump(a));
    });

    // CDS Hooks (docs/cds-hooks.md); the gate has checked the Bearer JWT before these run.
    get("/cds-services", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, cds->discovery());
    });
    post("/cds-services/{id}", [this](const httplib::Request& req, httplib::Response& res) {
      std::string id = req.matches[1];
      if (!cds->has(id)) return send_json(res, 404, cds::operation_outcome("not-found", "no such CDS service", "id"));
      if (!json_content(req, res)) return;
      auto r = cds->call(id, req.body, base_url(req));
      send_json(res, r.status, r.body);
    });
    post("/cds-services/{id}/feedback", [this](const httplib::Request& req, httplib::Response& res) {
      std::string id = req.matches[1];
      if (!cds->has(id)) return send_json(res, 404, cds::operation_outcome("not-found", "no such CDS service", "id"));
      if (!json_content(req, res)) return;
      auto r = cds->feedback(id, req.body);
      send_json(res, r.status, r.body);
    });
    get("/api/v1/cds-feedback", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, cds->feedback_list());
    });
  }

  // scheme://Host as the client addressed this server (Host is checked by the gate).
  std::string base_url(const httplib::Request& req) const {
    return fmt::format("{}://{}", core && core->tls() ? "https" : "http", req.get_header_value("Host"));
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
      if (called.size() > kFeedback.size() && called.compare(called.size() - kFeedback.size(), kFeedback.size(), kFeedback) == 0) {
        audiences.push_back(called.substr(0, called.size() - kFeedback.size()));
      }
      auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
      failure = cds_verifier->verify(req.get_header_value("Authorization"), audiences, now.count());
    } else if (!opt.insecure_dev) {
      failure = jwt::Failure{"CDS_AUTH_NOT_CONFIGURED",
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
    // Authentication: CDS Hooks clients by their signed JWT (below). When accounts exist, check
    // their credentials here too; every route, including the static page, passes this point.
    if ((req.path == "/cds-services" || req.path.rfind("/cds-services/", 0) == 0) && req.method != "OPTIONS") {
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
      return route.handler(req, res);
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

  // DNS rebinding: a page on another origin that resolves its own name to this address must not
  // reach the API, so the Host header must name this server.
  std::optional<std::string> host_problem(const httplib::Request& req) const {
    if (req.get_header_value_count("Host") != 1) {
      return req.version == "HTTP/1.0" ? std::nullopt : std::optional<std::string>("Host: expected exactly one");
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
    return fmt::format("Host \"{}\": not a name of this server (allowed: the bind address, localhost, "
                       "127.0.0.1, [::1] and --allowed-host)", text::replace_invalid_utf8(host.substr(0, 100)));
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
    auto it = std::find_if(assets.begin(), assets.end(), [&](const StaticAsset& a) { return a.path == path; });
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
    int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), md, static_cast<int>(n));
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
        for (std::size_t at = a.body.find("<script"); at != std::string_view::npos; at = a.body.find("<script", at + 1)) {
          std::size_t open_end = a.body.find('>', at);
          std::size_t close = a.body.find("</script>", open_end);
          if (open_end == std::string_view::npos || close == std::string_view::npos) break;
          if (a.body.substr(at, open_end - at).find("src=") != std::string_view::npos) continue;
          script_hashes += " 'sha256-" + sha256_base64(a.body.substr(open_end + 1, close - open_end - 1)) + "'";
        }
      }
      assets.push_back(std::move(a));
    }
    content_security_policy = "default-src 'self'; script-src 'self'" + script_hashes +
                              "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                              "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  }

  static std::string escape_for_log(std::string_view s) {
    std::string o;
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F || c == '\\') o += fmt::format("\\x{:02x}", u);
      else o += c;
    }
    return o;
  }

  void log(const http::Exchange& ex) {
    // The route pattern, never the path: ids and query strings may identify a patient's record.
    std::string route = escape_for_log(ex.req.method.empty() ? "-" : ex.req.method) + " " + ex.route;
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

Result<std::unique_ptr<Server>> Server::create(const kb::KnowledgeBase& kb, const ServerOptions& options) {
  std::unique_ptr<Server> s(new Server());
  auto& i = *s->impl_;
  i.kb = &kb;
  i.opt = options;
  auto db = store::Store::open(options.db);
  if (!db.is_ok()) return db.status();
  i.db = std::move(db.value());
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
                              ? "[" + options.host + "]" : options.host;
  i.allowed_hosts = {"localhost", "127.0.0.1", "[::1]", lower(bind_host)};
  for (const auto& h : options.allowed_hosts) i.allowed_hosts.insert(lower(h));
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
  i.cds = std::make_unique<cds::Services>(cc);
  i.prepare_assets();
  i.routes();
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
  cb.run_inline = [](const httplib::Request& req) {
    const std::string& p = req.path;
    return p == "/healthz" || p == "/metrics" || p == "/" || p.rfind("/static/", 0) == 0 ||
           p == "/api/openapi.json" || p == "/api/v1/drugs" || p == "/api/v1/cytokines" || p == "/api/v1/diseases";
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

Result<int> Server::bind() {
  auto& i = *impl_;
  auto port = i.core->bind(i.opt.host, i.opt.port);
  if (!port.is_ok()) return port.status();
  i.port = port.value();
  return i.port;
}

void Server::listen() { impl_->core->run(); }
void Server::stop() { impl_->core->stop(); }
int Server::port() const { return impl_->port; }
bool Server::tls() const { return impl_->core->tls(); }

}  // namespace paraderm::server
