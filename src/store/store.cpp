#include "paraderm/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <chrono>

namespace paraderm::store {
namespace {

// Each entry moves the schema one version up; never edit a shipped step, add one.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> m = {
      R"(CREATE TABLE cases (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           created_at TEXT NOT NULL,
           title TEXT NOT NULL,
           input_kind TEXT NOT NULL,
           input TEXT NOT NULL);
         CREATE TABLE case_labs (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           case_id INTEGER NOT NULL REFERENCES cases(id),
           created_at TEXT NOT NULL,
           lab TEXT NOT NULL);
         CREATE INDEX case_labs_case ON case_labs(case_id);
         CREATE TABLE assessments (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           case_id INTEGER REFERENCES cases(id),
           created_at TEXT NOT NULL,
           input_hash TEXT NOT NULL,
           kb_version TEXT NOT NULL,
           engine_version TEXT NOT NULL,
           result TEXT NOT NULL);
         CREATE INDEX assessments_case ON assessments(case_id);)",
  };
  return m;
}

std::string now_utc() {
  auto t = std::chrono::system_clock::now();
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto day = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{secs - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

}  // namespace

std::string content_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  std::unique_ptr<Store> s(new Store());
  try {
    s->db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    s->db_->exec("PRAGMA journal_mode=WAL");
    s->db_->exec("PRAGMA synchronous=FULL");
    s->db_->exec("PRAGMA foreign_keys=ON");
    s->db_->setBusyTimeout(5000);
    int version = s->db_->execAndGet("PRAGMA user_version").getInt();
    const auto& steps = migrations();
    if (version > static_cast<int>(steps.size())) {
      return Status::invalid_input(fmt::format(
          "--db: {} has schema version {}, newer than this paraderm ({})", path, version, steps.size()));
    }
    for (int v = version; v < static_cast<int>(steps.size()); ++v) {
      SQLite::Transaction tx(*s->db_);
      s->db_->exec(steps[static_cast<std::size_t>(v)]);
      s->db_->exec(fmt::format("PRAGMA user_version={}", v + 1));
      tx.commit();
    }
    s->version_ = static_cast<int>(steps.size());
  } catch (const std::exception& e) {
    return Status::io_error(fmt::format("--db: cannot open {}: {}", path, e.what()));
  }
  return s;
}

int Store::schema_version() const { return version_; }

// One INSERT in its own transaction; `bind` binds the statement's parameters. Returns the row id.
template <class Bind>
static Result<std::int64_t> insert_one(SQLite::Database& db, const char* sql, Bind bind) {
  try {
    SQLite::Transaction tx(db);
    SQLite::Statement q(db, sql);
    bind(q);
    q.exec();
    std::int64_t id = db.getLastInsertRowid();
    tx.commit();
    return id;
  } catch (const std::exception& e) {
    return Status::io_error(std::string("store: ") + e.what());
  }
}

Result<std::int64_t> Store::save_case(const std::string& title, const std::string& kind,
                                      const std::string& input) {
  std::lock_guard<std::mutex> lock(mu_);
  return insert_one(*db_, "INSERT INTO cases(created_at, title, input_kind, input) VALUES(?,?,?,?)",
                    [&](SQLite::Statement& q) {
                      q.bind(1, now_utc());
                      q.bind(2, title);
                      q.bind(3, kind);
                      q.bind(4, input);
                    });
}

std::vector<CaseRecord> Store::list_cases(int limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CaseRecord> out;
  SQLite::Statement q(*db_, "SELECT id, created_at, title, input_kind FROM cases ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), "", {}});
  }
  return out;
}

std::optional<CaseRecord> Store::get_case(std::int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  SQLite::Statement q(*db_, "SELECT id, created_at, title, input_kind, input FROM cases WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  CaseRecord r{q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
               q.getColumn(3).getString(), q.getColumn(4).getString(), {}};
  SQLite::Statement l(*db_, "SELECT lab FROM case_labs WHERE case_id = ? ORDER BY id");
  l.bind(1, id);
  while (l.executeStep()) r.labs.push_back(l.getColumn(0).getString());
  return r;
}

Result<std::int64_t> Store::add_labs(std::int64_t case_id, const std::vector<std::string>& labs) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    SQLite::Transaction tx(*db_);
    std::string created = now_utc();
    for (const auto& lab : labs) {
      SQLite::Statement q(*db_, "INSERT INTO case_labs(case_id, created_at, lab) VALUES(?,?,?)");
      q.bind(1, case_id);
      q.bind(2, created);
      q.bind(3, lab);
      q.exec();
    }
    tx.commit();
    return static_cast<std::int64_t>(labs.size());
  } catch (const std::exception& e) {
    return Status::io_error(std::string("store: ") + e.what());
  }
}

Result<std::int64_t> Store::record_assessment(std::optional<std::int64_t> case_id,
                                              const std::string& input_hash, const std::string& kb_version,
                                              const std::string& engine_version, const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  return insert_one(*db_,
                    "INSERT INTO assessments(case_id, created_at, input_hash, kb_version, engine_version, "
                    "result) VALUES(?,?,?,?,?,?)",
                    [&](SQLite::Statement& q) {
                      if (case_id) q.bind(1, *case_id);
                      else q.bind(1);
                      q.bind(2, now_utc());
                      q.bind(3, input_hash);
                      q.bind(4, kb_version);
                      q.bind(5, engine_version);
                      q.bind(6, result);
                    });
}

std::vector<AssessmentRecord> Store::assessments(std::int64_t case_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AssessmentRecord> out;
  SQLite::Statement q(*db_,
                      "SELECT id, case_id, created_at, input_hash, kb_version, engine_version, result "
                      "FROM assessments WHERE case_id = ? ORDER BY id DESC");
  q.bind(1, case_id);
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString(),
                   q.getColumn(6).getString()});
  }
  return out;
}

}  // namespace paraderm::store
