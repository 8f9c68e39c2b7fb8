// One full assessment in process, every agent, pathway profiles cached (issue target: p99 <=
// 100 us on one core, FHIR parse included). Google Benchmark reports the mean; the p50/p99
// counters come from timing each run of a 20 000-run sample.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/report.h"

namespace {

const paraderm::kb::KnowledgeBase& shipped() {
  static const paraderm::kb::LoadResult r = paraderm::kb::load_embedded();
  return *r.kb;
}

std::string read_file(const std::string& rel) {
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The input of a vignette (tests/vignettes/README.md), as the text a client would send.
std::string vignette_input(const std::string& name) {
  return nlohmann::json::parse(read_file("tests/vignettes/" + name))["input"].dump();
}

paraderm::assess::AssessOptions cached_options() {
  static paraderm::assess::PathwayCache cache(shipped());
  cache.warm();
  paraderm::assess::AssessOptions o;
  o.cache = &cache;
  return o;
}

// Runs `once` in the benchmark loop, then 20 000 more times individually timed for p50 / p99.
void run_and_sample(benchmark::State& state, const std::function<void()>& once) {
  once();  // fills the pathway cache for this record's regimens
  for (auto _ : state) once();
  std::vector<double> us;
  us.reserve(20000);
  for (int i = 0; i < 20000; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    once();
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
}

// A parsed native case (examples/dupilumab-psoriasis.json): the assessment alone.
void BM_AssessOneCase(benchmark::State& state) {
  auto o = cached_options();
  auto c =
      *paraderm::clinical::parse_case(read_file("examples/dupilumab-psoriasis.json"), shipped())
           .record;
  run_and_sample(state,
                 [&] { benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o)); });
}
BENCHMARK(BM_AssessOneCase)->Unit(benchmark::kMicrosecond)->Iterations(2000);

// A standard record (plain FHIR, no eruption extension; the reaction is inferred from the
// conditions), already parsed: the assessment alone.
void BM_AssessStandardRecord(benchmark::State& state) {
  auto o = cached_options();
  paraderm::clinical::ParseOptions po;
  po.region = "us";
  auto c = *paraderm::clinical::parse_case(
                vignette_input("std-pr-dupilumab-ad-new-psoriasis-fhir-us.json"), shipped(), po)
                .record;
  run_and_sample(state,
                 [&] { benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o)); });
}
BENCHMARK(BM_AssessStandardRecord)->Unit(benchmark::kMicrosecond)->Iterations(2000);

// FHIR Bundle text in, assessment out (parse + normalise + assess): the figure.
void parse_and_assess(benchmark::State& state, const std::string& vignette) {
  auto o = cached_options();
  paraderm::clinical::ParseOptions po;
  po.region = "us";
  const std::string text = vignette_input(vignette);
  run_and_sample(state, [&] {
    auto parsed = paraderm::clinical::parse_case(text, shipped(), po);
    benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), *parsed.record, o));
  });
}

// A small plain-FHIR Bundle (1.4 KB), the reaction inferred from its conditions.
void BM_ParseAndAssessFhirBundle(benchmark::State& state) {
  parse_and_assess(state, "std-pr-dupilumab-ad-new-psoriasis-fhir-us.json");
}
BENCHMARK(BM_ParseAndAssessFhirBundle)->Unit(benchmark::kMicrosecond)->Iterations(2000);

// A real-shaped US Core export (10.5 KB: brand codes, UCUM annotations, entered-in-error rows).
void BM_ParseAndAssessCorpusBundle(benchmark::State& state) {
  parse_and_assess(state, "sfc-pr-dupixent-ad-new-psoriasis-adult-us.json");
}
BENCHMARK(BM_ParseAndAssessCorpusBundle)->Unit(benchmark::kMicrosecond)->Iterations(2000);

void BM_ParseNativeCase(benchmark::State& state) {
  const std::string text = read_file("examples/dupilumab-psoriasis.json");
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::clinical::parse_case(text, shipped()));
}
BENCHMARK(BM_ParseNativeCase)->Unit(benchmark::kMicrosecond);

}  // namespace

namespace {
// The JSON the server and `assess --format json` send, from a finished assessment.
void BM_AssessmentToJson(benchmark::State& state) {
  auto o = cached_options();
  paraderm::clinical::ParseOptions po;
  po.region = "us";
  auto c = *paraderm::clinical::parse_case(
                vignette_input("sfc-pr-dupixent-ad-new-psoriasis-adult-us.json"), shipped(), po)
                .record;
  auto a = paraderm::assess::assess(shipped(), c, o);
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::report::to_json(a, -1));
  state.counters["bytes"] = static_cast<double>(paraderm::report::to_json(a, -1).size());
}
BENCHMARK(BM_AssessmentToJson)->Unit(benchmark::kMicrosecond);
}  // namespace
