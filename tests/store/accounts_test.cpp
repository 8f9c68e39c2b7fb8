// Accounts in the store (schema migration 3): users, API tokens and sessions stored by hash, case
// ownership and sharing, and the migration of a database written before accounts existed.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include "paraderm/auth.h"
#include "paraderm/store.h"

namespace paraderm::store {
namespace {

namespace fs = std::filesystem;

class Accounts : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("paraderm_accounts_" + std::to_string(::getpid()) + ".db");
    clean();
  }
  void TearDown() override { clean(); }
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_.string() + s);
  }
  std::unique_ptr<Store> open() {
    auto s = Store::open(path_.string());
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    return s.is_ok() ? std::move(s.value()) : nullptr;
  }
  fs::path path_;
};

TEST_F(Accounts, UsersAreUniqueAndRolesChecked) {
  auto s = open();
  ASSERT_TRUE(s->add_user("ann", "clinician", "h").is_ok());
  EXPECT_FALSE(s->add_user("ann", "pharmacist", "h").is_ok());
  EXPECT_FALSE(s->add_user("bob", "nurse", "h").is_ok());
  EXPECT_EQ(s->user_count(), 1);
  EXPECT_EQ(s->find_user("ann")->role, "clinician");
  EXPECT_FALSE(s->find_user("Ann"));
  EXPECT_TRUE(s->list_users()[0].password_hash.empty()) << "listings never carry the hash";
}

TEST_F(Accounts, TokensWorkUntilRevokedOrTheirUserIsDisabled) {
  auto s = open();
  auto ann = s->add_user("ann", "clinician", "h").value();
  std::string token = auth::random_secret("pdt_");
  auto id = s->add_token(ann, auth::secret_hash(token), "ci");
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(s->user_for_token(auth::secret_hash(token))->name, "ann");
  EXPECT_FALSE(s->user_for_token(token)) << "looked up by hash only";
  ASSERT_TRUE(s->set_user_disabled("ann", true).is_ok());
  EXPECT_FALSE(s->user_for_token(auth::secret_hash(token)));
  ASSERT_TRUE(s->set_user_disabled("ann", false).is_ok());
  EXPECT_TRUE(s->user_for_token(auth::secret_hash(token)));
  EXPECT_EQ(s->revoke_token(id.value()).value(), 1);
  EXPECT_EQ(s->revoke_token(id.value()).value(), 0);
  EXPECT_FALSE(s->user_for_token(auth::secret_hash(token)));
  EXPECT_TRUE(s->list_tokens()[0].revoked_at.has_value());
}

TEST_F(Accounts, SessionsEndWithDisablingAPasswordChangeOrTheirLimits) {
  auto s = open();
  auto ann = s->add_user("ann", "clinician", "h").value();
  ASSERT_TRUE(s->add_session("s1", ann, 1000).is_ok());
  ASSERT_TRUE(s->touch_session("s1", 1500).is_ok());
  auto found = s->find_session("s1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->created, 1000);
  EXPECT_EQ(found->last_seen, 1500);
  ASSERT_TRUE(s->set_user_password("ann", "h2").is_ok());
  EXPECT_FALSE(s->find_session("s1"));
  ASSERT_TRUE(s->add_session("s2", ann, 2000).is_ok());
  ASSERT_TRUE(s->set_user_disabled("ann", true).is_ok());
  EXPECT_FALSE(s->find_session("s2"));
  ASSERT_TRUE(s->set_user_disabled("ann", false).is_ok());
  ASSERT_TRUE(s->add_session("old", ann, 100).is_ok());
  ASSERT_TRUE(s->add_session("idle", ann, 5000).is_ok());
  ASSERT_TRUE(s->add_session("fresh", ann, 5000).is_ok());
  ASSERT_TRUE(s->touch_session("fresh", 9000).is_ok());
  EXPECT_EQ(s->purge_sessions(1000, 8000).value(), 2);
  EXPECT_TRUE(s->find_session("fresh"));
}

TEST_F(Accounts, ACaseIsVisibleToItsOwnerAndWhenShared) {
  auto s = open();
  auto ann = s->add_user("ann", "clinician", "h").value();
  auto bob = s->add_user("bob", "clinician", "h").value();
  auto mine = s->save_case("a", "native", "{}", {ann, "ann"}).value();
  auto theirs = s->save_case("b", "native", "{}", {bob, "bob"}).value();
  ASSERT_EQ(s->list_cases(100, ann).size(), 1u);
  EXPECT_EQ(s->list_cases(100, ann)[0].id, mine);
  EXPECT_EQ(s->list_cases(100).size(), 2u);  // no filter: a pharmacist's view
  ASSERT_TRUE(s->set_shared(theirs, true).is_ok());
  EXPECT_EQ(s->list_cases(100, ann).size(), 2u);
  auto c = s->get_case(theirs);
  EXPECT_EQ(c->owner, "bob");
  EXPECT_TRUE(c->shared);
  ASSERT_TRUE(s->record_assessment(mine, "h", "kb", "e", "{}", {ann, "ann"}).is_ok());
  EXPECT_EQ(s->audit_assessments()[0].username, "ann");
  EXPECT_TRUE(s->audit_assessments()[0].result.empty())
      << "the audit listing carries no patient data";
}

// An idempotency key belongs to the user who sent it: another user's save with the same key is
// their own new case, never a look at the first user's.
TEST_F(Accounts, IdempotencyKeysAreScopedToTheirOwner) {
  auto s = open();
  auto ann = s->add_user("ann", "clinician", "h").value();
  auto bob = s->add_user("bob", "clinician", "h").value();
  SaveOutcome outcome{};
  auto first = s->save_case("a", "native", "{}", {ann, "ann"}, false, "k1", &outcome).value();
  EXPECT_EQ(outcome, SaveOutcome::kCreated);
  EXPECT_EQ(s->save_case("a", "native", "{}", {ann, "ann"}, false, "k1", &outcome).value(), first);
  EXPECT_EQ(outcome, SaveOutcome::kReplayed);
  auto bobs = s->save_case("a", "native", "{}", {bob, "bob"}, false, "k1", &outcome).value();
  EXPECT_EQ(outcome, SaveOutcome::kCreated);
  EXPECT_NE(bobs, first);
  EXPECT_TRUE(s->save_case("b", "native", "{}", {ann, "ann"}, false, "k1", &outcome).is_ok());
  EXPECT_EQ(outcome, SaveOutcome::kKeyConflict);
  EXPECT_EQ(s->list_cases(100, ann).size(), 1u);
}

// A database of schema 2 (before accounts): its cases were readable by anyone who reached the
// server, so after the migration every clinician still sees them.
TEST_F(Accounts, MigrationKeepsOlderCasesReadableAsShared) {
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(
        "CREATE TABLE cases (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
        "title TEXT NOT NULL, input_kind TEXT NOT NULL, input TEXT NOT NULL);"
        "CREATE TABLE assessments (id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER, "
        "created_at TEXT NOT NULL, input_hash TEXT NOT NULL, kb_version TEXT NOT NULL, "
        "engine_version TEXT NOT NULL, result TEXT NOT NULL);"
        "INSERT INTO cases(created_at, title, input_kind, input) VALUES('2026-01-01T00:00:00Z', "
        "'old', "
        "'native', '{}');"
        "PRAGMA user_version=2;");
  }
  auto s = open();
  EXPECT_EQ(s->schema_version(), 4);
  auto ann = s->add_user("ann", "clinician", "h").value();
  auto visible = s->list_cases(100, ann);
  ASSERT_EQ(visible.size(), 1u);
  EXPECT_TRUE(visible[0].shared);
  EXPECT_FALSE(visible[0].owner_id);
  // New cases are private by default.
  ASSERT_TRUE(s->save_case("new", "native", "{}", {ann, "ann"}).is_ok());
  auto bob = s->add_user("bob", "clinician", "h").value();
  EXPECT_EQ(s->list_cases(100, bob).size(), 1u);
}

}  // namespace
}  // namespace paraderm::store
