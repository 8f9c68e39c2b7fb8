#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace paraderm::cli {

Progress::Progress(bool show)
    : show_(show && ::isatty(STDERR_FILENO)), phase_start_(Clock::now()) {}

Progress::~Progress() { clear_line(); }

void Progress::clear_line() {
  if (drawn_) {
    fmt::print(stderr, "\r{:80}\r", "");
    std::fflush(stderr);
    drawn_ = false;
  }
}

void Progress::operator()(std::string_view phase, std::uint64_t done, std::uint64_t total) {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  if (phase != phase_) {
    if (!phase_.empty())
      times_.emplace_back(phase_, std::chrono::duration<double>(now - phase_start_).count());
    phase_ = phase;
    phase_start_ = now;
    last_draw_ = {};
  }
  if (!show_ || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  if (total > 0) {
    double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    int filled = static_cast<int>(f * kWidth);
    fmt::print(stderr, "\r{:<6} [{}{}] {:5.1f}%  {:.1f}/{:.1f} MB ", phase,
               std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(kWidth - filled), ' '), 100 * f,
               static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
  } else {
    fmt::print(stderr, "\r{:<6} ...{:60}", phase, "");
  }
  std::fflush(stderr);
  drawn_ = true;
}

std::string Progress::summary() {
  std::lock_guard lock(mu_);
  clear_line();
  if (!phase_.empty()) {
    times_.emplace_back(phase_, std::chrono::duration<double>(Clock::now() - phase_start_).count());
    phase_.clear();
  }
  std::string out;
  double total = 0;
  for (const auto& [p, s] : times_) {
    out += fmt::format("{}{} {:.3f} s", out.empty() ? "" : ", ", p, s);
    total += s;
  }
  times_.clear();
  return fmt::format("{} (total {:.3f} s)", out, total);
}

}  // namespace paraderm::cli
