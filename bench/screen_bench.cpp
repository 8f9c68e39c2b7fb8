// Cohort screening throughput on one core (issue 14): simdjson's raw parse of every NDJSON line of
// a bulk_synth export against `screen_partition` on the same files (read + validate and key every
// line + group per patient + FHIR reader + assessment), both in the same run. Target: screening
// >= 25 % of the raw parse throughput. The export is generated once (BULK_SYNTH_BINARY) into
// $TMPDIR; 20 000 patients by default ($SCREEN_BENCH_PATIENTS).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "paraderm/screen.h"

namespace {

namespace fs = std::filesystem;

const std::vector<fs::path>& export_files() {
  static const std::vector<fs::path> files = [] {
    const char* env = std::getenv("SCREEN_BENCH_PATIENTS");
    std::string patients = env ? env : "20000";
    fs::path dir = fs::temp_directory_path() / fmt::format("paraderm-screen-bench-v2-{}", patients);
    if (!fs::exists(dir / "bulk_synth.json")) {
      std::string cmd = fmt::format("{} --patients {} --seed 7 --planted-every 50 --out {}",
                                    BULK_SYNTH_BINARY, patients, dir.string());
      if (std::system(cmd.c_str()) != 0) return std::vector<fs::path>{};
    }
    return paraderm::screen::bulk_files(dir);
  }();
  return files;
}

const paraderm::kb::KnowledgeBase& kb() {
  static const paraderm::kb::LoadResult r = paraderm::kb::load_embedded();
  return *r.kb;
}

std::size_t total_bytes() {
  std::size_t n = 0;
  for (const auto& f : export_files()) n += fs::file_size(f);
  return n;
}

// Every line parsed into a simdjson DOM (what a validating NDJSON reader cannot do without), files
// already in memory.
void BM_SimdjsonRawParse(benchmark::State& state) {
  std::vector<std::string> texts;
  for (const auto& f : export_files()) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    texts.push_back(ss.str());
  }
  if (texts.empty()) return state.SkipWithError("bulk_synth failed");
  simdjson::dom::parser parser;
  std::size_t bytes = 0, elements = 0;
  for (auto _ : state) {
    for (const auto& t : texts) {
      for (std::size_t pos = 0; pos < t.size();) {
        auto end = t.find('\n', pos);
        if (end == std::string::npos) end = t.size();
        simdjson::dom::element e;
        if (parser.parse(t.data() + pos, end - pos).get(e) == simdjson::SUCCESS) ++elements;
        pos = end + 1;
      }
      bytes += t.size();
    }
  }
  benchmark::DoNotOptimize(elements);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_SimdjsonRawParse)->Unit(benchmark::kMillisecond)->MinTime(2);

// screen_partition on one thread: the per-partition work of `paraderm screen` (the partition pass
// of a multi-partition run adds one more read, parse and write of every line).
void BM_ScreenPartitionOneCore(benchmark::State& state) {
  if (export_files().empty()) return state.SkipWithError("bulk_synth failed");
  paraderm::screen::ScreenOptions o;
  o.threads = 1;
  o.as_of = *paraderm::clinical::parse_date("2026-06-30");
  o.assess_all = state.range(0) == 1;
  std::size_t bytes = 0;
  paraderm::screen::Summary last;
  for (auto _ : state) {
    paraderm::screen::Summary s;
    auto r = paraderm::screen::screen_partition(kb(), export_files(), o, s);
    if (!r.is_ok()) return state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r);
    bytes += total_bytes();
    last = s;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["patients"] = static_cast<double>(last.patients);
  state.counters["assessed"] = static_cast<double>(last.assessed);
  state.counters["flagged"] = static_cast<double>(last.flagged);
  state.SetLabel(o.assess_all ? "every patient assessed (--assess-all)" : "default");
}
// CPU time, like the raw-parse benchmark (the machine is shared: wall time includes waiting).
BENCHMARK(BM_ScreenPartitionOneCore)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace
