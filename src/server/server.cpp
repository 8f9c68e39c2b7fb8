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

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/pathways.h"
#include "paraderm/pv_data.h"
#include "paraderm/store.h"

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

thread_local std::chrono::steady_clock::time_point request_start;

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
  send_json(res, status, Json{{"error", e}}.dump());
}

bool json_content(const httplib::Request& req, httplib::Response& res) {
  auto ct = req.get_header_value("Content-Type");
  if (ct.rfind("application/json", 0) == 0 || ct.rfind("application/fhir+json", 0) == 0) return true;
  send_error(res, 415, fmt::format("Content-Type \"{}\": expected application/json or application/fhir+json", ct));
  return false;
}

std::optional<std::int64_t> id_param(const httplib::Request& req, httplib::Response& res) {
  const std::string& s = req.matches[1];
  try {
    std::size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size() && v > 0) return v;
  } catch (...) {
  }
  send_error(res, 400, fmt::format("case id \"{}\": expected a positive integer", s));
  return std::nullopt;
}

}  // namespace

struct Server::Impl {
  const kb::KnowledgeBase* kb = nullptr;
  ServerOptions opt;
  httplib::Server http;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<assess::PathwayCache> cache;
  Metrics metrics;
  int port = 0;
  Json signal_fit;  // the store's MGPS fit, when a pv store is configured
  std::shared_ptr<const pv::SignalTable> signal_table;
  std::vector<std::uint32_t> signal_order;           // score indexes by EB05, best first
  std::vector<std::string> drug_upper, event_upper;  // names in upper case, for the filters
  std::shared_ptr<const assess::SignalSource> signal_source;  // the same store, for the assessment

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
                  {"fit_points", t.fit_points}, {"reports", t.reports}};
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
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, Json{{"status", "ok"}, {"kb_version", kb->version},
                               {"engine_version", opt.engine_version}, {"db_schema", db->schema_version()}}
                              .dump());
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.render(), "text/plain; version=0.0.4");
    });
    auto asset = [](const std::string& path, httplib::Response& res) {
      for (std::size_t i = 0; i < kWebAssetCount; ++i) {
        if (path == kWebAssets[i].path) {
          res.set_content(kWebAssets[i].data, kWebAssets[i].size, kWebAssets[i].mime);
          res.set_header("Cache-Control", "no-cache");
          return true;
        }
      }
      return false;
    };
    http.Get("/", [asset](const httplib::Request&, httplib::Response& res) { asset("index.html", res); });
    http.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    http.Get(R"(/static/([A-Za-z0-9_./-]+))", [asset](const httplib::Request& req, httplib::Response& res) {
      std::string path = req.matches[1];
      if (path.find("..") != std::string::npos || !asset(path, res)) {
        send_error(res, 404, "no such static file");
      }
    });
    http.Get("/api/openapi.json", [](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, kOpenApiJson);
    });

    http.Post("/api/v1/assess", [this](const httplib::Request& req, httplib::Response& res) {
      if (!json_content(req, res)) return;
      auto r = run_assessment(req.body, req, res);
      if (!r) return;
      auto stored = db->record_assessment(std::nullopt, store::content_hash(req.body), kb->version,
                                          opt.engine_version, r->first);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      send_json(res, 200, r->first);
    });

    http.Get("/api/v1/signals", [this](const httplib::Request& req, httplib::Response& res) {
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
      send_json(res, 200, Json{{"fit", signal_fit}, {"pairs", out},
                               {"note", "reporting signals from spontaneous reports, not incidences"}}.dump());
    });
    http.Get("/api/v1/drugs", [this](const httplib::Request&, httplib::Response& res) {
      Json a = Json::array();
      for (const auto& d : kb->drugs) a.push_back({{"id", d.id}, {"name", d.name}, {"route", d.route}});
      send_json(res, 200, a.dump());
    });
    auto show = [this](const char* kind) {
      return [this, kind](const httplib::Request& req, httplib::Response& res) {
        std::string id = req.matches[1];
        for (const auto& e : kb::show_entry(*kb, id, -1)) {
          Json j = Json::parse(e);
          if (j["kind"] == kind) return send_json(res, 200, j["entry"].dump());
        }
        send_error(res, 404, fmt::format("{} \"{}\": not in the KB", kind, id));
      };
    };
    http.Get(R"(/api/v1/drugs/([A-Za-z0-9._+-]+))", show("drug"));
    http.Get(R"(/api/v1/sources/([A-Za-z0-9._+-]+))", show("source"));
    auto list = [this](const char* kind) {
      return [this, kind](const httplib::Request&, httplib::Response& res) {
        Json a = Json::array();
        const auto entries = kb::list_kind(*kb, kind);
        for (const auto& [id, name] : *entries) a.push_back({{"id", id}, {"name", name}});
        send_json(res, 200, a.dump());
      };
    };
    http.Get("/api/v1/cytokines", list("cytokine"));
    http.Get("/api/v1/diseases", list("disease"));

    http.Get("/api/v1/pathways", [this](const httplib::Request& req, httplib::Response& res) {
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
      send_json(res, 200, out.dump());
    });

    http.Post("/api/v1/cases", [this](const httplib::Request& req, httplib::Response& res) {
      if (!json_content(req, res)) return;
      auto parsed = clinical::parse_case(req.body, *kb, {});
      if (!parsed.record) return send_error(res, 400, "the case is not valid", parsed.problems);
      std::string title = req.has_param("title") ? req.get_param_value("title") : "";
      if (title.size() > 200) return send_error(res, 400, "title: expected at most 200 characters");
      auto id = db->save_case(title, parsed.record->input_kind, req.body);
      if (!id.is_ok()) return send_error(res, 500, "the case could not be stored");
      send_json(res, 201, Json{{"id", id.value()}}.dump());
    });
    http.Get("/api/v1/cases", [this](const httplib::Request&, httplib::Response& res) {
      Json a = Json::array();
      for (const auto& c : db->list_cases()) {
        a.push_back({{"id", c.id}, {"created_at", c.created_at}, {"title", c.title}, {"input_kind", c.input_kind}});
      }
      send_json(res, 200, a.dump());
    });
    http.Get(R"(/api/v1/cases/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_param(req, res);
      if (!id) return;
      auto c = db->get_case(*id);
      if (!c) return send_error(res, 404, fmt::format("case {}: not found", *id));
      Json labs = Json::array();
      for (const auto& l : c->labs) labs.push_back(Json::parse(l));
      send_json(res, 200, Json{{"id", c->id}, {"created_at", c->created_at}, {"title", c->title},
                               {"input_kind", c->input_kind}, {"input", Json::parse(c->input)}, {"labs", labs}}
                              .dump());
    });
    http.Post(R"(/api/v1/cases/([^/]+)/labs)", [this](const httplib::Request& req, httplib::Response& res) {
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
      send_json(res, 201, Json{{"assessment_id", stored.value()},
                               {"alerts", result["safety_plan"]["alerts"]},
                               {"assessment", result}}
                              .dump());
    });
    http.Post(R"(/api/v1/cases/([^/]+)/assessments)", [this](const httplib::Request& req, httplib::Response& res) {
      auto id = id_param(req, res);
      if (!id) return;
      auto c = db->get_case(*id);
      if (!c) return send_error(res, 404, fmt::format("case {}: not found", *id));
      std::string merged = merged_input(*c);
      auto r = run_assessment(merged, req, res);
      if (!r) return;
      auto stored = db->record_assessment(*id, store::content_hash(merged), kb->version, opt.engine_version, r->first);
      if (!stored.is_ok()) return send_error(res, 500, "the assessment could not be stored");
      send_json(res, 201, Json{{"assessment_id", stored.value()}, {"assessment", Json::parse(r->first)}}.dump());
    });
    http.Get(R"(/api/v1/cases/([^/]+)/assessments)", [this](const httplib::Request& req, httplib::Response& res) {
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
      send_json(res, 200, a.dump());
    });

    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 404) return send_error(res, 404, fmt::format("no route {} {}", req.method, req.path));
      if (res.status == 413) return send_error(res, 413, "request body too large");
      send_error(res, res.status, fmt::format("HTTP {}", res.status));
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_error(res, 500, "internal error");
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      // Route pattern, not the path: ids and query strings may identify a patient's record.
      std::string route = req.matches.size() > 0 ? req.method + " " + route_of(req.path) : req.method + " (none)";
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start).count();
      metrics.observe(route, res.status, secs);
      if (opt.access_log) fmt::print(stderr, "{} {} {:.3f}ms\n", route, res.status, secs * 1000);
    });
    // A request is routed, handled and logged on one worker thread.
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }

  static std::string route_of(const std::string& path) {
    // Collapse ids: /api/v1/cases/12/labs -> /api/v1/cases/{id}/labs.
    std::string out;
    std::size_t i = 0;
    while (i < path.size()) {
      std::size_t j = path.find('/', i + 1);
      std::string seg = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
      bool numeric = seg.size() > 1 && std::all_of(seg.begin() + 1, seg.end(), ::isdigit);
      bool entity = out == "/api/v1/drugs" || out == "/api/v1/sources";
      out += numeric ? "/{id}" : (entity && seg.size() > 1 ? "/{id}" : seg);
      if (j == std::string::npos) break;
      i = j;
    }
    return out;
  }
};

Server::Server() : impl_(std::make_unique<Impl>()) {}
Server::~Server() = default;

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
  i.http.new_task_queue = [n = options.threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
  i.http.set_tcp_nodelay(true);
  i.http.set_keep_alive_max_count(static_cast<std::size_t>(options.keep_alive_max));
  i.http.set_read_timeout(options.read_timeout_s, 0);
  i.http.set_write_timeout(options.write_timeout_s, 0);
  i.http.set_payload_max_length(options.max_body_bytes);
  i.routes();
  return s;
}

Result<int> Server::bind() {
  auto& i = *impl_;
  if (i.opt.port == 0) {
    i.port = i.http.bind_to_any_port(i.opt.host);
  } else {
    i.port = i.http.bind_to_port(i.opt.host, i.opt.port) ? i.opt.port : -1;
  }
  if (i.port <= 0) {
    return Status::io_error(fmt::format("--port: cannot listen on {}:{} (in use or not permitted)", i.opt.host, i.opt.port));
  }
  return i.port;
}

void Server::listen() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }
int Server::port() const { return impl_->port; }

}  // namespace paraderm::server
