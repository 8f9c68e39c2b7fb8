// Data-driven clinical vignettes (tests/vignettes/*.json, format in tests/vignettes/README.md):
// each file is one patient record plus the expected classification, verdicts, doses, reason
// codes and alerts, written from the label and literature facts the KB cites.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../test_support.h"
#include "fixture_signals.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace paraderm::assess {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

using paraderm::testing::shipped;

PathwayCache& cache() {
  static PathwayCache c(shipped());
  return c;
}

std::vector<std::string> vignette_files() {
  std::vector<std::string> out;
  for (const auto& e :
       fs::directory_iterator(fs::path(PARADERM_SOURCE_DIR) / "tests" / "vignettes")) {
    if (e.path().extension() == ".json") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool has_code(const std::vector<Reason>& rs, const std::string& code) {
  return std::any_of(rs.begin(), rs.end(),
                     [&](const Reason& r) { return to_string(r.code) == code; });
}

std::string codes(const std::vector<Reason>& rs) {
  std::string s;
  for (const auto& r : rs) s += (s.empty() ? "" : ",") + std::string(to_string(r.code));
  return s;
}

using testing::FixtureSignalSource;

// Every key a vignette may use, per level (tests/vignettes/README.md). A misspelt key would
// otherwise be ignored and its expectation silently never checked.
std::vector<std::string> unknown_keys(const Json& obj,
                                      std::initializer_list<std::string_view> allowed,
                                      const std::string& where) {
  std::vector<std::string> out;
  if (!obj.is_object()) return out;
  for (const auto& [k, _] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      out.push_back(where + "." + k);
  }
  return out;
}

std::vector<std::string> vignette_schema_problems(const Json& v) {
  std::vector<std::string> bad = unknown_keys(
      v, {"title", "covers", "why", "input", "expect", "args", "pv_signals", "pv_store"}, "");
  auto add = [&](std::vector<std::string> more) {
    bad.insert(bad.end(), more.begin(), more.end());
  };
  if (v.contains("args")) add(unknown_keys(v["args"], {"region", "as_of", "start"}, ".args"));
  if (!v.contains("expect")) return bad;
  const Json& ex = v["expect"];
  add(unknown_keys(ex,
                   {"error",
                    "classification",
                    "culprit",
                    "candidates",
                    "pr_reasons",
                    "not_pr_reasons",
                    "naranjo",
                    "risk_factors",
                    "not_risk_factors",
                    "risk_multiplier",
                    "options",
                    "absent_options",
                    "warnings_contain",
                    "mechanism_contains",
                    "mechanism_not_contains",
                    "released_axes",
                    "option_diseases",
                    "no_options",
                    "top_option",
                    "top_option_in",
                    "ranked_before",
                    "alerts",
                    "no_alerts",
                    "screening",
                    "monitoring_dates"},
                   ".expect"));
  if (ex.contains("options") && ex["options"].is_object()) {
    for (const auto& [id, want] : ex["options"].items()) {
      add(unknown_keys(want, {"verdict", "verdict_in", "dose", "reasons", "not_reasons"},
                       ".expect.options." + id));
      if (want.contains("dose")) {
        add(unknown_keys(want["dose"], {"amount", "unit", "frequency"},
                         ".expect.options." + id + ".dose"));
      }
    }
  }
  if (ex.contains("candidates") && ex["candidates"].is_array()) {
    for (std::size_t i = 0; i < ex["candidates"].size(); ++i) {
      add(unknown_keys(ex["candidates"][i],
                       {"phenotype", "kind", "source", "classification", "onset",
                        "condition_pointer", "culprit"},
                       ".expect.candidates[" + std::to_string(i) + "]"));
    }
  }
  if (ex.contains("naranjo")) {
    add(unknown_keys(ex["naranjo"], {"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"},
                     ".expect.naranjo"));
  }
  if (ex.contains("monitoring_dates") && ex["monitoring_dates"].is_array()) {
    for (const auto& m : ex["monitoring_dates"])
      add(unknown_keys(m, {"test", "date"}, ".expect.monitoring_dates[]"));
  }
  return bad;
}

TEST(VignetteRunner, RejectsUnknownKeys) {
  Json ok = Json::parse(R"({"title":"t","covers":"c","why":"w","input":{},"args":{"region":"eu"},
    "expect":{"options":{"upadacitinib":{"verdict":"caution","dose":{"amount":15,"unit":"mg"}}},
              "candidates":[{"phenotype":"psoriasiform"}],"naranjo":{"q2":"yes"},
              "monitoring_dates":[{"test":"cbc","date":"2026-01-01"}]}})");
  EXPECT_TRUE(vignette_schema_problems(ok).empty());
  // One misspelling per level, each reported with where it is.
  Json bad = ok;
  bad["expect"]["options"]["upadacitinib"]["verdcit"] = "avoid";
  bad["expect"]["options"]["upadacitinib"]["dose"]["ammount"] = 15;
  bad["expect"]["candidates"][0]["clasification"] = "likely";
  bad["expect"]["naranjo"]["q11"] = "yes";
  bad["expect"]["not_reason"] = Json::array();
  bad["args"]["regoin"] = "us";
  bad["expected"] = Json::object();
  auto problems = vignette_schema_problems(bad);
  std::vector<std::string> want = {".expected",
                                   ".args.regoin",
                                   ".expect.not_reason",
                                   ".expect.options.upadacitinib.verdcit",
                                   ".expect.options.upadacitinib.dose.ammount",
                                   ".expect.candidates[0].clasification",
                                   ".expect.naranjo.q11"};
  for (const auto& w : want) {
    EXPECT_NE(std::find(problems.begin(), problems.end(), w), problems.end()) << w;
  }
  EXPECT_EQ(problems.size(), want.size());
}

// docs/reason-codes.md, code -> whether its KB column names KB rows the reason must cite (a column
// starting with "—" is a statement about the record or an absence: nothing to cite).
const std::map<std::string, bool>& must_cite() {
  static const std::map<std::string, bool> m = [] {
    std::map<std::string, bool> out;
    std::ifstream doc(fs::path(PARADERM_SOURCE_DIR) / "docs" / "reason-codes.md");
    std::string line;
    while (std::getline(doc, line)) {
      if (line.rfind("| `", 0) != 0) continue;
      auto first_bar = line.find('|', 1);
      auto last_bar = line.find_last_of('|');  // rows end with "|"
      auto prev_bar = line.find_last_of('|', last_bar - 1);
      std::string kb = line.substr(prev_bar + 1, last_bar - prev_bar - 1);
      kb.erase(0, kb.find_first_not_of(' '));
      bool cite = kb.rfind("—", 0) != 0 && !kb.empty();
      std::string codes = line.substr(1, first_bar - 1);
      for (std::size_t i = codes.find('`'); i != std::string::npos; i = codes.find('`', i + 1)) {
        std::size_t j = codes.find('`', i + 1);
        if (j == std::string::npos) break;
        out[codes.substr(i + 1, j - i - 1)] = cite;
        i = j;
      }
    }
    return out;
  }();
  return m;
}

TEST(VignetteCitations, KbColumnIsRead) {
  const auto& m = must_cite();
  EXPECT_GT(m.size(), 70u);
  EXPECT_TRUE(m.at("LAB_DO_NOT_START"));     // KB: drug.lab_threshold
  EXPECT_TRUE(m.at("OFF_LABEL"));            // KB: drug.indication
  EXPECT_FALSE(m.at("PR_NO_CULPRIT"));       // KB: —
  EXPECT_FALSE(m.at("PR_PATTERN_UNKNOWN"));  // an absence
  EXPECT_TRUE(m.at("PR_PATTERN_KNOWN"));
}

class Vignette : public ::testing::TestWithParam<std::string> {};

TEST_P(Vignette, MatchesItsExpectations) {
  fs::path path = fs::path(PARADERM_SOURCE_DIR) / "tests" / "vignettes" / GetParam();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  Json v = Json::parse(ss.str());
  ASSERT_TRUE(v.contains("input") && v.contains("expect")) << "vignette needs input and expect";
  for (const auto& k : vignette_schema_problems(v))
    ADD_FAILURE() << "unknown key " << k << " (misspelt?)";
  const Json& ex = v["expect"];
  clinical::ParseOptions po;
  AssessOptions ao;
  ao.cache = &cache();
  if (v.contains("args")) {
    if (v["args"].contains("region")) po.region = v["args"]["region"].get<std::string>();
    if (v["args"].contains("as_of"))
      po.as_of = clinical::parse_date(v["args"]["as_of"].get<std::string>());
    if (v["args"].contains("start"))
      ao.start = clinical::parse_date(v["args"]["start"].get<std::string>());
  }
  std::optional<FixtureSignalSource> store;
  if (v.contains("pv_signals")) {
    store.emplace(v["pv_signals"], v.value("pv_store", std::string("vignette fixture store")));
    ao.signals = &*store;
  }
  auto parsed = clinical::parse_case(v["input"].dump(), shipped(), po);
  if (ex.contains("error")) {
    ASSERT_FALSE(parsed.record) << "expected a parse error";
    std::string all;
    for (const auto& p : parsed.problems) all += p.to_string() + "\n";
    for (const auto& e : ex["error"]) {
      EXPECT_NE(all.find(e.get<std::string>()), std::string::npos) << "missing error: " << e << "\n"
                                                                   << all;
    }
    return;
  }
  ASSERT_TRUE(parsed.record) << (parsed.problems.empty() ? "" : parsed.problems[0].to_string());
  Assessment a = assess(shipped(), *parsed.record, ao);
  if (ex.contains("classification")) {
    EXPECT_EQ(Json(to_string(a.pr.classification)), ex["classification"]);
  }
  if (ex.contains("culprit")) {
    ASSERT_FALSE(a.pr.culprits.empty());
    EXPECT_EQ(Json(a.pr.culprits[0].biologic), ex["culprit"]);
  }
  for (const auto& c : ex.value("pr_reasons", Json::array())) {
    EXPECT_TRUE(has_code(a.pr.reasons, c))
        << "PR reason " << c << " missing; have " << codes(a.pr.reasons);
  }
  for (const auto& c : ex.value("not_pr_reasons", Json::array())) {
    EXPECT_FALSE(has_code(a.pr.reasons, c)) << "PR reason " << c << " present";
  }
  for (const auto& rf : ex.value("risk_factors", Json::array())) {
    bool hit = std::any_of(a.pr.risk_factors.begin(), a.pr.risk_factors.end(),
                           [&](const RiskFactorHit& h) { return Json(h.id) == rf; });
    EXPECT_TRUE(hit) << "risk factor " << rf << " not matched";
  }
  for (const auto& rf : ex.value("not_risk_factors", Json::array())) {
    bool hit = std::any_of(a.pr.risk_factors.begin(), a.pr.risk_factors.end(),
                           [&](const RiskFactorHit& h) { return Json(h.id) == rf; });
    EXPECT_FALSE(hit) << "risk factor " << rf << " matched";
  }
  const Json options = ex.value("options", Json::object());
  for (const auto& [id, want] : options.items()) {
    auto it = std::find_if(a.options.begin(), a.options.end(),
                           [&](const Option& o) { return o.id == id; });
    ASSERT_NE(it, a.options.end()) << "no option " << id;
    const Option& o = *it;
    if (want.contains("verdict")) {
      EXPECT_EQ(to_string(o.verdict), want["verdict"].get<std::string>())
          << id << " reasons: " << codes(o.reasons);
    }
    if (want.contains("verdict_in")) {
      bool ok = false;
      for (const auto& vv : want["verdict_in"]) ok |= to_string(o.verdict) == vv.get<std::string>();
      EXPECT_TRUE(ok) << id << " verdict " << to_string(o.verdict) << " not in "
                      << want["verdict_in"];
    }
    if (want.contains("dose")) {
      if (want["dose"].is_null()) {
        EXPECT_FALSE(o.dose) << id << " should have no dose";
      } else {
        ASSERT_TRUE(o.dose) << id << " has no dose; reasons " << codes(o.reasons);
        EXPECT_DOUBLE_EQ(o.dose->amount, want["dose"]["amount"].get<double>()) << id;
        if (want["dose"].contains("unit")) {
          EXPECT_EQ(Json(o.dose->unit), want["dose"]["unit"]) << id;
        }
        if (want["dose"].contains("frequency")) {
          EXPECT_EQ(Json(o.dose->frequency), want["dose"]["frequency"]) << id;
        }
      }
    }
    for (const auto& c : want.value("reasons", Json::array())) {
      EXPECT_TRUE(has_code(o.reasons, c))
          << id << ": reason " << c << " missing; have " << codes(o.reasons);
    }
    for (const auto& c : want.value("not_reasons", Json::array())) {
      EXPECT_FALSE(has_code(o.reasons, c)) << id << ": reason " << c << " present";
    }
  }
  for (const auto& id : ex.value("absent_options", Json::array())) {
    bool present = std::any_of(a.options.begin(), a.options.end(),
                               [&](const Option& o) { return Json(o.id) == id; });
    EXPECT_FALSE(present) << "option " << id << " should not be listed";
  }
  // Reactions assessed from a standard record, in the order of likelihood.
  if (ex.contains("candidates")) {
    const Json& want = ex["candidates"];
    ASSERT_EQ(a.pr_candidates.size(), want.size()) << "number of reactions assessed";
    for (std::size_t i = 0; i < want.size(); ++i) {
      const PrAssessment& got = a.pr_candidates[i];
      const Json& w = want[i];
      if (w.contains("phenotype")) {
        EXPECT_EQ(Json(got.phenotype), w["phenotype"]) << "candidate " << i;
      }
      if (w.contains("kind")) {
        EXPECT_EQ(Json(to_string(got.kind)), w["kind"]) << "candidate " << i;
      }
      if (w.contains("source")) {
        EXPECT_EQ(Json(got.source), w["source"]) << "candidate " << i;
      }
      if (w.contains("classification")) {
        EXPECT_EQ(Json(to_string(got.classification)), w["classification"]) << "candidate " << i;
      }
      if (w.contains("onset")) {
        EXPECT_EQ(Json(got.onset.value_or("")), w["onset"]) << "candidate " << i;
      }
      if (w.contains("condition_pointer")) {
        EXPECT_EQ(Json(got.condition_pointer.value_or("")), w["condition_pointer"])
            << "candidate " << i;
      }
      if (w.contains("culprit")) {
        ASSERT_FALSE(got.culprits.empty()) << "candidate " << i;
        EXPECT_EQ(Json(got.culprits[0].biologic), w["culprit"]) << "candidate " << i;
      }
    }
  }
  for (const auto& t : ex.value("mechanism_contains", Json::array())) {
    EXPECT_NE(a.pr.mechanism.find(t.get<std::string>()), std::string::npos)
        << "mechanism lacks " << t << ": " << a.pr.mechanism;
  }
  for (const auto& t : ex.value("mechanism_not_contains", Json::array())) {
    EXPECT_EQ(a.pr.mechanism.find(t.get<std::string>()), std::string::npos)
        << "mechanism has " << t << ": " << a.pr.mechanism;
  }
  if (ex.contains("released_axes")) {
    EXPECT_EQ(a.pr.released_axes, ex["released_axes"].get<std::vector<std::string>>());
  }
  if (ex.contains("risk_multiplier")) {
    if (ex["risk_multiplier"].is_null()) {
      EXPECT_FALSE(a.pr.risk_multiplier) << "risk multiplier " << a.pr.risk_multiplier.value_or(0);
    } else {
      ASSERT_TRUE(a.pr.risk_multiplier) << "no risk multiplier";
      EXPECT_NEAR(*a.pr.risk_multiplier, ex["risk_multiplier"].get<double>(),
                  1e-6 * ex["risk_multiplier"].get<double>());
    }
  }
  const Json naranjo = ex.value("naranjo", Json::object());
  for (const auto& [q, answer] : naranjo.items()) {
    auto it = std::find_if(a.pr.components.begin(), a.pr.components.end(),
                           [&](const NaranjoItem& n) { return n.item == q; });
    ASSERT_NE(it, a.pr.components.end()) << "no Naranjo item " << q;
    EXPECT_EQ(Json(it->answer), answer) << q << " basis: " << it->basis;
  }
  if (ex.contains("option_diseases")) {
    EXPECT_EQ(a.option_diseases, ex["option_diseases"].get<std::vector<std::string>>());
  }
  if (ex.value("no_options", false)) {
    EXPECT_TRUE(a.options.empty()) << a.options.size() << " options";
  }
  if (ex.contains("top_option_in")) {
    ASSERT_FALSE(a.options.empty());
    bool listed = false;
    for (const auto& id : ex["top_option_in"]) listed |= a.options[0].id == id.get<std::string>();
    EXPECT_TRUE(listed) << "top option " << a.options[0].id << " not in " << ex["top_option_in"];
  }
  for (const auto& pair : ex.value("ranked_before", Json::array())) {
    auto pos = [&](const std::string& id) {
      auto it = std::find_if(a.options.begin(), a.options.end(),
                             [&](const Option& o) { return o.id == id; });
      return it - a.options.begin();
    };
    auto first = pos(pair[0].get<std::string>()), second = pos(pair[1].get<std::string>());
    ASSERT_LT(first, static_cast<long>(a.options.size())) << "no option " << pair[0];
    ASSERT_LT(second, static_cast<long>(a.options.size())) << "no option " << pair[1];
    EXPECT_LT(first, second) << pair[0] << " should rank before " << pair[1];
  }
  if (ex.contains("top_option")) {
    ASSERT_FALSE(a.options.empty());
    EXPECT_EQ(Json(a.options[0].id), ex["top_option"]);
  }
  for (const auto& code : ex.value("alerts", Json::array())) {
    bool hit = std::any_of(a.plan.alerts.begin(), a.plan.alerts.end(), [&](const Alert& al) {
      return Json(std::string(to_string(al.code))) == code;
    });
    EXPECT_TRUE(hit) << "alert " << code << " missing";
  }
  if (ex.contains("no_alerts") && ex["no_alerts"].get<bool>()) {
    EXPECT_TRUE(a.plan.alerts.empty());
  }
  for (const auto& w : ex.value("warnings_contain", Json::array())) {
    bool hit =
        std::any_of(a.warnings.begin(), a.warnings.end(), [&](const clinical::InputProblem& p) {
          return p.to_string().find(w.get<std::string>()) != std::string::npos;
        });
    EXPECT_TRUE(hit) << "no warning containing " << w;
  }
  const Json screening = ex.value("screening", Json::object());
  for (const auto& [item, status] : screening.items()) {
    auto it = std::find_if(a.plan.screening.begin(), a.plan.screening.end(),
                           [&](const ScreeningItem& s) { return kb::to_string(s.item) == item; });
    ASSERT_NE(it, a.plan.screening.end()) << "no screening item " << item;
    EXPECT_EQ(Json(to_string(it->status)), status) << item;
  }
  for (const auto& m : ex.value("monitoring_dates", Json::array())) {
    bool hit = std::any_of(a.plan.monitoring.begin(), a.plan.monitoring.end(),
                           [&](const MonitoringEvent& e) {
                             return Json(e.test) == m["test"] && Json(e.date) == m["date"];
                           });
    EXPECT_TRUE(hit) << "no monitoring " << m;
  }
  // Every reason whose KB column (docs/reason-codes.md) names KB rows cites them; the others are
  // statements about the record or an absence.
  auto cited = [&](const Reason& r, const std::string& where) {
    auto it = must_cite().find(std::string(to_string(r.code)));
    if (it == must_cite().end()) {
      ADD_FAILURE() << where << ": reason " << to_string(r.code)
                    << " is not in docs/reason-codes.md";
    } else if (it->second) {
      EXPECT_FALSE(r.sources.empty())
          << where << ": " << to_string(r.code) << " cites nothing: " << r.text;
    }
  };
  for (const auto& p : a.pr_candidates) {
    for (const auto& r : p.reasons) cited(r, "reaction " + p.phenotype);
  }
  for (const auto& r : a.pr.reasons) cited(r, "reaction");
  for (const auto& o : a.options) {
    for (const auto& r : o.reasons) cited(r, o.id);
  }
}

// Every reason code (paraderm/reason_code.h, the codes of docs/reason-codes.md) is exercised both
// ways by some vignette: one where it fires and one where it is asserted not to (a strategy's code
// "does not fire" when the strategy is asserted absent). Codes no KB rule can trigger today are
// listed here, with why.
TEST(VignetteCoverage, EveryReasonCodeFiresSomewhereAndIsAbsentSomewhere) {
  // The code table; tests/assess/reason_code_test.cpp checks it lists docs/reason-codes.md.
  std::set<std::string> codes(std::begin(kReasonCodeNames), std::end(kReasonCodeNames));
  ASSERT_GT(codes.size(), 50u);
  std::set<std::string> fires, absent;
  for (const auto& f : vignette_files()) {
    std::ifstream in(fs::path(PARADERM_SOURCE_DIR) / "tests" / "vignettes" / f);
    std::stringstream vs;
    vs << in.rdbuf();
    Json ex = Json::parse(vs.str())["expect"];
    for (const auto& c : ex.value("pr_reasons", Json::array())) fires.insert(c);
    for (const auto& c : ex.value("not_pr_reasons", Json::array())) absent.insert(c);
    for (const auto& c : ex.value("alerts", Json::array())) fires.insert(c);
    if (ex.value("no_alerts", false))
      absent.insert({"LAB_INTERRUPT", "LAB_DISCONTINUE", "LAB_DOSE_REDUCE"});
    if (!ex.value("absent_options", Json::array()).empty()) absent.insert("STRATEGY_REPORTED");
    const Json options = ex.value("options", Json::object());
    for (const auto& [id, o] : options.items()) {
      for (const auto& c : o.value("reasons", Json::array())) fires.insert(c);
      for (const auto& c : o.value("not_reasons", Json::array())) absent.insert(c);
    }
  }
  // No KB rule raises a dose (adjustments only lower it): DOSE_CAPPED_AT_MAXIMUM cannot fire until
  // the KB has such a rule. DOSE_UNKNOWN is the adult safety net for an approved indication whose
  // every adult row has a band the patient is outside; after the label update every adult row of
  // every approved indication is without a weight band and the age bands are contiguous (18-64,
  // >= 65), so no adult reaches it (children get NO_PAEDIATRIC_LABEL instead).
  // HEPATIC_NOT_STUDIED: no shipped hepatic rule has the action "not-studied" (the assessment
  // still maps it to caution so that such a rule cannot fall through to "no change").
  const std::set<std::string> unreachable = {"DOSE_CAPPED_AT_MAXIMUM", "DOSE_UNKNOWN",
                                             "HEPATIC_NOT_STUDIED"};
  // A vignette that names a code the table does not have asserts nothing (a misspelt code never
  // fires, so "not_reasons" with it would always pass).
  for (const auto& set : {fires, absent}) {
    for (const auto& c : set) EXPECT_TRUE(parse_reason_code(c)) << c << " is not a reason code";
  }
  for (const auto& c : codes) {
    if (!unreachable.count(c)) {
      EXPECT_TRUE(fires.count(c)) << c << " never fires in a vignette";
    }
    EXPECT_TRUE(absent.count(c)) << c << " is never asserted absent in a vignette";
  }
}

INSTANTIATE_TEST_SUITE_P(Vignettes, Vignette, ::testing::ValuesIn(vignette_files()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string n = param.param.substr(0, param.param.size() - 5);
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace paraderm::assess
