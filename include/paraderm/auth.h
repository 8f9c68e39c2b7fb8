// Accounts: roles, password hashes and the random secrets behind API tokens and sessions
// (libsodium). Shared by `paraderm serve` (src/server) and the `user` / `token` commands.
//
// Contract:
//  * Passwords are stored as argon2id strings (crypto_pwhash_str, interactive limits); the
//    parameters live in the string, so raising them later keeps old hashes verifiable.
//  * API tokens and session ids are 32 random bytes; only their SHA-256 is stored, so a copy of
//    the database lets no one in.
//  * Secrets are compared in constant time (sodium_memcmp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "paraderm/status.h"

namespace paraderm::auth {

// Bit flags so a route can name the set of roles it admits (src/server/access.h).
enum class Role : unsigned { kClinician = 1, kPharmacist = 2, kAdmin = 4 };

std::optional<Role> parse_role(std::string_view name);
const char* to_string(Role role);

// Must succeed before anything below is used (idempotent, thread-safe).
Status init();

inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 1024;
// Empty when acceptable, else why not (one sentence, never echoing the password).
std::string password_problem(std::string_view password);

// argon2id with libsodium's interactive limits (about 64 MiB and a few tens of ms per call).
Result<std::string> hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

// A fresh secret: prefix + base64url of 32 random bytes (API tokens "pdt_", sessions "pds_").
std::string random_secret(std::string_view prefix);
// A password for the first-start admin: 24 characters of base64url (144 random bits).
std::string random_password();
// Lower-case hex SHA-256: how tokens and session ids are stored and looked up.
std::string secret_hash(std::string_view secret);
// The CSRF token bound to a session id (BLAKE2b keyed for this purpose): derivable only by
// whoever holds the session cookie, so nothing extra is stored.
std::string csrf_token(std::string_view session_id);
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace paraderm::auth
