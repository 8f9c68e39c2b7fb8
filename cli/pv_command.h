// `paraderm pv`: disproportionality signals from report-level data.
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_pv_commands(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
