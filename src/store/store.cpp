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
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      fmt::print(stderr, "warning: --db: {} is readable by other accounts (mode {:o}); chmod 600 it\n", path,
                 st.st_mode & 0777);
    }
    return Status::ok();
  }
  return Status::io_error(fmt::format("--db: cannot create {}: {}", path, std::strerror(errno)));
}

void configure(SQLite::Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
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
    s->writer_db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    configure(*s->writer_db_);
    int version = s->writer_db_->execAndGet("PRAGMA user_version").getInt();
    const auto& steps = migrations();
    if (version > static_cast<int>(steps.size())) {
      return Status::invalid_input(fmt::format(
          "--db: {} has schema version {}, newer than this paraderm ({})", path, version, steps.size()));
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
      results.assign(batch.size(), Status::io_error(std::string("store: commit failed: ") + e.what()));
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
    fmt::print(stderr, "warning: store: {} of row {} is not UTF-8; served with U+FFFD in place of the bad bytes\n",
               column, id);
  }
  return text::replace_invalid_utf8(text);
}

Result<std::int64_t> Store::save_case(const std::string& title, const std::string& kind,
                                      const std::string& input) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "INSERT INTO cases(created_at, title, input_kind, input) VALUES(?,?,?,?)");
    q.bind(1, created);
    q.bind(2, title);
    q.bind(3, kind);
    q.bind(4, input);
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::vector<CaseRecord> Store::list_cases(int limit) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<CaseRecord> out;
  SQLite::Statement q(*reader_db_, "SELECT id, created_at, title, input_kind FROM cases ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  while (q.executeStep()) {
    std::int64_t id = q.getColumn(0).getInt64();
    out.push_back({id, repaired(id, "created_at", q.getColumn(1).getString()),
                   repaired(id, "title", q.getColumn(2).getString()),
                   repaired(id, "input_kind", q.getColumn(3).getString()), "", {}});
  }
  return out;
}

std::optional<CaseRecord> Store::get_case(std::int64_t id) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  SQLite::Statement q(*reader_db_, "SELECT id, created_at, title, input_kind, input FROM cases WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  CaseRecord r{q.getColumn(0).getInt64(), repaired(id, "created_at", q.getColumn(1).getString()),
               repaired(id, "title", q.getColumn(2).getString()),
               repaired(id, "input_kind", q.getColumn(3).getString()), repaired(id, "input", q.getColumn(4).getString()),
               {}};
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
                                              const std::string& input_hash, const std::string& kb_version,
                                              const std::string& engine_version, const std::string& result) {
  std::string created = now_utc();
  return write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO assessments(case_id, created_at, input_hash, kb_version, engine_version, "
                        "result) VALUES(?,?,?,?,?,?)");
    if (case_id) q.bind(1, *case_id);
    else q.bind(1);
    q.bind(2, created);
    q.bind(3, input_hash);
    q.bind(4, kb_version);
    q.bind(5, engine_version);
    q.bind(6, result);
    q.exec();
    return db.getLastInsertRowid();
  });
}

std::vector<AssessmentRecord> Store::assessments(std::int64_t case_id) const {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<AssessmentRecord> out;
  SQLite::Statement q(*reader_db_,
                      "SELECT id, case_id, created_at, input_hash, kb_version, engine_version, result "
                      "FROM assessments WHERE case_id = ? ORDER BY id DESC");
  q.bind(1, case_id);
  while (q.executeStep()) {
    std::int64_t id = q.getColumn(0).getInt64();
    out.push_back({id, q.getColumn(1).getInt64(), q.getColumn(2).getString(), q.getColumn(3).getString(),
                   q.getColumn(4).getString(), q.getColumn(5).getString(),
                   repaired(id, "result", q.getColumn(6).getString())});
  }
  return out;
}

Result<std::int64_t> Store::record_feedback(const std::vector<FeedbackRecord>& items) {
  std::string received = now_utc();
  return write([&](SQLite::Database& db) {
    for (const auto& f : items) {
      SQLite::Statement q(db,
                          "INSERT INTO cds_feedback(received_at, service, card, outcome, outcome_at, override_code, "
                          "override_display, override_comment, accepted_suggestions) VALUES(?,?,?,?,?,?,?,?,?)");
      q.bind(1, received);
      q.bind(2, f.service);
      q.bind(3, f.card);
      q.bind(4, f.outcome);
      q.bind(5, f.outcome_at);
      auto bind_optional = [&](int i, const std::optional<std::string>& v) {
        if (v) q.bind(i, *v);
        else q.bind(i);
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
  SQLite::Statement q(*reader_db_,
                      "SELECT id, received_at, service, card, outcome, outcome_at, override_code, override_display, "
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
    if (f.override_display) f.override_display = repaired(f.id, "override_display", *f.override_display);
    f.override_comment = optional(q.getColumn(8));
    if (f.override_comment) f.override_comment = repaired(f.id, "override_comment", *f.override_comment);
    f.accepted_suggestions = q.getColumn(9).getString();
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace paraderm::store
