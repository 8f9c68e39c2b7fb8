// `paraderm serve`: the HTTP API and web page.
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_serve_command(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
