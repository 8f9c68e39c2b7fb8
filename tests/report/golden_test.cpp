// Golden renderings: for the cases of tests/report/golden/cases.json, the JSON, text and HTML
// reports must equal the reviewed files in tests/report/golden/ byte for byte. Substring checks
// elsewhere say what a report contains; these say that nothing else moved (an optimisation of
// case/, assess/ or report/ must leave every byte alone). A failure prints the first difference
// and a unified diff; the rendering is kept under golden-actual/ beside the test's working folder.
//
// Updating: scripts/update-golden.sh (PARADERM_UPDATE_GOLDEN=1) rewrites the files; the diff is
// then reviewed like code (docs/testing.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../assess/fixture_signals.h"
#include "../test_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/report.h"

namespace paraderm::assess {
namespace {

using report::to_html;
using report::to_json;
using report::to_text;

namespace fs = std::filesystem;
using Json = nlohmann::json;

using paraderm::testing::shipped;

fs::path golden_dir() { return fs::path(PARADERM_SOURCE_DIR) / "tests" / "report" / "golden"; }

bool updating() {
  const char* v = std::getenv("PARADERM_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

const Json& manifest() {
  static const Json m = Json::parse(read_file(golden_dir() / "cases.json").value_or("{}"));
  return m;
}

std::vector<std::string> case_names() {
  std::vector<std::string> out;
  for (const auto& c : manifest().value("cases", Json::array()))
    out.push_back(c.at("name").get<std::string>());
  return out;
}

const Json& case_entry(const std::string& name) {
  for (const auto& c : manifest().at("cases")) {
    if (c.at("name") == name) return c;
  }
  throw std::runtime_error("no golden case " + name);
}

using testing::FixtureSignalSource;

struct Rendered {
  std::string json, text, html;
  const std::string& in(const std::string& format) const {
    return format == "json" ? json : format == "txt" ? text : html;
  }
};

// Renders one case as `paraderm assess` prints it (JSON with its trailing newline), with the
// engine version fixed: a release must not churn every golden file, a KB change must.
Rendered render(const std::string& name, PathwayCache* cache) {
  const Json& entry = case_entry(name);
  Json file = Json::parse(paraderm::testing::repo_file(entry.at("input").get<std::string>()));
  const Json& input = file.contains("input") ? file["input"] : file;
  Json args = file.value("args", Json::object());
  clinical::ParseOptions po;
  AssessOptions ao;
  ao.cache = cache;
  ao.engine_version = "golden";
  if (args.contains("region")) po.region = args["region"].get<std::string>();
  if (args.contains("as_of")) po.as_of = clinical::parse_date(args["as_of"].get<std::string>());
  if (args.contains("start")) ao.start = clinical::parse_date(args["start"].get<std::string>());
  // Without a fixed date the record would be assessed as of today and the files would age.
  bool dated = po.as_of || input.contains("as_of") || input.contains("timestamp");
  if (!dated)
    throw std::runtime_error(
        name + ": the input fixes no assessment date (args.as_of, as_of or timestamp)");
  std::optional<FixtureSignalSource> signals;
  if (file.contains("pv_signals")) {
    signals.emplace(file["pv_signals"],
                    file.value("pv_store", std::string("vignette fixture store")));
    ao.signals = &*signals;
  }
  auto parsed = clinical::parse_case(input.dump(), shipped(), po);
  if (!parsed.record) {
    throw std::runtime_error(
        name + ": the input does not parse: " +
        (parsed.problems.empty() ? std::string() : parsed.problems[0].to_string()));
  }
  Assessment a = assess(shipped(), *parsed.record, ao);
  return {to_json(a) + "\n", to_text(a, shipped()), to_html(a, shipped())};
}

PathwayCache& shared_cache() {
  static PathwayCache c(shipped());
  return c;
}

const Rendered& rendered(const std::string& name) {
  static std::map<std::string, Rendered> done;
  auto it = done.find(name);
  if (it == done.end()) it = done.emplace(name, render(name, &shared_cache())).first;
  return it->second;
}

// --- showing a difference ------------------------------------------------------------------------

// Lines for display. The HTML report is one long line, so it is also broken between tags: a diff
// of it then points at the table row or list item that changed.
std::vector<std::string> display_lines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '\n') {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += ch;
    if (ch == '>' && i + 1 < s.size() && s[i + 1] == '<' && cur.size() > 1) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Where the two texts first differ: line and column of the file's own lines, with a window of
// both sides (long HTML lines are shown around the column only).
std::string first_difference(const std::string& want, const std::string& got) {
  std::size_t at = 0;
  while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
  std::size_t line = 1 + static_cast<std::size_t>(
                             std::count(want.begin(), want.begin() + static_cast<long>(at), '\n'));
  std::size_t line_start = want.rfind('\n', at == 0 ? 0 : at - 1);
  line_start = (line_start == std::string::npos || at == 0) ? 0 : line_start + 1;
  std::size_t from = std::max(line_start, at >= 60 ? at - 60 : 0);
  auto window = [&](const std::string& s) {
    std::string w = s.substr(std::min(from, s.size()), at - from + 60);
    std::string shown;
    for (char ch : w) shown += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    return shown;
  };
  std::ostringstream o;
  o << "first difference at byte " << at << " (line " << line << ", column "
    << (at - line_start + 1) << ")\n"
    << "  golden: ..." << window(want) << "...\n"
    << "  actual: ..." << window(got) << "...\n";
  if (at == want.size() || at == got.size()) {
    o << "  (" << (at == want.size() ? "the golden file" : "the rendering") << " ends there; sizes "
      << want.size() << " vs " << got.size() << " bytes)\n";
  }
  return o.str();
}

// A unified diff (3 lines of context) of the display lines, at most `max_lines` lines of it.
std::string unified_diff(const std::string& want, const std::string& got,
                         std::size_t max_lines = 80) {
  auto a = display_lines(want), b = display_lines(got);
  // Common head and tail are trimmed first; the LCS table then covers only the changed middle.
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
    ++tail;
  std::size_t n = a.size() - head - tail, m = b.size() - head - tail;
  if (n * m > 4'000'000)
    return "(the changed region is too large for a line diff; see the files)\n";
  std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[head + i] == b[head + j] ? lcs[i + 1][j + 1] + 1
                                             : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  // One edit script over the whole files: ' ' kept, '-' golden only, '+' rendering only.
  std::vector<std::pair<char, std::string>> script;
  for (std::size_t k = 0; k < head; ++k) script.emplace_back(' ', a[k]);
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] == b[head + j]) {
      script.emplace_back(' ', a[head + i]);
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      script.emplace_back('-', a[head + i++]);
    } else {
      script.emplace_back('+', b[head + j++]);
    }
  }
  for (std::size_t k = a.size() - tail; k < a.size(); ++k) script.emplace_back(' ', a[k]);
  std::ostringstream o;
  o << "--- golden\n+++ actual\n";
  std::size_t shown = 0, last = 0;
  bool any = false;
  for (std::size_t k = 0; k < script.size() && shown < max_lines; ++k) {
    bool near = false;
    for (std::size_t d = (k >= 3 ? k - 3 : 0); d <= std::min(script.size() - 1, k + 3); ++d) {
      near = near || script[d].first != ' ';
    }
    if (!near) continue;
    if (any && k > last + 1) o << "@@\n";
    o << script[k].first << script[k].second.substr(0, 240)
      << (script[k].second.size() > 240 ? "..." : "") << "\n";
    any = true;
    last = k;
    ++shown;
  }
  if (shown == max_lines) o << "(diff cut at " << max_lines << " lines)\n";
  return o.str();
}

// --- the tests
// -------------------------------------------------------------------------------------

const std::vector<std::string>& formats() {
  static const std::vector<std::string> f = {"json", "txt", "html"};
  return f;
}

std::vector<std::string> golden_params() {
  std::vector<std::string> out;
  for (const auto& n : case_names()) {
    for (const auto& f : formats()) out.push_back(n + "." + f);
  }
  return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RenderingEqualsTheReviewedFile) {
  std::string file = GetParam();
  std::string format = file.substr(file.rfind('.') + 1), name = file.substr(0, file.rfind('.'));
  const std::string& got = rendered(name).in(format);
  fs::path golden = golden_dir() / file;
  if (updating()) {
    if (read_file(golden) != got) {
      write_file(golden, got);
      std::cout << "updated " << golden.string() << "\n";
    }
    return;
  }
  auto want = read_file(golden);
  ASSERT_TRUE(want) << golden.string()
                    << " is missing: run scripts/update-golden.sh and review the new file";
  if (*want == got) return;
  fs::path actual = fs::absolute(fs::path("golden-actual") / file);
  write_file(actual, got);
  ADD_FAILURE() << file << " differs from the reviewed rendering.\n"
                << first_difference(*want, got) << unified_diff(*want, got)
                << "actual rendering: " << actual.string()
                << "\nIf the change is intended: scripts/update-golden.sh, then review `git diff "
                << "tests/report/golden` as a clinician would (docs/testing.md).";
}

INSTANTIATE_TEST_SUITE_P(Report, Golden, ::testing::ValuesIn(golden_params()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string s = param.param;
                           for (char& ch : s) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return s;
                         });

// Each case must still show what it was chosen for: a case whose input drifted away from its
// branch (a vignette edited, a rule changed) would otherwise keep passing while covering less.
TEST(GoldenCases, EachShowsTheBranchItWasChosenFor) {
  ASSERT_GE(case_names().size(), 5u) << "tests/report/golden/cases.json unreadable?";
  for (const auto& name : case_names()) {
    const std::string& text = rendered(name).text;
    for (const auto& marker : case_entry(name).at("markers")) {
      EXPECT_NE(text.find(marker.get<std::string>()), std::string::npos)
          << name << ": the text report no longer contains \"" << marker.get<std::string>() << "\"";
    }
  }
}

// No stale file: every file in the folder belongs to a case (a renamed case leaves none behind).
TEST(GoldenCases, EveryFileBelongsToACase) {
  std::set<std::string> expected = {"cases.json"};
  for (const auto& p : golden_params()) expected.insert(p);
  for (const auto& e : fs::directory_iterator(golden_dir())) {
    std::string f = e.path().filename().string();
    if (updating() && !expected.count(f)) {
      fs::remove(e.path());
      std::cout << "removed " << e.path().string() << "\n";
      continue;
    }
    EXPECT_TRUE(expected.count(f))
        << f << " in tests/report/golden belongs to no case of cases.json";
  }
}

// The rendering does not depend on what the pathway cache already holds (the shared cache has
// seen the other cases; a fresh one has not), nor on the call: rendered twice, the same bytes.
TEST(GoldenCases, SameBytesWithAFreshCacheAndOnASecondRun) {
  for (const auto& name : case_names()) {
    PathwayCache fresh(shipped());
    Rendered a = render(name, &fresh), b = render(name, nullptr);
    const Rendered& shared = rendered(name);
    for (const auto& f : formats()) {
      EXPECT_EQ(a.in(f), shared.in(f)) << name << "." << f << ": fresh cache vs shared cache\n"
                                       << first_difference(shared.in(f), a.in(f));
      EXPECT_EQ(b.in(f), shared.in(f)) << name << "." << f << ": private cache vs shared cache\n"
                                       << first_difference(shared.in(f), b.in(f));
    }
  }
}

// The diff helpers themselves: a one-character change is located, in a text line and inside the
// one-line HTML.
TEST(GoldenDiff, PointsAtTheChangedCharacter) {
  std::string want = "alpha\nbeta\ngamma\n", got = "alpha\nbeta!\ngamma\n";
  std::string d = first_difference(want, got);
  EXPECT_NE(d.find("line 2, column 5"), std::string::npos) << d;
  std::string u = unified_diff(want, got);
  EXPECT_NE(u.find("\n-beta\n+beta!\n"), std::string::npos) << u;
  std::string html_want = "<ul><li>a</li><li>b</li><li>c</li></ul>",
              html_got = "<ul><li>a</li><li>B</li><li>c</li></ul>";
  std::string hu = unified_diff(html_want, html_got);
  EXPECT_NE(hu.find("\n-<li>b</li>\n+<li>B</li>\n"), std::string::npos) << hu;
  std::string shorter = first_difference("abc\n", "abc");
  EXPECT_NE(shorter.find("the rendering ends there"), std::string::npos) << shorter;
}

}  // namespace
}  // namespace paraderm::assess
