// The KB loader and validator (src/kb/, docs/kb.md) on one TOML file beside a minimal valid KB (a
// source and two kinases: tests/kb/minimal_kb.h, shared with the KB tests): a reviewer's broken
// edit must give "file:line: path: message" issues, never a crash, UB or a hang.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "kb/minimal_kb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paraderm;
  std::vector<kb::SourceFile> files = {
      {"sources.toml", kb::testing::kMinimalSources},
      {"kinases.toml", kb::testing::kMinimalKinases},
      {"fuzz.toml", std::string(fuzz::as_view(data, size))},
  };
  auto r = kb::load_files(files);
  for (const auto& issue : r.issues) (void)issue.to_string();
  return 0;
}
