// CDS Hooks test helpers: keys generated with OpenSSL at test time (no private key is committed),
// their public JWK Sets, signed JWTs, and a paraderm server started on a loopback port.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../test_support.h"
#include "auth_support.h"
#include "paraderm/server.h"
#include "server/jwt.h"

namespace paraderm::testing::cds {

using Json = nlohmann::json;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline std::string bn_bytes(EVP_PKEY* key, const char* param, std::size_t pad = 0) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, param, &bn);
  std::size_t n = std::max<std::size_t>(pad, static_cast<std::size_t>(BN_num_bytes(bn)));
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  BN_free(bn);
  return out;
}

// A client's signing key: EC P-384 (ES384) or RSA 2048 (RS384).
struct SigningKey {
  std::string alg, kid;
  Pkey pkey;

  static SigningKey ec(const std::string& kid) { return {"ES384", kid, Pkey(EVP_EC_gen("P-384"))}; }
  static SigningKey rsa(const std::string& kid) { return {"RS384", kid, Pkey(EVP_RSA_gen(2048))}; }

  Json jwk() const {
    using server::jwt::base64url_encode;
    if (alg == "ES384") {
      return {{"kty", "EC"},
              {"crv", "P-384"},
              {"kid", kid},
              {"alg", alg},
              {"use", "sig"},
              {"x", base64url_encode(bn_bytes(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 48))},
              {"y", base64url_encode(bn_bytes(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 48))}};
    }
    return {{"kty", "RSA"},
            {"kid", kid},
            {"alg", alg},
            {"use", "sig"},
            {"n", base64url_encode(bn_bytes(pkey.get(), OSSL_PKEY_PARAM_RSA_N))},
            {"e", base64url_encode(bn_bytes(pkey.get(), OSSL_PKEY_PARAM_RSA_E))}};
  }

  std::string sign(std::string_view input) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    std::size_t len = 0;
    EVP_DigestSignInit(md, nullptr, EVP_sha384(), nullptr, pkey.get());
    EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
    EVP_MD_CTX_free(md);
    if (alg != "ES384") return sig;
    // DER -> R || S (RFC 7518 §3.4).
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(96, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 48);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 48, 48);
    ECDSA_SIG_free(es);
    return raw;
  }
};

inline std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string new_jti() {
  static std::atomic<int> n{0};
  unsigned char b[8];
  RAND_bytes(b, sizeof b);
  return fmt::format("jti-{}-{:02x}{:02x}{:02x}{:02x}", n++, b[0], b[1], b[2], b[3]);
}

inline std::string make_jwt(const Json& header, const Json& payload, const SigningKey* key) {
  using server::jwt::base64url_encode;
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  return input + "." + (key ? base64url_encode(key->sign(input)) : "");
}

// The claims a CDS client sends (CDS Hooks 2.0): iss, aud, exp, iat, jti.
inline Json claims(const std::string& iss, const std::string& aud) {
  std::int64_t now = now_s();
  return {{"iss", iss}, {"aud", aud}, {"exp", now + 300}, {"iat", now}, {"jti", new_jti()}};
}

inline std::string token(const SigningKey& key, const std::string& iss, const std::string& aud) {
  return make_jwt({{"alg", key.alg}, {"typ", "JWT"}, {"kid", key.kid}}, claims(iss, aud), &key);
}

inline std::string hs256(const std::string& secret, const Json& header, const Json& payload) {
  using server::jwt::base64url_encode;
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

// A paraderm server on a free loopback port with the given CDS options.
class LiveServer {
 public:
  explicit LiveServer(server::ServerOptions o) {
    db_ = std::filesystem::temp_directory_path() /
          fmt::format("paraderm_cds_{}_{}.db", ::getpid(), counter()++);
    std::filesystem::remove(db_);
    o.port = 0;
    o.db = db_.string();
    o.access_log = false;
    // A pharmacist for the session-protected routes (the CDS routes themselves take JWTs only).
    token = paraderm::testing::seed_account(db_.string(), "reviewer", "pharmacist");
    auto s = server::Server::create(paraderm::testing::shipped_kb(), o);
    if (!s.is_ok()) {
      error = s.status().message();
      return;
    }
    server_ = std::move(s.value());
    auto p = server_->bind();
    port = p.value();
    thread_ = std::thread([this] { server_->listen(); });
  }
  ~LiveServer() {
    if (server_) {
      server_->stop();
      thread_.join();
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_.string() + suffix);
  }
  std::string url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", port, path);
  }
  httplib::Client client() const { return httplib::Client("127.0.0.1", port); }
  httplib::Client api_client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_bearer_token_auth(token);
    return c;
  }

  int port = 0;
  std::string token;
  std::string error;

 private:
  static std::atomic<int>& counter() {
    static std::atomic<int> c{0};
    return c;
  }
  std::filesystem::path db_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
};

inline std::string write_temp(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / fmt::format("paraderm_{}_{}", ::getpid(), name);
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace paraderm::testing::cds
