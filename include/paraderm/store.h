// Persistent store of saved cases, follow-up lab results and the audit trail of assessments
// (SQLite, WAL mode, schema migrations applied on open).
//
// Contract:
//  * Every write is one transaction; a write that returned is durable (synchronous=FULL), so a
//    process killed afterwards loses nothing acknowledged.
//  * Cases are stored as the submitted JSON text; follow-up labs as native lab objects; each
//    assessment with the input hash, KB version, engine version, time and the result JSON.
//  * Thread-safe: one connection guarded by a mutex (SQLite serialises writes anyway).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "paraderm/status.h"

namespace SQLite {
class Database;
}

namespace paraderm::store {

struct CaseRecord {
  std::int64_t id = 0;
  std::string created_at;  // UTC, ISO 8601
  std::string title;
  std::string input_kind;  // native | fhir
  std::string input;       // the submitted JSON
  std::vector<std::string> labs;  // follow-up lab objects (native format), JSON text each
};

struct AssessmentRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> case_id;
  std::string created_at, input_hash, kb_version, engine_version;
  std::string result;  // the assessment JSON
};

class Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates it to the current schema.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();

  int schema_version() const;
  Result<std::int64_t> save_case(const std::string& title, const std::string& input_kind,
                                 const std::string& input);
  std::vector<CaseRecord> list_cases(int limit = 100) const;  // newest first, without labs
  std::optional<CaseRecord> get_case(std::int64_t id) const;
  Result<std::int64_t> add_labs(std::int64_t case_id, const std::vector<std::string>& labs);
  Result<std::int64_t> record_assessment(std::optional<std::int64_t> case_id,
                                         const std::string& input_hash,
                                         const std::string& kb_version,
                                         const std::string& engine_version,
                                         const std::string& result);
  std::vector<AssessmentRecord> assessments(std::int64_t case_id) const;  // newest first

 private:
  Store() = default;
  std::unique_ptr<SQLite::Database> db_;
  mutable std::mutex mu_;
  int version_ = 0;
};

// FNV-1a 64-bit content hash (hex) tying an assessment to its exact input (identity, not security).
std::string content_hash(const std::string& text);

}  // namespace paraderm::store
