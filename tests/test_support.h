// Helpers shared by the test suites: the shipped KB (loaded once) and repository files.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
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
// The short name the suites use (`using paraderm::testing::shipped;`): one definition, so unity
// builds that put several suites in one translation unit do not see it twice.
inline const kb::KnowledgeBase& shipped() { return shipped_kb(); }

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

// One run of the paraderm binary under test: `args` as shell words, stdout and stderr together,
// the output kept up to `max_output` bytes (fuzz inputs can make it huge). exit_code: the exit
// status, 128 + the signal when the process was killed (a crash), -1 when it could not start.
struct CliRun {
  int exit_code = -1;
  std::string output;
};

inline CliRun run_cli(const std::string& args, std::size_t max_output = std::string::npos) {
  std::string cmd = std::string(PARADERM_BINARY) + " " + args + " 2>&1";
  CliRun r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) {
    if (r.output.size() < max_output) r.output.append(buf.data(), n);
  }
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                      : -1;
  return r;
}

}  // namespace paraderm::testing
