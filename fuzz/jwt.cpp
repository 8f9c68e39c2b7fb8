// The CDS Hooks Bearer JWT verifier (src/server/jwt.cpp). The first byte picks what the rest is:
//   0: the Authorization header value as a client sends it (scheme, base64url, the header and
//      payload JSON, alg/kid checks; a random signature never verifies, so the claim checks are
//      reached through mode 1);
//   1: "<header JSON>\f<payload JSON>", which the harness signs with its own ES384 key so the claim
//      checks (iss, aud, exp, iat, jti, replay) see fuzzed values;
//   2: a JWK Set text, as --cds-jwks files are read.
// A crash, UB, a hang or an escaping exception is a finding.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "server/jwt.h"

namespace {

using paraderm::server::jwt::base64url_encode;
using paraderm::server::jwt::Verifier;

constexpr std::int64_t kNow = 1'800'000'000;  // fixed: an input behaves the same on every run
constexpr const char* kIssuer = "https://ehr.example";
constexpr const char* kKid = "fuzz-ec";

std::string bn_bytes(EVP_PKEY* key, const char* param, std::size_t width) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, param, &bn);
  std::string out(width, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(width));
  BN_free(bn);
  return out;
}

EVP_PKEY* signing_key() {
  static EVP_PKEY* key = EVP_EC_gen("P-384");
  return key;
}

std::string jwks() {
  static const std::string set = [] {
    EVP_PKEY* k = signing_key();
    return R"({"keys":[{"kty":"EC","crv":"P-384","alg":"ES384","use":"sig","kid":")" +
           std::string(kKid) + R"(","x":")" +
           base64url_encode(bn_bytes(k, OSSL_PKEY_PARAM_EC_PUB_X, 48)) + R"(","y":")" +
           base64url_encode(bn_bytes(k, OSSL_PKEY_PARAM_EC_PUB_Y, 48)) + R"("}]})";
  }();
  return set;
}

// ES384 over `input`: DER from OpenSSL converted to R || S (RFC 7518 §3.4).
std::string sign(std::string_view input) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha384(), nullptr, signing_key());
  EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string der(len, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(der.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(md);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  std::string raw(96, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 48);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 48, 48);
  ECDSA_SIG_free(es);
  return raw;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in = paraderm::fuzz::as_view(data + 1, size - 1);
  const std::vector<std::string> audiences = {
      "https://cds.example/cds-services/paraderm-order-sign"};
  switch (data[0] % 3) {
    case 0: {
      static auto verifier = std::move(Verifier::from_sets({{kIssuer, jwks()}}).value());
      (void)verifier->verify(in, audiences, kNow);
      break;
    }
    case 1: {
      // A fresh verifier per input: the replay cache must not make runs depend on earlier inputs.
      auto verifier = std::move(Verifier::from_sets({{kIssuer, jwks()}}).value());
      auto cut = in.find('\f');
      std::string_view header = in.substr(0, cut);
      std::string_view payload = cut == std::string_view::npos ? "" : in.substr(cut + 1);
      std::string signing_input = base64url_encode(header) + "." + base64url_encode(payload);
      std::string token = "Bearer " + signing_input + "." + base64url_encode(sign(signing_input));
      (void)verifier->verify(token, audiences, kNow);
      (void)verifier->verify(token, audiences, kNow);  // the replay path
      break;
    }
    default: {
      auto v = Verifier::from_sets({{kIssuer, std::string(in)}});
      if (v.is_ok()) (void)v.value()->verify("Bearer x.y.z", audiences, kNow);
    }
  }
  return 0;
}
