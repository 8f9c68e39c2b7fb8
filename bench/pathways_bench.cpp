// The full pathway grid: every drug × every approved regimen × every cytokine at 1-minute
// resolution over 24 h (issue target: under 5 ms on one core). Counters report the grid's size
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
      for (const auto& regimen : paraderm::pharm::approved_regimens(drug)) {
        auto p = paraderm::pharm::compute_profile(kb, drug, regimen);
        ++profiles;
        for (const auto& r : p.pathways) computed += r.avg_inhibition_pct.has_value();
        benchmark::DoNotOptimize(p);
      }
    }
  }
  state.counters["profiles"] = static_cast<double>(profiles);
  state.counters["pathways_computed"] = static_cast<double>(computed);
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
