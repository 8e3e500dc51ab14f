// The CertRep the service signs, read back by the client's reader: pkiStatus 11
// with an enveloped challenge, 0 with the delivery, 2 with its failInfo; only
// the RA's signature and only the requester's key will do.
#include <doctest/doctest.h>

#include <algorithm>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "client/wire/cert_rep_reader.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
using namespace aikmock::certs;
using namespace aikmock::protocol::scep;
using aikmock::client::parse_cert_rep;
using test::world;

namespace {
struct requester {
  evp_pkey_ptr key = generate_rsa_key(2048);
  x509_ptr cert = [this] {
    auto now = std::chrono::system_clock::now();
    return certificate_builder(key.get()).subject({{"CN", "requester"}}).validity(now, now + std::chrono::hours(1))
        .sign(nullptr, key.get(), EVP_sha256());
  }();
};
}  // namespace

TEST_CASE("CertRep 11 carries its enveloped content; 0 its delivery; 2 its failInfo") {
  const auto& a = *world().authorities->all().front();
  requester me, stranger;
  const bytes challenge_content{0x31, 0x03, 0x04, 0x01, 0x2a};

  cert_rep pending;
  pending.status = pki_status::pending_challenge;
  pending.transaction_id = "tid";
  pending.recipient_nonce = bytes(16, 9);
  pending.content = envelope_to(challenge_content, me.cert.get(), EVP_aes_128_cbc());
  auto der = build_cert_rep(pending, a.ra_signing.get(), a.ra_signing_key.get());
  auto parsed = parse_cert_rep(der, a.ra_signing.get(), me.cert.get(), me.key.get());
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed->status == pki_status::pending_challenge);
  CHECK(parsed->transaction_id == "tid");
  CHECK(parsed->recipient_nonce == bytes(16, 9));
  CHECK(parsed->sender_nonce.size() == 16);
  CHECK(parsed->content == challenge_content);

  // Signed by someone else than the RA: refused. Enveloped to someone else: it does not open.
  const auto& other = *world().authorities->all()[1];
  CHECK_FALSE(parse_cert_rep(der, other.ra_signing.get(), me.cert.get(), me.key.get()));
  CHECK_FALSE(parse_cert_rep(der, a.ra_signing.get(), stranger.cert.get(), stranger.key.get()));
  // Alter a signed attribute (the recipientNonce): the signature no longer holds.
  auto tampered = der;
  const bytes marker(16, 9);
  auto at = std::search(tampered.begin(), tampered.end(), marker.begin(), marker.end());
  REQUIRE(at != tampered.end());
  at[4] ^= 1;
  CHECK_FALSE(parse_cert_rep(tampered, a.ra_signing.get(), me.cert.get(), me.key.get()));

  cert_rep delivered;
  delivered.transaction_id = "tid";
  delivered.recipient_nonce = bytes(16, 1);
  delivered.content = envelope_to(signed_certificates(a.ra_signing.get(), a.ra_signing_key.get(),
                                                      {a.ra_encryption.get(), a.issuing_ca.get()}),
                                  me.cert.get(), EVP_aes_128_cbc());
  auto sder = build_cert_rep(delivered, a.ra_signing.get(), a.ra_signing_key.get());
  auto s = parse_cert_rep(sder, a.ra_signing.get(), me.cert.get(), me.key.get());
  REQUIRE_MESSAGE(s, s.error());
  CHECK(s->status == pki_status::success);
  auto certificates = client::signed_certificates_of(s->content, a.ra_signing.get());
  REQUIRE_MESSAGE(certificates, certificates.error());
  CHECK(certificates->size() == 2);
  CHECK_FALSE(client::signed_certificates_of(s->content, other.ra_signing.get()));

  cert_rep failure;
  failure.status = pki_status::failure;
  failure.failure = fail_info::bad_request;
  failure.transaction_id = "tid";
  failure.recipient_nonce = bytes(16, 1);
  auto fder = build_cert_rep(failure, a.ra_signing.get(), a.ra_signing_key.get());
  auto fr = parse_cert_rep(fder, a.ra_signing.get(), me.cert.get(), me.key.get());
  REQUIRE(fr);
  CHECK(fr->status == pki_status::failure);
  CHECK(fr->failure == fail_info::bad_request);
  CHECK(fr->content.empty());

  for (std::size_t n = 0; n < der.size(); n += 13)
    CHECK_FALSE(parse_cert_rep(byte_view(der).first(n), a.ra_signing.get(), me.cert.get(), me.key.get()));
}
