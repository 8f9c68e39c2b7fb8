#include "user_commands.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "common.h"
#include "paraderm/auth.h"
#include "paraderm/store.h"

namespace paraderm::cli {
namespace {

// Whoever runs the command on the server's machine acts as the operator; the audit trail says so.
const store::Actor kOperator{std::nullopt, "(command line)"};

// The password from stdin: typed without echo (and twice) at a terminal, else exactly one line,
// so `printf '%s\n' "$PW" | paraderm user add ...` works in scripts.
std::optional<std::string> read_password(const std::string& user) {
  std::string line;
  if (!::isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  termios saved{};
  tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string again;
  fmt::print(stderr, "Password for {}: ", user);
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  fmt::print(stderr, "\nRepeat it: ");
  ok = ok && static_cast<bool>(std::getline(std::cin, again));
  fmt::print(stderr, "\n");
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (!ok) return std::nullopt;
  if (line != again) {
    fmt::print(stderr, "the two passwords differ\n");
    return std::nullopt;
  }
  return line;
}

// The store, or nullptr after printing why. Only `user add` may create a database.
std::unique_ptr<store::Store> open_store(const std::string& db, bool create) {
  if (!create && !std::filesystem::exists(db)) {
    fmt::print(stderr, "--db {}: no such database\n", db);
    return nullptr;
  }
  auto s = store::Store::open(db);
  if (!s.is_ok()) {
    fmt::print(stderr, "{}\n", s.status().message());
    return nullptr;
  }
  return std::move(s.value());
}

// Records an operator action; a change that is made but not in the audit trail is a failure the
// operator must see (exit 1), since the trail is what shows who changed an account.
bool audited(store::Store& s, const std::string& action, const std::string& detail,
             int& exit_code) {
  auto r = s.record_event(kOperator, action, detail, "");
  if (r.is_ok()) return true;
  fmt::print(stderr, "the change was made but its audit event ({}) could not be stored: {}\n",
             action, r.status().message());
  exit_code = kExitFailed;
  return false;
}

// A store write that failed: print why (the callers return with their exit code).
template <class T>
bool stored(const Result<T>& r, int& exit_code) {
  if (r.is_ok()) return true;
  fmt::print(stderr, "{}\n", r.status().message());
  exit_code = kExitFailed;
  return false;
}

std::optional<std::string> new_password_hash(const std::string& user) {
  auto password = read_password(user);
  if (!password) {
    fmt::print(stderr, "no password read from stdin\n");
    return std::nullopt;
  }
  if (auto problem = auth::password_problem(*password); !problem.empty()) {
    fmt::print(stderr, "{}\n", problem);
    return std::nullopt;
  }
  auto hash = auth::hash_password(*password);
  if (!hash.is_ok()) {
    fmt::print(stderr, "{}\n", hash.status().message());
    return std::nullopt;
  }
  return hash.value();
}

bool valid_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  return ok;
}

}  // namespace

void add_user_commands(CLI::App& app, int& exit_code) {
  auto* user = app.add_subcommand(
      "user", "Accounts of `paraderm serve`: add, list, disable, enable, passwd, role");
  user->require_subcommand(1);
  static std::string db = "paraderm.db", name, role;

  auto* add = user->add_subcommand(
      "add", "Add a user; the password is read from stdin (no echo at a terminal)");
  add->add_option("name", name, "User name (letters, digits, . _ -)")->required();
  add->add_option("--role", role, "clinician | pharmacist | admin")
      ->required()
      ->check(CLI::IsMember({"clinician", "pharmacist", "admin"}));
  add->add_option("--db", db, "The server's SQLite database (created if missing)")
      ->capture_default_str();
  add->callback([&] {
    exit_code = kExitBadInput;
    if (!valid_name(name)) {
      fmt::print(stderr, "user name \"{}\": expected 1 to 64 letters, digits, '.', '_' or '-'\n",
                 name);
      return;
    }
    auto s = open_store(db, true);
    if (!s) return;
    if (s->find_user(name)) {
      fmt::print(stderr, "user \"{}\": exists already (paraderm user passwd / role to change it)\n",
                 name);
      return;
    }
    auto hash = new_password_hash(name);
    if (!hash) return;
    if (!s->add_user(name, role, *hash).is_ok()) {
      fmt::print(stderr, "user \"{}\": could not be stored\n", name);
      return;
    }
    fmt::print("added user {} ({})\n", name, role);
    exit_code = kExitOk;
    audited(*s, "user_add", name + " " + role, exit_code);
  });

  auto* list = user->add_subcommand("list", "List users: name, role, status, created");
  list->add_option("--db", db, "The server's SQLite database")->capture_default_str();
  list->callback([&] {
    auto s = open_store(db, false);
    if (!s) {
      exit_code = kExitBadInput;
      return;
    }
    fmt::print("{:<24} {:<11} {:<9} {}\n", "NAME", "ROLE", "STATUS", "CREATED");
    for (const auto& u : s->list_users()) {
      fmt::print("{:<24} {:<11} {:<9} {}\n", u.name, u.role, u.disabled ? "disabled" : "active",
                 u.created_at);
    }
    exit_code = kExitOk;
  });

  // disable / enable / passwd / role: one user, by name.
  auto change = [&](const char* verb, const char* help) {
    auto* c = user->add_subcommand(verb, help);
    c->add_option("name", name, "User name")->required();
    c->add_option("--db", db, "The server's SQLite database")->capture_default_str();
    return c;
  };
  auto existing = [&](store::Store& s) {
    if (s.find_user(name)) return true;
    fmt::print(stderr, "user \"{}\": not found\n", name);
    return false;
  };
  for (bool disable : {true, false}) {
    auto* c =
        change(disable ? "disable" : "enable",
               disable ? "Disable a user: their sessions end and their API tokens stop working"
                       : "Enable a disabled user again");
    c->callback([&, disable] {
      exit_code = kExitBadInput;
      auto s = open_store(db, false);
      if (!s || !existing(*s)) return;
      if (!stored(s->set_user_disabled(name, disable), exit_code)) return;
      fmt::print("{} {}\n", disable ? "disabled" : "enabled", name);
      exit_code = kExitOk;
      audited(*s, disable ? "user_disable" : "user_enable", name, exit_code);
    });
  }
  auto* passwd = change("passwd", "Set a user's password (read from stdin); their sessions end");
  passwd->callback([&] {
    exit_code = kExitBadInput;
    auto s = open_store(db, false);
    if (!s || !existing(*s)) return;
    auto hash = new_password_hash(name);
    if (!hash || !stored(s->set_user_password(name, *hash), exit_code)) return;
    fmt::print("password of {} changed\n", name);
    exit_code = kExitOk;
    audited(*s, "user_password", name, exit_code);
  });
  auto* set_role = change("role", "Change a user's role");
  set_role->add_option("--role", role, "clinician | pharmacist | admin")
      ->required()
      ->check(CLI::IsMember({"clinician", "pharmacist", "admin"}));
  set_role->callback([&] {
    exit_code = kExitBadInput;
    auto s = open_store(db, false);
    if (!s || !existing(*s)) return;
    if (!stored(s->set_user_role(name, role), exit_code)) return;
    fmt::print("{} is now {}\n", name, role);
    exit_code = kExitOk;
    audited(*s, "user_role", name + " " + role, exit_code);
  });

  auto* token =
      app.add_subcommand("token", "API tokens for machine clients (Authorization: Bearer TOKEN)");
  token->require_subcommand(1);
  static std::string label;
  static std::int64_t token_id = 0;
  auto* create = token->add_subcommand(
      "create", "Create a token for a user; printed once on stdout, stored hashed");
  create->add_option("--user", name, "The user the token acts as")->required();
  create->add_option("--label", label, "What the token is for (shown by token list)");
  create->add_option("--db", db, "The server's SQLite database")->capture_default_str();
  create->callback([&] {
    exit_code = kExitBadInput;
    auto s = open_store(db, false);
    if (!s) return;
    auto u = s->find_user(name);
    if (!u) {
      fmt::print(stderr, "user \"{}\": not found\n", name);
      return;
    }
    if (label.size() > 200) {
      fmt::print(stderr, "--label: expected at most 200 characters\n");
      return;
    }
    std::string secret = auth::random_secret("pdt_");
    auto id = s->add_token(u->id, auth::secret_hash(secret), label);
    if (!id.is_ok()) {
      fmt::print(stderr, "{}\n", id.status().message());
      return;
    }
    if (!audited(*s, "token_create", fmt::format("token {} for {}", id.value(), name), exit_code)) {
      // An unaudited credential must not exist: revoke it before anyone sees it.
      (void)s->revoke_token(id.value());
      return;
    }
    fmt::print(stderr, "token {} for {} ({}); it is shown only now, keep it secret:\n", id.value(),
               name, u->role);
    fmt::print("{}\n", secret);
    if (u->disabled)
      fmt::print(stderr, "warning: {} is disabled: the token works only once they are enabled\n",
                 name);
    exit_code = kExitOk;
  });
  auto* tokens = token->add_subcommand("list", "List tokens: id, user, label, created, revoked");
  tokens->add_option("--db", db, "The server's SQLite database")->capture_default_str();
  tokens->callback([&] {
    auto s = open_store(db, false);
    if (!s) {
      exit_code = kExitBadInput;
      return;
    }
    fmt::print("{:<6} {:<24} {:<21} {:<21} {}\n", "ID", "USER", "CREATED", "REVOKED", "LABEL");
    for (const auto& t : s->list_tokens()) {
      fmt::print("{:<6} {:<24} {:<21} {:<21} {}\n", t.id, t.username, t.created_at,
                 t.revoked_at.value_or("-"), t.label);
    }
    exit_code = kExitOk;
  });
  auto* revoke =
      token->add_subcommand("revoke", "Revoke a token by its id (token list); effective at once");
  revoke->add_option("id", token_id, "Token id")->required();
  revoke->add_option("--db", db, "The server's SQLite database")->capture_default_str();
  revoke->callback([&] {
    exit_code = kExitBadInput;
    auto s = open_store(db, false);
    if (!s) return;
    auto n = s->revoke_token(token_id);
    if (!n.is_ok()) {
      fmt::print(stderr, "{}\n", n.status().message());
      exit_code = kExitFailed;
      return;
    }
    if (n.value() == 0) {
      fmt::print(stderr, "token {}: not found or already revoked\n", token_id);
      return;
    }
    fmt::print("revoked token {}\n", token_id);
    exit_code = kExitOk;
    audited(*s, "token_revoke", fmt::format("token {}", token_id), exit_code);
  });
}

}  // namespace paraderm::cli
