// caers.csv end to end, as `paraderm pv ingest` runs it minus the store write: read the CSV, build
// the corpus, count every pair, fit the MGPS prior on every pair (no squashing) and score every
// pair (ROR, PRR, chi2, IC, EBGM, EB05, EB95). Target: under 0.5 s on 2 cores.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "paraderm/pv_data.h"

namespace {

std::string caers_path() {
  for (const char* p :
       {PARADERM_SOURCE_DIR "/../shared/data/caers.csv", "/work/shared/data/caers.csv"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

void BM_CaersEndToEnd(benchmark::State& state) {
  std::string path = caers_path();
  if (path.empty()) return state.SkipWithError("caers.csv not found");
  paraderm::pv::ScoreOptions options;
  options.fit_data =
      state.range(0) == 1 ? paraderm::pv::FitData::kSquashed : paraderm::pv::FitData::kFull;
  std::size_t pairs = 0;
  for (auto _ : state) {
    auto data = paraderm::pv::read_long_csv(
        path, paraderm::pv::CsvColumns{"id", "var1", "var2", {"strat1"}});
    auto table = paraderm::pv::score(data.value().corpus, options);
    pairs = table.scores.size();
    benchmark::DoNotOptimize(table);
  }
  state.SetLabel(state.range(0) == 1 ? "squashed fit" : "full-data fit");
  state.counters["pairs"] = static_cast<double>(pairs);
}
BENCHMARK(BM_CaersEndToEnd)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2);

}  // namespace
