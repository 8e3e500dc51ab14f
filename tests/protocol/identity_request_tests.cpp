// A TPM identity request built as a client builds it, read back as the service reads it.
#include <doctest/doctest.h>

#include "certs/authority.hpp"
#include "certs/der_io.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/oids.hpp"
#include "certs/pem.hpp"
#include "common/files.hpp"
#include "tpm/aik_verification.hpp"
#include "protocol/wcce/kast.hpp"
#include "tpm/public_key.hpp"
#include "client/soft/soft_aik.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/key_info.hpp"

using namespace aikmock;
namespace wcce = aikmock::protocol::wcce;

TEST_CASE("a software AIK's creation proof verifies, with its nonce") {
  for (auto type : {tpm::alg::rsa, tpm::alg::ecc}) {
    auto aik = client::create_soft_aik(type);
    CHECK(tpm::check_aik_public(aik.public_area).has_value());
    const bytes nonce{1, 2, 3, 4};
    auto proof = client::certify_creation(aik, nonce);
    auto verdict = tpm::verify_aik_creation(proof, {.nonce = nonce, .outside_info = {}});
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
    CHECK_FALSE(tpm::verify_aik_creation(proof, {.nonce = bytes{9}, .outside_info = {}}).has_value());
  }
}

TEST_CASE("identity request: EK info, AIK info, KAST and the EK public survive the trip") {
  aikmock::load_openssl_providers();
  auto lab = certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  auto dir = certs::authority_directory::from_lab(lab);
  const auto& a = *dir.all()[1];
  const auto& ek = lab.eks.front();
  auto ek_cert = *read_file(lab.path_of(ek.certificate));
  auto ek_pub = *read_file(lab.path_of(ek.public_area));
  auto ek_key = certs::load_private_key(lab.path_of(ek.private_key));

  auto aik = client::create_soft_aik(tpm::alg::rsa);
  auto proof = client::certify_creation(aik);
  protocol::wcce::key_attestation_statement kast;
  kast.platform = 2;
  kast.id_binding = tpm::marshal_creation_proof(proof);
  auto kast_bytes = protocol::wcce::marshal_kast(kast);

  wcce::endorsement_key_info ek_info{certs::public_key_der(ek_key.get()), ek_cert, {}};
  wcce::aik_info aik_info{certs::public_key_der(aik.key.get()), std::nullopt};
  wcce::identity_request_parts parts;
  parts.aik_public = aik.key.get();
  parts.sign = wcce::sign_with_key(aik.key.get());
  parts.ek_info = wcce::seal_ek_info(ek_info, a.ra_encryption.get());
  parts.aik_info = wcce::seal_aik_info(aik_info, a.ra_encryption.get());
  parts.attestation_statement = kast_bytes;
  parts.ek_public_area = ek_pub;
  parts.ek_ca_key_id = bytes{0xab, 0xcd};
  auto csr = wcce::build_identity_request(parts);

  auto parsed = wcce::parse_identity_request(csr);
  REQUIRE_MESSAGE(parsed, parsed.error());
  const auto& r = *parsed;
  REQUIRE(r.ek_info);
  REQUIRE(r.aik_info);
  REQUIRE(r.attestation_statement);
  REQUIRE(r.ksp_name);
  CHECK(wcce::octet_string_value(*r.attestation_statement) == kast_bytes);
  CHECK(wcce::octet_string_value(*r.ek_public_area) == ek_pub);
  CHECK(wcce::octet_string_value(*r.ek_ca_key_id) == bytes{0xab, 0xcd});
  CHECK(X509_REQ_verify(r.csr.get(), aik.key.get()) == 1);

  auto opened = wcce::open_ek_info(*r.ek_info, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(opened, opened.error());
  CHECK(opened->ek_public_key == ek_info.ek_public_key);
  CHECK(opened->ek_certificate == ek_cert);
  auto opened_aik = wcce::open_aik_info(*r.aik_info, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(opened_aik, opened_aik.error());
  CHECK(opened_aik->aik_public_key == aik_info.aik_public_key);

  // Only the authority it was sealed for can open it.
  const auto& other = *dir.all()[0];
  CHECK_FALSE(wcce::open_ek_info(*r.ek_info, other.ra_encryption.get(), other.ra_encryption_key.get()));

  auto statement = protocol::wcce::parse_kast(*wcce::octet_string_value(*r.attestation_statement));
  REQUIRE_MESSAGE(statement, statement.error());
  auto binding = protocol::wcce::parse_tpm20_id_binding(*statement);
  REQUIRE_MESSAGE(binding, binding.error());
  CHECK(tpm::verify_aik_creation(*binding).has_value());
}

TEST_CASE("EK info without a certificate, and malformed ones") {
  aikmock::load_openssl_providers();
  auto lab = certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  auto dir = certs::authority_directory::from_lab(lab);
  const auto& a = *dir.all().front();
  auto ek_key = certs::load_private_key(lab.path_of(lab.eks.front().private_key));
  auto sealed = wcce::seal_ek_info({certs::public_key_der(ek_key.get()), std::nullopt, {}}, a.ra_encryption.get());
  auto opened = wcce::open_ek_info(sealed, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE(opened);
  CHECK_FALSE(opened->ek_certificate);

  CHECK_FALSE(wcce::open_ek_info(bytes{0x30, 0x00}, a.ra_encryption.get(), a.ra_encryption_key.get()));
  CHECK_FALSE(wcce::open_ek_info({}, a.ra_encryption.get(), a.ra_encryption_key.get()));
  for (std::size_t n = 1; n < sealed.size(); n += 11)
    CHECK_FALSE(wcce::open_ek_info(byte_view(sealed).first(n), a.ra_encryption.get(), a.ra_encryption_key.get()));
}
