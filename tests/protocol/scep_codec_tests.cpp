// The SCEP endpoint in-process, with requests built the way SCEP clients build
// them (micromdm's and the like, which send no TPM attestation) and hostile ones.
#include <doctest/doctest.h>

#include <openssl/x509.h>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "common/encoding.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
using namespace aikmock::certs;
using namespace aikmock::protocol;
using namespace aikmock::protocol::scep;
using client::build_pki_message;
using client::pki_request;
using test::world;

namespace {

const authority& ifx() { return world().authority(world().ek("L-1").authority); }

// The endpoint under the default policy, whose rules never fire for these requests.
response handle_scep(const authority& a, const scep_request& r) {
  static const scep_codec codec = world().scep(std::string(policy::default_policy_name));
  return codec.handle(a, r);
}

struct requester {
  evp_pkey_ptr key = generate_rsa_key(2048);
  x509_ptr cert = certificate_builder(key.get())
                      .subject({{"CN", "SCEP requester"}})
                      .validity(std::chrono::system_clock::now(), std::chrono::system_clock::now() + std::chrono::hours(1))
                      .sign(nullptr, key.get(), EVP_sha256());

  bytes csr(const char* attribute_oid = nullptr, bytes attribute_value = {}) const {
    x509_req_ptr req(X509_REQ_new());
    X509_REQ_set_version(req.get(), 0);
    auto name = make_name({{"CN", "aik"}});
    X509_REQ_set_subject_name(req.get(), name.get());
    X509_REQ_set_pubkey(req.get(), key.get());
    if (attribute_oid) {
      asn1_object_ptr obj(OBJ_txt2obj(attribute_oid, 1));
      REQUIRE(X509_REQ_add1_attr_by_OBJ(req.get(), obj.get(), V_ASN1_OCTET_STRING, attribute_value.data(),
                                        static_cast<int>(attribute_value.size())) == 1);
    }
    REQUIRE(X509_REQ_sign(req.get(), key.get(), EVP_sha256()) > 0);
    return certs::checked_der_of(req.get(), i2d_X509_REQ, "i2d_X509_REQ");
  }

  bytes message(byte_view inner, X509* recipient, pki_request r = {}) const {
    if (r.transaction_id.empty()) r.transaction_id = "tid-1";
    if (r.sender_nonce.empty()) r.sender_nonce = bytes(16, 0x42);
    return build_pki_message(r, inner, recipient, cert.get(), key.get());
  }
  bytes message(byte_view inner, X509* recipient, pki_request r, EVP_PKEY* signer_key, X509* signer_cert) const {
    return build_pki_message(r, inner, recipient, signer_cert, signer_key);
  }
};

const requester& sender() {
  static const requester r;
  return r;
}

response post(const authority& a, byte_view body) {
  return handle_scep(a, {"POST", "PKIOperation", "", body, "h"});
}

const std::string no_ek_body =
    R"({"Message":"No valid TPM EK/Platform Certificate provided in the TPM identity request message"})";
const std::string parse_failed_body = R"({"Message":"Failed to parse SCEP request."})";

}  // namespace

TEST_CASE("GetCACaps") {
  auto r = handle_scep(ifx(), {"GET", "GetCACaps", "", {}, "h"});
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain");
  CHECK(r.body == ca_caps);
  CHECK(handle_scep(ifx(), {"get", "getcacaps", "", {}, "h"}).status == 200);
  CHECK(handle_scep(ifx(), {"POST", "GetCACaps", "", {}, "h"}).status == 405);
}

TEST_CASE("GetCACert: the authority's issuing CA and both RA certificates") {
  for (const auto& a : world().authorities->all()) {
    auto r = handle_scep(*a, {"GET", "GetCACert", "", {}, "h"});
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/x-x509-ca-ra-cert");
    auto certs = certificates_of_pkcs7(as_bytes(r.body));
    REQUIRE(certs.size() == 3);
    CHECK(X509_cmp(certs[0].get(), a->issuing_ca.get()) == 0);
    CHECK(X509_cmp(certs[1].get(), a->ra_signing.get()) == 0);
    CHECK(X509_cmp(certs[2].get(), a->ra_encryption.get()) == 0);
  }
}

TEST_CASE("a request without TPM attestation gets the real service's 400") {
  auto msg = sender().message(sender().csr(), ifx().ra_encryption.get());
  auto r = post(ifx(), msg);
  CHECK(r.status == 400);
  CHECK(r.content_type == "application/json; charset=utf-8");
  CHECK(r.body == no_ek_body);
  CHECK(r.error_key == "no-ek-certificate");

  SUBCASE("the same through GET with a base64 message") {
    auto g = handle_scep(ifx(), {"GET", "PKIOperation", to_base64(msg), {}, "h"});
    CHECK(g.status == 400);
    CHECK(g.body == no_ek_body);
  }
  SUBCASE("with the ciphers SCEP clients in the field use") {
    for (const EVP_CIPHER* c : {EVP_aes_128_cbc(), EVP_des_ede3_cbc(), EVP_des_cbc()}) {
      CAPTURE(EVP_CIPHER_get0_name(c));
      pki_request req;
      req.cipher = c;
      CHECK(post(ifx(), sender().message(sender().csr(), ifx().ra_encryption.get(), req)).body == no_ek_body);
    }
  }
}

TEST_CASE("EK info that does not open is no valid EK certificate") {
  auto csr = sender().csr("1.3.6.1.4.1.311.21.23", bytes{1, 2, 3});
  auto r = post(ifx(), sender().message(csr, ifx().ra_encryption.get()));
  CHECK(r.status == 400);
  CHECK(r.body == no_ek_body);
}

TEST_CASE("what is not a valid SCEP request gets 400 Failed to parse SCEP request.") {
  auto good = sender().message(sender().csr(), ifx().ra_encryption.get());
  auto expect_parse_failure = [](const response& r) {
    CHECK(r.status == 400);
    CHECK(r.body == parse_failed_body);
    CHECK(r.error_key == "scep-parse-failed");
    CHECK_FALSE(r.detail.empty());
  };

  SUBCASE("garbage and empty bodies") {
    expect_parse_failure(post(ifx(), as_bytes(std::string_view("hello"))));
    expect_parse_failure(post(ifx(), {}));
    expect_parse_failure(handle_scep(ifx(), {"GET", "PKIOperation", "!!notbase64", {}, "h"}));
  }
  SUBCASE("every truncation of a valid message") {
    for (std::size_t n = 0; n < good.size(); n += 7) expect_parse_failure(post(ifx(), byte_view(good).first(n)));
  }
  SUBCASE("a flipped byte in the signature") {
    auto bad = good;
    bad[bad.size() - 5] ^= 0x01;
    expect_parse_failure(post(ifx(), bad));
  }
  SUBCASE("enveloped to another authority's RA") {
    auto other = sender().message(sender().csr(), world().authorities->all()[1]->ra_encryption.get());
    expect_parse_failure(post(ifx(), other));
  }
  SUBCASE("a message type other than Windows' 19 and 41") {
    pki_request req;
    req.type = message_type::get_cert;
    expect_parse_failure(post(ifx(), sender().message(sender().csr(), ifx().ra_encryption.get(), req)));
  }
  SUBCASE("an envelope that does not hold a PKCS#10") {
    expect_parse_failure(post(ifx(), sender().message(as_bytes(std::string_view("not a csr")), ifx().ra_encryption.get())));
  }
  SUBCASE("a malformed senderNonce") {
    pki_request req;
    req.sender_nonce = bytes(3, 1);
    expect_parse_failure(post(ifx(), sender().message(sender().csr(), ifx().ra_encryption.get(), req)));
  }
}

TEST_CASE("operations and methods the endpoint does not serve") {
  auto r = handle_scep(ifx(), {"GET", "GetNextCACert", "", {}, "h"});
  CHECK(r.status == 400);
  CHECK(r.body == R"({"Message":"The SCEP operation \"GetNextCACert\" is not supported."})");
  auto d = handle_scep(ifx(), {"DELETE", "GetCACaps", "", {}, "h"});
  CHECK(d.status == 405);
  CHECK(d.body == R"({"Message":"The requested resource does not support http method 'DELETE'."})");
}

TEST_CASE("the policy's faults: throttling, outages, stalls, hang-ups, a missing authority") {
  auto service_with = [](const char* rules) {
    std::string text = std::string(R"({"name":"faults","rules":)") + rules + "}";
    const auto& lab = world().lab;
    return scep_codec(std::make_shared<const enrollment::enrollment_service>(
        std::make_shared<const policy::policy>(policy::parse_policy(text, "test")), [] { return 0.5; }, world().trust,
        world().sealer, load_certificate(lab.path_of(lab.aik_root.certificate)), nullptr));
  };
  const scep_request caps{"GET", "GetCACaps", "", {}, "ifx.example"};

  auto throttled = service_with(R"([{"name":"busy","then":{"throttle":{"retryAfterSeconds":42}}}])").handle(ifx(), caps);
  CHECK(throttled.status == 429);
  CHECK(throttled.body == R"({"Message":"Too Many Requests"})");
  REQUIRE(throttled.headers.size() == 1);
  CHECK(throttled.headers[0] == std::pair<std::string, std::string>{"Retry-After", "42"});
  CHECK(throttled.policy_rule == "busy");

  auto outage = service_with(R"([{"name":"down","when":{"probability":0.6},"then":{"fault":503}}])").handle(ifx(), caps);
  CHECK(outage.status == 503);
  auto lucky = service_with(R"([{"name":"down","when":{"probability":0.4},"then":{"fault":503}}])").handle(ifx(), caps);
  CHECK(lucky.status == 200);

  auto stalled = service_with(R"([{"name":"stall","then":{"delayMs":90000}}])").handle(ifx(), caps);
  CHECK(stalled.status == 200);
  CHECK(stalled.delay == std::chrono::milliseconds(90000));

  auto dropped = service_with(R"([{"name":"drop","when":{"operation":"GetCACert"},"then":{"close":true}}])");
  CHECK(dropped.handle(ifx(), {"GET", "GetCACert", "", {}, "h"}).drop);
  CHECK_FALSE(dropped.handle(ifx(), caps).drop);

  auto gone = service_with(R"([{"name":"gone","when":{"vendor":"IFX"},"then":{"reject":"unknown-authority"}}])")
                  .handle(ifx(), caps);
  CHECK(gone.status == 404);
  CHECK(gone.body == R"({"Message":"The authority \"ifx.example\" does not exist."})");

  // A fault at PKIOperation comes before any parsing, as at a front end.
  auto pki_down = service_with(R"([{"name":"down","when":{"operation":"PKIOperation"},"then":{"fault":500}}])")
                      .handle(ifx(), {"POST", "PKIOperation", "", as_bytes(std::string_view("junk")), "h"});
  CHECK(pki_down.status == 500);
  CHECK(pki_down.body == R"({"Message":"An error has occurred."})");
}

TEST_CASE("hostile SCEP attributes: a transactionID that is no PrintableString, a signer that cannot receive the reply") {
  auto expect_parse_failure = [](const response& r, const char* why) {
    CHECK(r.status == 400);
    CHECK(r.error_key == "scep-parse-failed");
    CHECK_MESSAGE(r.detail.find(why) != std::string::npos, r.detail);
  };
  // Bytes that are not UTF-8 (ff 41), characters outside PrintableString, too long: refused before anything is kept.
  for (const std::string& tid : {std::string("\xff" "A"), std::string("caf\xc3\xa9"), std::string("a;b"), std::string(129, 'a')}) {
    CAPTURE(to_hex(as_bytes(tid)));
    pki_request req;
    req.transaction_id = tid;
    expect_parse_failure(post(ifx(), sender().message(sender().csr(), ifx().ra_encryption.get(), req)), "transactionID");
  }
  // A DSA signer: no CMS envelope can be addressed to it, so it is refused when the request is read.
  evp_pkey_ctx_ptr params_ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  REQUIRE(params_ctx);
  REQUIRE(EVP_PKEY_paramgen_init(params_ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_dsa_paramgen_bits(params_ctx.get(), 2048) == 1);
  EVP_PKEY* raw_params = nullptr;
  REQUIRE(EVP_PKEY_paramgen(params_ctx.get(), &raw_params) == 1);
  evp_pkey_ptr params(raw_params);
  evp_pkey_ctx_ptr key_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params.get(), nullptr));
  REQUIRE(EVP_PKEY_keygen_init(key_ctx.get()) == 1);
  EVP_PKEY* raw_key = nullptr;
  REQUIRE(EVP_PKEY_keygen(key_ctx.get(), &raw_key) == 1);
  evp_pkey_ptr dsa(raw_key);
  auto dsa_cert = certificate_builder(dsa.get())
                      .subject({{"CN", "DSA requester"}})
                      .validity(std::chrono::system_clock::now(), std::chrono::system_clock::now() + std::chrono::hours(1))
                      .sign(nullptr, dsa.get(), EVP_sha256());
  pki_request req;
  req.transaction_id = "tid-dsa";
  req.sender_nonce = bytes(16, 1);
  expect_parse_failure(post(ifx(), sender().message(sender().csr(), ifx().ra_encryption.get(), req, dsa.get(), dsa_cert.get())),
                       "no reply can be enveloped");
}
