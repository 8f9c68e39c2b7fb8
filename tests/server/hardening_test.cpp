// The server against hostile and broken clients (fuzz findings F1-F6, F10 of the 0.1.0 release;
// shared/fuzz-findings/README.md): every answer is 4xx, the server stays up, and idle or slow
// connections hold no worker. Raw sockets are used where a well-behaved client cannot send the
// request (bad bytes in the request line or headers, partial requests).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "../test_support.h"
#include "paraderm/server.h"
#include "paraderm/store.h"

namespace paraderm::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string example() { return paraderm::testing::repo_file("examples/dupilumab-psoriasis.json"); }

// These tests are about the transport, not accounts (tests/server/auth_test.cpp): loopback
// without authentication.
ServerOptions quiet() {
  ServerOptions o;
  o.access_log = false;
  o.insecure_no_auth = true;
  return o;
}

// A server on a free loopback port, in this process.
class Running {
 public:
  explicit Running(ServerOptions o = quiet(), const std::string& tag = "h") {
    db_ = fs::temp_directory_path() / ("paraderm_hard_" + tag + std::to_string(::getpid()) + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_.string() + suffix);
    if (o.db == "paraderm.db")
      o.db = db_.string();
    else
      db_ = o.db;
    o.port = 0;
    auto s = Server::create(paraderm::testing::shipped_kb(), o);
    if (!s.is_ok()) throw std::runtime_error(s.status().message());
    server_ = std::move(s.value());
    port_ = server_->bind().value();
    thread_ = std::thread([this] { server_->listen(); });
  }
  ~Running() {
    server_->stop();
    thread_.join();
    server_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_.string() + suffix);
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(5, 0);
    return c;
  }
  bool healthy() const {
    auto r = client().Get("/healthz");
    return r && r->status == 200;
  }
  const fs::path& db() const { return db_; }
  Server& server() { return *server_; }

 private:
  fs::path db_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::thread thread_;
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// Everything the server sends until it closes the connection (or 5 s pass).
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// One raw request on a fresh connection; the whole answer (the request asks to close).
std::string raw(int port, const std::string& request) {
  int fd = connect_to(port);
  if (fd < 0) return "";
  send_all(fd, request);
  std::string r = read_all(fd);
  ::close(fd);
  return r;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string get_close(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "Connection: close\r\n\r\n";
}

TEST(Hardening, InvalidUtf8InThePathIs400AndTheServerStaysUp) {  // F3
  Running s;
  auto r = s.client().Get("/%FF");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("not UTF-8"), std::string::npos) << r->body;
  EXPECT_TRUE(s.healthy());
}

TEST(Hardening, InvalidUtf8InIdsParametersAndHeadersIs400) {  // F4, F5
  Running s;
  auto c = s.client();
  auto title = c.Post("/api/v1/cases?title=%FF", example(), "application/json");
  ASSERT_TRUE(title);
  EXPECT_EQ(title->status, 400);
  for (const char* target : {"/api/v1/cases/%FF", "/api/v1/pathways?drug=%FF"}) {
    auto r = c.Get(target);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << target;
  }
  for (const char* q : {"region=%FF", "start=%FF"}) {
    auto r = c.Post((std::string("/api/v1/assess?") + q).c_str(), example(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << q;
  }
  std::string body = example();
  std::string req =
      "POST /api/v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\xff\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  EXPECT_EQ(status_of(raw(s.port(), req)), 400);
  // Nothing was stored by the refused title: the list answers, and is empty.
  auto list = c.Get("/api/v1/cases");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_TRUE(Json::parse(list->body).empty());
}

TEST(Hardening, AnAlreadyPoisonedDatabaseStillLists) {  // F4, a database written by 0.1.0
  fs::path db =
      fs::temp_directory_path() / ("paraderm_poison_" + std::to_string(::getpid()) + ".db");
  fs::remove(db);
  {
    auto st = store::Store::open(db.string());
    ASSERT_TRUE(st.is_ok());
    ASSERT_TRUE(st.value()->save_case("ok", "native", example()).is_ok());
  }
  {
    SQLite::Database raw_db(db.string(), SQLite::OPEN_READWRITE);
    raw_db.exec(
        "INSERT INTO cases(created_at, title, input_kind, input) VALUES('2026-01-01T00:00:00Z', "
        "CAST(X'41FF42' AS TEXT), 'native', '{}')");
  }
  ServerOptions o = quiet();
  o.db = db.string();
  Running s(o, "poison");
  auto list = s.client().Get("/api/v1/cases");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  Json cases = Json::parse(list->body);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0]["title"],
            "A\xEF\xBF\xBD"
            "B");  // the bad byte as U+FFFD
  auto one = s.client().Get(("/api/v1/cases/" + std::to_string(cases[0]["id"].get<int>())).c_str());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
}

TEST(Hardening, DeepJsonIsRefusedBeforeParsingOnEveryBodyRoute) {  // F1 through HTTP
  Running s;
  auto c = s.client();
  std::string deep = "{\"patient\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string deep_labs =
      "{\"labs\":[" + std::string(100000, '[') + std::string(100000, ']') + "]}";
  std::string depth_257 = std::string(257, '[') + std::string(257, ']');
  std::string depth_256_labs = "{\"labs\":" + std::string(255, '[') + std::string(255, ']') + "}";
  auto saved = c.Post("/api/v1/cases", example(), "application/json");
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->status, 201);
  std::string labs =
      "/api/v1/cases/" + std::to_string(Json::parse(saved->body)["id"].get<int>()) + "/labs";
  for (const auto& [path, body] :
       std::vector<std::pair<std::string, std::string>>{{"/api/v1/assess", deep},
                                                        {"/api/v1/cases", deep},
                                                        {labs, deep_labs},
                                                        {"/api/v1/assess", depth_257}}) {
    auto r = c.Post(path.c_str(), body, "application/json");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_NE(r->body.find("nested deeper than 256"), std::string::npos) << r->body;
  }
  // At the limit the body is parsed and judged on its content (labs must be lab objects).
  auto at_limit = c.Post(labs.c_str(), depth_256_labs, "application/json");
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->status, 400);
  EXPECT_EQ(at_limit->body.find("nested deeper"), std::string::npos) << at_limit->body;
  EXPECT_TRUE(s.healthy());
}

TEST(Hardening, FhirDoseAndRateNotAnObjectIsNot5xx) {  // F2 through HTTP
  Running s;
  auto r = s.client().Post("/api/v1/assess",
                           paraderm::testing::repo_file("tests/fuzz/fhir-doseAndRate-abort.json"),
                           "application/fhir+json");
  ASSERT_TRUE(r);
  EXPECT_LT(r->status, 500) << r->body;
  EXPECT_TRUE(s.healthy());
}

TEST(Hardening, AHugeNameIsAnsweredQuickly) {  // F6 through HTTP (4 MB name, default 4 MiB limit)
  Running s;
  Json c = Json::parse(example());
  c["conditions"].push_back(
      {{"name", std::string(4'000'000, 'X')}, {"onset", "2020-01-01"}, {"status", "active"}});
  auto t0 = Clock::now();
  auto r = s.client().Post("/api/v1/assess", c.dump(), "application/json");
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_TRUE(r);
  EXPECT_LT(r->status, 500);
  EXPECT_LT(secs, 3.0) << "fuzzy matching without a length cut-off took 20 s in 0.1.0";
}

TEST(Hardening, AccessLogCannotBeForged) {  // F10
  ServerOptions o = quiet();
  o.access_log = true;
  ::testing::internal::CaptureStderr();
  {
    Running s(o);
    auto r = s.client().Get("/api/v1/cases/abc%0aFORGED%20LOG%20LINE%20200%200.1ms");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    raw(s.port(), "GET /x\x01y HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("FORGED"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /api/v1/cases/{id} 400"), std::string::npos) << log;
  for (char ch : log) EXPECT_TRUE(ch == '\n' || static_cast<unsigned char>(ch) >= 0x20) << log;
}

TEST(Hardening, HostMustNameThisServer) {  // DNS rebinding
  ServerOptions o = quiet();
  o.allowed_hosts = {"paraderm.example.org"};
  Running s(o);
  auto evil =
      raw(s.port(),
          "GET /api/v1/cases HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(evil), 421) << evil;
  auto none = raw(s.port(), "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(none), 421) << none;
  for (const char* host : {"127.0.0.1", "localhost:8080", "[::1]:1", "paraderm.example.org",
                           "PARADERM.example.org:443"}) {
    auto ok = raw(s.port(), std::string("GET /healthz HTTP/1.1\r\nHost: ") + host +
                                "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(ok), 200) << host;
  }
}

TEST(Hardening, ContentLengthIsCheckedBeforeTheBodyIsRead) {
  ServerOptions o = quiet();
  o.max_body_bytes = 64 * 1024;
  Running s(o);
  auto post = [&](const std::string& length) {
    return raw(
        s.port(),
        "POST /api/v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
            length + "\r\n\r\n");
  };
  for (const char* bad : {"-1", "+5", "1e3", "99999999999999999999999", "12 34", ""}) {
    EXPECT_EQ(status_of(post(bad)), 400) << "Content-Length: " << bad;
  }
  // Larger than the limit: 413 at once, without waiting for a body that is never sent.
  auto t0 = Clock::now();
  EXPECT_EQ(status_of(post("5000000000")), 413);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 1.0);
  auto two = raw(s.port(),
                 "POST /api/v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                 "Content-Length: 3\r\n\r\n{}");
  EXPECT_EQ(status_of(two), 400);
  auto smuggle = raw(s.port(),
                     "POST /api/v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n{}");
  EXPECT_EQ(status_of(smuggle), 400);
  EXPECT_TRUE(s.healthy());
}

TEST(Hardening, ChunkedBodiesAndPipelinedRequests) {
  Running s;
  std::string body = example();
  std::string chunked =
      "POST /api/v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  std::size_t half = body.size() / 2;
  chunked += fmt::format("{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n", half, body.substr(0, half),
                         body.size() - half, body.substr(half));
  EXPECT_EQ(status_of(raw(s.port(), chunked)), 200);
  std::string three =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "GET /api/v1/drugs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
      get_close("/healthz");
  std::string answers = raw(s.port(), three);
  std::size_t n = 0;
  for (std::size_t at = answers.find("HTTP/1.1 200"); at != std::string::npos;
       at = answers.find("HTTP/1.1 200", at + 1))
    ++n;
  EXPECT_EQ(n, 3u) << answers.substr(0, 400);
}

TEST(Hardening, WrongMethodIs405WithAllowAndOptionsAnswers) {
  Running s;
  auto c = s.client();
  auto del = c.Delete("/api/v1/cases");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_EQ(del->get_header_value("Allow"), "GET, HEAD, OPTIONS, POST");
  auto get_assess = c.Get("/api/v1/assess");
  ASSERT_TRUE(get_assess);
  EXPECT_EQ(get_assess->status, 405);
  EXPECT_EQ(get_assess->get_header_value("Allow"), "OPTIONS, POST");
  auto options = c.Options("/api/v1/assess");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->get_header_value("Allow"), "OPTIONS, POST");
  EXPECT_FALSE(options->has_header("Access-Control-Allow-Origin"));  // same origin only
  auto head = c.Head("/healthz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

TEST(Hardening, SecurityHeadersAndCaching) {
  Running s;
  auto c = s.client();
  auto cases = c.Get("/api/v1/cases");
  ASSERT_TRUE(cases);
  EXPECT_EQ(cases->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(cases->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(cases->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(cases->get_header_value("Referrer-Policy"), "no-referrer");
  std::string csp = cases->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("'unsafe-inline'; img"), csp.find("'unsafe-inline'; img"));  // styles only
  EXPECT_EQ(csp.find("script-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
  auto err = c.Get("/api/v1/cases/999");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->get_header_value("Cache-Control"), "no-store");
  // Static files: ETag, revalidation, gzip prepared once.
  auto page = c.Get("/static/vendor/preact.module.js");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  std::string etag = page->get_header_value("ETag");
  EXPECT_FALSE(etag.empty());
  EXPECT_NE(page->get_header_value("Cache-Control").find("max-age=31536000"), std::string::npos);
  auto again = c.Get("/static/vendor/preact.module.js", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  std::string zipped =
      raw(s.port(), get_close("/static/vendor/preact.module.js", "Accept-Encoding: gzip\r\n"));
  EXPECT_NE(zipped.find("Content-Encoding: gzip"), std::string::npos);
  std::string plain = raw(s.port(), get_close("/static/vendor/preact.module.js"));
  EXPECT_EQ(plain.find("Content-Encoding"), std::string::npos);
  EXPECT_LT(zipped.size(), plain.size());
}

TEST(Hardening, DatabaseFileIsPrivate) {
  Running s;
  ASSERT_TRUE(s.client().Post("/api/v1/cases", example(), "application/json"));
  struct stat st{};
  ASSERT_EQ(::stat(s.db().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Slow and idle connections hold no worker: with two workers, 200 slowloris connections and 300
// idle keep-alive connections, /healthz (I/O thread) and /api/v1/drugs (a worker) still answer at
// once; the slow ones are cut at the header deadline with 408.
TEST(Hardening, SlowAndIdleConnectionsHoldNoWorker) {
  ServerOptions o = quiet();
  o.threads = 2;
  o.header_timeout_ms = 1500;
  o.idle_timeout_ms = 30'000;
  Running s(o);
  std::vector<int> slow, idle;
  for (int i = 0; i < 200; ++i) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    slow.push_back(fd);
  }
  for (int i = 0; i < 300; ++i) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /api/v1/cytokines HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    idle.push_back(fd);
  }
  auto c = s.client();
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    auto t0 = Clock::now();
    auto h = c.Get("/healthz");
    auto d = c.Get("/api/v1/drugs");
    worst = std::max(worst, std::chrono::duration<double>(Clock::now() - t0).count());
    ASSERT_TRUE(h && d);
    EXPECT_EQ(h->status, 200);
    EXPECT_EQ(d->status, 200);
  }
  // 50 ms is the target (bench/http_load.sh measures it); a shared CI machine gets slack, but a
  // transport that ties workers to connections does not answer at all.
  EXPECT_LT(worst, 0.5);
  std::string cut = read_all(slow.front());
  EXPECT_EQ(status_of(cut), 408) << cut;
  for (int fd : slow) ::close(fd);
  for (int fd : idle) ::close(fd);
}

TEST(Hardening, ConnectionsBeyondTheCapGet503) {
  ServerOptions o = quiet();
  o.max_connections = 20;
  Running s(o);
  std::vector<int> held;
  for (int i = 0; i < 20; ++i) {
    held.push_back(connect_to(s.port()));
    send_all(held.back(), "GET /healthz HTTP/1.1\r\n");  // mid-request: cannot be evicted
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted by the I/O thread
  int extra = connect_to(s.port());
  ASSERT_GE(extra, 0);
  std::string r = read_all(extra);
  EXPECT_EQ(status_of(r), 503) << r;
  ::close(extra);
  for (int fd : held) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(s.healthy());
}

TEST(Hardening, IdleConnectionsMakeRoomAtTheCap) {
  ServerOptions o = quiet();
  o.max_connections = 20;
  o.idle_timeout_ms = 60'000;
  Running s(o);
  std::vector<int> parked;
  for (int i = 0; i < 20; ++i) parked.push_back(connect_to(s.port()));  // connected, never sending
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(s.healthy());  // a parked connection was closed to make room
  for (int fd : parked) ::close(fd);
}

// Stopping (SIGTERM) finishes a request already begun: its body arrives after stop() and it is
// still assessed and answered, with Connection: close; new connections are not accepted.
TEST(Hardening, StopFinishesRequestsAlreadyBegun) {
  fs::path db =
      fs::temp_directory_path() / ("paraderm_drain_" + std::to_string(::getpid()) + ".db");
  ServerOptions o = quiet();
  o.db = db.string();
  o.port = 0;
  auto created = Server::create(paraderm::testing::shipped_kb(), o);
  ASSERT_TRUE(created.is_ok());
  auto& server = *created.value();
  int port = server.bind().value();
  std::thread loop([&] { server.listen(); });
  std::string body = example();
  int fd = connect_to(port);
  send_all(fd,
           "POST /api/v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 100));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  send_all(fd, body.substr(100));
  std::string answer = read_all(fd);
  ::close(fd);
  EXPECT_EQ(status_of(answer), 200) << answer.substr(0, 300);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  loop.join();
  created.value().reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
}

std::string serve_briefly(const std::string& host) {
  fs::path db = fs::temp_directory_path() / ("paraderm_warn_" + std::to_string(::getpid()) + ".db");
  std::string cmd = "timeout -s TERM 1.5 " + std::string(PARADERM_BINARY) +
                    " serve --port 0 --quiet --host " + host + " --db " + db.string() + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[1024];
  while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  pclose(pipe);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  return out;
}

TEST(Hardening, ANonLoopbackHostPrintsAWarning) {
  std::string wide = serve_briefly("0.0.0.0");
  EXPECT_NE(wide.find("warning: --host 0.0.0.0"), std::string::npos) << wide;
  EXPECT_NE(wide.find("--allowed-host"), std::string::npos) << wide;
  std::string local = serve_briefly("127.0.0.1");
  EXPECT_NE(local.find("serving on http://127.0.0.1:"), std::string::npos) << local;
  EXPECT_EQ(local.find("warning"), std::string::npos) << local;
}

TEST(Hardening, Https) {
  fs::path dir = fs::temp_directory_path() / ("paraderm_tls_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl command";
  ServerOptions o = quiet();
  o.tls_cert = (dir / "cert.pem").string();
  o.tls_key = (dir / "key.pem").string();
  {
    Running s(o);
    httplib::SSLClient c("127.0.0.1", s.port());
    c.enable_server_certificate_verification(false);
    auto h = c.Get("/healthz");
    ASSERT_TRUE(h) << httplib::to_string(h.error());
    EXPECT_EQ(h->status, 200);
    EXPECT_FALSE(h->get_header_value("Strict-Transport-Security").empty());
    auto a = c.Post("/api/v1/assess", example(), "application/json");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200);
    // Plain HTTP to the TLS port is not served.
    EXPECT_NE(status_of(raw(s.port(), get_close("/healthz"))), 200);
    EXPECT_TRUE(c.Get("/healthz"));
  }
  ServerOptions bad = quiet();
  bad.tls_cert = (dir / "key.pem").string();  // not a certificate
  bad.tls_key = (dir / "key.pem").string();
  bad.db = (dir / "x.db").string();
  auto refused = Server::create(paraderm::testing::shipped_kb(), bad);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("--tls-cert"), std::string::npos);
  fs::remove_all(dir);
}

// The fuzz harness's socket-free entry (fuzz/http_post.cpp) must be the same server: the same
// checks before the route, the same answers, the same state.
TEST(Hardening, ALocalRequestMeetsTheSameChecksAndAnswersAsOneOverTheSocket) {
  Running s;
  auto over_http = s.client().Post("/api/v1/assess", example(), "application/json");
  ASSERT_TRUE(over_http);
  ASSERT_EQ(over_http->status, 200);
  LocalRequest assess{"POST", "/api/v1/assess", {{"Content-Type", "application/json"}}, example()};
  LocalResponse local = s.server().handle_local(assess);
  ASSERT_EQ(local.status, 200) << local.body;
  auto header = [&](const std::string& name) {
    for (const auto& [n, v] : local.headers)
      if (n == name) return v;
    return std::string();
  };
  EXPECT_EQ(header("Cache-Control"), over_http->get_header_value("Cache-Control"));
  EXPECT_EQ(header("Content-Security-Policy"),
            over_http->get_header_value("Content-Security-Policy"));
  EXPECT_EQ(Json::parse(local.body)["options"], Json::parse(over_http->body)["options"]);

  EXPECT_EQ(s.server().handle_local({"GET", "/%FF"}).status, 400);  // UTF-8 before the route
  EXPECT_EQ(s.server().handle_local({"GET", "/healthz", {{"Host", "evil.example"}}}).status, 421);
  EXPECT_EQ(s.server().handle_local({"GET", "/no-such-route"}).status, 404);
  EXPECT_EQ(s.server().handle_local({"DELETE", "/api/v1/assess"}).status, 405);
  LocalRequest wrong_type{"POST", "/api/v1/assess", {{"Content-Type", "text/plain"}}, example()};
  EXPECT_EQ(s.server().handle_local(wrong_type).status, 415);

  // A case saved without a socket is the server's: listed over HTTP, with its query parameter.
  LocalRequest save{
      "POST", "/api/v1/cases?title=local%20one", {{"Content-Type", "application/json"}}, example()};
  LocalResponse saved = s.server().handle_local(save);
  ASSERT_EQ(saved.status, 201) << saved.body;
  auto list = s.client().Get("/api/v1/cases");
  ASSERT_TRUE(list);
  EXPECT_NE(list->body.find("local one"), std::string::npos) << list->body;
  EXPECT_TRUE(s.healthy());
}

}  // namespace
}  // namespace paraderm::server
