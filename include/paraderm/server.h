// The HTTP API (`paraderm serve`): assessment, KB look-ups, pathway profiles, saved cases with
// follow-up labs and the assessment audit trail, health and Prometheus metrics. The routes and
// their JSON are documented in docs/openapi.json, served at /api/openapi.json.
//
// Contract:
//  * Bad input never yields a 5xx: malformed JSON, a wrong content type, an oversize body, an
//    unknown route or id are 4xx with {"error": {"status", "message", "problems"?}}.
//  * No patient data is logged: the access log holds method, route, status and latency only.
//  * Every assessment is stored with its input hash, KB version, engine version and time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "paraderm/kb.h"
#include "paraderm/status.h"

namespace paraderm::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;           // 0: any free port (see Server::port)
  std::string db = "paraderm.db";
  int threads = 16;          // worker pool (keep-alive connections each hold one)
  std::size_t max_body_bytes = 4 << 20;
  int read_timeout_s = 10, write_timeout_s = 10, keep_alive_max = 100;
  std::string engine_version = "dev";
  bool access_log = true;
  // A `paraderm pv ingest` store: its signals are computed at start and served at /api/v1/signals.
  std::string pv_store;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> create(const kb::KnowledgeBase& kb, const ServerOptions& options);
  ~Server();
  // Binds the socket; returns the port (useful with port 0) or an error.
  Result<int> bind();
  // Serves until stop(); call after bind().
  void listen();
  void stop();
  int port() const;

 private:
  Server();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paraderm::server
