// Start-up cost: parsing, validating and binding the embedded KB (done once per process).
#include <benchmark/benchmark.h>

#include "paraderm/kb.h"

static void BM_LoadEmbeddedKb(benchmark::State& state) {
  for (auto _ : state) {
    auto r = paraderm::kb::load_embedded();
    if (!r.kb) state.SkipWithError("embedded KB invalid");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_LoadEmbeddedKb)->Unit(benchmark::kMillisecond);
