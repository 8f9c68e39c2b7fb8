// Persistent store of saved cases, follow-up lab results and the audit trail of assessments
// (SQLite, WAL mode, schema migrations applied on open).
//
// Contract:
//  * Group commit: writes are queued to one writer thread, which commits everything queued in one
//    transaction and one fsync (WAL, synchronous=FULL). A write returns only after its batch is
//    durable, so a process killed afterwards loses nothing acknowledged; each write is a savepoint
//    in the batch, so one failing write fails alone.
//  * The database file is created 0600 (it holds patient records).
//  * Text read back is UTF-8: a row stored before the server checked its input is repaired on
//    read (U+FFFD) with a warning, never served as a failure.
//  * Cases are stored as the submitted JSON text; follow-up labs as native lab objects; each
//    assessment with the input hash, KB version, engine version, time and the result JSON.
//  * Thread-safe: the writer thread has its own connection; reads share a second one (WAL lets
//    them run while a batch commits).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "paraderm/status.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace paraderm::store {

// Who acts: recorded with every case, assessment and audit event. No user id when the server
// runs with --insecure-no-auth (name "anonymous").
struct Actor {
  std::optional<std::int64_t> user_id;
  std::string name;
};

enum class SaveOutcome { kCreated, kReplayed, kKeyConflict };

struct CaseRecord {
  std::int64_t id = 0;
  std::string created_at;  // UTC, ISO 8601
  std::string title;
  std::string input_kind;                // native | fhir
  std::string input;                     // the submitted JSON
  std::vector<std::string> labs;         // follow-up lab objects (native format), JSON text each
  std::optional<std::int64_t> owner_id;  // none: saved before accounts existed, or without auth
  std::string owner;                     // the owner's user name, "" when none
  bool shared = false;                   // readable by every clinician, not only the owner
};

struct AssessmentRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> case_id;
  std::string created_at, input_hash, kb_version, engine_version;
  std::string result;  // the assessment JSON (empty in audit listings)
  std::optional<std::int64_t> user_id;
  std::string username;
};

struct UserRecord {
  std::int64_t id = 0;
  std::string name, role;     // role: clinician | pharmacist | admin
  std::string password_hash;  // argon2id string
  bool disabled = false;
  std::string created_at;
};

struct TokenRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string username, label, created_at;
  std::optional<std::string> revoked_at;
};

// A login session; times in seconds since the epoch of the server's clock (injectable in tests).
struct SessionRecord {
  UserRecord user;
  std::int64_t created = 0, last_seen = 0;
};

// A security-relevant action (login, logout, user or token change): who, what, from where.
// Never patient data.
struct AuditEvent {
  std::int64_t id = 0;
  std::string created_at;
  std::optional<std::int64_t> user_id;
  std::string username, action, detail, address;
};

// A pharmacist's (or anyone's permitted) written feedback on a saved case.
struct CaseFeedback {
  std::int64_t id = 0;
  std::string created_at, username, text;
};

// One CDS Hooks feedback item (POST /cds-services/{id}/feedback): what was done with a card.
struct FeedbackRecord {
  std::int64_t id = 0;
  std::string received_at;    // UTC, ISO 8601, when the server stored it
  std::string service, card;  // service id, card uuid
  std::string outcome;        // accepted | overridden
  std::string outcome_at;     // the client's outcomeTimestamp
  std::optional<std::string> override_code, override_display, override_comment;
  std::string accepted_suggestions;  // JSON array of suggestion uuids
};

class Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates it to the current schema.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();

  int schema_version() const;
  // With an idempotency key, a second save by the same owner with the same key stores nothing
  // and returns the first case's id (outcome kReplayed; kKeyConflict when the title or input
  // differ from the first save's).
  Result<std::int64_t> save_case(const std::string& title, const std::string& input_kind,
                                 const std::string& input, const Actor& owner = {},
                                 bool shared = false, const std::string& idempotency_key = "",
                                 SaveOutcome* outcome = nullptr);
  // Newest first, without labs. visible_to: only the cases this user owns or that are shared.
  std::vector<CaseRecord> list_cases(int limit = 100,
                                     std::optional<std::int64_t> visible_to = std::nullopt) const;
  std::optional<CaseRecord> get_case(std::int64_t id) const;
  Result<std::int64_t> set_shared(std::int64_t case_id, bool shared);
  Result<std::int64_t> add_labs(std::int64_t case_id, const std::vector<std::string>& labs);
  Result<std::int64_t> record_assessment(std::optional<std::int64_t> case_id,
                                         const std::string& input_hash,
                                         const std::string& kb_version,
                                         const std::string& engine_version,
                                         const std::string& result, const Actor& by = {});
  std::vector<AssessmentRecord> assessments(std::int64_t case_id) const;  // newest first
  // The audit trail for administrators: every assessment, newest first, without its result.
  std::vector<AssessmentRecord> audit_assessments(int limit = 200) const;
  Result<std::int64_t> add_case_feedback(std::int64_t case_id, const Actor& by,
                                         const std::string& text);
  std::vector<CaseFeedback> case_feedback(std::int64_t case_id) const;  // oldest first

  // Accounts (include/paraderm/auth.h makes the hashes).
  Result<std::int64_t> add_user(const std::string& name, const std::string& role,
                                const std::string& password_hash);
  std::optional<UserRecord> find_user(const std::string& name) const;
  std::vector<UserRecord> list_users() const;
  std::int64_t user_count() const;
  // Disabling also ends the user's sessions; their tokens stop working while disabled.
  Result<std::int64_t> set_user_disabled(const std::string& name, bool disabled);
  Result<std::int64_t> set_user_password(const std::string& name, const std::string& password_hash);
  Result<std::int64_t> set_user_role(const std::string& name, const std::string& role);
  Result<std::int64_t> add_token(std::int64_t user_id, const std::string& token_hash,
                                 const std::string& label);
  std::vector<TokenRecord> list_tokens() const;
  Result<std::int64_t> revoke_token(
      std::int64_t token_id);  // returns 1 when revoked now, 0 when not found
  // The enabled user holding this (unrevoked) token.
  std::optional<UserRecord> user_for_token(const std::string& token_hash) const;
  Result<std::int64_t> add_session(const std::string& id_hash, std::int64_t user_id,
                                   std::int64_t now);
  std::optional<SessionRecord> find_session(const std::string& id_hash) const;
  Result<std::int64_t> touch_session(const std::string& id_hash, std::int64_t now);
  Result<std::int64_t> delete_session(const std::string& id_hash);
  // Removes sessions started before `created_before` or idle since before `seen_before`.
  Result<std::int64_t> purge_sessions(std::int64_t created_before, std::int64_t seen_before);
  Result<std::int64_t> record_event(const Actor& by, const std::string& action,
                                    const std::string& detail, const std::string& address);
  std::vector<AuditEvent> list_events(int limit = 200) const;  // newest first
  // CDS Hooks feedback: all items of one request in one durable write; returns the item count.
  Result<std::int64_t> record_feedback(const std::vector<FeedbackRecord>& items);
  std::vector<FeedbackRecord> list_feedback(int limit = 200) const;  // newest first

  // Group-commit counters (for tests and metrics): batches committed and writes in them.
  struct WriteStats {
    std::uint64_t batches = 0, writes = 0, largest_batch = 0;
  };
  WriteStats write_stats() const;

 private:
  Store() = default;
  struct PendingWrite;
  // Queues `apply` for the writer thread and waits until its batch is committed.
  Result<std::int64_t> write(std::function<std::int64_t(SQLite::Database&)> apply);
  void writer_loop();
  std::string repaired(std::int64_t id, const char* column, std::string text) const;

  std::unique_ptr<SQLite::Database> writer_db_, reader_db_;
  // Credential look-ups run on every request: their own connection, so they never queue behind a
  // long case or audit read.
  std::unique_ptr<SQLite::Database> auth_db_;
  // ...and their statements prepared once (after auth_db_: finalized before it closes).
  std::unique_ptr<SQLite::Statement> token_lookup_, session_lookup_;
  mutable std::mutex read_mu_, auth_mu_;
  mutable std::set<std::pair<std::int64_t, std::string>>
      warned_;  // rows already reported as not UTF-8
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingWrite*> queue_;
  bool closing_ = false;
  WriteStats stats_;
  mutable std::mutex stats_mu_;
  std::thread writer_;
  int version_ = 0;
};

// FNV-1a 64-bit content hash (hex) tying an assessment to its exact input (identity, not security).
std::string content_hash(const std::string& text);

}  // namespace paraderm::store
