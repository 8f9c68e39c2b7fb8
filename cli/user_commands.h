// `paraderm user add|list|disable|enable|passwd|role` and `paraderm token create|list|revoke`:
// the accounts of `paraderm serve`, managed on the server's database (docs/server.md).
#pragma once

#include <CLI/CLI.hpp>

namespace paraderm::cli {

void add_user_commands(CLI::App& app, int& exit_code);

}  // namespace paraderm::cli
