#include "paraderm/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "text/utf8.h"

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
      // CDS Hooks feedback (docs/cds-hooks.md): what the clinician did with a card.
      R"(CREATE TABLE cds_feedback (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           received_at TEXT NOT NULL,
           service TEXT NOT NULL,
           card TEXT NOT NULL,
           outcome TEXT NOT NULL,
           outcome_at TEXT NOT NULL,
           override_code TEXT,
           override_display TEXT,
           override_comment TEXT,
           accepted_suggestions TEXT NOT NULL);
         CREATE INDEX cds_feedback_card ON cds_feedback(card);)",
      // Accounts, roles, API tokens and sessions (docs/server.md, "Accounts"). Tokens and session
      // ids are stored as SHA-256 only. Cases saved before accounts existed were readable by
      // anyone who reached the server: they stay readable by every clinician (shared).
      R"(CREATE TABLE users (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           name TEXT NOT NULL UNIQUE,
           role TEXT NOT NULL CHECK (role IN ('clinician', 'pharmacist', 'admin')),
           password_hash TEXT NOT NULL,
           disabled INTEGER NOT NULL DEFAULT 0,
           created_at TEXT NOT NULL);
         CREATE TABLE api_tokens (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           user_id INTEGER NOT NULL REFERENCES users(id),
           token_hash TEXT NOT NULL UNIQUE,
           label TEXT NOT NULL,
           created_at TEXT NOT NULL,
           revoked_at TEXT);
         CREATE TABLE sessions (
           id_hash TEXT PRIMARY KEY,
           user_id INTEGER NOT NULL REFERENCES users(id),
           created INTEGER NOT NULL,
           last_seen INTEGER NOT NULL);
         CREATE INDEX sessions_user ON sessions(user_id);
         CREATE TABLE audit_events (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           created_at TEXT NOT NULL,
           user_id INTEGER,
           username TEXT NOT NULL,
           action TEXT NOT NULL,
           detail TEXT NOT NULL,
           address TEXT NOT NULL);
         CREATE TABLE case_feedback (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           case_id INTEGER NOT NULL REFERENCES cases(id),
           user_id INTEGER,
           username TEXT NOT NULL,
           created_at TEXT NOT NULL,
           text TEXT NOT NULL);
         CREATE INDEX case_feedback_case ON case_feedback(case_id);
         ALTER TABLE cases ADD COLUMN owner_id INTEGER REFERENCES users(id);
         ALTER TABLE cases ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
         UPDATE cases SET shared = 1;
         CREATE INDEX cases_owner ON cases(owner_id);
         ALTER TABLE assessments ADD COLUMN user_id INTEGER;
         ALTER TABLE assessments ADD COLUMN username TEXT NOT NULL DEFAULT '';)",
      // Idempotent saves: the page sends one key per Save, so a double click or a retry after a
      // lost answer stores the case once. A key belongs to its owner (0: no account).
      R"(ALTER TABLE cases ADD COLUMN idempotency_key TEXT;
         CREATE UNIQUE INDEX cases_idempotency ON cases(COALESCE(owner_id, 0), idempotency_key)
           WHERE idempotency_key IS NOT NULL;)",
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

struct Store::PendingWrite {
  std::function<std::int64_t(SQLite::Database&)> apply;
  Result<std::int64_t> result = Status::io_error("store: not written");
  bool done = false;
  std::condition_variable cv;
};

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

namespace {

// A patient database must not be readable by other accounts: create it 0600 before SQLite opens
// it (SQLite gives the -wal and -shm files the database file's permissions).
Status create_private(const std::string& path) {
  if (path == ":memory:" || path.empty()) return Status::ok();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return Status::ok();
  }
  if (errno == EEXIST) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      fmt::print(stderr,
                 "warning: --db: {} is readable by other accounts (mode {:o}); chmod 600 it\n",
                 path, st.st_mode & 0777);
    }
    return Status::ok();
  }
  return Status::io_error(fmt::format("--db: cannot create {}: {}", path, std::strerror(errno)));
}

// Each assessment row holds its ~50 KB result: with SQLite's default 4 KB pages that is 13 overflow
// pages, each written to the WAL and again at checkpoint, about 95 us of CPU per row (a third of
// the server's time per assessment). 16 KB pages cost about 55 us (docs/server.md). page_size
// applies only to a database not yet written (before WAL mode is set); an older file keeps its
// pages. The checkpoint stays near SQLite's default 4 MB of WAL (1000 pages of 4 KB).
constexpr int kPageBytes = 16384;
constexpr int kCheckpointPages = 4 * 1024 * 1024 / kPageBytes;

void configure(SQLite::Database& db) {
  db.exec(fmt::format("PRAGMA page_size={}", kPageBytes));
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(fmt::format("PRAGMA wal_autocheckpoint={}", kCheckpointPages));
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=ON");
  db.setBusyTimeout(5000);
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  std::unique_ptr<Store> s(new Store());
  Status created = create_private(path);
  if (!created.is_ok()) return created;
  try {
    s->writer_db_ =
        std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    configure(*s->writer_db_);
    int version = s->writer_db_->execAndGet("PRAGMA user_version").getInt();
    const auto& steps = migrations();
    // SQLite keeps user_version as a signed integer: a negative one was written by no paraderm
    // (and would index before the first step).
    if (version < 0) {
      return Status::invalid_input(
          fmt::format("--db: {} has schema version {}, which no paraderm writes", path, version));
    }
    if (version > static_cast<int>(steps.size())) {
      return Status::invalid_input(
          fmt::format("--db: {} has schema version {}, newer than this paraderm ({})", path,
                      version, steps.size()));
    }
    for (int v = version; v < static_cast<int>(steps.size()); ++v) {
      SQLite::Transaction tx(*s->writer_db_);
      s->writer_db_->exec(steps[static_cast<std::size_t>(v)]);
      s->writer_db_->exec(fmt::format("PRAGMA user_version={}", v + 1));
      tx.commit();
    }
    s->version_ = static_cast<int>(steps.size());
    s->reader_db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    configure(*s->reader_db_);
    s->auth_db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    configure(*s->auth_db_);
    s->token_lookup_ = std::make_unique<SQLite::Statement>(
        *s->auth_db_,
        "SELECT u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at FROM api_tokens t "
        "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND "
        "u.disabled = 0");
    s->session_lookup_ = std::make_unique<SQLite::Statement>(
        *s->auth_db_,
        "SELECT u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at, s.created, "
        "s.last_seen "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND u.disabled = 0");
  } catch (const std::exception& e) {
    return Status::io_error(fmt::format("--db: cannot open {}: {}", path, e.what()));
  }
  s->writer_ = std::thread([p = s.get()] { p->writer_loop(); });
  return s;
}

int Store::schema_version() const { return version_; }

Result<std::int64_t> Store::write(std::function<std::int64_t(SQLite::Database&)> apply) {
  PendingWrite w;
  w.apply = std::move(apply);
  std::unique_lock<std::mutex> lock(queue_mu_);
  if (closing_) return Status::io_error("store: closing");
  queue_.push_back(&w);
  queue_cv_.notify_all();
  w.cv.wait(lock, [&] { return w.done; });
  return std::move(w.result);
}

// Takes everything queued, applies each write in its own savepoint inside one transaction, commits
// (one fsync for the batch), then releases the waiting callers. While a batch commits, the next one
// gathers, so batches grow with the load without any added delay when there is none.
void Store::writer_loop() {
  for (;;) {
    std::vector<PendingWrite*> batch;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch.swap(queue_);
    }
    std::vector<Result<std::int64_t>> results;
    results.reserve(batch.size());
    try {
      SQLite::Transaction tx(*writer_db_);
      for (auto* w : batch) {
        writer_db_->exec("SAVEPOINT one_write");
        try {
          results.emplace_back(w->apply(*writer_db_));
          writer_db_->exec("RELEASE one_write");
        } catch (const std::exception& e) {
          writer_db_->exec("ROLLBACK TO one_write");
          writer_db_->exec("RELEASE one_write");
          results.emplace_back(Status::io_error(std::string("store: ") + e.what()));
        }
      }
      tx.commit();
    } catch (const std::exception& e) {
      // The commit (or the transaction) failed: nothing in this batch is durable.
      results.assign(batch.size(),
                     Status::io_error(std::string("store: commit failed: ") + e.what()));
    }
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      stats_.batches++;
      stats_.writes += batch.size();
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
    }
    std::lock_guard<std::mutex> lock(queue_mu_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = std::move(results[i]);
      batch[i]->done = true;
      batch[i]->cv.notify_all();
    }
  }
}

Store::WriteStats Store::write_stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

std::string Store::repaired(std::int64_t id, const char* column, std::string text) const {
  if (text::is_valid_utf8(text)) return text;
  // Only the row and column are named: the text itself may be patient data.
  if (warned_.insert({id, column}).second) {
    fmt::print(
        stderr,
        "warning: store: {} of row {} is not UTF-8; served with U+FFFD in place of the bad bytes\n",
        column, id);
  }
  return text::replace_invalid_utf8(text);
}

namespace {

void bind_id(SQLite::Statement& q, int i, const std::optional<std::int64_t>& v) {
  if (v)
    q.bind(i, *v);
  else
    q.bind(i);
}

std::optional<std::int64_t> optional_int(const SQLite::Column& c) {
  return c.isNull() ? std::nullopt : std::optional<std::int64_t>(c.getInt64());
}

}  // namespace

Result<std::int64_t> Store::save_case(const std::string& title, const std::string& kind,
                                      const std::string& input, const Actor& owner, bool shared,
                                      const std::string& idempotency_key, SaveOutcome* outcome) {
  std::string created = now_utc();
  SaveOutcome result = SaveOutcome::kCreated;
  auto saved = write([&](SQLite::Database& db) -> std::int64_t {
    // The one writer thread runs this look-up and the insert with nothing in between, so two
    // requests with the same key cannot both insert.
    if (!idempotency_key.empty()) {
      SQLite::Statement find(
          db,
          "SELECT id, title, input_kind, input FROM cases "
          "WHERE COALESCE(owner_id, 0) = COALESCE(?1, 0) AND idempotency_key = ?2");
      bind_id(find, 1, owner.user_id);
      find.bind(2, idempotency_key);
      if (find.executeStep()) {
        bool same = find.getColumn(1).getString() == title &&
                    find.getColumn(2).getString() == kind && find.getColumn(3).getString() == input;
        result = same ? SaveOutcome::kReplayed : SaveOutcome::kKeyConflict;
        return find.getColumn(0).getInt64();
      }
    }
    SQLite::Statement q(db,
                        "INSERT INTO cases(created_at, title, input_kind, input, owner_id, shared, "
                        "idempotency_key) VALUES(?,?,?,?,?,?,?)");
    q.bind(1, created);
    q.bind(2, title);
    q.bind(3, kind);
    q.bindNoCopy(4, input);  // the caller waits for this write: its string outlives the statement
    bind_id(q, 5, owner.user_id);
    q.bind(6, shared ? 1 : 0);
    if (idempotency_key.empty())
      q.bind(7);
    else
      q.bind(7, idempotency_key);
    q.exec();
    return db.getLastInsertRowid();
  });
  if (outcome) *outcome = result;
  return saved;
}

std::vector<CaseRecord> Store::list_cases(int limit, std::optional<std::int64_t> visible_to) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<CaseRecord> out;
  SQLite::Statement q(
      *reader_db_,
      "SELECT c.id, c.created_at, c.title, c.input_kind, c.owner_id, COALESCE(u.name, ''), "
      "c.shared "
      "FROM cases c LEFT JOIN users u ON u.id = c.owner_id "
      "WHERE ?1 IS NULL OR c.owner_id = ?1 OR c.shared = 1 ORDER BY c.id DESC LIMIT ?2");
  bind_id(q, 1, visible_to);
  q.bind(2, limit);
  while (q.executeStep()) {
    std::int64_t id = q.getColumn(0).getInt64();
    CaseRecord r{id,
                 repaired(id, "created_at", q.getColumn(1).getString()),
                 repaired(id, "title", q.getColumn(2).getString()),
                 repaired(id, "input_kind", q.getColumn(3).getString()),
                 "",
                 {}};
    r.owner_id = optional_int(q.getColumn(4));
    r.owner = q.getColumn(5).getString();
    r.shared = q.getColumn(6).getInt() != 0;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::int64_t> Store::set_shared(std::int64_t case_id, bool shared) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE cases SET shared = ? WHERE id = ?");
    q.bind(1, shared ? 1 : 0);
    q.bind(2, case_id);
    return static_cast<std::int64_t>(q.exec());
  });
}

std::optional<CaseRecord> Store::get_case(std::int64_t id) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  SQLite::Statement q(
      *reader_db_,
      "SELECT c.id, c.created_at, c.title, c.input_kind, c.input, c.owner_id, COALESCE(u.name, "
      "''), "
      "c.shared FROM cases c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  CaseRecord r{q.getColumn(0).getInt64(),
               repaired(id, "created_at", q.getColumn(1).getString()),
               repaired(id, "title", q.getColumn(2).getString()),
               repaired(id, "input_kind", q.getColumn(3).getString()),
               repaired(id, "input", q.getColumn(4).getString()),
               {}};
  r.owner_id = optional_int(q.getColumn(5));
  r.owner = q.getColumn(6).getString();
  r.shared = q.getColumn(7).getInt() != 0;
  SQLite::Statement l(*reader_db_, "SELECT lab FROM case_labs WHERE case_id = ? ORDER BY id");
  l.bind(1, id);
  while (l.executeStep()) r.labs.push_back(repaired(id, "lab", l.getColumn(0).getString()));
  return r;
}

Result<std::int64_t> Store::add_labs(std::int64_t case_id, const std::vector<std::string>& labs) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    for (const auto& lab : labs) {
      SQLite::Statement q(db, "INSERT INTO case_labs(case_id, created_at, lab) VALUES(?,?,?)");
      q.bind(1, case_id);
      q.bind(2, created);
      q.bind(3, lab);
      q.exec();
    }
    return static_cast<std::int64_t>(labs.size());
  });
}

Result<std::int64_t> Store::record_assessment(std::optional<std::int64_t> case_id,
                                              const std::string& input_hash,
                                              const std::string& kb_version,
                                              const std::string& engine_version,
                                              const std::string& result, const Actor& by) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(
        db,
        "INSERT INTO assessments(case_id, created_at, input_hash, kb_version, engine_version, "
        "result, user_id, username) VALUES(?,?,?,?,?,?,?,?)");
    bind_id(q, 7, by.user_id);
    q.bind(8, by.name);
    if (case_id)
      q.bind(1, *case_id);
    else
      q.bind(1);
    q.bind(2, created);
    q.bind(3, input_hash);
    q.bind(4, kb_version);
    q.bind(5, engine_version);
    q.bindNoCopy(6, result);  // ~45 KB; the caller waits for this write, so the string outlives it
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::vector<AssessmentRecord> Store::assessments(std::int64_t case_id) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<AssessmentRecord> out;
  SQLite::Statement q(
      *reader_db_,
      "SELECT id, case_id, created_at, input_hash, kb_version, engine_version, result, user_id, "
      "username FROM assessments WHERE case_id = ? ORDER BY id DESC");
  q.bind(1, case_id);
  while (q.executeStep()) {
    std::int64_t id = q.getColumn(0).getInt64();
    out.push_back({id, q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), q.getColumn(4).getString(),
                   q.getColumn(5).getString(), repaired(id, "result", q.getColumn(6).getString()),
                   optional_int(q.getColumn(7)), q.getColumn(8).getString()});
  }
  return out;
}

std::vector<AssessmentRecord> Store::audit_assessments(int limit) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<AssessmentRecord> out;
  SQLite::Statement q(
      *reader_db_,
      "SELECT id, case_id, created_at, input_hash, kb_version, engine_version, user_id, username "
      "FROM assessments ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), optional_int(q.getColumn(1)),
                   q.getColumn(2).getString(), q.getColumn(3).getString(),
                   q.getColumn(4).getString(), q.getColumn(5).getString(), "",
                   optional_int(q.getColumn(6)), q.getColumn(7).getString()});
  }
  return out;
}

Result<std::int64_t> Store::add_case_feedback(std::int64_t case_id, const Actor& by,
                                              const std::string& text) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO case_feedback(case_id, user_id, username, created_at, text) "
                        "VALUES(?,?,?,?,?)");
    q.bind(1, case_id);
    bind_id(q, 2, by.user_id);
    q.bind(3, by.name);
    q.bind(4, created);
    q.bind(5, text);
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::vector<CaseFeedback> Store::case_feedback(std::int64_t case_id) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<CaseFeedback> out;
  SQLite::Statement q(
      *reader_db_,
      "SELECT id, created_at, username, text FROM case_feedback WHERE case_id = ? ORDER BY id");
  q.bind(1, case_id);
  while (q.executeStep()) {
    std::int64_t id = q.getColumn(0).getInt64();
    out.push_back({id, q.getColumn(1).getString(), q.getColumn(2).getString(),
                   repaired(id, "feedback", q.getColumn(3).getString())});
  }
  return out;
}

// --- accounts -----------------------------------------------------------------------------

namespace {

const char* const kUserColumns = "id, name, role, password_hash, disabled, created_at";

UserRecord user_row(SQLite::Statement& q, int first = 0) {
  return {q.getColumn(first).getInt64(),        q.getColumn(first + 1).getString(),
          q.getColumn(first + 2).getString(),   q.getColumn(first + 3).getString(),
          q.getColumn(first + 4).getInt() != 0, q.getColumn(first + 5).getString()};
}

}  // namespace

Result<std::int64_t> Store::add_user(const std::string& name, const std::string& role,
                                     const std::string& password_hash) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO users(name, role, password_hash, created_at) VALUES(?,?,?,?)");
    q.bind(1, name);
    q.bind(2, role);
    q.bind(3, password_hash);
    q.bind(4, created);
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::optional<UserRecord> Store::find_user(const std::string& name) const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  SQLite::Statement q(*auth_db_, fmt::format("SELECT {} FROM users WHERE name = ?", kUserColumns));
  q.bind(1, name);
  if (!q.executeStep()) return std::nullopt;
  return user_row(q);
}

std::vector<UserRecord> Store::list_users() const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  std::vector<UserRecord> out;
  SQLite::Statement q(*auth_db_, fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns));
  while (q.executeStep()) {
    out.push_back(user_row(q));
    out.back().password_hash.clear();  // never leaves the store in a listing
  }
  return out;
}

std::int64_t Store::user_count() const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  return auth_db_->execAndGet("SELECT COUNT(*) FROM users").getInt64();
}

namespace {
// Every session of the user `name` (a disabled account or a changed password must not stay logged
// in).
void end_sessions(SQLite::Database& db, const std::string& name) {
  SQLite::Statement d(db,
                      "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)");
  d.bind(1, name);
  d.exec();
}
}  // namespace

Result<std::int64_t> Store::set_user_disabled(const std::string& name, bool disabled) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE users SET disabled = ? WHERE name = ?");
    q.bind(1, disabled ? 1 : 0);
    q.bind(2, name);
    auto n = static_cast<std::int64_t>(q.exec());
    if (disabled) end_sessions(db, name);
    return n;
  });
}

Result<std::int64_t> Store::set_user_password(const std::string& name,
                                              const std::string& password_hash) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE users SET password_hash = ? WHERE name = ?");
    q.bind(1, password_hash);
    q.bind(2, name);
    auto n = static_cast<std::int64_t>(q.exec());
    end_sessions(db, name);  // a new password ends every session opened with the old one
    return n;
  });
}

Result<std::int64_t> Store::set_user_role(const std::string& name, const std::string& role) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE users SET role = ? WHERE name = ?");
    q.bind(1, role);
    q.bind(2, name);
    return static_cast<std::int64_t>(q.exec());
  });
}

Result<std::int64_t> Store::add_token(std::int64_t user_id, const std::string& token_hash,
                                      const std::string& label) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(
        db, "INSERT INTO api_tokens(user_id, token_hash, label, created_at) VALUES(?,?,?,?)");
    q.bind(1, user_id);
    q.bind(2, token_hash);
    q.bind(3, label);
    q.bind(4, created);
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::vector<TokenRecord> Store::list_tokens() const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  std::vector<TokenRecord> out;
  SQLite::Statement q(
      *auth_db_,
      "SELECT t.id, t.user_id, u.name, t.label, t.created_at, t.revoked_at FROM api_tokens t "
      "JOIN users u ON u.id = t.user_id ORDER BY t.id");
  while (q.executeStep()) {
    TokenRecord t{q.getColumn(0).getInt64(),  q.getColumn(1).getInt64(),
                  q.getColumn(2).getString(), q.getColumn(3).getString(),
                  q.getColumn(4).getString(), std::nullopt};
    if (!q.getColumn(5).isNull()) t.revoked_at = q.getColumn(5).getString();
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::int64_t> Store::revoke_token(std::int64_t token_id) {
  std::string now = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    q.bind(1, now);
    q.bind(2, token_id);
    return static_cast<std::int64_t>(q.exec());
  });
}

// Runs on every request with a token: the statement is prepared once and reused.
std::optional<UserRecord> Store::user_for_token(const std::string& token_hash) const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  SQLite::Statement& q = *token_lookup_;
  q.reset();
  q.bind(1, token_hash);
  std::optional<UserRecord> out;
  if (q.executeStep()) out = user_row(q);
  q.reset();  // ends the read transaction so the WAL can be checkpointed
  return out;
}

Result<std::int64_t> Store::add_session(const std::string& id_hash, std::int64_t user_id,
                                        std::int64_t now) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(
        db, "INSERT INTO sessions(id_hash, user_id, created, last_seen) VALUES(?,?,?,?)");
    q.bind(1, id_hash);
    q.bind(2, user_id);
    q.bind(3, now);
    q.bind(4, now);
    q.exec();
    return std::int64_t{1};
  });
}

// Runs on every request with a session cookie: prepared once, like user_for_token.
std::optional<SessionRecord> Store::find_session(const std::string& id_hash) const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  SQLite::Statement& q = *session_lookup_;
  q.reset();
  q.bind(1, id_hash);
  std::optional<SessionRecord> out;
  if (q.executeStep())
    out = SessionRecord{user_row(q), q.getColumn(6).getInt64(), q.getColumn(7).getInt64()};
  q.reset();
  return out;
}

Result<std::int64_t> Store::touch_session(const std::string& id_hash, std::int64_t now) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE sessions SET last_seen = ? WHERE id_hash = ?");
    q.bind(1, now);
    q.bind(2, id_hash);
    return static_cast<std::int64_t>(q.exec());
  });
}

Result<std::int64_t> Store::delete_session(const std::string& id_hash) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "DELETE FROM sessions WHERE id_hash = ?");
    q.bind(1, id_hash);
    return static_cast<std::int64_t>(q.exec());
  });
}

Result<std::int64_t> Store::purge_sessions(std::int64_t created_before, std::int64_t seen_before) {
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "DELETE FROM sessions WHERE created < ? OR last_seen < ?");
    q.bind(1, created_before);
    q.bind(2, seen_before);
    return static_cast<std::int64_t>(q.exec());
  });
}

Result<std::int64_t> Store::record_event(const Actor& by, const std::string& action,
                                         const std::string& detail, const std::string& address) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(
        db,
        "INSERT INTO audit_events(created_at, user_id, username, action, detail, address) "
        "VALUES(?,?,?,?,?,?)");
    q.bind(1, created);
    bind_id(q, 2, by.user_id);
    q.bind(3, by.name);
    q.bind(4, action);
    q.bind(5, detail);
    q.bind(6, address);
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::vector<AuditEvent> Store::list_events(int limit) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<AuditEvent> out;
  SQLite::Statement q(
      *reader_db_,
      "SELECT id, created_at, user_id, username, action, detail, address FROM audit_events "
      "ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                   optional_int(q.getColumn(2)), q.getColumn(3).getString(),
                   q.getColumn(4).getString(), q.getColumn(5).getString(),
                   q.getColumn(6).getString()});
  }
  return out;
}

Result<std::int64_t> Store::record_feedback(const std::vector<FeedbackRecord>& items) {
  std::string received = now_utc();
  return write([&](SQLite::Database& db) {
    for (const auto& f : items) {
      SQLite::Statement q(
          db,
          "INSERT INTO cds_feedback(received_at, service, card, outcome, outcome_at, "
          "override_code, "
          "override_display, override_comment, accepted_suggestions) VALUES(?,?,?,?,?,?,?,?,?)");
      q.bind(1, received);
      q.bind(2, f.service);
      q.bind(3, f.card);
      q.bind(4, f.outcome);
      q.bind(5, f.outcome_at);
      auto bind_optional = [&](int i, const std::optional<std::string>& v) {
        if (v)
          q.bind(i, *v);
        else
          q.bind(i);
      };
      bind_optional(6, f.override_code);
      bind_optional(7, f.override_display);
      bind_optional(8, f.override_comment);
      q.bind(9, f.accepted_suggestions);
      q.exec();
    }
    return static_cast<std::int64_t>(items.size());
  });
}

std::vector<FeedbackRecord> Store::list_feedback(int limit) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<FeedbackRecord> out;
  SQLite::Statement q(
      *reader_db_,
      "SELECT id, received_at, service, card, outcome, outcome_at, override_code, "
      "override_display, "
      "override_comment, accepted_suggestions FROM cds_feedback ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  auto optional = [](const SQLite::Column& c) {
    return c.isNull() ? std::nullopt : std::optional<std::string>(c.getString());
  };
  while (q.executeStep()) {
    FeedbackRecord f;
    f.id = q.getColumn(0).getInt64();
    f.received_at = q.getColumn(1).getString();
    f.service = q.getColumn(2).getString();
    f.card = q.getColumn(3).getString();
    f.outcome = q.getColumn(4).getString();
    f.outcome_at = q.getColumn(5).getString();
    f.override_code = optional(q.getColumn(6));
    f.override_display = optional(q.getColumn(7));
    if (f.override_display)
      f.override_display = repaired(f.id, "override_display", *f.override_display);
    f.override_comment = optional(q.getColumn(8));
    if (f.override_comment)
      f.override_comment = repaired(f.id, "override_comment", *f.override_comment);
    f.accepted_suggestions = q.getColumn(9).getString();
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace paraderm::store
