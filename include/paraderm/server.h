// The HTTP API (`paraderm serve`): assessment, KB look-ups, pathway profiles, saved cases with
// follow-up labs and the assessment audit trail, health and Prometheus metrics. The routes and
// their JSON are documented in docs/openapi.json, served at /api/openapi.json.
//
// Contract:
//  * Bad input never yields a 5xx: malformed JSON, a wrong content type, an oversize body, an
//    unknown route or id are 4xx with {"error": {"status", "message", "problems"?}}.
//  * No patient data is logged: the access log holds method, route, status and latency only.
//  * Every assessment is stored with its input hash, KB version, engine version and time; a write
//    is acknowledged only once it is durable (group commit, src/store).
//  * Idle or slow connections hold no worker: one I/O thread owns the sockets, workers run
//    complete requests only (src/server/http_core.h). /healthz answers on the I/O thread.
//  * Requests must name this server in Host (DNS rebinding) and be UTF-8 throughout.
//  * Every route but the page, its files, /healthz, /api/openapi.json and the login needs a
//    session (cookie + X-CSRF-Token on writes) or an API token (Authorization: Bearer); the role
//    it admits is in one table (src/server/access.h, docs/server.md). CDS Hooks routes take their
//    client's signed JWT instead. --insecure-no-auth (loopback only) turns this off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "paraderm/kb.h"
#include "paraderm/status.h"

namespace paraderm::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port)
  std::string db = "paraderm.db";
  int threads = 32;  // workers running handlers (a handler waits for its durable write)
  std::size_t max_body_bytes = 4 << 20;
  int header_timeout_ms = 10'000;  // first byte of a request to the end of its headers
  int body_timeout_ms = 30'000;    // end of the headers to the end of the body
  int idle_timeout_ms = 5'000;     // keep-alive connection without a request
  int write_timeout_ms = 10'000;   // a response the client does not read
  int max_connections = 4096;      // open connections; beyond, new ones get 503 and are closed
  int backlog = 1024;              // listen queue
  int keep_alive_max = 1000;       // requests per connection
  // Host header names accepted besides the bind address, localhost, 127.0.0.1 and [::1].
  std::vector<std::string> allowed_hosts;
  std::string tls_cert, tls_key;  // PEM files; both set: HTTPS only
  std::string engine_version = "dev";
  bool access_log = true;
  // A `paraderm pv ingest` store: its signals are computed at start and served at /api/v1/signals.
  std::string pv_store;
  // A `paraderm screen --out` folder (flagged.ndjson + summary.json): read and checked at start,
  // its flagged patients served at /api/v1/screening.
  std::string screen_results;
  // CDS Hooks (docs/cds-hooks.md): issuer -> JWK Set file, the allow-list of clients whose Bearer
  // JWTs are accepted. Empty: the CDS routes answer 401 unless insecure_dev.
  std::vector<std::pair<std::string, std::string>> cds_jwks;
  bool insecure_dev = false;  // CDS routes without authentication (development only; on /healthz)
  std::string cds_region;  // label region of CDS cards; empty: the patient's address (cds_hooks.h)
  std::string cds_as_of;   // assessment date of CDS calls (tests); empty: today
  // The URL clients use to reach this server (e.g. https://cds.example.org behind a TLS proxy):
  // the CDS JWT audience and the card links are built from it. Empty: scheme and Host of the
  // request. Checked at start: http(s)://host[:port][/path], no query, no trailing slash.
  std::string public_url;

  // Accounts (docs/server.md, "Accounts and roles").
  bool insecure_no_auth = false;          // every route open; refused unless `host` is loopback
  int session_idle_s = 30 * 60;           // a session unused this long ends
  int session_absolute_s = 12 * 60 * 60;  // a session ends this long after login, used or not
  int login_window_s = 15 * 60;           // failed logins are counted over this window...
  int login_failures_per_user = 5;        // ...and beyond these counts answered 429 until it ends
  int login_failures_per_address = 20;
  int password_hash_concurrency = 2;  // argon2id runs at once (64 MiB each)
  // Seconds since the epoch; tests inject a clock to expire sessions without sleeping.
  std::function<std::int64_t()> clock;
  // Receives the one-time message with the first-start admin password; default: stderr.
  std::function<void(const std::string&)> announce;
};

// One request handed to the server without a socket (Server::handle_local).
struct LocalRequest {
  std::string method = "GET";
  std::string target;  // path and query, as on the request line ("/api/v1/cases?title=x")
  std::vector<std::pair<std::string, std::string>> headers;  // Host is added when absent
  std::string body;
  std::string remote_addr = "127.0.0.1";
};

struct LocalResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// True for 127.0.0.0/8, ::1 and localhost: the only binds --insecure-no-auth accepts.
bool is_loopback(const std::string& host);

class Server {
 public:
  static Result<std::unique_ptr<Server>> create(const kb::KnowledgeBase& kb,
                                                const ServerOptions& options);
  ~Server();
  // Binds the socket; returns the port (useful with port 0) or an error.
  Result<int> bind();
  // Serves until stop(); call after bind().
  void listen();
  void stop();
  // Runs one request through everything a request meets after the transport has framed it (Host
  // and UTF-8 checks, authentication, the route, the security headers) on the calling thread,
  // without a socket: the fuzz harness's entry (fuzz/http_post.cpp). The transport's own limits
  // (sizes, deadlines, framing) are not applied; bind() and listen() are not needed. Thread-safe
  // like the workers that call the same path.
  LocalResponse handle_local(const LocalRequest& request);
  int port() const;
  bool tls() const;

 private:
  Server();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace paraderm::server
