#include "serve_command.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>

#include <thread>

#include "common.h"
#include "paraderm/server.h"

namespace paraderm::cli {
namespace {

// Each connection is a file descriptor: lift the soft limit towards the hard one so that
// --max-connections, not EMFILE, is what bounds them.
void raise_descriptor_limit(int connections) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  rlim_t want = static_cast<rlim_t>(connections) + 256;
  if (r.rlim_cur >= want) return;
  r.rlim_cur = std::min(want, r.rlim_max);
  setrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur < want) {
    fmt::print(stderr, "warning: --max-connections {}: the descriptor limit is {} (ulimit -n)\n",
               connections, static_cast<unsigned long long>(r.rlim_cur));
  }
}

}  // namespace

void add_serve_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* cmd =
      app.add_subcommand("serve", "Serve the HTTP API (docs/openapi.json) until SIGINT or SIGTERM");
  static server::ServerOptions opt;
  cmd->add_option("--host", opt.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", opt.port, "TCP port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--db", opt.db, "SQLite database (created on first start)")
      ->capture_default_str();
  cmd->add_option("--threads", opt.threads, "Worker threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option(
      "--allowed-host", opt.allowed_hosts,
      "Host header name clients use to reach this server (repeatable; the bind address, localhost, "
      "127.0.0.1 and [::1] are always allowed)");
  cmd->add_option("--tls-cert", opt.tls_cert, "PEM certificate (chain): serve HTTPS")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", opt.tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-connections", opt.max_connections,
                  "Open connections; beyond, new ones get 503")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--pv-store", opt.pv_store,
                  "A `paraderm pv ingest` store whose signals /api/v1/signals serves");
  cmd->add_option(
      "--screen-results", opt.screen_results,
      "A `paraderm screen --out` folder whose flagged patients /api/v1/screening serves");
  cmd->add_flag("--quiet", [](std::int64_t) { opt.access_log = false; }, "No access log");
  static std::vector<std::string> cds_jwks;
  cmd->add_option(
      "--cds-jwks", cds_jwks,
      "CDS Hooks client allow-list: ISSUER=FILE, the JWT iss and its JWK Set (repeatable)");
  cmd->add_flag("--insecure-dev", opt.insecure_dev,
                "CDS Hooks routes without authentication (development only; reported on /healthz)");
  cmd->add_flag(
      "--insecure-no-auth", opt.insecure_no_auth,
      "Every route without login (development only; loopback --host only; reported on /healthz)");
  cmd->add_option("--session-idle", opt.session_idle_s,
                  "Seconds of inactivity that end a login session")
      ->check(CLI::Range(60, 7 * 24 * 3600))
      ->capture_default_str();
  cmd->add_option("--session-max", opt.session_absolute_s,
                  "Seconds after login that end a session, used or not")
      ->check(CLI::Range(60, 30 * 24 * 3600))
      ->capture_default_str();
  cmd->add_option(
      "--public-url", opt.public_url,
      "URL clients reach this server at (e.g. https://cds.example.org behind a TLS "
      "proxy): CDS JWT audience and card links; default: scheme and Host of the request");
  cmd->add_option("--cds-region", opt.cds_region,
                  "Label region of the CDS Hooks cards (default: the region of the patient's "
                  "address; none: us, and every option capped as REGION_ASSUMED)")
      ->check(CLI::IsMember({"us", "eu"}));
  cmd->callback([&] {
    auto kb = load_kb(kb_dir);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    opt.engine_version = PARADERM_VERSION;
    if (opt.tls_cert.empty() != opt.tls_key.empty()) {
      fmt::print(stderr, "--tls-cert and --tls-key: expected both or neither\n");
      exit_code = kExitBadInput;
      return;
    }
    for (const auto& spec : cds_jwks) {
      auto eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
        fmt::print(stderr, "--cds-jwks \"{}\": expected ISSUER=FILE\n", spec);
        exit_code = kExitBadInput;
        return;
      }
      opt.cds_jwks.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
    }
    if (opt.insecure_dev && !opt.cds_jwks.empty()) {
      fmt::print(stderr, "--insecure-dev and --cds-jwks: expected one or the other\n");
      exit_code = kExitBadInput;
      return;
    }
    if (opt.insecure_no_auth && !server::is_loopback(opt.host)) {
      fmt::print(
          stderr,
          "--insecure-no-auth: refused with --host {}: only a loopback address (127.0.0.1, ::1, "
          "localhost) may serve without authentication\n",
          opt.host);
      exit_code = kExitBadInput;
      return;
    }
    raise_descriptor_limit(opt.max_connections);
    // Signals are taken by a dedicated thread with sigwait, so shutdown runs outside a handler.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    auto s = server::Server::create(*kb, opt);
    if (!s.is_ok()) {
      fmt::print(stderr, "{}\n", s.status().message());
      exit_code = kExitBadInput;
      return;
    }
    auto& srv = *s.value();
    auto port = srv.bind();
    if (!port.is_ok()) {
      fmt::print(stderr, "{}\n", port.status().message());
      exit_code = kExitBadInput;
      return;
    }
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&set, &sig);
      fmt::print(stderr, "signal {}: stopping\n", sig);
      srv.stop();
    });
    if (!server::is_loopback(opt.host)) {
      fmt::print(stderr,
                 "warning: --host {}: the API is reachable from other machines{}; "
                 "clients must send a Host listed with --allowed-host\n",
                 opt.host,
                 srv.tls() ? ""
                           : ", without TLS (--tls-cert/--tls-key): passwords and patient data "
                             "cross the network in clear text");
    }
    if (opt.insecure_no_auth) {
      fmt::print(
          stderr,
          "WARNING: --insecure-no-auth: every route answers WITHOUT login, to anyone who can reach "
          "{}; development only (reported on /healthz as auth: disabled)\n",
          opt.host);
    }
    if (opt.insecure_dev) {
      fmt::print(
          stderr,
          "WARNING: --insecure-dev: the CDS Hooks routes accept calls WITHOUT authentication; "
          "never use this with patient data (reported on /healthz as cds_auth: insecure-dev)\n");
    } else if (opt.cds_jwks.empty()) {
      fmt::print(stderr,
                 "CDS Hooks routes answer 401: no client allow-list (--cds-jwks ISSUER=FILE)\n");
    }
    fmt::print("paraderm {} serving on {}://{}:{}/ (database {})\n", PARADERM_VERSION,
               srv.tls() ? "https" : "http",
               opt.host.find(':') != std::string::npos ? "[" + opt.host + "]" : opt.host,
               port.value(), opt.db);
    std::fflush(stdout);
    srv.listen();
    // The waiter has SIGTERM blocked and takes it in sigwait: this wakes it (if listen ended
    // otherwise), it terminates nothing.
    pthread_kill(waiter.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    waiter.join();
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
