// The fast JSON path (simdjson, converted to the readers' nlohmann values) must give exactly what
// nlohmann's own parser gives — same value types, same last-wins repeated keys — and fall back to
// nlohmann's line/column message for text simdjson refuses.
#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>
#include <simdjson.h>
#include <filesystem>

#include "../test_support.h"
#include "case/build.h"

namespace paraderm::clinical::detail {
namespace {

// What the native reader gets: the DOM, converted.
std::optional<Json> parse(std::string_view text, std::vector<InputProblem>& problems) {
  simdjson::dom::element root;
  if (!parse_json_dom(text, 256, problems, root)) return std::nullopt;
  return to_nlohmann(root);
}

void expect_same_as_nlohmann(const std::string& text) {
  std::vector<InputProblem> problems;
  auto fast = parse(text, problems);
  ASSERT_TRUE(fast) << text;
  Json slow = Json::parse(text);
  EXPECT_EQ(*fast, slow) << text;
  EXPECT_EQ(fast->dump(), slow.dump()) << text;  // also the number types (5 vs 5.0, unsigned)
}

TEST(JsonParse, NumbersKeepNlohmannsTypes) {
  for (const char* text : {R"({"a": 5})", R"({"a": -5})", R"({"a": 5.0})", R"({"a": 1e3})",
                           R"({"a": 18446744073709551615})", R"({"a": -9223372036854775808})",
                           R"([0, -0, 0.5, true, false, null, "x"])"}) {
    expect_same_as_nlohmann(text);
  }
  std::vector<InputProblem> problems;
  auto v = parse(R"({"a": 5, "b": -5})", problems);
  ASSERT_TRUE(v);
  EXPECT_TRUE((*v)["a"].is_number_unsigned());
  EXPECT_TRUE((*v)["b"].is_number_integer() && !(*v)["b"].is_number_unsigned());
}

TEST(JsonParse, RepeatedKeyKeepsTheLastValueLikeNlohmann) {
  expect_same_as_nlohmann(R"({"a": 1, "a": 2})");
}

TEST(JsonParse, EveryVignetteInputParsesAsNlohmannDoes) {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(PARADERM_SOURCE_DIR) / "tests" / "vignettes")) {
    if (e.path().extension() != ".json") continue;
    Json v = Json::parse(
        paraderm::testing::repo_file("tests/vignettes/" + e.path().filename().string()));
    expect_same_as_nlohmann(v["input"].dump(2));
    ++n;
  }
  EXPECT_GT(n, 100);
}

TEST(JsonParse, RefusedTextNamesLineAndColumn) {
  std::vector<InputProblem> problems;
  EXPECT_FALSE(parse("{\n  \"a\": \xff\xfe }", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].to_string().find("line 2"), std::string::npos) << problems[0].to_string();
  problems.clear();
  EXPECT_FALSE(parse("{\"name\": \"caf\xe9\"}", problems));  // Latin-1 byte: not UTF-8
  ASSERT_EQ(problems.size(), 1u);
  problems.clear();
  EXPECT_FALSE(parse("{\"a\": [1, 2}", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].to_string().find("column"), std::string::npos);
}

// A number beyond a double's range (1e400): simdjson refuses it and nlohmann throws out_of_range
// (not parse_error), which escaped parse_case and aborted the CLI. It is text that cannot be read,
// named by the line and column where the number starts.
TEST(JsonParse, NumberBeyondADoubleNamesLineAndColumn) {
  std::vector<InputProblem> problems;
  EXPECT_FALSE(parse("{\n  \"a\": 1e400}", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "line 2, column 8");
  EXPECT_NE(problems[0].message.find("number overflow parsing '1e400'"), std::string::npos)
      << problems[0].to_string();
  problems.clear();
  EXPECT_FALSE(parse("[-1e999]", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "line 1, column 2");
  problems.clear();
  // In range: read (the largest double, and a value that rounds to zero).
  EXPECT_TRUE(parse("[1.7976931348623157e308, 1e-400]", problems));
  EXPECT_TRUE(problems.empty());
}

RC_GTEST_PROP(JsonParse, AnyDocumentParsesAsNlohmannDoes,
              (const std::map<std::string, std::vector<int>>& m,
               const std::vector<std::string>& strings, double d)) {
  Json doc = Json::object();
  for (const auto& [k, v] : m) doc[k] = v;
  doc["strings"] = strings;
  if (std::isfinite(d)) doc["d"] = d;
  // Arbitrary bytes become U+FFFD, so the text is valid UTF-8 with control characters escaped.
  const std::string text = doc.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::vector<InputProblem> problems;
  auto fast = parse(text, problems);
  RC_ASSERT(fast.has_value());
  RC_ASSERT(fast->dump() == Json::parse(text).dump());
}

}  // namespace
}  // namespace paraderm::clinical::detail
