// Accounts, sessions, tokens and roles of `paraderm serve` (docs/server.md, "Accounts and roles"):
// every authentication path, the route x role matrix walked route by route, CSRF, cookie
// attributes, login rate limits, session expiry on an injected clock, first start, and
// --insecure-no-auth refused off loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "../test_support.h"
#include "auth_support.h"
#include "paraderm/auth.h"
#include "paraderm/server.h"
#include "paraderm/store.h"
#include "server/access.h"

namespace paraderm::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kPassword = "a long test password";

// A server with authentication on, the clock in the test's hands, and one account per role
// (clinician "cli" with a password, pharmacist and admin by token).
class Auth : public ::testing::Test {
 protected:
  void SetUp() override { start(options()); }
  void TearDown() override { stop(true); }

  ServerOptions options() {
    ServerOptions o;
    o.port = 0;
    o.access_log = false;
    o.session_idle_s = 30 * 60;
    o.session_absolute_s = 12 * 3600;
    o.login_window_s = 900;
    o.login_failures_per_user = 3;
    o.login_failures_per_address = 6;
    o.clock = [this] { return now_.load(); };
    return o;
  }
  void start(ServerOptions o) {
    db_ = fs::temp_directory_path() / ("paraderm_auth_" + std::to_string(::getpid()) + ".db");
    if (!seeded_) {
      for (const char* s : {"", "-wal", "-shm"}) fs::remove(db_.string() + s);
      clinician_ = paraderm::testing::seed_account(db_.string(), "cli", "clinician", kPassword);
      pharmacist_ = paraderm::testing::seed_account(db_.string(), "pharm", "pharmacist");
      admin_ = paraderm::testing::seed_account(db_.string(), "boss", "admin");
      seeded_ = true;
    }
    o.db = db_.string();
    auto s = Server::create(paraderm::testing::shipped_kb(), o);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    server_ = std::move(s.value());
    port_ = server_->bind().value();
    thread_ = std::thread([this] { server_->listen(); });
  }
  void stop(bool remove) {
    if (server_) {
      server_->stop();
      thread_.join();
      server_.reset();
    }
    if (remove) {
      for (const char* s : {"", "-wal", "-shm"}) fs::remove(db_.string() + s);
    }
  }
  httplib::Client client(const std::string& token = "") const {
    httplib::Client c("127.0.0.1", port_);
    if (!token.empty()) c.set_bearer_token_auth(token);
    return c;
  }
  httplib::Result login(const std::string& user, const std::string& password) const {
    Json body = {{"username", user}, {"password", password}};
    return client().Post("/api/v1/session", body.dump(), "application/json");
  }
  // The session cookie ("name=value") from a successful login's Set-Cookie.
  static std::string cookie_of(const httplib::Response& r) {
    std::string set = r.get_header_value("Set-Cookie");
    return set.substr(0, set.find(';'));
  }
  struct Session {
    std::string cookie, csrf;
  };
  Session log_in() const {
    auto r = login("cli", kPassword);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r || r->status != 200) return {};
    return {cookie_of(*r), Json::parse(r->body)["csrf_token"]};
  }
  httplib::Result get_with(const Session& s, const std::string& path) const {
    return client().Get(path, {{"Cookie", s.cookie}});
  }
  httplib::Result post_with(const Session& s, const std::string& path, const std::string& body,
                            const std::string& csrf) const {
    httplib::Headers h = {{"Cookie", s.cookie}};
    if (!csrf.empty()) h.emplace("X-CSRF-Token", csrf);
    return client().Post(path, h, body, "application/json");
  }

  std::atomic<std::int64_t> now_{1'800'000'000};
  fs::path db_;
  bool seeded_ = false;
  std::string clinician_, pharmacist_, admin_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// One request per matrix row, by whichever credential `headers` carries.
httplib::Result call(httplib::Client& c, const RouteAccess& a,
                     const httplib::Headers& headers = {}) {
  std::string path = std::regex_replace(std::string(a.route), std::regex(R"(\{id\})"), "1");
  std::string m = a.method;
  if (m == "GET") return c.Get(path, headers);
  if (m == "POST") return c.Post(path, headers, "{}", "application/json");
  if (m == "PUT") return c.Put(path, headers, "{}", "application/json");
  EXPECT_EQ(m, "DELETE") << "a method this test does not know: extend it";
  return c.Delete(path, headers);
}

TEST_F(Auth, EveryProtectedRouteIs401WithoutCredentials) {
  auto c = client();
  int protected_routes = 0;
  for (const auto& a : kAccessMatrix) {
    if (a.allowed == kPublic || a.allowed == kCdsJwt) continue;
    ++protected_routes;
    auto r = call(c, a);
    ASSERT_TRUE(r) << a.method << " " << a.route;
    EXPECT_EQ(r->status, 401) << a.method << " " << a.route << ": " << r->body;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u) << a.route;
    EXPECT_TRUE(Json::parse(r->body)["error"]["message"].is_string()) << r->body;
  }
  EXPECT_GE(protected_routes, 20);
  // The public ones answer without credentials.
  for (const char* path : {"/", "/healthz", "/api/openapi.json", "/static/app.js"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
  }
  EXPECT_EQ(Json::parse(c.Get("/healthz")->body)["auth"], "required");
}

// docs/openapi.json states the same matrix: x-roles per operation, no security on public ones.
TEST(AuthDocs, OpenApiStatesTheRoleMatrix) {
  Json doc = Json::parse(paraderm::testing::repo_file("docs/openapi.json"));
  for (const auto& a : kAccessMatrix) {
    if (std::string(a.route) == "/favicon.ico") continue;
    std::string method = a.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ASSERT_TRUE(doc["paths"].contains(a.route) && doc["paths"][a.route].contains(method))
        << a.method << " " << a.route;
    const Json& op = doc["paths"][a.route][method];
    if (a.allowed == kPublic) {
      EXPECT_TRUE(op.contains("security") && op["security"].empty()) << a.route;
      continue;
    }
    if (a.allowed == kCdsJwt) continue;
    std::vector<std::string> roles;
    for (auto [bit, name] :
         {std::pair{kClinician, "clinician"}, {kPharmacist, "pharmacist"}, {kAdmin, "admin"}}) {
      if (a.allowed & bit) roles.emplace_back(name);
    }
    EXPECT_EQ(op.value("x-roles", Json::array()), Json(roles)) << a.method << " " << a.route;
  }
}

TEST_F(Auth, EachRoleGets403ExactlyWhereTheMatrixDeniesIt) {
  const std::pair<unsigned, std::string> roles[] = {
      {kClinician, clinician_}, {kPharmacist, pharmacist_}, {kAdmin, admin_}};
  for (const auto& a : kAccessMatrix) {
    if (a.allowed == kPublic || a.allowed == kCdsJwt) continue;
    for (const auto& [bit, token] : roles) {
      auto c = client(token);
      auto r = call(c, a);
      ASSERT_TRUE(r) << a.method << " " << a.route;
      if (a.allowed & bit) {
        EXPECT_NE(r->status, 403) << a.method << " " << a.route << " role bit " << bit << ": "
                                  << r->body;
        EXPECT_NE(r->status, 401) << a.method << " " << a.route << " role bit " << bit << ": "
                                  << r->body;
      } else {
        EXPECT_EQ(r->status, 403) << a.method << " " << a.route << " role bit " << bit << ": "
                                  << r->body;
      }
    }
  }
}

TEST_F(Auth, TokenWorksAndARevokedTokenIs401) {
  auto ok = client(clinician_).Get("/api/v1/cases");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  {
    auto st = store::Store::open(db_.string());
    ASSERT_TRUE(st.is_ok());
    auto tokens = st.value()->list_tokens();
    ASSERT_FALSE(tokens.empty());
    EXPECT_EQ(tokens[0].username, "cli");
    ASSERT_EQ(st.value()->revoke_token(tokens[0].id).value(), 1);
  }
  auto revoked = client(clinician_).Get("/api/v1/cases");
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 401) << revoked->body;
  auto garbage = client("pdt_not-a-token").Get("/api/v1/cases");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 401);
  auto basic = client().Get("/api/v1/cases", {{"Authorization", "Basic Y2xpOng="}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
}

TEST_F(Auth, WrongPasswordAndUnknownUserAnswerIdenticallyInSimilarTime) {
  using Clock = std::chrono::steady_clock;
  // The fastest of two tries each, interleaved: one try alone is at the mercy of the scheduler on a
  // loaded 2-core machine (two failures per user stay under the fixture's limit of three).
  auto timed = [&](const char* user, auto& best) {
    auto start = Clock::now();
    auto r = login(user, "not the password at all");
    auto t = Clock::now() - start;
    if (best == Clock::duration::zero() || t < best) best = t;
    return r;
  };
  Clock::duration wrong_time{}, unknown_time{};
  auto wrong = timed("cli", wrong_time);
  auto unknown = timed("nobody", unknown_time);
  ASSERT_TRUE(wrong && unknown);
  ASSERT_TRUE(timed("cli", wrong_time) && timed("nobody", unknown_time));
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(wrong->body, unknown->body);
  EXPECT_TRUE(wrong->get_header_value("Set-Cookie").empty());
  // The unknown user is verified against a dummy argon2id hash: same order of time, not ~0.
  EXPECT_GT(unknown_time * 3, wrong_time)
      << "unknown user answered much faster than a wrong password";
  auto right = login("cli", kPassword);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;
  EXPECT_EQ(Json::parse(right->body)["user"]["role"], "clinician");
}

TEST_F(Auth, SessionCookieIsHttpOnlySameSiteStrictAndNotSecureWithoutTls) {
  auto r = login("cli", kPassword);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  std::string set = r->get_header_value("Set-Cookie");
  EXPECT_EQ(set.rfind("paraderm_session=pds_", 0), 0u) << set;
  EXPECT_NE(set.find("; HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("; SameSite=Strict"), std::string::npos) << set;
  EXPECT_NE(set.find("; Path=/"), std::string::npos) << set;
  EXPECT_EQ(set.find("Secure"), std::string::npos) << set;
  // Only the hash of the session id is stored.
  SQLite::Database db(db_.string());
  std::string session = cookie_of(*r).substr(std::string("paraderm_session=").size());
  SQLite::Statement q(db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?");
  q.bind(1, auth::secret_hash(session));
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getInt(), 1);
  SQLite::Statement raw(db, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?");
  raw.bind(1, session);
  ASSERT_TRUE(raw.executeStep());
  EXPECT_EQ(raw.getColumn(0).getInt(), 0);
}

TEST(AuthTls, SessionCookieIsSecureUnderTls) {
  fs::path dir = fs::temp_directory_path() / ("paraderm_auth_tls_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl command";
  ServerOptions o;
  o.port = 0;
  o.access_log = false;
  o.db = (dir / "tls.db").string();
  o.tls_cert = (dir / "cert.pem").string();
  o.tls_key = (dir / "key.pem").string();
  paraderm::testing::seed_account(o.db, "cli", "clinician", kPassword);
  auto s = Server::create(paraderm::testing::shipped_kb(), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  int port = s.value()->bind().value();
  std::thread t([&] { s.value()->listen(); });
  httplib::SSLClient c("127.0.0.1", port);
  c.enable_server_certificate_verification(false);
  auto r = c.Post("/api/v1/session", Json{{"username", "cli"}, {"password", kPassword}}.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string set = r->get_header_value("Set-Cookie");
  // __Host- makes the browser insist on Secure, Path=/ and no Domain.
  EXPECT_EQ(set.rfind("__Host-paraderm_session=", 0), 0u) << set;
  EXPECT_NE(set.find("; Secure"), std::string::npos) << set;
  EXPECT_NE(set.find("; HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("; SameSite=Strict"), std::string::npos) << set;
  auto who = c.Get("/api/v1/session", {{"Cookie", set.substr(0, set.find(';'))}});
  ASSERT_TRUE(who);
  EXPECT_EQ(who->status, 200) << who->body;
  s.value()->stop();
  t.join();
  s.value().reset();
  fs::remove_all(dir);
}

TEST_F(Auth, CookieWritesNeedTheSessionsCsrfToken) {
  Session s = log_in();
  std::string body = paraderm::testing::repo_file("examples/dupilumab-psoriasis.json");
  // Reading needs no CSRF token; GET /api/v1/session gives it back (after a page reload).
  auto who = get_with(s, "/api/v1/session");
  ASSERT_TRUE(who);
  ASSERT_EQ(who->status, 200) << who->body;
  EXPECT_EQ(Json::parse(who->body)["user"]["name"], "cli");
  EXPECT_EQ(Json::parse(who->body)["csrf_token"], s.csrf);
  auto missing = post_with(s, "/api/v1/assess", body, "");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403) << missing->body;
  EXPECT_NE(missing->body.find("X-CSRF-Token"), std::string::npos);
  std::string wrong = s.csrf;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  auto bad = post_with(s, "/api/v1/assess", body, wrong);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 403);
  auto other = post_with(s, "/api/v1/assess", body, auth::csrf_token("pds_someone-elses-session"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  auto right = post_with(s, "/api/v1/assess", body, s.csrf);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body.substr(0, 200);
  // A token is not ambient (a browser never adds it by itself): no CSRF token needed.
  auto token = client(clinician_).Post("/api/v1/assess", body, "application/json");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 200);
}

TEST_F(Auth, LogoutEndsTheSession) {
  Session s = log_in();
  httplib::Headers h = {{"Cookie", s.cookie}};
  auto no_csrf = client().Delete("/api/v1/session", h);
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->status, 403);
  h.emplace("X-CSRF-Token", s.csrf);
  auto out = client().Delete("/api/v1/session", h);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto after = get_with(s, "/api/v1/session");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

// A store write the request depends on that fails: the answer says so instead of pretending.
// Failures are injected with SQLite triggers, so the server's own code paths run unchanged.
void refuse_in_db(const fs::path& db, const std::string& trigger_sql) {
  SQLite::Database raw(db.string(), SQLite::OPEN_READWRITE);
  raw.exec(trigger_sql);
}

TEST_F(Auth, LoginThatCannotBeAuditedIsRefusedAndLeavesNoSession) {
  refuse_in_db(
      db_,
      "CREATE TRIGGER no_login_audit BEFORE INSERT ON audit_events WHEN NEW.action = 'login' "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  auto r = login("cli", kPassword);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_TRUE(r->get_header_value("Set-Cookie").empty());
  {
    SQLite::Database raw(db_.string());
    EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM sessions").getInt(), 0);
  }
  refuse_in_db(db_, "DROP TRIGGER no_login_audit;");
  auto ok = login("cli", kPassword);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(Auth, LogoutThatCannotEndTheSessionIs500AndTheSessionStillWorks) {
  Session s = log_in();
  refuse_in_db(db_,
               "CREATE TRIGGER keep_sessions BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, "
               "'injected'); END;");
  httplib::Headers h = {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}};
  auto out = client().Delete("/api/v1/session", h);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 500) << out->body;
  EXPECT_TRUE(out->get_header_value("Set-Cookie").empty())
      << "a cookie cleared for a session that lives on";
  auto still = get_with(s, "/api/v1/session");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

TEST_F(Auth, AccountChangeWithoutItsAuditEventIs500) {
  refuse_in_db(
      db_,
      "CREATE TRIGGER no_user_audit BEFORE INSERT ON audit_events WHEN NEW.action LIKE 'user_%' "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  Json body = {{"name", "newbie"}, {"role", "clinician"}, {"password", kPassword}};
  auto r = client(admin_).Post("/api/v1/users", body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500) << r->body;
  EXPECT_NE(r->body.find("audit"), std::string::npos) << r->body;
  auto role = client(admin_).Put("/api/v1/users/cli", Json{{"role", "pharmacist"}}.dump(),
                                 "application/json");
  ASSERT_TRUE(role);
  EXPECT_EQ(role->status, 500) << role->body;
  refuse_in_db(db_, "DROP TRIGGER no_user_audit;");
  auto back = client(admin_).Put("/api/v1/users/cli", Json{{"role", "clinician"}}.dump(),
                                 "application/json");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200) << back->body;
}

TEST_F(Auth, IdleSessionExpires) {
  Session s = log_in();
  // Used every 29 minutes, a session stays alive past the 30-minute idle limit...
  for (int i = 0; i < 3; ++i) {
    now_ += 29 * 60;
    auto r = get_with(s, "/api/v1/cases");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << "after " << (i + 1) * 29 << " min: " << r->body;
  }
  // ...and ends after 30 minutes without a request.
  now_ += 30 * 60;
  auto idle = get_with(s, "/api/v1/cases");
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->status, 401);
  EXPECT_NE(idle->body.find("inactivity"), std::string::npos) << idle->body;
  auto again = get_with(s, "/api/v1/cases");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 401);
}

TEST_F(Auth, SessionEndsAtItsAbsoluteLimitEvenWhenUsed) {
  Session s = log_in();
  std::int64_t used = 0;
  while (used + 20 * 60 < 12 * 3600) {
    now_ += 20 * 60;
    used += 20 * 60;
    auto r = get_with(s, "/api/v1/cases");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << "after " << used / 60 << " min";
  }
  now_ += 12 * 3600 - used;
  auto r = get_with(s, "/api/v1/cases");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("since login"), std::string::npos) << r->body;
}

TEST_F(Auth, FailedLoginsPerUserAre429WithRetryAfterUntilTheWindowEnds) {
  for (int i = 0; i < 3; ++i) {
    auto r = login("cli", "wrong password number " + std::to_string(i));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  now_ += 60;
  // Locked: even the right password is not checked.
  auto locked = login("cli", kPassword);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429) << locked->body;
  EXPECT_EQ(locked->get_header_value("Retry-After"), std::to_string(900 - 60));
  now_ += 900 - 60;
  auto open = login("cli", kPassword);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200) << open->body;
}

TEST_F(Auth, FailedLoginsPerAddressAre429AcrossUserNames) {
  for (int i = 0; i < 6; ++i) {
    auto r = login("guess" + std::to_string(i), "some password guess");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  auto r = login("cli", kPassword);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
}

TEST_F(Auth, DisabledUserCannotLogInAndLosesSessionAndTokens) {
  Session s = log_in();
  {
    auto st = store::Store::open(db_.string());
    ASSERT_TRUE(st.is_ok());
    ASSERT_TRUE(st.value()->set_user_disabled("cli", true).is_ok());
  }
  auto session = get_with(s, "/api/v1/cases");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->status, 401);
  auto token = client(clinician_).Get("/api/v1/cases");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 401);
  auto again = login("cli", kPassword);
  auto unknown = login("nobody", kPassword);
  ASSERT_TRUE(again && unknown);
  EXPECT_EQ(again->status, 401);
  EXPECT_EQ(again->body, unknown->body);  // a disabled account is not revealed
}

TEST_F(Auth, CasesBelongToTheirOwnerUntilSharedAndPharmacistsReadAll) {
  std::string other = paraderm::testing::seed_account(db_.string(), "cli2", "clinician");
  std::string body = paraderm::testing::repo_file("examples/dupilumab-psoriasis.json");
  auto saved = client(clinician_).Post("/api/v1/cases?title=mine", body, "application/json");
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->status, 201) << saved->body;
  std::string id = std::to_string(Json::parse(saved->body)["id"].get<long long>());
  // Another clinician: not listed, 404 like a missing case, cannot share it.
  EXPECT_TRUE(Json::parse(client(other).Get("/api/v1/cases")->body).empty());
  EXPECT_EQ(client(other).Get("/api/v1/cases/" + id)->status, 404);
  EXPECT_EQ(
      client(other).Post("/api/v1/cases/" + id + "/assessments", "", "application/json")->status,
      404);
  EXPECT_EQ(client(other)
                .Post("/api/v1/cases/" + id + "/share", R"({"shared":true})", "application/json")
                ->status,
            404);
  // The pharmacist reads it and writes feedback; the owner sees the feedback.
  auto read = client(pharmacist_).Get("/api/v1/cases/" + id);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 200);
  EXPECT_EQ(Json::parse(read->body)["owner"], "cli");
  auto fb = client(pharmacist_)
                .Post("/api/v1/cases/" + id + "/feedback", R"({"text":"check the ALC"})",
                      "application/json");
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->status, 201) << fb->body;
  Json mine = Json::parse(client(clinician_).Get("/api/v1/cases/" + id)->body);
  ASSERT_EQ(mine["feedback"].size(), 1u);
  EXPECT_EQ(mine["feedback"][0]["user"], "pharm");
  // Shared: the other clinician sees and may assess it.
  auto shared =
      client(clinician_)
          .Post("/api/v1/cases/" + id + "/share", R"({"shared":true})", "application/json");
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->status, 200) << shared->body;
  EXPECT_EQ(Json::parse(client(other).Get("/api/v1/cases")->body).size(), 1u);
  auto assessed =
      client(other).Post("/api/v1/cases/" + id + "/assessments", "", "application/json");
  ASSERT_TRUE(assessed);
  EXPECT_EQ(assessed->status, 201);
  // ...but only the owner may unshare it.
  EXPECT_EQ(client(other)
                .Post("/api/v1/cases/" + id + "/share", R"({"shared":false})", "application/json")
                ->status,
            403);
  // The audit trail names who assessed, for the admin; no patient data in it.
  auto audit = client(admin_).Get("/api/v1/audit");
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->status, 200);
  Json a = Json::parse(audit->body);
  ASSERT_FALSE(a["assessments"].empty());
  EXPECT_EQ(a["assessments"][0]["user"], "cli2");
  EXPECT_EQ(audit->body.find("birth"), std::string::npos);
}

TEST_F(Auth, AdminManagesUsersOverTheApi) {
  auto admin = client(admin_);
  auto added = admin.Post("/api/v1/users",
                          R"({"name":"newdoc","role":"clinician","password":"a fine password 1"})",
                          "application/json");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  auto weak =
      admin.Post("/api/v1/users", R"({"name":"weak","role":"clinician","password":"short"})",
                 "application/json");
  ASSERT_TRUE(weak);
  EXPECT_EQ(weak->status, 400);
  auto in = login("newdoc", "a fine password 1");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->status, 200);
  auto off = admin.Put("/api/v1/users/newdoc", R"({"disabled":true})", "application/json");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->status, 200) << off->body;
  auto out = login("newdoc", "a fine password 1");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 401);
  Json users = Json::parse(admin.Get("/api/v1/users")->body);
  EXPECT_EQ(users.dump().find("password"), std::string::npos);
  Json events = Json::parse(admin.Get("/api/v1/audit")->body)["events"];
  bool disabled_logged = false;
  for (const auto& e : events)
    disabled_logged |= e["action"] == "user_disable" && e["user"] == "boss";
  EXPECT_TRUE(disabled_logged) << events.dump();
}

TEST(AuthFirstStart, CreatesAnAdminWithARandomPasswordOnce) {
  fs::path db =
      fs::temp_directory_path() / ("paraderm_first_" + std::to_string(::getpid()) + ".db");
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(db.string() + s);
  std::vector<std::string> said;
  ServerOptions o;
  o.port = 0;
  o.access_log = false;
  o.db = db.string();
  o.announce = [&](const std::string& m) { said.push_back(m); };
  std::string password;
  {
    auto s = Server::create(paraderm::testing::shipped_kb(), o);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    ASSERT_EQ(said.size(), 1u);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(said[0], m, std::regex(R"(\n    (\S{24})\n)"))) << said[0];
    password = m[1];
    int port = s.value()->bind().value();
    std::thread t([&] { s.value()->listen(); });
    httplib::Client c("127.0.0.1", port);
    auto r = c.Post("/api/v1/session", Json{{"username", "admin"}, {"password", password}}.dump(),
                    "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(Json::parse(r->body)["user"]["role"], "admin");
    s.value()->stop();
    t.join();
  }
  {
    auto again = Server::create(paraderm::testing::shipped_kb(), o);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(said.size(), 1u) << "the password is shown once, on the first start only";
  }
  // A second fresh database gets a different password.
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(db.string() + s);
  {
    auto other = Server::create(paraderm::testing::shipped_kb(), o);
    ASSERT_TRUE(other.is_ok());
    ASSERT_EQ(said.size(), 2u);
    EXPECT_EQ(said[1].find(password), std::string::npos);
  }
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(db.string() + s);
}

TEST(AuthInsecure, RefusedOffLoopbackAndAnnouncedOnHealthz) {
  fs::path db =
      fs::temp_directory_path() / ("paraderm_insecure_" + std::to_string(::getpid()) + ".db");
  ServerOptions o;
  o.port = 0;
  o.access_log = false;
  o.db = db.string();
  o.insecure_no_auth = true;
  o.host = "0.0.0.0";
  auto refused = Server::create(paraderm::testing::shipped_kb(), o);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("--insecure-no-auth"), std::string::npos);
  auto cli = paraderm::testing::run_cli("serve --insecure-no-auth --host 0.0.0.0 --port 0 --db " +
                                        db.string());
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  EXPECT_NE(cli.output.find("loopback"), std::string::npos) << cli.output;
  EXPECT_FALSE(fs::exists(db)) << "refused before the database is touched";
  auto loopback = paraderm::testing::run_cli(
      "serve --insecure-no-auth --host 127.0.0.1 --port 0 --quiet --db " + db.string() +
      " 2>&1 & sleep 1.5; kill $!");
  EXPECT_NE(loopback.output.find("WARNING: --insecure-no-auth"), std::string::npos)
      << loopback.output;
  EXPECT_EQ(loopback.output.find("First start"), std::string::npos)
      << "no admin without authentication";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);

  o.host = "127.0.0.1";
  auto s = Server::create(paraderm::testing::shipped_kb(), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  int port = s.value()->bind().value();
  std::thread t([&] { s.value()->listen(); });
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(Json::parse(c.Get("/healthz")->body)["auth"], "disabled");
  EXPECT_EQ(c.Get("/api/v1/cases")->status, 200);
  s.value()->stop();
  t.join();
  s.value().reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
}

TEST(AuthCli, UserAddReadsOneLineAndTokenCreatePrintsATokenOnce) {
  fs::path dir = fs::temp_directory_path() / ("paraderm_authcli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string db = (dir / "u.db").string();
  std::ofstream(dir / "pw") << "a long cli password\nsecond line ignored\n";
  std::ofstream(dir / "short") << "short\n";
  auto added = paraderm::testing::run_cli("user add carol --role pharmacist --db " + db + " < " +
                                          (dir / "pw").string());
  EXPECT_EQ(added.exit_code, 0) << added.output;
  auto weak = paraderm::testing::run_cli("user add dave --role clinician --db " + db + " < " +
                                         (dir / "short").string());
  EXPECT_EQ(weak.exit_code, 2) << weak.output;
  auto role = paraderm::testing::run_cli("user add erin --role nurse --db " + db + " < " +
                                         (dir / "pw").string());
  EXPECT_EQ(role.exit_code, 2) << role.output;
  auto list = paraderm::testing::run_cli("user list --db " + db);
  EXPECT_NE(list.output.find("carol"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find("dave"), std::string::npos) << list.output;
  std::string token_cmd =
      std::string(PARADERM_BINARY) + " token create --user carol --db " + db + " 2>/dev/null";
  FILE* pipe = popen(token_cmd.c_str(), "r");
  char buf[256] = {};
  std::string token = fgets(buf, sizeof buf, pipe) ? buf : "";
  pclose(pipe);
  ASSERT_EQ(token.rfind("pdt_", 0), 0u) << token;
  token.pop_back();  // newline
  {
    auto st = store::Store::open(db);
    ASSERT_TRUE(st.is_ok());
    auto u = st.value()->user_for_token(auth::secret_hash(token));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->name, "carol");
    EXPECT_TRUE(auth::verify_password(st.value()->find_user("carol")->password_hash,
                                      "a long cli password"));
    SQLite::Database raw(db);
    EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '" + token + "'")
                  .getInt(),
              0);
  }
  auto revoke = paraderm::testing::run_cli("token revoke 1 --db " + db);
  EXPECT_EQ(revoke.exit_code, 0) << revoke.output;
  auto twice = paraderm::testing::run_cli("token revoke 1 --db " + db);
  EXPECT_EQ(twice.exit_code, 2) << twice.output;
  auto disable = paraderm::testing::run_cli("user disable carol --db " + db);
  EXPECT_EQ(disable.exit_code, 0) << disable.output;
  EXPECT_NE(paraderm::testing::run_cli("user list --db " + db).output.find("disabled"),
            std::string::npos);
  auto missing = paraderm::testing::run_cli("user list --db " + (dir / "none.db").string());
  EXPECT_EQ(missing.exit_code, 2);

  // A credential or account change that the audit trail cannot record: exit 1, and a token
  // made without its audit event is revoked before anyone sees it.
  refuse_in_db(db,
               "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, "
               "'injected'); END;");
  auto unaudited = paraderm::testing::run_cli("token create --user carol --db " + db);
  EXPECT_EQ(unaudited.exit_code, 1) << unaudited.output;
  EXPECT_EQ(unaudited.output.find("pdt_"), std::string::npos) << unaudited.output;
  {
    SQLite::Database raw(db);
    EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL").getInt(),
              0);
  }
  auto enable = paraderm::testing::run_cli("user enable carol --db " + db);
  EXPECT_EQ(enable.exit_code, 1) << enable.output;
  EXPECT_NE(enable.output.find("audit"), std::string::npos) << enable.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace paraderm::server
