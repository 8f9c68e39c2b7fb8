// One full assessment in process: parsed case -> result, every agent, pathway profiles cached
// (issue target: p99 <= 100 us on one core). Google Benchmark reports the mean; the p50/p99
// counters come from timing each assessment of a 20 000-run sample.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "paraderm/assess.h"
#include "paraderm/case.h"

namespace {

const paraderm::kb::KnowledgeBase& shipped() {
  static const paraderm::kb::LoadResult r = paraderm::kb::load_embedded();
  return *r.kb;
}

paraderm::clinical::Case example_case() {
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) + "/examples/dupilumab-psoriasis.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return *paraderm::clinical::parse_case(ss.str(), shipped()).record;
}

void BM_AssessOneCase(benchmark::State& state) {
  static paraderm::assess::PathwayCache cache(shipped());
  cache.warm();
  auto c = example_case();
  paraderm::assess::AssessOptions o;
  o.cache = &cache;
  benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o));  // fills the cache
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o));
  std::vector<double> us;
  us.reserve(20000);
  for (int i = 0; i < 20000; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o));
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
}
BENCHMARK(BM_AssessOneCase)->Unit(benchmark::kMicrosecond)->Iterations(2000);

// A standard record (plain FHIR, no eruption extension): the reaction is inferred from the
// conditions (the input of tests/vignettes/std-pr-dupilumab-ad-new-psoriasis-fhir-us.json).
void BM_AssessStandardRecord(benchmark::State& state) {
  static paraderm::assess::PathwayCache cache(shipped());
  cache.warm();
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) + "/tests/vignettes/std-pr-dupilumab-ad-new-psoriasis-fhir-us.json");
  std::stringstream ss;
  ss << in.rdbuf();
  paraderm::clinical::ParseOptions po;
  po.region = "us";
  auto c = *paraderm::clinical::parse_case(nlohmann::json::parse(ss.str())["input"].dump(), shipped(), po).record;
  paraderm::assess::AssessOptions o;
  o.cache = &cache;
  benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o));
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o));
  std::vector<double> us;
  us.reserve(20000);
  for (int i = 0; i < 20000; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(paraderm::assess::assess(shipped(), c, o));
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
}
BENCHMARK(BM_AssessStandardRecord)->Unit(benchmark::kMicrosecond)->Iterations(2000);

void BM_ParseNativeCase(benchmark::State& state) {
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) + "/examples/dupilumab-psoriasis.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::clinical::parse_case(text, shipped()));
}
BENCHMARK(BM_ParseNativeCase)->Unit(benchmark::kMicrosecond);

}  // namespace
