// The long-format CSV reader of `paraderm pv ingest --csv` (src/pv/corpus.cpp, RFC 4180, columns
// chosen by name), then the counts and scores it feeds: malformed rows must be counted and named,
// never crash or hang. The reader takes a path, so each input is written to a tmpfs file first.
// The first byte chooses whether a `strat` column is read as a stratum (both paths of the reader).
#include <cstdint>

#include "fuzz_support.h"
#include "paraderm/pv_data.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paraderm;
  if (size == 0) return 0;
  static const auto path = fuzz::scratch_dir() / "input.csv";
  pv::CsvColumns columns;
  if (data[0] & 1) columns.strata = {"strat"};
  fuzz::write_file(path, fuzz::as_view(data + 1, size - 1));
  auto r = pv::read_long_csv(path.string(), columns);
  if (r.is_ok()) (void)pv::count_pairs(r.value().corpus);
  return 0;
}
