// The case store's schema history and damaged files: a database written by every older schema
// version migrates to the current one with its data intact and ends with the same schema as a
// new database; a file that is not a database, is truncated or is from a newer paraderm gives a
// clear error, never a crash; rows whose columns hold the wrong SQLite type are read, not fatal.
// (Group commit, SIGKILL durability and the 0600 file mode of a new database are tested in
// store_test.cpp and tests/server/api_test.cpp; here: the mode of the -wal/-shm files and under
// a permissive umask, and concurrent idempotent saves.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../test_support.h"
#include "paraderm/store.h"

namespace paraderm::store {
namespace {

namespace fs = std::filesystem;

// The migration steps as shipped (src/store/store.cpp, migrations()), frozen here: a database in
// the field was written by exactly these statements. Step k takes the schema from version k to
// k + 1. Shipped steps are never edited (a new step is added), so
// TheFrozenStepsAreTheShippedOnes fails when a step here and in src/store differ in effect, and
// when src/store gains a step this list lacks (copy it here, with rows for it in seed()).
const std::vector<const char*> kShippedSteps = {
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
    R"(ALTER TABLE cases ADD COLUMN idempotency_key TEXT;
         CREATE UNIQUE INDEX cases_idempotency ON cases(COALESCE(owner_id, 0), idempotency_key)
           WHERE idempotency_key IS NOT NULL;)",
};
const int kCurrent = static_cast<int>(kShippedSteps.size());

class StoreDb : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();  // "Case/v2" for a parameterised test
    for (char& ch : name) ch = ch == '/' ? '_' : ch;
    path_ = fs::temp_directory_path() /
            ("paraderm_migration_" + std::to_string(::getpid()) + "_" + name + ".db");
    clean();
  }
  void TearDown() override { clean(); }
  void clean() const {
    for (const char* s : {"", "-wal", "-shm", "-journal"}) fs::remove(path_.string() + s);
  }
  fs::path path_;
};

// The schema as SQLite records it (tables, indexes and their SQL), for comparing two databases.
std::string schema_of(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master "
                      "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
  std::string out;
  while (q.executeStep()) {
    out += q.getColumn(0).getString() + " " + q.getColumn(1).getString() + " on " +
           q.getColumn(2).getString() + ":\n" + q.getColumn(3).getString() + "\n";
  }
  return out;
}

// Rows each schema version could write (the version's own tables and columns).
void seed(SQLite::Database& db, int version) {
  switch (version) {
    case 1:
      db.exec(
          "INSERT INTO cases(created_at, title, input_kind, input) VALUES('2026-01-02T03:04:05Z', "
          "'old case', "
          "'native', '{\"as_of\":\"2026-01-02\"}');"
          "INSERT INTO case_labs(case_id, created_at, lab) VALUES(1, '2026-01-03T00:00:00Z', "
          "'{\"test\":\"alc\",\"value\":1.1}');"
          "INSERT INTO assessments(case_id, created_at, input_hash, kb_version, engine_version, "
          "result) "
          "VALUES(1, '2026-01-02T03:04:06Z', 'abc', 'kb-1', 'engine-1', '{\"r\":1}');");
      break;
    case 2:
      db.exec(
          "INSERT INTO cds_feedback(received_at, service, card, outcome, outcome_at, "
          "accepted_suggestions) "
          "VALUES('2026-02-01T00:00:00Z', 'paraderm-patient-view', 'card-1', 'accepted', "
          "'2026-02-01T00:00:00Z', '[]')");
      break;
    case 3:
      db.exec(
          "INSERT INTO users(name, role, password_hash, created_at) VALUES('ann', 'clinician', "
          "'h', "
          "'2026-03-01T00:00:00Z');"
          "INSERT INTO api_tokens(user_id, token_hash, label, created_at) VALUES(1, 'tokhash', "
          "'ci', "
          "'2026-03-01T00:00:00Z');"
          "INSERT INTO sessions(id_hash, user_id, created, last_seen) VALUES('sesshash', 1, 100, "
          "200);"
          "INSERT INTO audit_events(created_at, user_id, username, action, detail, address) "
          "VALUES('2026-03-01T00:00:00Z', 1, 'ann', 'login', '', '127.0.0.1');"
          "INSERT INTO case_feedback(case_id, user_id, username, created_at, text) "
          "VALUES(1, 1, 'ann', '2026-03-02T00:00:00Z', 'checked');"
          "INSERT INTO cases(created_at, title, input_kind, input, owner_id, shared) "
          "VALUES('2026-03-03T00:00:00Z', 'ann private', 'fhir', '{}', 1, 0);");
      break;
    case 4:
      db.exec(
          "INSERT INTO cases(created_at, title, input_kind, input, owner_id, shared, "
          "idempotency_key) "
          "VALUES('2026-04-01T00:00:00Z', 'keyed', 'native', '{}', 1, 0, 'key-1')");
      break;
    default:
      break;
  }
}

// A database as paraderm at schema `version` left it after a life through every earlier version:
// each step applied in turn, followed by rows that version wrote.
void build_old(const std::string& path, int version) {
  // Created owner-only as the store creates it, so opening it warns of nothing.
  std::ofstream(path, std::ios::app).close();
  ::chmod(path.c_str(), 0600);
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  for (int v = 0; v < version; ++v) {
    db.exec(kShippedSteps[static_cast<std::size_t>(v)]);
    seed(db, v + 1);
  }
  db.exec("PRAGMA user_version=" + std::to_string(version));
}

std::unique_ptr<Store> open_ok(const fs::path& p) {
  auto s = Store::open(p.string());
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return s.is_ok() ? std::move(s.value()) : nullptr;
}

TEST_F(StoreDb, TheFrozenStepsAreTheShippedOnes) {
  {
    auto s = open_ok(path_);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kCurrent) << "src/store has a migration this test lacks: copy "
                                                "it into kShippedSteps with rows in seed()";
  }
  std::string fresh = schema_of(path_.string());
  clean();
  build_old(path_.string(), kCurrent);
  EXPECT_EQ(schema_of(path_.string()), fresh) << "a shipped migration step was edited in src/store";
}

class FromVersion : public ::testing::WithParamInterface<int>, public StoreDb {};

TEST_P(FromVersion, MigratesToTheCurrentSchemaWithItsDataIntact) {
  int from = GetParam();
  fs::path fresh_path = path_.string() + ".fresh.db";
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(fresh_path.string() + s);
  {
    ASSERT_TRUE(open_ok(fresh_path));
  }
  std::string fresh = schema_of(fresh_path.string());
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(fresh_path.string() + s);

  build_old(path_.string(), from);
  {
    auto s = open_ok(path_);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kCurrent);
    if (from >= 1) {
      auto c = s->get_case(1);
      ASSERT_TRUE(c);
      EXPECT_EQ(c->title, "old case");
      EXPECT_EQ(c->input_kind, "native");
      EXPECT_EQ(c->input, "{\"as_of\":\"2026-01-02\"}");
      EXPECT_EQ(c->created_at, "2026-01-02T03:04:05Z");
      ASSERT_EQ(c->labs.size(), 1u);
      EXPECT_EQ(c->labs[0], "{\"test\":\"alc\",\"value\":1.1}");
      // Saved before accounts existed: readable by every clinician (migration 3).
      EXPECT_TRUE(c->shared);
      EXPECT_FALSE(c->owner_id);
      auto as = s->assessments(1);
      ASSERT_EQ(as.size(), 1u);
      EXPECT_EQ(as[0].input_hash, "abc");
      EXPECT_EQ(as[0].kb_version, "kb-1");
      EXPECT_EQ(as[0].engine_version, "engine-1");
      EXPECT_EQ(as[0].result, "{\"r\":1}");
      EXPECT_EQ(as[0].username, "");
    } else {
      EXPECT_TRUE(s->list_cases().empty());
    }
    EXPECT_EQ(s->list_feedback().size(), from >= 2 ? 1u : 0u);
    if (from >= 3) {
      auto ann = s->find_user("ann");
      ASSERT_TRUE(ann);
      EXPECT_EQ(s->user_for_token("tokhash")->name, "ann");
      auto session = s->find_session("sesshash");
      ASSERT_TRUE(session);
      EXPECT_EQ(session->created, 100);
      EXPECT_EQ(s->case_feedback(1).size(), 1u);
      EXPECT_EQ(s->list_events().size(), 1u);
      auto mine = s->get_case(2);
      ASSERT_TRUE(mine);
      EXPECT_FALSE(mine->shared);  // only cases older than accounts were made shared
      EXPECT_EQ(mine->owner, "ann");
    } else {
      EXPECT_EQ(s->user_count(), 0);
    }
    if (from >= 4) {
      SaveOutcome outcome{};
      auto replay = s->save_case("keyed", "native", "{}", {s->find_user("ann")->id, "ann"}, false,
                                 "key-1", &outcome);
      ASSERT_TRUE(replay.is_ok());
      EXPECT_EQ(outcome, SaveOutcome::kReplayed);
      EXPECT_EQ(replay.value(), 3);
    }
    // The migrated database takes new writes of every kind the current schema has.
    auto id = s->save_case("new", "native", "{}", {}, false, "key-new");
    ASSERT_TRUE(id.is_ok()) << id.status().message();
    EXPECT_TRUE(s->record_assessment(id.value(), "h", "kb", "e", "{}").is_ok());
    EXPECT_TRUE(s->add_user("bob", "pharmacist", "h").is_ok());
  }
  EXPECT_EQ(schema_of(path_.string()), fresh) << "migrated from version " << from;
  // Opening again runs no step twice (a second ALTER TABLE ADD COLUMN would fail the open).
  auto again = open_ok(path_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->schema_version(), kCurrent);
}

INSTANTIATE_TEST_SUITE_P(Store, FromVersion, ::testing::Range(0, kCurrent + 1),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return "v" + std::to_string(i.param);
                         });

int page_size_of(const fs::path& path) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA page_size").getInt();
}

// A new database has 16 KB pages (a ~50 KB assessment result costs far less CPU to write than in
// 4 KB pages: docs/server.md); a database written with SQLite's default 4 KB pages keeps them and
// takes new writes (page_size cannot change a WAL database in place).
TEST_F(StoreDb, ANewDatabaseHasSixteenKilobytePagesAnOlderOneKeepsItsOwn) {
  {
    auto s = open_ok(path_);
    ASSERT_TRUE(s);
    ASSERT_TRUE(
        s->record_assessment(std::nullopt, "h", "kb", "e", std::string(50000, 'x')).is_ok());
  }
  EXPECT_EQ(page_size_of(path_), 16384);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);

  build_old(path_.string(), kCurrent);
  ASSERT_EQ(page_size_of(path_), 4096);
  {
    auto s = open_ok(path_);
    ASSERT_TRUE(s);
    auto id = s->save_case("new", "native", "{}", {}, false, "key-new");
    ASSERT_TRUE(id.is_ok()) << id.status().message();
    ASSERT_TRUE(s->record_assessment(id.value(), "h", "kb", "e", std::string(50000, 'y')).is_ok());
    auto as = s->assessments(id.value());
    ASSERT_EQ(as.size(), 1u);
    EXPECT_EQ(as[0].result, std::string(50000, 'y'));
  }
  EXPECT_EQ(page_size_of(path_), 4096);
}

// A failing step leaves the database at the version before it, never half-migrated: a version-1
// database whose cases table already has a column step 3 adds fails step 3; steps 1..2 stay done.
TEST_F(StoreDb, AFailingStepLeavesTheLastCompleteVersion) {
  build_old(path_.string(), 2);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("ALTER TABLE cases ADD COLUMN shared INTEGER");
  }
  auto s = Store::open(path_.string());
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find(path_.string()), std::string::npos) << s.status().message();
  SQLite::Database db(path_.string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 2);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'users'").getInt(), 0);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM cases").getInt(), 1);
}

// --- damaged files ----------------------------------------------------------------------------

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  ::chmod(p.c_str(), 0600);
}

// Every read the server makes, each allowed to throw (the server turns that into a 500) but not
// to crash; returns how many threw.
int read_everything(const Store& s) {
  int threw = 0;
  auto attempt = [&](auto&& f) {
    try {
      f();
    } catch (const std::exception&) {
      ++threw;
    }
  };
  attempt([&] { s.list_cases(); });
  attempt([&] { s.get_case(1); });
  attempt([&] { s.assessments(1); });
  attempt([&] { s.audit_assessments(); });
  attempt([&] { s.case_feedback(1); });
  attempt([&] { s.find_user("ann"); });
  attempt([&] { s.list_users(); });
  attempt([&] { s.user_count(); });
  attempt([&] { s.list_tokens(); });
  attempt([&] { s.user_for_token("tokhash"); });
  attempt([&] { s.find_session("sesshash"); });
  attempt([&] { s.list_events(); });
  attempt([&] { s.list_feedback(); });
  return threw;
}

TEST_F(StoreDb, AFileThatIsNotADatabaseIsAClearError) {
  write_bytes(path_, std::string(8192, 'x'));
  auto s = Store::open(path_.string());
  ASSERT_FALSE(s.is_ok());
  const std::string& m = s.status().message();
  EXPECT_NE(m.find("--db: cannot open " + path_.string()), std::string::npos) << m;
  EXPECT_NE(m.find("not a database"), std::string::npos) << m;  // SQLite's own words
}

TEST_F(StoreDb, AnEmptyFileBecomesANewDatabase) {
  write_bytes(path_, "");
  auto s = open_ok(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), kCurrent);
}

// A database cut short (a full disk, a copy interrupted) at several lengths: the open fails with
// the path named, or it succeeds and every read answers or throws; never a crash or a hang.
TEST_F(StoreDb, ATruncatedDatabaseIsAnErrorOrReadableNeverACrash) {
  build_old(path_.string(), kCurrent);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA journal_mode=DELETE");  // everything in the main file, nothing left in a WAL
    SQLite::Transaction tx(db);
    for (int i = 0; i < 200; ++i) {
      db.exec(
          "INSERT INTO cases(created_at, title, input_kind, input) VALUES('t', 'padding', "
          "'native', '" +
          std::string(2000, 'p') + "')");
    }
    tx.commit();
  }
  std::string whole;
  {
    std::ifstream in(path_, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(whole.size(), 8 * 4096u);
  int refused = 0, opened = 0;
  for (std::size_t keep :
       {std::size_t{50}, std::size_t{100}, std::size_t{4096}, std::size_t{4096 * 3},
        whole.size() / 2, whole.size() - 4096, whole.size() - 1}) {
    clean();
    write_bytes(path_, whole.substr(0, keep));
    auto s = Store::open(path_.string());
    std::cout << "truncated to " << keep << " of " << whole.size()
              << " bytes: " << (s.is_ok() ? std::string("opened") : s.status().message()) << "\n";
    if (!s.is_ok()) {
      ++refused;
      EXPECT_NE(s.status().message().find(path_.string()), std::string::npos)
          << keep << ": " << s.status().message();
      continue;
    }
    ++opened;
    std::cout << "  reads that threw: " << read_everything(*s.value()) << " of 13\n";
    // A write to a damaged file fails as a Status, and the writer thread lives on.
    auto w = s.value()->save_case("after", "native", "{}");
    if (!w.is_ok()) {
      EXPECT_FALSE(w.status().message().empty());
    }
    auto e = s.value()->record_event({}, "probe", "", "");
    if (!e.is_ok()) {
      EXPECT_FALSE(e.status().message().empty());
    }
  }
  EXPECT_GT(refused, 0) << "no truncation was refused at open";
  RecordProperty("opened", opened);
}

TEST_F(StoreDb, ADatabaseFromANewerParadermIsRefusedUnchanged) {
  build_old(path_.string(), kCurrent);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version=" + std::to_string(kCurrent + 1));
  }
  auto s = Store::open(path_.string());
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("newer than this paraderm"), std::string::npos)
      << s.status().message();
  SQLite::Database db(path_.string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), kCurrent + 1);
}

// user_version is the store's one metadata value; SQLite keeps it as a signed 32-bit integer, so
// a foreign tool can leave it negative. That is no schema paraderm wrote: refused, not a crash.
TEST_F(StoreDb, ANegativeSchemaVersionIsRefused) {
  build_old(path_.string(), kCurrent);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version=-1");
  }
  auto s = Store::open(path_.string());
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("schema version -1"), std::string::npos)
      << s.status().message();
}

// SQLite columns are not typed unless STRICT: a row written by another tool (or by hand) can hold
// an integer where text belongs, text where an integer belongs, a blob. Such rows are read with
// SQLite's conversions, beside intact neighbours; nothing throws.
TEST_F(StoreDb, WrongTypedColumnsAreReadNotFatal) {
  build_old(path_.string(), kCurrent);
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE);
    db.exec(
        "INSERT INTO cases(created_at, title, input_kind, input, owner_id, shared) "
        "VALUES(20260101, X'4869', 7, 3.5, 'ann', 'yes');"
        "INSERT INTO case_labs(case_id, created_at, lab) VALUES(4, 1, 42);"
        "INSERT INTO assessments(case_id, created_at, input_hash, kb_version, engine_version, "
        "result, user_id, "
        "username) VALUES('4', 2, 3, 4.5, X'00', 6, 'x', 7);"
        "INSERT INTO users(name, role, password_hash, disabled, created_at) VALUES(99, 'admin', 1, "
        "'no', 2);"
        "INSERT INTO sessions(id_hash, user_id, created, last_seen) VALUES('odd', 2, 'yesterday', "
        "1.5);"
        "INSERT INTO audit_events(created_at, user_id, username, action, detail, address) "
        "VALUES(1, 'x', 2, 3, 4, 5);"
        "INSERT INTO cds_feedback(received_at, service, card, outcome, outcome_at, "
        "accepted_suggestions) "
        "VALUES(1, 2, 3, 4, 5, 6.5);"
        "INSERT INTO case_feedback(case_id, user_id, username, created_at, text) VALUES(4, 'x', 1, "
        "2, 3);");
  }
  auto s = open_ok(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(read_everything(*s), 0);
  auto odd = s->get_case(4);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->created_at, "20260101");
  EXPECT_EQ(odd->title, "Hi");
  EXPECT_EQ(odd->input, "3.5");
  ASSERT_EQ(odd->labs.size(), 1u);
  EXPECT_EQ(odd->labs[0], "42");
  EXPECT_FALSE(odd->shared);  // 'yes' is not 1: the case stays private
  // The well-typed neighbours are untouched.
  EXPECT_EQ(s->get_case(1)->title, "old case");
  EXPECT_EQ(s->find_user("ann")->role, "clinician");
  EXPECT_EQ(s->list_cases().size(), 4u);
  EXPECT_EQ(s->list_users().size(), 2u);
}

// --- concurrent writers through the group commit -----------------------------------------------

// 64 writers, each saving its own case twice at once under its own idempotency key (a double
// click racing itself) and once without a key: every acknowledged save is in the file with its
// own content, each key stored once, no duplicate row. (store_test.cpp checks batching and
// durability of plain writes; the key look-up inside a batch is what this adds.)
TEST_F(StoreDb, SixtyFourWritersRacingTheirOwnIdempotencyKeysStoreEachCaseOnce) {
  auto s = open_ok(path_);
  ASSERT_TRUE(s);
  constexpr int kWriters = 64;
  std::vector<std::int64_t> keyed_a(kWriters), keyed_b(kWriters), plain(kWriters);
  std::vector<SaveOutcome> out_a(kWriters), out_b(kWriters);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    std::string title = "writer " + std::to_string(w), input = "{\"w\":" + std::to_string(w) + "}";
    auto keyed = [&, w, title, input](std::int64_t* id, SaveOutcome* outcome) {
      auto r = s->save_case(title, "native", input, {}, false, "key-" + std::to_string(w), outcome);
      if (r.is_ok())
        *id = r.value();
      else
        failures++;
    };
    threads.emplace_back(keyed, &keyed_a[static_cast<std::size_t>(w)],
                         &out_a[static_cast<std::size_t>(w)]);
    threads.emplace_back(keyed, &keyed_b[static_cast<std::size_t>(w)],
                         &out_b[static_cast<std::size_t>(w)]);
    threads.emplace_back([&, w, title] {
      auto r = s->save_case(title + " plain", "native", "{}");
      if (r.is_ok())
        plain[static_cast<std::size_t>(w)] = r.value();
      else
        failures++;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  std::set<std::int64_t> ids;
  for (int w = 0; w < kWriters; ++w) {
    auto i = static_cast<std::size_t>(w);
    EXPECT_EQ(keyed_a[i], keyed_b[i]) << "writer " << w << ": one key, two cases";
    EXPECT_EQ((out_a[i] == SaveOutcome::kCreated) + (out_b[i] == SaveOutcome::kCreated), 1)
        << "writer " << w;
    EXPECT_EQ((out_a[i] == SaveOutcome::kReplayed) + (out_b[i] == SaveOutcome::kReplayed), 1)
        << "writer " << w;
    auto c = s->get_case(keyed_a[i]);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->title, "writer " + std::to_string(w));
    EXPECT_EQ(c->input, "{\"w\":" + std::to_string(w) + "}");
    EXPECT_EQ(s->get_case(plain[i])->title, "writer " + std::to_string(w) + " plain");
    ids.insert(keyed_a[i]);
    ids.insert(plain[i]);
  }
  EXPECT_EQ(ids.size(), 2u * kWriters);
  EXPECT_GT(s->write_stats().largest_batch, 1u) << "the writes never shared a batch";
  s.reset();
  SQLite::Database check(path_.string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(check.execAndGet("SELECT count(*) FROM cases").getInt(), 2 * kWriters);
  EXPECT_EQ(check.execAndGet("SELECT count(DISTINCT idempotency_key) FROM cases").getInt(),
            kWriters);
}

// --- file permissions -------------------------------------------------------------------------

// The database is created 0600 whatever the umask, and SQLite gives its -wal and -shm files the
// same mode (they hold the same patient data).
TEST_F(StoreDb, TheDatabaseAndItsWalFilesAreOwnerOnlyUnderAPermissiveUmask) {
  mode_t old = ::umask(0);
  auto s = Store::open(path_.string());
  ::umask(old);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  ASSERT_TRUE(s.value()->save_case("t", "native", "{}").is_ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st{};
    std::string p = path_.string() + suffix;
    ASSERT_EQ(::stat(p.c_str(), &st), 0) << p << " missing while the store is open";
    EXPECT_EQ(st.st_mode & 0777, 0600u) << p;
  }
}

// An existing database is opened as it is (the warning about a readable mode is the operator's
// to act on); the store does not change the file's mode behind their back.
TEST_F(StoreDb, AnExistingReadableDatabaseIsOpenedWithAWarningAndKeepsItsMode) {
  build_old(path_.string(), kCurrent);
  ::chmod(path_.c_str(), 0644);
  ::testing::internal::CaptureStderr();
  auto s = Store::open(path_.string());
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_NE(err.find("readable by other accounts (mode 644)"), std::string::npos) << err;
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

}  // namespace
}  // namespace paraderm::store
