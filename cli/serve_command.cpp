#include "serve_command.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <thread>

#include "common.h"
#include "paraderm/server.h"

namespace paraderm::cli {

void add_serve_command(CLI::App& app, const std::string& kb_dir, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Serve the HTTP API (docs/openapi.json) until SIGINT or SIGTERM");
  static server::ServerOptions opt;
  cmd->add_option("--host", opt.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", opt.port, "TCP port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--db", opt.db, "SQLite database (created on first start)")->capture_default_str();
  cmd->add_option("--threads", opt.threads, "Worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--pv-store", opt.pv_store, "A `paraderm pv ingest` store whose signals /api/v1/signals serves");
  cmd->add_flag("--quiet", [](std::int64_t) { opt.access_log = false; }, "No access log");
  cmd->callback([&] {
    auto kb = load_kb(kb_dir);
    if (!kb) {
      exit_code = kExitBadInput;
      return;
    }
    opt.engine_version = PARADERM_VERSION;
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
    fmt::print("paraderm {} serving on http://{}:{}/ (database {})\n", PARADERM_VERSION, opt.host,
               port.value(), opt.db);
    std::fflush(stdout);
    srv.listen();
    pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter if listen ended otherwise
    waiter.join();
    exit_code = kExitOk;
  });
}

}  // namespace paraderm::cli
