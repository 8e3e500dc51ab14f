#include <doctest/doctest.h>

#include <algorithm>

#include "certs/authority.hpp"
#include "certs/certificate_builder.hpp"
#include "certs/keys.hpp"
#include "certs/lab_manifest.hpp"
#include "protocol/scep/cert_rep.hpp"

using namespace aikmock;
using namespace aikmock::certs;
using namespace aikmock::protocol::scep;

namespace {
struct fixture {
  authority_directory dir;
  evp_pkey_ptr key;
  x509_ptr self;
  fixture() : dir((load_openssl_providers(), authority_directory::from_lab(load_lab_manifest(AIKMOCK_TEST_LAB_DIR)))) {
    key = generate_ec_key("P-256");
    auto now = std::chrono::system_clock::now();
    self = certificate_builder(key.get()).subject({{"CN", "requester"}}).validity(now, now + std::chrono::hours(1))
               .sign(nullptr, key.get(), EVP_sha256());
  }
  const authority& a() const { return *dir.all().front(); }
};
}  // namespace

TEST_CASE("CertRep PENDING carries its attributes; SUCCESS its certificates; FAILURE its failInfo") {
  fixture f;
  auto rsa = generate_rsa_key(2048);
  auto rsa_now = std::chrono::system_clock::now();
  auto rsa_self = certificate_builder(rsa.get()).subject({{"CN", "rsa requester"}})
                      .validity(rsa_now, rsa_now + std::chrono::hours(1)).sign(nullptr, rsa.get(), EVP_sha256());

  cert_rep pending;
  pending.status = pki_status::pending;
  pending.transaction_id = "tid";
  pending.recipient_nonce = bytes(16, 9);
  pending.attributes = {{"1.3.6.1.4.1.311.21.28", bytes{1, 2, 3}}, {"1.3.6.1.4.1.311.21.34", bytes{'s', 't'}}};
  auto der = build_cert_rep(pending, f.a().ra_signing.get(), f.a().ra_signing_key.get(), rsa_self.get());
  auto parsed = parse_cert_rep(der, f.a().ra_signing.get(), rsa_self.get(), rsa.get());
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed->status == pki_status::pending);
  CHECK(parsed->transaction_id == "tid");
  CHECK(parsed->recipient_nonce == bytes(16, 9));
  CHECK(parsed->sender_nonce.size() == 16);
  REQUIRE(parsed->attribute("1.3.6.1.4.1.311.21.28"));
  CHECK(*parsed->attribute("1.3.6.1.4.1.311.21.28") == bytes{1, 2, 3});
  CHECK(*parsed->attribute("1.3.6.1.4.1.311.21.34") == bytes{'s', 't'});

  // Signed by someone else than the RA: refused.
  auto other = authority_directory::from_lab(load_lab_manifest(AIKMOCK_TEST_LAB_DIR)).all()[1];
  CHECK_FALSE(parse_cert_rep(der, other->ra_signing.get(), rsa_self.get(), rsa.get()));
  // Alter a signed attribute (the challenge's bytes 01 02 03): the signature no longer holds.
  auto tampered = der;
  const bytes marker{0x04, 0x03, 0x01, 0x02, 0x03};
  auto at = std::search(tampered.begin(), tampered.end(), marker.begin(), marker.end());
  REQUIRE(at != tampered.end());
  at[4] ^= 1;
  CHECK_FALSE(parse_cert_rep(tampered, f.a().ra_signing.get(), rsa_self.get(), rsa.get()));

  cert_rep success;
  success.transaction_id = "tid";
  success.recipient_nonce = bytes(16, 1);
  success.certificates = {f.a().ra_encryption.get(), f.a().issuing_ca.get()};
  auto sder = build_cert_rep(success, f.a().ra_signing.get(), f.a().ra_signing_key.get(), rsa_self.get());
  auto s = parse_cert_rep(sder, f.a().ra_signing.get(), rsa_self.get(), rsa.get());
  REQUIRE_MESSAGE(s, s.error());
  CHECK(s->status == pki_status::success);
  REQUIRE(s->certificates.size() == 2);
  CHECK(X509_cmp(s->certificates[0].get(), f.a().ra_encryption.get()) == 0);
  // Only the requester can open it.
  CHECK_FALSE(parse_cert_rep(sder, f.a().ra_signing.get(), f.self.get(), f.key.get()));

  cert_rep failure;
  failure.status = pki_status::failure;
  failure.failure = fail_info::bad_request;
  failure.transaction_id = "tid";
  failure.recipient_nonce = bytes(16, 1);
  auto fder = build_cert_rep(failure, f.a().ra_signing.get(), f.a().ra_signing_key.get(), f.self.get());
  auto fr = parse_cert_rep(fder, f.a().ra_signing.get(), f.self.get(), f.key.get());
  REQUIRE(fr);
  CHECK(fr->status == pki_status::failure);
  CHECK(fr->failure == fail_info::bad_request);

  for (std::size_t n = 0; n < der.size(); n += 13) CHECK_FALSE(parse_cert_rep(byte_view(der).first(n), f.a().ra_signing.get(), rsa_self.get(), rsa.get()));
}
