// `paraderm assess`: one patient record (native case JSON or FHIR Bundle) → the assessment.
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_assess_command(CLI::App& app, const std::string& kb_dir, int& exit_code);

}  // namespace paraderm::cli
