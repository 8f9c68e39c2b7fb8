// Credentials for tests that talk to a server with authentication on: an account and an API
// token written into the database before the server opens it (the server then also skips its
// first-start admin).
#pragma once

#include <stdexcept>
#include <string>

#include "paraderm/auth.h"
#include "paraderm/store.h"

namespace paraderm::testing {

// Adds `name` with `role` to the database at `db` (created if missing) and returns a new API
// token of theirs. Without a password the account cannot log in, which saves the argon2id work.
inline std::string seed_account(const std::string& db, const std::string& name,
                                const std::string& role, const std::string& password = "") {
  auto s = store::Store::open(db);
  if (!s.is_ok()) throw std::runtime_error(s.status().message());
  std::string hash = "!no password";
  if (!password.empty()) hash = auth::hash_password(password).value();
  auto id = s.value()->add_user(name, role, hash);
  if (!id.is_ok()) throw std::runtime_error(id.status().message());
  std::string token = auth::random_secret("pdt_");
  if (!s.value()->add_token(id.value(), auth::secret_hash(token), "test").is_ok()) {
    throw std::runtime_error("token not stored");
  }
  return token;
}

}  // namespace paraderm::testing
