// The request bodies of every POST route of `paraderm serve` (src/server/server.cpp), through
// Server::handle_local: the path every request takes after the transport (Host and UTF-8 checks,
// authentication, the route, the security headers) on this thread, without a socket (the
// transport's framing, limits and deadlines have their own tests: tests/server/hardening_test.cpp).
// The first byte picks the route, the rest is the body (application/json). Beyond crashes, a 5xx
// answer is a finding (server.h: bad input never yields a 5xx). The server runs without
// authentication (--insecure-no-auth, loopback) and with insecure CDS routes: authentication is
// fuzzed by jwt.cpp, the routes' input handling here. Its database is on tmpfs and replaced every
// 20 000 inputs.
//
// Every input to a route of one case ({id}) acts on a case saved just before it, so what an input
// does to a case does not depend on the inputs before it: a finding replays alone (libFuzzer needs
// that), and follow-up labs do not accumulate. They did, with one case per 32 inputs, and
// assessing the case with the labs earlier inputs had added took 72 % of the run's time (perf over
// the grown corpus, 2026-12-06: ~510 inputs/s alone).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_support.h"
#include "paraderm/server.h"

namespace {

namespace fs = std::filesystem;
using paraderm::fuzz::violation;

// {id} is a case saved for that input (save_seed_case).
constexpr const char* kRoutes[] = {
    "/api/v1/assess",
    "/api/v1/cases",
    "/api/v1/cases/{id}/share",
    "/api/v1/cases/{id}/feedback",
    "/api/v1/cases/{id}/labs",
    "/api/v1/cases/{id}/assessments",
    "/cds-services/paraderm-patient-view",
    "/cds-services/paraderm-order-select",
    "/cds-services/paraderm-order-sign",
    "/cds-services/paraderm-order-sign/feedback",
    "/api/v1/session",
    "/api/v1/users",
};
constexpr std::size_t kRouteCount = sizeof kRoutes / sizeof kRoutes[0];
constexpr int kInputsPerServer = 20000;

// A valid native case, for the case routes to act on.
std::string seed_case() {
  std::ifstream in(PARADERM_SOURCE_DIR "/examples/dupilumab-psoriasis.json", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) violation("examples/dupilumab-psoriasis.json is missing");
  return text;
}

class Harness {
 public:
  Harness() { start(); }
  ~Harness() { stop(); }

  void send(std::size_t route, const std::string& body) {
    if (++inputs_ % kInputsPerServer == 0) {
      stop();
      start();
    }
    std::string path = kRoutes[route];
    if (auto at = path.find("{id}"); at != std::string::npos) {
      save_seed_case();
      path.replace(at, 4, case_id_);
    }
    auto r = post(path, body);
    if (r.status >= 500) {
      violation("POST " + path + " answered " + std::to_string(r.status) + ": " + r.body);
    }
  }

 private:
  void start() {
    db_ = paraderm::fuzz::scratch_dir() / "server.db";
    remove_db();
    paraderm::server::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.db = db_.string();
    o.threads = 2;
    o.access_log = false;
    o.insecure_no_auth = true;
    o.insecure_dev = true;
    o.cds_as_of = "2026-01-15";
    o.announce = [](const std::string&) {};
    auto s = paraderm::server::Server::create(paraderm::fuzz::shipped_kb(), o);
    if (!s.is_ok()) violation("server: " + s.status().message());
    server_ = std::move(s.value());
  }

  paraderm::server::LocalResponse post(const std::string& target, const std::string& body) {
    return server_->handle_local({"POST", target, {{"Content-Type", "application/json"}}, body});
  }

  void save_seed_case() {
    static const std::string text = seed_case();
    auto r = post("/api/v1/cases", text);
    if (r.status != 200 && r.status != 201) violation("the seed case was not saved: " + r.body);
    auto id = nlohmann::json::parse(r.body, nullptr, false);
    if (!id.is_object() || !id.contains("id")) violation("the seed case has no id: " + r.body);
    case_id_ = id["id"].is_string() ? id["id"].get<std::string>() : id["id"].dump();
  }

  void stop() {
    server_.reset();
    remove_db();
  }

  void remove_db() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_.string() + suffix);
  }

  fs::path db_;
  std::unique_ptr<paraderm::server::Server> server_;
  std::string case_id_;
  long inputs_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static Harness harness;
  harness.send(data[0] % kRouteCount, std::string(paraderm::fuzz::as_view(data + 1, size - 1)));
  return 0;
}
