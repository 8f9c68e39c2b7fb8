// paraderm command-line interface.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "common.h"

#include "assess_command.h"
#include "kb_commands.h"
#include "pathways_command.h"
#include "pk_command.h"
#include "pv_command.h"
#include "screen_command.h"
#include "serve_command.h"
#include "user_commands.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{
      "paraderm: decision support for paradoxical reactions to biologics and the safe choice of "
      "JAK/TYK2 inhibitors"};
  app.set_version_flag("--version", std::string("paraderm ") + PARADERM_VERSION);
  app.require_subcommand(1);
  std::string kb_dir;
  app.add_option("--kb", kb_dir,
                 "Load the knowledge base from this folder instead of the embedded one")
      ->check(CLI::ExistingDirectory);
  int exit_code = 0;
  paraderm::cli::add_kb_commands(app, kb_dir, exit_code);
  paraderm::cli::add_pk_command(app, kb_dir, exit_code);
  paraderm::cli::add_pathways_command(app, kb_dir, exit_code);
  paraderm::cli::add_assess_command(app, kb_dir, exit_code);
  paraderm::cli::add_serve_command(app, kb_dir, exit_code);
  paraderm::cli::add_user_commands(app, exit_code);
  paraderm::cli::add_pv_commands(app, kb_dir, exit_code);
  paraderm::cli::add_screen_command(app, kb_dir, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // bad command-line input
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // Commands report their own errors; an exception that still escapes is a bug, reported without
  // the input (which may hold patient data) and with the failure exit code.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "paraderm: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "paraderm: internal error\n");
  }
  return paraderm::cli::kExitFailed;
}
