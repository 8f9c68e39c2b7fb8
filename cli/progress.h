// A one-line progress bar on a terminal's stderr (nothing when stderr is not a terminal), and the
// time spent per phase for the closing summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace paraderm::cli {

class Progress {
 public:
  explicit Progress(bool show);  // show: when stderr is a terminal (checked again here)
  ~Progress();
  void operator()(std::string_view phase, std::uint64_t done, std::uint64_t total);
  // Ends the current phase; "read 1.20 s, count 0.31 s, ..." for every phase so far.
  std::string summary();

 private:
  using Clock = std::chrono::steady_clock;
  void clear_line();
  bool show_;
  std::mutex mu_;
  std::string phase_;
  Clock::time_point phase_start_, last_draw_;
  std::vector<std::pair<std::string, double>> times_;
  bool drawn_ = false;
};

}  // namespace paraderm::cli
