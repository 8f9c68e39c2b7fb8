#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "minimal_kb.h"
#include "paraderm/kb.h"

namespace paraderm::kb::testing {

// The shipped (embedded) KB, loaded once; a load failure fails the calling test with every issue.
inline const KnowledgeBase& shipped_checked() {
  static const LoadResult r = load_embedded();
  if (!r.kb) {
    for (const auto& i : r.issues) ADD_FAILURE() << i.to_string();
  }
  static const KnowledgeBase kb = r.kb ? *r.kb : KnowledgeBase{};
  return kb;
}

// A valid minimal KB (minimal_kb.h: one source, the kinases) and one cytokine, that tests extend
// or break.
inline const char* kMinimalCytokine = R"(
[[cytokine]]
id = "IL-2"
name = "Interleukin-2"
signalling = "jak"
receptor = [{ chains = ["IL-2Ra", "IL-2Rb", "gc"], jaks = ["JAK1", "JAK3"] }]
pair = { kinases = ["JAK1", "JAK3"], src = ["cst-jak-stat-table"], conf = "confirmed" }
stats = ["STAT5"]
src = ["cst-jak-stat-table"]
conf = "confirmed"
)";

inline LoadResult load_with(const std::string& name, const std::string& content) {
  std::vector<SourceFile> files = {
      {"sources.toml", kMinimalSources},
      {"kinases.toml", kMinimalKinases},
      {name, content},
  };
  return load_files(files);
}

// The errors (not warnings) of a load, as "file:line: path: message" lines.
inline std::vector<std::string> errors_of(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& i : r.issues) {
    if (i.severity == ValidationIssue::Severity::kError) out.push_back(i.to_string());
  }
  return out;
}

}  // namespace paraderm::kb::testing
