// Pharmacovigilance on shared/data/caers.csv (20 156 rows, 3 356 reports, 17 189 pairs): reading,
// counting, the MGPS fit with and without squashing, and the per-pair statistics.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "paraderm/pv_data.h"

namespace {

std::string caers() {
  for (const char* p :
       {PARADERM_SOURCE_DIR "/../shared/data/caers.csv", "/work/shared/data/caers.csv"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

const paraderm::pv::Corpus& corpus() {
  static const paraderm::pv::Corpus c = [] {
    auto d = paraderm::pv::read_long_csv(
        caers(), paraderm::pv::CsvColumns{"id", "var1", "var2", {"strat1"}});
    return d.is_ok() ? d.value().corpus : paraderm::pv::Corpus{};
  }();
  return c;
}

void BM_ReadCaersCsv(benchmark::State& state) {
  if (caers().empty()) return state.SkipWithError("caers.csv not found");
  for (auto _ : state)
    benchmark::DoNotOptimize(paraderm::pv::read_long_csv(
        caers(), paraderm::pv::CsvColumns{"id", "var1", "var2", {"strat1"}}));
}
BENCHMARK(BM_ReadCaersCsv)->Unit(benchmark::kMillisecond);

void BM_CountPairsCaers(benchmark::State& state) {
  if (corpus().reports() == 0) return state.SkipWithError("caers.csv not found");
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::pv::count_pairs(corpus()));
}
BENCHMARK(BM_CountPairsCaers)->Unit(benchmark::kMillisecond);

struct CaersCounts {
  std::vector<double> n, e;
};

const CaersCounts& caers_counts() {
  static const CaersCounts c = [] {
    CaersCounts out;
    for (const auto& p : paraderm::pv::count_pairs(corpus())) {
      out.n.push_back(p.n);
      out.e.push_back(p.expected);
    }
    return out;
  }();
  return c;
}

// The fit runs its six starts in parallel (oneTBB): wall time is the figure that counts.
void BM_FitCaers(benchmark::State& state) {
  if (corpus().reports() == 0) return state.SkipWithError("caers.csv not found");
  const auto& [n, e] = caers_counts();
  const bool squashed = state.range(0) == 1;
  for (auto _ : state) {
    if (squashed) {
      auto sq = paraderm::pv::squash(n, e);
      benchmark::DoNotOptimize(paraderm::pv::fit_mgps(sq.n, sq.e, sq.weight));
    } else {
      benchmark::DoNotOptimize(paraderm::pv::fit_mgps(n, e));
    }
  }
  state.SetLabel(squashed ? "squashed" : "all 17189 pairs");
}
BENCHMARK(BM_FitCaers)
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// The previous optimiser (Nelder-Mead, starts one after another) on the same objective, for
// comparison.
void BM_FitCaersNelderMeadReference(benchmark::State& state) {
  if (corpus().reports() == 0) return state.SkipWithError("caers.csv not found");
  const auto& [n, e] = caers_counts();
  for (auto _ : state) benchmark::DoNotOptimize(paraderm::pv::fit_mgps_nelder_mead(n, e));
  state.SetLabel("all 17189 pairs");
}
BENCHMARK(BM_FitCaersNelderMeadReference)->Unit(benchmark::kMillisecond)->Iterations(1);

// EBGM, EB05 and EB95 for every caers pair, one thread.
void BM_MgpsPosteriorAllPairsCaers(benchmark::State& state) {
  if (corpus().reports() == 0) return state.SkipWithError("caers.csv not found");
  const auto& [n, e] = caers_counts();
  paraderm::pv::MgpsPrior theta{3.51, 2.91, 24.31, 2.34, 0.968};
  for (auto _ : state) {
    double sum = 0;
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto post = paraderm::pv::mgps_posterior(theta, n[i], e[i]);
      sum += post.ebgm + post.eb05 + post.eb95;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long>(n.size()));
}
BENCHMARK(BM_MgpsPosteriorAllPairsCaers)->Unit(benchmark::kMillisecond);

void BM_StatisticsAllPairsCaers(benchmark::State& state) {
  if (corpus().reports() == 0) return state.SkipWithError("caers.csv not found");
  auto pairs = paraderm::pv::count_pairs(corpus());
  paraderm::pv::MgpsPrior theta{3.51, 2.91, 24.31, 2.34, 0.968};
  for (auto _ : state) {
    double sum = 0;
    for (const auto& p : pairs) {
      auto d = paraderm::pv::disproportionality(p.n, p.n_drug, p.n_event, p.total, p.expected);
      auto post = paraderm::pv::mgps_posterior(theta, p.n, p.expected);
      sum += d.ic025 + post.eb05;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long>(pairs.size()));
}
BENCHMARK(BM_StatisticsAllPairsCaers)->Unit(benchmark::kMillisecond);

}  // namespace
