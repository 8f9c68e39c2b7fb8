// Closed-form PK kernel: one steady-state day at 1-minute resolution (1441 points).
#include <benchmark/benchmark.h>

#include "paraderm/pk.h"

static void BM_SteadyStateDayPerMinute(benchmark::State& state) {
  paraderm::pharm::PkParams p;
  p.compartments = static_cast<int>(state.range(0));
  p.cl_l_h = 39.7;
  p.v1_l = 146;
  p.q_l_h = 3.23;
  p.v2_l = 64.3;
  p.ka_per_h = 12.3;
  p.lag_h = 0.48;
  for (auto _ : state) {
    double sum = 0;
    for (int minute = 0; minute <= 1440; ++minute) {
      sum += paraderm::pharm::steady_state(p, 15, 24, minute / 60.0);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1441);
}
BENCHMARK(BM_SteadyStateDayPerMinute)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
