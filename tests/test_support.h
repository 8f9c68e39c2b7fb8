// Helpers shared by the test suites: the shipped KB (loaded once) and repository files.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "paraderm/kb.h"

namespace paraderm::testing {

inline const kb::KnowledgeBase& shipped_kb() {
  static const kb::LoadResult r = kb::load_embedded();
  return *r.kb;
}

// A file of the source tree, by its path relative to the repository root.
inline std::string repo_file(const std::string& rel) {
  std::ifstream in(std::string(PARADERM_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace paraderm::testing
