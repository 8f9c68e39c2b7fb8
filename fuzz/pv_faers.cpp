// The FAERS/LAERS quarterly ASCII readers (src/pv/faers.cpp): one input is a whole quarter, its
// DEMO, DRUG, REAC, INDI and DELETE files separated by form feeds ('\f', absent from the real
// files), written to a tmpfs folder and read with a small block size so that block boundaries
// (src/pv/text_input.h) fall inside the input. Malformed rows must be counted, never crash, hang or
// abort (F7: a Latin-1 drug name aborted the JSON writer).
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "fuzz_support.h"
#include "paraderm/pv_data.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paraderm;
  static const pv::DrugNormaliser normaliser(pv::kb_drug_names(fuzz::shipped_kb()));
  static const auto dir = fuzz::scratch_dir() / "quarter";
  static constexpr const char* kNames[] = {"DEMO24Q1.txt", "DRUG24Q1.txt", "REAC24Q1.txt",
                                           "INDI24Q1.txt", "DELETED24Q1.txt"};
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string_view rest = fuzz::as_view(data, size);
  for (const char* name : kNames) {
    auto cut = rest.find('\f');
    fuzz::write_file(dir / name, rest.substr(0, cut));
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 1);
  }
  pv::FaersOptions options;
  options.block_bytes = 256;
  options.drop_indication_events = size % 2 == 0;
  auto r = pv::read_faers({dir.string()}, normaliser, options);
  if (r.is_ok()) (void)pv::count_pairs(r.value().corpus);
  return 0;
}
