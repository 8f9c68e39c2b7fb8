// The full pathway grid: every product × every approved regimen (one qualitative profile per
// topical product) × every cytokine at 1-minute resolution over 24 h (issue 12 target: under
// 2 ms on one core). Counters report the grid's size
// so the figure can be read per profile and per pathway.
#include <benchmark/benchmark.h>

#include "paraderm/kb.h"
#include "paraderm/pathways.h"

namespace {

const paraderm::kb::KnowledgeBase& shipped() {
  static const paraderm::kb::LoadResult r = paraderm::kb::load_embedded();
  return *r.kb;
}

void BM_FullPathwayGrid(benchmark::State& state) {
  const auto& kb = shipped();
  std::size_t profiles = 0, computed = 0;
  for (auto _ : state) {
    profiles = computed = 0;
    for (const auto& drug : kb.drugs) {
      auto regimens = paraderm::pharm::approved_regimens(kb, drug);
      if (drug.route == paraderm::kb::Route::kTopical)
        regimens.push_back({0, 24, std::string("topical"), {}});
      for (const auto& regimen : regimens) {
        auto p = paraderm::pharm::compute_profile(kb, drug, regimen);
        ++profiles;
        for (const auto& r : p.pathways) computed += r.avg_inhibition_pct.has_value();
        benchmark::DoNotOptimize(p);
      }
    }
  }
  state.counters["profiles"] = static_cast<double>(profiles);
  state.counters["pathways_quantitative"] = static_cast<double>(computed);
  state.counters["cytokines"] = static_cast<double>(kb.cytokines.size());
}
BENCHMARK(BM_FullPathwayGrid)->Unit(benchmark::kMillisecond);

// One profile with every pathway known (tofacitinib 5 mg BID).
void BM_OneProfile(benchmark::State& state) {
  const auto& kb = shipped();
  const auto* drug = kb.find_drug("tofacitinib");
  paraderm::pharm::Regimen r{5, 12, std::nullopt, {}};
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::pharm::compute_profile(kb, *drug, r));
}
BENCHMARK(BM_OneProfile)->Unit(benchmark::kMicrosecond);

}  // namespace
