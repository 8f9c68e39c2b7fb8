// `paraderm pk`: the concentration-time curve of a drug at a dose, from a published PK model.
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_pk_command(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
