// Shared by the libFuzzer harnesses (fuzz/*.cpp): the shipped KB, loaded once per process, and a
// scratch directory on tmpfs when there is one (the readers under test take file paths).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "paraderm/kb.h"

namespace paraderm::fuzz {

inline const kb::KnowledgeBase& shipped_kb() {
  static const kb::KnowledgeBase kb = [] {
    auto r = kb::load_embedded();
    if (!r.kb) {
      for (const auto& i : r.issues) std::fprintf(stderr, "%s\n", i.to_string().c_str());
      std::abort();  // a broken shipped KB is not a finding of the input
    }
    return *r.kb;
  }();
  return kb;
}

// A per-process folder (tmpfs when available: inputs are written at every execution).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto d = base / ("paraderm-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A finding that is not a crash (a contract the harness checks): print and abort, so libFuzzer
// records the input like a crash.
[[noreturn]] inline void violation(const std::string& what) {
  std::fprintf(stderr, "contract violation: %s\n", what.c_str());
  std::abort();
}

}  // namespace paraderm::fuzz
