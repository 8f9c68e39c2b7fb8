// `paraderm kb ...`: validate, list, show and export the knowledge base.
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

// Registers the `kb` subcommand tree on `app`. `kb_dir` is the global --kb option's value
// (empty: the KB embedded in the binary). The handlers set `exit_code`.
void add_kb_commands(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
