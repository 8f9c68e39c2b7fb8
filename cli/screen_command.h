// `paraderm screen`: cohort screening of a FHIR Bulk Data export (docs/scale.md).
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_screen_command(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
