// Helpers shared by the test suites: the shipped KB (loaded once) and repository files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// A file of the project's shared datasets (shared/data): $PARADERM_SHARED_DATA, then the folder
// beside the checkout, then /work/shared/data; empty when none has it (tests then skip).
inline std::string shared_data(const std::string& name) {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("PARADERM_SHARED_DATA")) dirs.emplace_back(env);
  dirs.emplace_back(fs::path(PARADERM_SOURCE_DIR) / ".." / "shared" / "data");
  dirs.emplace_back("/work/shared/data");
  for (const auto& d : dirs) {
    if (fs::exists(d / name)) return (d / name).string();
  }
  return "";
}

}  // namespace paraderm::testing
