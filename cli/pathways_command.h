// `paraderm pathways`: steady-state JAK-pathway inhibition of a drug at its approved doses.
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_pathways_command(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
