// CDS Hooks client authentication (CDS Hooks 2.0 "Trusting CDS Clients"; reference notes
// standards-and-anchors.md §1.7): a Bearer JWT per call, ES384 or RS384, `alg: none` and HMAC
// refused, kid in the issuer's JWK Set, aud = the URL called, exp required, iat within the skew,
// jti not replayed. Keys are generated here with OpenSSL; no private key is committed.
#include <gtest/gtest.h>

#include "cds_test_support.h"

namespace paraderm::server {
namespace {

using namespace paraderm::testing::cds;

const std::string kIssuer = "https://ehr.example.org/";

struct Keys {
  SigningKey ec = SigningKey::ec("ec-1");
  SigningKey rsa = SigningKey::rsa("rsa-1");
  SigningKey stranger = SigningKey::ec("ec-1");  // same kid, not in the set
};

Keys& keys() {
  static Keys k;
  return k;
}

class CdsJwt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Json set = {{"keys", Json::array({keys().ec.jwk(), keys().rsa.jwk()})}};
    jwks_ = write_temp("jwks.json", set.dump());
    ServerOptions o;
    o.cds_jwks = {{kIssuer, jwks_}};
    server_ = new LiveServer(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove(jwks_);
  }

  // GET /cds-services with the Authorization header; the reason code of a 401, "" for 200.
  static std::pair<int, std::string> discover(const std::string& authorization) {
    auto c = server_->client();
    httplib::Headers h;
    if (!authorization.empty()) h.emplace("Authorization", authorization);
    auto r = c.Get("/cds-services", h);
    if (!r) return {0, "no answer"};
    if (r->status != 401) return {r->status, ""};
    EXPECT_EQ(r->body.find(authorization.size() > 7 ? authorization.substr(7) : "\x01"),
              std::string::npos)
        << "the 401 body must not echo the token";
    Json j = Json::parse(r->body);
    EXPECT_EQ(j["resourceType"], "OperationOutcome");
    return {401, j["issue"][0]["details"]["coding"][0]["code"]};
  }
  static std::string aud() { return server_->url("/cds-services"); }
  static Json header(const SigningKey& k) {
    return {{"alg", k.alg}, {"typ", "JWT"}, {"kid", k.kid}};
  }

  static inline std::string jwks_;
  static inline LiveServer* server_ = nullptr;
};

TEST_F(CdsJwt, Es384AndRs384Accepted) {
  ASSERT_TRUE(server_->error.empty()) << server_->error;
  EXPECT_EQ(discover("Bearer " + token(keys().ec, kIssuer, aud())).first, 200);
  EXPECT_EQ(discover("Bearer " + token(keys().rsa, kIssuer, aud())).first, 200);
  // aud may be an array holding the URL called.
  Json c = claims(kIssuer, "https://elsewhere.example/");
  c["aud"] = Json::array({"https://elsewhere.example/", aud()});
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), c, &keys().ec)).first, 200);
}

TEST_F(CdsJwt, NoToken) {
  EXPECT_EQ(discover(""), std::make_pair(401, std::string("JWT_MISSING")));
  EXPECT_EQ(discover("Basic dXNlcjpwYXNz"), std::make_pair(401, std::string("JWT_MISSING")));
}

TEST_F(CdsJwt, Expired) {
  Json c = claims(kIssuer, aud());
  c["exp"] = now_s() - 10;
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), c, &keys().ec)).second, "JWT_EXPIRED");
  Json no_exp = claims(kIssuer, aud());
  no_exp.erase("exp");
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), no_exp, &keys().ec)).second,
            "JWT_EXP_MISSING");
  // fuzz/long-runs: an exp far outside the int64 range was converted with undefined behaviour
  // (UBSan); it is no NumericDate.
  Json huge = claims(kIssuer, aud());
  huge["exp"] = 1.8e305;
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), huge, &keys().ec)).second,
            "JWT_EXP_MISSING");
  huge["exp"] = now_s() + 60;
  huge["iat"] = -1.8e305;
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), huge, &keys().ec)).second,
            "JWT_IAT_SKEW");
}

TEST_F(CdsJwt, WrongAudience) {
  EXPECT_EQ(discover("Bearer " +
                     token(keys().ec, kIssuer, server_->url("/cds-services/paraderm-order-sign")))
                .second,
            "JWT_AUD_MISMATCH");
  EXPECT_EQ(
      discover("Bearer " + token(keys().ec, kIssuer, "https://other.example/cds-services")).second,
      "JWT_AUD_MISMATCH");
}

TEST_F(CdsJwt, AlgNone) {
  Json h = {{"alg", "none"}, {"typ", "JWT"}, {"kid", "ec-1"}};
  EXPECT_EQ(discover("Bearer " + make_jwt(h, claims(kIssuer, aud()), nullptr)).second,
            "JWT_ALG_NOT_ALLOWED");
}

// The classic key-confusion attack: HS256 with the issuer's public key as the HMAC secret.
TEST_F(CdsJwt, Hs256) {
  Json h = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "ec-1"}};
  EXPECT_EQ(discover("Bearer " + hs256(keys().ec.jwk().dump(), h, claims(kIssuer, aud()))).second,
            "JWT_ALG_NOT_ALLOWED");
}

TEST_F(CdsJwt, UnknownKid) {
  SigningKey other = SigningKey::ec("ec-2");
  EXPECT_EQ(discover("Bearer " + token(other, kIssuer, aud())).second, "JWT_KID_UNKNOWN");
}

TEST_F(CdsJwt, UnknownIssuer) {
  EXPECT_EQ(discover("Bearer " + token(keys().ec, "https://rogue.example/", aud())).second,
            "JWT_ISSUER_UNKNOWN");
}

TEST_F(CdsJwt, BadSignature) {
  EXPECT_EQ(discover("Bearer " + token(keys().stranger, kIssuer, aud())).second,
            "JWT_BAD_SIGNATURE");
  // A valid token whose payload was changed after signing.
  std::string t = token(keys().rsa, kIssuer, aud());
  auto dot1 = t.find('.'), dot2 = t.rfind('.');
  Json c = claims(kIssuer, aud());
  c["iss"] = kIssuer;
  std::string forged = t.substr(0, dot1 + 1) + jwt::base64url_encode(c.dump()) + t.substr(dot2);
  EXPECT_EQ(discover("Bearer " + forged).second, "JWT_BAD_SIGNATURE");
  // An RS384 header on the EC key.
  Json h = {{"alg", "RS384"}, {"typ", "JWT"}, {"kid", "ec-1"}};
  EXPECT_EQ(discover("Bearer " + make_jwt(h, claims(kIssuer, aud()), &keys().rsa)).second,
            "JWT_ALG_NOT_ALLOWED");
}

TEST_F(CdsJwt, ReplayedJti) {
  std::string t = "Bearer " + token(keys().ec, kIssuer, aud());
  EXPECT_EQ(discover(t).first, 200);
  EXPECT_EQ(discover(t).second, "JWT_REPLAYED");
}

TEST_F(CdsJwt, IatOutsideTheSkew) {
  Json c = claims(kIssuer, aud());
  c["iat"] = now_s() - 3600;
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), c, &keys().ec)).second,
            "JWT_IAT_SKEW");
  Json fine = claims(kIssuer, aud());
  fine["iat"] = now_s() - 60;  // within 5 minutes
  EXPECT_EQ(discover("Bearer " + make_jwt(header(keys().ec), fine, &keys().ec)).first, 200);
}

TEST_F(CdsJwt, ServiceCallNeedsItsOwnUrlAsAudience) {
  auto c = server_->client();
  std::string url = server_->url("/cds-services/paraderm-patient-view");
  httplib::Headers h = {{"Authorization", "Bearer " + token(keys().ec, kIssuer, aud())}};
  auto wrong = c.Post("/cds-services/paraderm-patient-view", h, "{}", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  httplib::Headers right = {{"Authorization", "Bearer " + token(keys().ec, kIssuer, url)}};
  auto ok = c.Post("/cds-services/paraderm-patient-view", right, "{}", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 400);  // past the gate; the empty request is refused for its shape
}

TEST(CdsJwtConfig, WithoutAllowListTheRoutesAre401) {
  LiveServer s(ServerOptions{});
  ASSERT_TRUE(s.error.empty()) << s.error;
  auto c = s.client();
  auto r = c.Get("/cds-services");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("CDS_AUTH_NOT_CONFIGURED"), std::string::npos);
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(Json::parse(h->body)["cds_auth"], "refused");
}

TEST(CdsJwtConfig, SymmetricOrMalformedKeySetsAreRefusedAtStart) {
  auto oct =
      jwt::Verifier::from_sets({{kIssuer, R"({"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]})"}});
  EXPECT_FALSE(oct.is_ok());
  auto p256 = jwt::Verifier::from_sets(
      {{kIssuer, R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"AA","y":"AA"}]})"}});
  EXPECT_FALSE(p256.is_ok());
  auto good =
      jwt::Verifier::from_sets({{kIssuer, Json{{"keys", Json::array({keys().ec.jwk()})}}.dump()}});
  EXPECT_TRUE(good.is_ok()) << good.status().message();
}

TEST(CdsJwtUnit, ReplayCacheForgetsExpiredTokens) {
  auto v =
      jwt::Verifier::from_sets({{kIssuer, Json{{"keys", Json::array({keys().ec.jwk()})}}.dump()}});
  ASSERT_TRUE(v.is_ok());
  std::int64_t now = now_s();
  Json c = claims(kIssuer, "https://x/cds-services");
  c["exp"] = now + 30;
  std::string t =
      "Bearer " + make_jwt({{"alg", "ES384"}, {"typ", "JWT"}, {"kid", "ec-1"}}, c, &keys().ec);
  EXPECT_FALSE(v.value()->verify(t, {"https://x/cds-services"}, now).has_value());
  EXPECT_EQ(v.value()->verify(t, {"https://x/cds-services"}, now)->code, "JWT_REPLAYED");
  EXPECT_EQ(v.value()->replay_cache_size(), 1u);
  // After its expiry the token is refused as expired, and the cache entry is purged.
  EXPECT_EQ(v.value()->verify(t, {"https://x/cds-services"}, now + 120)->code, "JWT_EXPIRED");
  Json fresh = claims(kIssuer, "https://x/cds-services");
  fresh["iat"] = now + 120;
  fresh["exp"] = now + 400;
  EXPECT_FALSE(
      v.value()
          ->verify("Bearer " + make_jwt({{"alg", "ES384"}, {"typ", "JWT"}, {"kid", "ec-1"}}, fresh,
                                        &keys().ec),
                   {"https://x/cds-services"}, now + 120)
          .has_value());
  EXPECT_EQ(v.value()->replay_cache_size(), 1u);
}

// Behind a TLS proxy the server sees http and its own Host; --public-url names the address the
// EHR called, which the token's aud must equal (and the request's own URL no longer does).
TEST_F(CdsJwt, PublicUrlIsTheAudience) {
  ServerOptions o;
  o.cds_jwks = {{kIssuer, jwks_}};
  o.public_url = "https://cds.example.org/paraderm";
  LiveServer behind_proxy(o);
  ASSERT_TRUE(behind_proxy.error.empty()) << behind_proxy.error;
  auto get = [&](const std::string& aud) {
    auto c = behind_proxy.client();
    auto r =
        c.Get("/cds-services", {{"Authorization", "Bearer " + token(keys().ec, kIssuer, aud)}});
    return r ? r->status : 0;
  };
  EXPECT_EQ(get("https://cds.example.org/paraderm/cds-services"), 200);
  EXPECT_EQ(get(behind_proxy.url("/cds-services")), 401);
}

TEST(CdsPublicUrl, MalformedValueRefusesToStart) {
  for (const char* bad : {"cds.example.org", "https://cds.example.org/", "ftp://x.org",
                          "https://x.org/?q=1", "https://user@x.org", "https://"}) {
    ServerOptions o;
    o.insecure_dev = true;
    o.public_url = bad;
    LiveServer s(o);
    EXPECT_NE(s.error.find("--public-url"), std::string::npos) << bad << ": " << s.error;
  }
}

}  // namespace
}  // namespace paraderm::server
