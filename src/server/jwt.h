// Bearer JWT verification for the CDS Hooks routes (CDS Hooks 2.0 §Trusting CDS Clients):
// the client signs a short-lived token per call with its private key; the service checks it
// against the public keys (JWK Sets) of an allow-list of issuers.
//
// Contract:
//  * Only asymmetric signatures: ES384 (EC P-384) and RS384 (RSA PKCS#1 v1.5, SHA-384), verified
//    with OpenSSL's EVP API. `alg: none` and every HMAC algorithm are refused, as is any other.
//  * `iss` must be an allow-listed issuer, `kid` a key of that issuer's set (the key's type must
//    fit `alg`), `aud` the URL called (a string or an array holding it), `exp` present and in the
//    future, `iat` present and within 5 minutes of the server's clock, `jti` present and not seen
//    before while its token is valid (replay cache, entries dropped when their token expires).
//  * A failure names a stable reason code (docs/cds-hooks.md) and a message that never contains
//    the token or any claim value a client could use to forge a log line.
//  * Thread-safe: keys are immutable after load; the replay cache has its own lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "paraderm/status.h"

namespace paraderm::server::jwt {

struct Failure {
  std::string_view code;  // JWT_* (a static literal)
  std::string message;
};

// base64url without padding (RFC 7515 §2); nullopt on a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view in);
std::string base64url_encode(std::string_view in);

class Verifier {
 public:
  // `issuers`: issuer (the exact `iss` string) -> JWK Set file. Fails on an unreadable file, a set
  // without usable keys, or a symmetric key (kty "oct": a shared secret has no place here).
  static Result<std::unique_ptr<Verifier>> create(
      const std::vector<std::pair<std::string, std::string>>& issuers);
  // The same from JWK Set texts (tests).
  static Result<std::unique_ptr<Verifier>> from_sets(
      const std::vector<std::pair<std::string, std::string>>& sets);
  ~Verifier();

  // `authorization`: the Authorization header value ("Bearer <JWT>"); `audiences`: the URLs this
  // call may be addressed to (the first is the URL called). `now`: seconds since the epoch.
  std::optional<Failure> verify(std::string_view authorization,
                                const std::vector<std::string>& audiences, std::int64_t now);

  std::size_t replay_cache_size() const;

 private:
  Verifier();
  struct Key;
  // issuer -> kid -> key
  std::map<std::string, std::map<std::string, std::shared_ptr<Key>>> keys_;
  mutable std::mutex replay_mu_;
  std::unordered_map<std::string, std::int64_t> seen_;  // iss + '\n' + jti -> exp
  std::int64_t next_purge_ = 0;
};

}  // namespace paraderm::server::jwt
