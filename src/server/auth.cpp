#include "paraderm/auth.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <mutex>

namespace paraderm::auth {

std::optional<Role> parse_role(std::string_view name) {
  if (name == "clinician") return Role::kClinician;
  if (name == "pharmacist") return Role::kPharmacist;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

const char* to_string(Role role) {
  switch (role) {
    case Role::kClinician:
      return "clinician";
    case Role::kPharmacist:
      return "pharmacist";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

Status init() {
  static const int rc = sodium_init();
  return rc < 0 ? Status::io_error("libsodium could not be initialised") : Status::ok();
}

std::string password_problem(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return fmt::format("password: expected at least {} characters", kMinPasswordLength);
  }
  if (password.size() > kMaxPasswordLength) {
    return fmt::format("password: expected at most {} characters", kMaxPasswordLength);
  }
  return "";
}

Result<std::string> hash_password(std::string_view password) {
  if (Status st = init(); !st.is_ok()) return st;
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::io_error("password hashing ran out of memory");
  }
  return std::string(out.data());
}

bool verify_password(const std::string& hash, std::string_view password) {
  if (!init().is_ok()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

}  // namespace

std::string random_secret(std::string_view prefix) {
  (void)init();
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return std::string(prefix) + base64url(bytes.data(), bytes.size());
}

std::string random_password() {
  (void)init();
  std::array<unsigned char, 18> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return base64url(bytes.data(), bytes.size());
}

std::string secret_hash(std::string_view secret) {
  (void)init();
  std::array<unsigned char, crypto_hash_sha256_BYTES> md{};
  crypto_hash_sha256(md.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  std::string hex(md.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), md.data(), md.size());
  hex.pop_back();
  return hex;
}

std::string csrf_token(std::string_view session_id) {
  (void)init();
  static constexpr std::string_view kDomain =
      "paraderm csrf v1";  // keeps it distinct from secret_hash
  std::array<unsigned char, 32> md{};
  crypto_generichash(md.data(), md.size(),
                     reinterpret_cast<const unsigned char*>(session_id.data()), session_id.size(),
                     reinterpret_cast<const unsigned char*>(kDomain.data()), kDomain.size());
  return base64url(md.data(), md.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The length of a token is public (fixed by its format); only the bytes must not leak.
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace paraderm::auth
