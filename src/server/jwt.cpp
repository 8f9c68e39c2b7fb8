#include "server/jwt.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace paraderm::server::jwt {
namespace {

using Json = nlohmann::json;

// Not clinical: the clock skew CDS Hooks implementations allow between client and service, and
// the size of P-384 coordinates (RFC 7518 §3.4: R and S are 48 octets each for ES384).
constexpr std::int64_t kIatSkewSeconds = 300;
constexpr std::size_t kP384Bytes = 48;

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A public key of `type` ("EC", "RSA") from the parameters pushed on `bld` (freed here); null
// when OpenSSL refuses them.
EVP_PKEY* public_key_from(OSSL_PARAM_BLD* bld, const char* type) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok = ctx && params && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return ok ? pkey : nullptr;
}

// JWK -> EVP_PKEY through OSSL_PARAM_BLD / EVP_PKEY_fromdata (OpenSSL 3; no deprecated EC_KEY/RSA).
Result<Pkey> ec_p384_key(const std::string& x, const std::string& y) {
  if (x.size() != kP384Bytes || y.size() != kP384Bytes) {
    return Status::invalid_input("EC key: x and y must be 48 octets each (P-384)");
  }
  std::string point = "\x04" + x + y;  // SEC 1 uncompressed point
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  EVP_PKEY* pkey = public_key_from(bld, "EC");
  if (!pkey) return Status::invalid_input("EC key: not a point of P-384");
  Pkey key(pkey);
  // EVP_PKEY_fromdata does not check that the point lies on the curve.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr);
  bool on_curve = check && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!on_curve) return Status::invalid_input("EC key: not a point of P-384");
  return key;
}

Result<Pkey> rsa_key(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  EVP_PKEY* pkey = public_key_from(bld, "RSA");
  const bool ok = pkey != nullptr;
  BN_free(bn_n);
  BN_free(bn_e);
  if (!ok) return Status::invalid_input("RSA key: n and e do not form a key");
  // Not clinical: 2048 bits is the smallest RSA modulus still accepted for signatures (NIST SP
  // 800-131A).
  if (EVP_PKEY_get_bits(pkey) < 2048) {
    EVP_PKEY_free(pkey);
    return Status::invalid_input("RSA key: modulus shorter than 2048 bits");
  }
  return Pkey(pkey);
}

// ES384 signatures are R || S (RFC 7518 §3.4); OpenSSL verifies the DER form.
std::optional<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 2 * kP384Bytes) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), kP384Bytes, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + kP384Bytes, kP384Bytes,
                        nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool verify_signature(EVP_PKEY* key, std::string_view signed_part, std::string_view signature) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool ok =
      md && EVP_DigestVerifyInit(md, nullptr, EVP_sha384(), nullptr, key) == 1 &&
      EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // one character left over: not a valid length
  return out;
}

std::string base64url_encode(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

struct Verifier::Key {
  std::string kty;  // EC | RSA
  std::string alg;  // from the JWK, "" when it does not say
  Pkey pkey;
};

Verifier::Verifier() = default;
Verifier::~Verifier() = default;

Result<std::unique_ptr<Verifier>> Verifier::create(
    const std::vector<std::pair<std::string, std::string>>& issuers) {
  std::vector<std::pair<std::string, std::string>> sets;
  for (const auto& [iss, file] : issuers) {
    std::ifstream in(file);
    if (!in) return Status::invalid_input(fmt::format("--cds-jwks {}: cannot read {}", iss, file));
    std::stringstream ss;
    ss << in.rdbuf();
    sets.emplace_back(iss, ss.str());
  }
  auto v = from_sets(sets);
  if (!v.is_ok()) return Status::invalid_input("--cds-jwks " + v.status().message());
  return v;
}

Result<std::unique_ptr<Verifier>> Verifier::from_sets(
    const std::vector<std::pair<std::string, std::string>>& sets) {
  std::unique_ptr<Verifier> v(new Verifier());
  for (const auto& [iss, text] : sets) {
    if (iss.empty())
      return Status::invalid_input("issuer: expected a non-empty iss value (ISSUER=FILE)");
    Json set = Json::parse(text, nullptr, false);
    if (set.is_discarded() || !set.is_object() || !set.contains("keys") ||
        !set["keys"].is_array()) {
      return Status::invalid_input(fmt::format("{}: expected a JWK Set {{\"keys\": [...]}}", iss));
    }
    auto& keys = v->keys_[iss];
    for (std::size_t i = 0; i < set["keys"].size(); ++i) {
      const Json& k = set["keys"][i];
      std::string where = fmt::format("{}: keys[{}]", iss, i);
      if (!k.is_object()) return Status::invalid_input(where + ": expected a JWK object");
      auto key = std::make_shared<Key>();
      key->kty = str(k, "kty");
      key->alg = str(k, "alg");
      std::string kid = str(k, "kid");
      if (kid.empty())
        return Status::invalid_input(where + ".kid: missing (tokens name their key by kid)");
      if (str(k, "use") == "enc") continue;  // an encryption key is not for signatures
      auto field = [&](const char* name) -> Result<std::string> {
        auto d = base64url_decode(str(k, name));
        if (!d || d->empty())
          return Status::invalid_input(fmt::format("{}.{}: expected base64url", where, name));
        return *d;
      };
      if (key->kty == "EC") {
        if (str(k, "crv") != "P-384") {
          return Status::invalid_input(
              fmt::format("{}.crv: \"{}\": expected P-384 (ES384)", where, str(k, "crv")));
        }
        auto x = field("x"), y = field("y");
        if (!x.is_ok()) return x.status();
        if (!y.is_ok()) return y.status();
        auto p = ec_p384_key(x.value(), y.value());
        if (!p.is_ok()) return Status::invalid_input(where + ": " + p.status().message());
        key->pkey = std::move(p.value());
      } else if (key->kty == "RSA") {
        auto n = field("n"), e = field("e");
        if (!n.is_ok()) return n.status();
        if (!e.is_ok()) return e.status();
        auto p = rsa_key(n.value(), e.value());
        if (!p.is_ok()) return Status::invalid_input(where + ": " + p.status().message());
        key->pkey = std::move(p.value());
      } else {
        return Status::invalid_input(
            fmt::format("{}.kty: \"{}\": expected EC (P-384) or RSA; shared secrets "
                        "(oct) are not accepted",
                        where, key->kty));
      }
      keys[kid] = std::move(key);
    }
    if (keys.empty())
      return Status::invalid_input(fmt::format("{}: no signature key in the set", iss));
  }
  return v;
}

std::optional<Failure> Verifier::verify(std::string_view authorization,
                                        const std::vector<std::string>& audiences,
                                        std::int64_t now) {
  auto fail = [](std::string_view code, std::string message) {
    return std::optional<Failure>(Failure{code, std::move(message)});
  };
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) return fail("JWT_MISSING", "Authorization: expected \"Bearer <JWT>\"");
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      })) {
    return fail("JWT_MISSING", "Authorization: expected the Bearer scheme");
  }
  std::string_view token = authorization.substr(kBearer.size());
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail("JWT_MALFORMED",
                "token: expected three base64url parts (JWS compact serialisation)");
  }
  auto header_text = base64url_decode(token.substr(0, dot1));
  auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature)
    return fail("JWT_MALFORMED", "token: a part is not base64url");
  Json header = Json::parse(*header_text, nullptr, false);
  Json payload = Json::parse(*payload_text, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return fail("JWT_MALFORMED", "header: expected a JSON object");
  if (payload.is_discarded() || !payload.is_object())
    return fail("JWT_MALFORMED", "payload: expected a JSON object");

  std::string alg = str(header, "alg");
  if (alg != "ES384" && alg != "RS384") {
    // none and HS* in particular: an unsigned token, or one signed with a secret both sides hold.
    return fail("JWT_ALG_NOT_ALLOWED",
                "header.alg: expected ES384 or RS384 (none and HMAC are refused)");
  }
  if (header.contains("typ") && str(header, "typ") != "JWT")
    return fail("JWT_MALFORMED", "header.typ: expected JWT");
  std::string iss = str(payload, "iss");
  auto issuer = keys_.find(iss);
  if (issuer == keys_.end())
    return fail("JWT_ISSUER_UNKNOWN", "payload.iss: not an allow-listed issuer (--cds-jwks)");
  std::string kid = str(header, "kid");
  auto key = issuer->second.find(kid);
  if (key == issuer->second.end())
    return fail("JWT_KID_UNKNOWN", "header.kid: not a key of the issuer's JWK Set");
  const Key& k = *key->second;
  if ((alg == "ES384") != (k.kty == "EC") || (!k.alg.empty() && k.alg != alg)) {
    return fail("JWT_ALG_NOT_ALLOWED", "header.alg: does not fit the key named by kid");
  }
  std::string_view signed_part = token.substr(0, dot2);
  bool valid = false;
  if (alg == "ES384") {
    auto der = ecdsa_der(*signature);
    valid = der && verify_signature(k.pkey.get(), signed_part, *der);
  } else {
    valid = verify_signature(k.pkey.get(), signed_part, *signature);
  }
  if (!valid)
    return fail("JWT_BAD_SIGNATURE", "signature: does not verify with the key named by kid");

  auto integer = [&](const char* name) -> std::optional<std::int64_t> {
    auto it = payload.find(name);
    if (it == payload.end() || !it->is_number()) return std::nullopt;
    // A NumericDate beyond the int64 range (the long fuzz run's "exp": 180000e300) is no date,
    // and converting it would be undefined behaviour.
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < -9.2e18 || v > 9.2e18) return std::nullopt;
    return static_cast<std::int64_t>(v);
  };
  auto exp = integer("exp");
  if (!exp) return fail("JWT_EXP_MISSING", "payload.exp: expected a NumericDate");
  if (*exp <= now) return fail("JWT_EXPIRED", "payload.exp: the token has expired");
  auto iat = integer("iat");
  if (!iat) return fail("JWT_IAT_SKEW", "payload.iat: expected a NumericDate");
  if (*iat > now + kIatSkewSeconds || *iat < now - kIatSkewSeconds) {
    return fail("JWT_IAT_SKEW", "payload.iat: more than 5 minutes from the server's clock");
  }
  bool aud_ok = false;
  auto aud_matches = [&](const Json& a) {
    if (!a.is_string()) return false;
    std::string v = a.get<std::string>();
    while (!v.empty() && v.back() == '/') v.pop_back();
    for (auto want : audiences) {
      while (!want.empty() && want.back() == '/') want.pop_back();
      if (v == want) return true;
    }
    return false;
  };
  if (auto it = payload.find("aud"); it != payload.end()) {
    if (it->is_array()) {
      for (const auto& a : *it) aud_ok = aud_ok || aud_matches(a);
    } else {
      aud_ok = aud_matches(*it);
    }
  }
  if (!aud_ok) return fail("JWT_AUD_MISMATCH", "payload.aud: not the URL called");
  std::string jti = str(payload, "jti");
  if (jti.empty()) return fail("JWT_JTI_MISSING", "payload.jti: expected a unique token id");

  std::lock_guard<std::mutex> lock(replay_mu_);
  if (now >= next_purge_) {
    for (auto it = seen_.begin(); it != seen_.end();)
      it = it->second <= now ? seen_.erase(it) : std::next(it);
    next_purge_ = now + 60;
  }
  auto [it, inserted] = seen_.emplace(iss + '\n' + jti, *exp);
  if (!inserted) {
    if (it->second > now) return fail("JWT_REPLAYED", "payload.jti: this token was already used");
    it->second = *exp;
  }
  return std::nullopt;
}

std::size_t Verifier::replay_cache_size() const {
  std::lock_guard<std::mutex> lock(replay_mu_);
  return seen_.size();
}

}  // namespace paraderm::server::jwt
