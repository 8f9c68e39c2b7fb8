// GET /api/v1/screening (serve --screen-results, docs/server.md "Screening") on a results folder
// screened from a bulk_synth export with planted patients, whose expectations (expected.ndjson,
// written by bulk_synth from the KB facts) decide what must be listed; and what /api/v1/signals
// says about its prior, Q_n rule and data, against the store's meta.json.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "../test_support.h"
#include "auth_support.h"
#include "paraderm/pv_data.h"
#include "paraderm/screen.h"
#include "paraderm/server.h"

namespace paraderm::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

using paraderm::testing::shipped;

// A server on a free loopback port with one account per role (API tokens).
struct Running {
  std::unique_ptr<Server> server;
  std::thread thread;
  int port = 0;
  std::string clinician, pharmacist, admin;
  ~Running() {
    if (server) {
      server->stop();
      thread.join();
    }
  }
  httplib::Client client(const std::string& token) const {
    httplib::Client c("127.0.0.1", port);
    if (!token.empty()) c.set_bearer_token_auth(token);
    return c;
  }
};

std::unique_ptr<Running> start(ServerOptions o, const fs::path& db) {
  auto r = std::make_unique<Running>();
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(db.string() + s);
  o.port = 0;
  o.db = db.string();
  o.access_log = false;
  r->clinician = paraderm::testing::seed_account(o.db, "clinician1", "clinician");
  r->pharmacist = paraderm::testing::seed_account(o.db, "pharmacist1", "pharmacist");
  r->admin = paraderm::testing::seed_account(o.db, "admin1", "admin");
  auto s = Server::create(shipped(), o);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  if (!s.is_ok()) return nullptr;
  r->server = std::move(s.value());
  r->port = r->server->bind().value();
  r->thread = std::thread([p = r.get()] { p->server->listen(); });
  return r;
}

class Screening : public ::testing::Test {
 protected:
  // One export, screened once, as `paraderm screen --out` writes it; the planted timelines of
  // bulk_synth end on its --as-of (default 2026-06-30).
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         fmt::format("paraderm-screening-api-{}", ::getpid()));
    fs::remove_all(*root_);
    fs::create_directories(*root_ / "results");
    std::string cmd = fmt::format("{} --patients 210 --seed 11 --out {}", BULK_SYNTH_BINARY,
                                  (*root_ / "export").string());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    screen::ScreenOptions o;
    o.as_of = clinical::parse_date("2026-06-30");
    std::ofstream rows(*root_ / "results" / screen::kResultRowsFile, std::ios::binary);
    auto s =
        screen::screen_directory(shipped(), *root_ / "export", o, screen::Format::kNdjson, rows);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    std::ofstream(*root_ / "results" / screen::kResultSummaryFile, std::ios::binary)
        << screen::summary_json(s.value());
    flagged_ = s.value().flagged;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  void SetUp() override {
    ServerOptions o;
    o.screen_results = (*root_ / "results").string();
    running_ = start(o, *root_ / "api.db");
    ASSERT_TRUE(running_);
  }
  void TearDown() override { running_.reset(); }

  static std::vector<Json> planted() {
    std::vector<Json> v;
    std::ifstream in(*root_ / "export" / "expected.ndjson");
    for (std::string line; std::getline(in, line);) v.push_back(Json::parse(line));
    return v;
  }
  // Every listed patient, page by page, in the order served.
  std::vector<Json> all_pages(const std::string& query = "", std::int64_t limit = 40) {
    std::vector<Json> out;
    auto c = running_->client(running_->clinician);
    for (std::int64_t offset = 0;; offset += limit) {
      auto r = c.Get(fmt::format("/api/v1/screening?offset={}&limit={}{}", offset, limit, query));
      EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
      if (!r || r->status != 200) break;
      Json j = Json::parse(r->body);
      for (const auto& p : j["patients"]) out.push_back(p);
      if (offset + limit >= j["total"].get<std::int64_t>()) break;
    }
    return out;
  }

  static fs::path* root_;
  static std::uint64_t flagged_;
  std::unique_ptr<Running> running_;
};
fs::path* Screening::root_ = nullptr;
std::uint64_t Screening::flagged_ = 0;

// Every field the expectation names equals the finding's.
bool matches(const Json& expected, const Json& finding) {
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    if (!finding.contains(it.key()) || finding[it.key()] != it.value()) return false;
  }
  return true;
}

TEST_F(Screening, ListsEveryPlantedFindingAndNoNegativeControlMostSeriousFirst) {
  auto c = running_->client(running_->clinician);
  auto first = c.Get("/api/v1/screening");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->get_header_value("Cache-Control"), "no-store");
  Json j = Json::parse(first->body);
  EXPECT_EQ(j["summary"]["patients"], 210);
  EXPECT_EQ(j["summary"]["as_of"], "2026-06-30");
  EXPECT_EQ(j["total"], flagged_);
  EXPECT_EQ(j["offset"], 0);
  EXPECT_EQ(j["limit"], 50);  // the default page
  EXPECT_LE(j["patients"].size(), 50u);

  auto rows = all_pages();
  ASSERT_EQ(rows.size(), flagged_);
  std::map<std::string, Json> by_patient;
  for (const auto& r : rows)
    EXPECT_TRUE(by_patient.emplace(r["patient"].get<std::string>(), r).second)
        << "listed twice: " << r["patient"];
  std::size_t positives = 0, negatives = 0;
  for (const auto& p : planted()) {
    std::string id = p["patient"];
    if (p["expect"].empty()) {
      ++negatives;
      EXPECT_FALSE(by_patient.count(id)) << p["scenario"] << " " << id << " listed";
      continue;
    }
    ++positives;
    ASSERT_TRUE(by_patient.count(id)) << p["scenario"] << " " << id << " not listed";
    for (const auto& e : p["expect"]) {
      bool found = false;
      for (const auto& f : by_patient[id]["findings"]) found = found || matches(e, f);
      EXPECT_TRUE(found) << p["scenario"] << ": " << e.dump() << " not in "
                         << by_patient[id].dump();
      // The row's kinds name the planted finding's kind.
      EXPECT_NE(by_patient[id]["kinds"].dump().find(e["kind"].get<std::string>()),
                std::string::npos);
    }
  }
  EXPECT_GE(positives, 10u);
  EXPECT_GE(negatives, 8u);

  // Most serious first: a planted active TB is a contraindication, a block reason
  // (docs/reason-codes.md ACTIVE_TB), so the list starts with a block and never rises again.
  const std::map<std::string, int> rank = {
      {"info", 1}, {"caution", 2}, {"warning", 3}, {"block", 4}};
  auto rank_of = [&](const Json& r) {
    return r["severity"].is_null() ? 0 : rank.at(r["severity"].get<std::string>());
  };
  EXPECT_EQ(rows.front()["severity"], "block");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GE(rank_of(rows[i - 1]), rank_of(rows[i]))
        << rows[i - 1]["patient"] << " before " << rows[i]["patient"];
  }
  for (const auto& r : rows) {
    int top = 0;
    for (const auto& f : r["findings"])
      top = std::max(top, f.contains("severity") ? rank.at(f["severity"]) : 0);
    EXPECT_EQ(rank_of(r), top) << r.dump();
  }
}

TEST_F(Screening, FiltersByFindingKind) {
  auto prs = all_pages("&kind=paradoxical_reaction", 7);
  auto summary =
      Json::parse(running_->client(running_->clinician).Get("/api/v1/screening")->body)["summary"];
  ASSERT_EQ(prs.size(), summary["flagged_by_kind"]["paradoxical_reaction"].get<std::size_t>());
  for (const auto& r : prs)
    EXPECT_NE(r["kinds"].dump().find("paradoxical_reaction"), std::string::npos) << r.dump();
  std::set<std::string> listed;
  for (const auto& r : prs) listed.insert(r["patient"].get<std::string>());
  for (const auto& p : planted()) {
    // Every patient planted with an expected PR finding (the negative controls expect nothing).
    if (p["expect"].dump().find("\"paradoxical_reaction\"") != std::string::npos) {
      EXPECT_TRUE(listed.count(p["patient"].get<std::string>())) << p.dump();
    }
  }
  auto two = all_pages("&kind=contraindication,lab_threshold");
  for (const auto& r : two) {
    EXPECT_TRUE(r["kinds"].dump().find("contraindication") != std::string::npos ||
                r["kinds"].dump().find("lab_threshold") != std::string::npos)
        << r.dump();
  }
  EXPECT_GT(two.size(), 0u);
}

TEST_F(Screening, RolesAndTheAuditTrail) {
  EXPECT_EQ(running_->client("").Get("/api/v1/screening")->status, 401);
  // Admins manage accounts and see no patient data (src/server/access.h).
  auto admin = running_->client(running_->admin).Get("/api/v1/screening");
  EXPECT_EQ(admin->status, 403) << admin->body;
  EXPECT_EQ(running_->client(running_->pharmacist).Get("/api/v1/screening?limit=5")->status, 200);
  EXPECT_EQ(running_->client(running_->clinician).Get("/api/v1/screening?kind=risk_group")->status,
            200);
  auto audit = running_->client(running_->admin).Get("/api/v1/audit");
  ASSERT_TRUE(audit);
  std::set<std::string> readers;
  Json trail = Json::parse(audit->body);
  for (const auto& e : trail["events"]) {
    if (e["action"] == "screening_read") readers.insert(e["user"].get<std::string>());
  }
  EXPECT_EQ(readers, (std::set<std::string>{"clinician1", "pharmacist1"})) << audit->body;
}

// A read the audit trail cannot record shows no patient data (the store refuses the row here by
// a trigger, as a full disk or a damaged database would).
TEST_F(Screening, NoPatientDataWhenTheReadCannotBeAudited) {
  {
    SQLite::Database db((*root_ / "api.db").string(), SQLite::OPEN_READWRITE);
    db.exec(
        "CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_events WHEN NEW.action = "
        "'screening_read' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  }
  auto r = running_->client(running_->clinician).Get("/api/v1/screening");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500) << r->body;
  EXPECT_EQ(r->body.find("\"patients\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("audit trail"), std::string::npos) << r->body;
}

TEST_F(Screening, BadPagingOrKindIs400NamingTheParameter) {
  auto c = running_->client(running_->clinician);
  for (auto [query, name] :
       std::vector<std::pair<std::string, std::string>>{{"offset=-1", "offset"},
                                                        {"offset=x", "offset"},
                                                        {"limit=0", "limit"},
                                                        {"limit=501", "limit"},
                                                        {"limit=ten", "limit"},
                                                        {"limit=%C3%A9", "limit"},
                                                        {"kind=sunburn", "kind"},
                                                        {"kind=risk_group,", "kind"}}) {
    auto r = c.Get("/api/v1/screening?" + query);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << query;
    std::string message = Json::parse(r->body)["error"]["message"];
    EXPECT_EQ(message.rfind(name + " \"", 0), 0u) << query << ": " << message;
  }
  EXPECT_EQ(c.Get("/api/v1/screening?limit=500")->status, 200);
}

TEST(ScreeningNotConfigured, Is404InClinicalWords) {
  auto root = fs::temp_directory_path() / fmt::format("paraderm-screening-none-{}", ::getpid());
  fs::create_directories(root);
  auto r = start({}, root / "api.db");
  ASSERT_TRUE(r);
  auto res = r->client(r->clinician).Get("/api/v1/screening");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  std::string message = Json::parse(res->body)["error"]["message"];
  EXPECT_NE(message.find("No population screening results"), std::string::npos) << message;
  EXPECT_EQ(message.find("--"), std::string::npos) << "no command line for clinicians: " << message;
  r.reset();
  fs::remove_all(root);
}

TEST_F(Screening, ABadOrMissingFolderStopsTheStartNamingTheFile) {
  fs::path db = *root_ / "bad.db";
  fs::remove(db);
  ServerOptions o;
  o.port = 0;
  o.db = db.string();
  o.access_log = false;
  o.insecure_no_auth = true;
  o.screen_results = (*root_ / "nowhere").string();
  auto missing = Server::create(shipped(), o);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message().rfind("--screen-results: ", 0), 0u)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("nowhere: not a folder"), std::string::npos)
      << missing.status().message();
  EXPECT_FALSE(fs::exists(db))
      << "checked before the database is created (no first-start admin for a failed start)";

  fs::path bad = *root_ / "bad-results";
  fs::create_directories(bad);
  fs::copy_file(*root_ / "results" / screen::kResultSummaryFile, bad / screen::kResultSummaryFile,
                fs::copy_options::overwrite_existing);
  o.screen_results = bad.string();
  auto no_rows = Server::create(shipped(), o);
  ASSERT_FALSE(no_rows.is_ok());
  EXPECT_NE(no_rows.status().message().find(std::string(screen::kResultRowsFile) + ": missing"),
            std::string::npos)
      << no_rows.status().message();

  std::ofstream(bad / screen::kResultRowsFile)
      << "{\"patient\":\"p\",\"warnings\":0,\"findings\":\"none\"}\n";
  auto damaged = Server::create(shipped(), o);
  ASSERT_FALSE(damaged.is_ok());
  EXPECT_NE(damaged.status().message().find(std::string(screen::kResultRowsFile) +
                                            ":1: /findings: value \"none\""),
            std::string::npos)
      << damaged.status().message();
  fs::remove_all(bad);
}

// ---- /api/v1/signals: the prior, the Q_n rule and the data, as the store's meta.json says -------

Json signals_of(const fs::path& store, const fs::path& db) {
  ServerOptions o;
  o.pv_store = store.string();
  auto r = start(o, db);
  if (!r) return {};
  auto res = r->client(r->clinician).Get("/api/v1/signals");
  EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
  return res && res->status == 200 ? Json::parse(res->body) : Json{};
}

Json meta_of(const fs::path& store) {
  std::ifstream in(store / "meta.json");
  return Json::parse(in);
}

std::vector<pv::Row> report_rows() {
  std::vector<pv::Row> rows;
  for (int i = 0; i < 60; ++i)
    rows.push_back(
        {std::to_string(i), "D" + std::to_string(i % 6), "E" + std::to_string(i % 5), ""});
  for (int i = 60; i < 72; ++i) rows.push_back({std::to_string(i), "dupilumab", "PSORIASIS", ""});
  return rows;
}

TEST(SignalsAbout, FittedPriorAndPublishedQnAreTheStoresMeta) {
  fs::path dir = fs::temp_directory_path() / fmt::format("paraderm-signals-about-{}", ::getpid());
  fs::remove_all(dir);
  auto corpus = pv::corpus_from_rows(report_rows());
  auto table = pv::score(corpus);
  ASSERT_TRUE(
      pv::save_store((dir / "store").string(), corpus, &table, {"reports.csv (test)", ""}).is_ok());
  Json j = signals_of(dir / "store", dir / "s.db");
  Json meta = meta_of(dir / "store");
  ASSERT_TRUE(j.contains("prior") && j.contains("qn") && j.contains("data")) << j.dump();
  EXPECT_EQ(j["prior"]["theta"],
            meta["scores"]["theta"]);  // alpha1, beta1, alpha2, beta2, p (openEBGM)
  EXPECT_EQ(j["prior"]["theta_order"], Json({"alpha1", "beta1", "alpha2", "beta2", "p"}));
  EXPECT_EQ(j["prior"]["origin"], meta["scores"]["prior"]);
  EXPECT_EQ(j["prior"]["origin"], "fitted");
  EXPECT_EQ(j["prior"]["neg_log_lik"], meta["scores"]["neg_log_lik"]);
  std::string text = j["prior"]["text"];
  EXPECT_EQ(text.rfind("fitted by maximum likelihood", 0), 0u) << text;
  EXPECT_NE(text.find(fmt::format("−log L {:.2f}", meta["scores"]["neg_log_lik"].get<double>())),
            std::string::npos)
      << text;
  EXPECT_EQ(j["qn"]["rule"], meta["scores"]["qn"]);
  EXPECT_EQ(j["qn"]["rule"], "published");
  EXPECT_NE(j["qn"]["text"].get<std::string>().find("DuMouchel 1999, eq. 6"), std::string::npos)
      << j["qn"];
  EXPECT_EQ(j["data"]["source"], meta["source"]);
  EXPECT_EQ(j["data"]["reports"], meta["reports"]);
  EXPECT_EQ(j["data"]["drugs"], meta["drugs"]);
  EXPECT_EQ(j["data"]["events"], meta["events"]);
  EXPECT_EQ(j["data"]["pairs"], meta["scores"]["rows"]);
  EXPECT_EQ(j["data"]["scores_stored"], true);
  fs::remove_all(dir);
}

TEST(SignalsAbout, GivenPriorAndConditionalQnAreSaidSo) {
  fs::path dir = fs::temp_directory_path() / fmt::format("paraderm-signals-given-{}", ::getpid());
  fs::remove_all(dir);
  auto corpus = pv::corpus_from_rows(report_rows());
  pv::ScoreOptions so;
  // openEBGM's published θ̂ for caers (docs/pv.md): any valid prior will do; it is given, not
  // fitted.
  so.prior = pv::MgpsPrior{3.25597, 0.39999, 2.02376, 1.90614, 0.06531};
  so.qn = pv::QnRule::kConditional;
  auto table = pv::score(corpus, so);
  ASSERT_TRUE(
      pv::save_store((dir / "store").string(), corpus, &table, {"reports.csv (test)", ""}).is_ok());
  Json j = signals_of(dir / "store", dir / "s.db");
  Json meta = meta_of(dir / "store");
  EXPECT_EQ(meta["scores"]["prior"], "given");
  EXPECT_EQ(j["prior"]["origin"], "given");
  EXPECT_EQ(j["prior"]["theta"], Json({3.25597, 0.39999, 2.02376, 1.90614, 0.06531}));
  EXPECT_EQ(j["prior"]["text"].get<std::string>().rfind("given by the operator", 0), 0u)
      << j["prior"];
  EXPECT_EQ(j["qn"]["rule"], "conditional");
  EXPECT_EQ(j["qn"]["text"].get<std::string>().rfind("conditional", 0), 0u) << j["qn"];
  fs::remove_all(dir);
}

}  // namespace
}  // namespace paraderm::server
