// The case store: group commit (many writers, one transaction and fsync per batch, each caller
// released only after its batch is durable), private file permissions, repair of text stored
// before the server checked UTF-8; and the pharmacovigilance readers' fuzz findings F7 and F8.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "../test_support.h"
#include "paraderm/store.h"

namespace paraderm::store {
namespace {

namespace fs = std::filesystem;

class StoreFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("paraderm_store_" + std::to_string(::getpid()) + ".db");
    clean();
  }
  void TearDown() override { clean(); }
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_.string() + s);
  }
  fs::path path_;
};

TEST_F(StoreFile, SixtyFourConcurrentWritersAreBatchedAndAllDurable) {
  auto opened = Store::open(path_.string());
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  auto& st = *opened.value();
  constexpr int kWriters = 64, kEach = 8;
  std::vector<std::vector<std::int64_t>> ids(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        auto id = st.save_case("w" + std::to_string(w), "native", "{}");
        ASSERT_TRUE(id.is_ok()) << id.status().message();
        ids[w].push_back(id.value());
        ASSERT_TRUE(st.record_assessment(id.value(), "h", "kb", "e", "{}").is_ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::int64_t> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kWriters * kEach));
  auto stats = st.write_stats();
  EXPECT_EQ(stats.writes, static_cast<std::uint64_t>(2 * kWriters * kEach));
  // Group commit: far fewer commits than writes (one fsync each would make them equal).
  EXPECT_LT(stats.batches, stats.writes / 2) << stats.batches << " commits";
  EXPECT_GT(stats.largest_batch, 1u);
  // Every acknowledged write is in the file, read through a fresh connection.
  SQLite::Database check(path_.string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(check.execAndGet("SELECT count(*) FROM cases").getInt(), kWriters * kEach);
  EXPECT_EQ(check.execAndGet("SELECT count(*) FROM assessments").getInt(), kWriters * kEach);
}

TEST_F(StoreFile, AFailingWriteFailsAloneInItsBatch) {
  auto opened = Store::open(path_.string());
  ASSERT_TRUE(opened.is_ok());
  auto& st = *opened.value();
  auto id = st.save_case("t", "native", "{}");
  ASSERT_TRUE(id.is_ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      // Case 999999 does not exist: the foreign key refuses these labs.
      auto r = st.add_labs(i % 4 == 0 ? 999999 : id.value(), {"{}"});
      (r.is_ok() ? ok : failed)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 4);
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(st.get_case(id.value())->labs.size(), 12u);
}

TEST_F(StoreFile, CreatedReadableByTheOwnerOnly) {
  ASSERT_TRUE(Store::open(path_.string()).is_ok());
  struct stat s{};
  ASSERT_EQ(::stat(path_.c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0600u);
}

TEST_F(StoreFile, TextThatIsNotUtf8IsRepairedOnRead) {
  {
    auto st = Store::open(path_.string());
    ASSERT_TRUE(st.is_ok());
  }
  {
    SQLite::Database raw(path_.string(), SQLite::OPEN_READWRITE);
    raw.exec(
        "INSERT INTO cases(created_at, title, input_kind, input) VALUES('2026-01-01T00:00:00Z', "
        "CAST(X'54FF' AS TEXT), 'native', CAST(X'7B2261223A2241FF227D' AS TEXT))");
  }
  auto st = Store::open(path_.string());
  ASSERT_TRUE(st.is_ok());
  auto list = st.value()->list_cases();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].title, "T\xEF\xBF\xBD");
  auto one = st.value()->get_case(list[0].id);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->input, "{\"a\":\"A\xEF\xBF\xBD\"}");
}

// --- pharmacovigilance readers (F7, F8), through the CLI as the fuzzer ran them ----------------

paraderm::testing::CliRun run(const std::string& args) { return paraderm::testing::run_cli(args); }

std::string fuzz(const std::string& name) {
  return std::string(PARADERM_SOURCE_DIR) + "/tests/fuzz/" + name;
}

TEST(PvFuzz, CsvNameInWindows1252IsTranscodedNotAnAbort) {  // F7
  auto r = run("pv signals --input " + fuzz("csv-invalid-utf8-json-abort.csv") +
               " --id-col id --drug-col var1 --event-col var2 --format json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ASPIRIN\xC2\xAE"), std::string::npos)
      << r.output;  // 0xAE read as U+00AE
  EXPECT_NE(r.output.find("not UTF-8"), std::string::npos) << r.output;
}

TEST(PvFuzz, FaersNameInWindows1252IsTranscodedNotAnAbort) {  // F7
  fs::path out = fs::temp_directory_path() / ("paraderm_f7_" + std::to_string(::getpid()));
  fs::remove_all(out);
  auto ingest =
      run("pv ingest --faers " + fuzz("faers-latin1-drugname") + " --out " + out.string());
  EXPECT_EQ(ingest.exit_code, 0) << ingest.output;
  EXPECT_NE(ingest.output.find("not UTF-8"), std::string::npos) << ingest.output;
  auto signals = run("pv signals --store " + out.string() + " --format json");
  EXPECT_EQ(signals.exit_code, 0) << signals.output;
  EXPECT_NE(signals.output.find("\xC2\xAE"), std::string::npos) << signals.output;
  fs::remove_all(out);
}

TEST(PvFuzz, StoreMetaWithAWrongTypedFieldIsExit2WithAMessage) {  // F8
  auto r = run("pv signals --store " + fuzz("store-meta-wrong-type"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("meta.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("damaged"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace paraderm::store
