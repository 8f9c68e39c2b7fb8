// The KB loader and validator (src/kb/, docs/kb.md) on one TOML file beside a minimal valid KB (a
// source and two kinases, as tests/kb/kb_test_util.h builds them): a reviewer's broken edit must
// give "file:line: path: message" issues, never a crash, UB or a hang.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paraderm;
  static const char* kSources = R"(
[[source]]
id = "cst-jak-stat-table"
title = "Jak/Stat Utilization Table"
url = "https://www.cellsignal.com/"
grade = "mechanistic"
)";
  static const char* kKinases = R"(
[[kinase]]
id = "JAK1"
name = "Janus kinase 1"
src = ["cst-jak-stat-table"]
conf = "confirmed"

[[kinase]]
id = "JAK3"
name = "Janus kinase 3"
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";
  std::vector<kb::SourceFile> files = {
      {"sources.toml", kSources},
      {"kinases.toml", kKinases},
      {"fuzz.toml", std::string(fuzz::as_view(data, size))},
  };
  auto r = kb::load_files(files);
  for (const auto& issue : r.issues) (void)issue.to_string();
  return 0;
}
