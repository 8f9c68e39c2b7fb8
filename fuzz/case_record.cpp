// One record through the library's case parser, and on to the assessment and its JSON and HTML
// reports when it is readable: bad input must give problems, never a crash, UB, a hang or an
// escaping exception (which terminates: libFuzzer records it as a crash). The parser takes native
// case JSON (docs/case-format.md) and FHIR R4 Bundles ("FHIR input") alike, so this one harness is
// built twice, fuzz_case_json and fuzz_fhir_bundle, each seeded with its own form
// (fuzz/corpus/case_json, fuzz/corpus/fhir_bundle) so that each explores one of the two paths.
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
