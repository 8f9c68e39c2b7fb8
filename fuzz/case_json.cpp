// Native case JSON (docs/case-format.md) through the library's case parser, and on to the
// assessment and its JSON and HTML reports when the record is readable: bad input must give
// problems, never a crash, UB, a hang or an escaping exception (which terminates: libFuzzer records
// it as a crash). The same parser takes FHIR Bundles; fhir_bundle.cpp fuzzes that path.
#include <cstdint>

#include "fuzz_support.h"
#include "paraderm/assess.h"
#include "paraderm/case.h"
#include "paraderm/report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paraderm;
  const auto& kb = fuzz::shipped_kb();
  // One cache for all inputs, as the server keeps one: profiles are the costly part, and a cache
  // that grows with hostile inputs shows up as an RSS-limit finding.
  static assess::PathwayCache cache(kb);
  auto parsed = clinical::parse_case(fuzz::as_view(data, size), kb);
  if (parsed.record) {
    assess::AssessOptions options;
    options.cache = &cache;
    auto a = assess::assess(kb, *parsed.record, options);
    (void)report::to_json(a);
    (void)report::to_html(a, kb);
  }
  return 0;
}
