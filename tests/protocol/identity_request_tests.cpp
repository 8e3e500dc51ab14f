// Windows' AIK request (the PKCS#10 and its EK info) built as the reference
// client builds it, read back as the service reads it; and malformed ones.
#include <doctest/doctest.h>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "client/soft/soft_aik.hpp"
#include "client/wire/windows_request.hpp"
#include "common/files.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/kast.hpp"
#include "protocol/wcce/key_info.hpp"
#include "tests/support/protocol_world.hpp"
#include "tpm/aik_verification.hpp"

using namespace aikmock;
namespace wcce = aikmock::protocol::wcce;
using test::world;

namespace {
client::windows_request_parts parts_for(const certs::authority& a, const client::soft_aik& aik) {
  const auto& ek = world().lab.eks.front();
  auto ek_key = certs::load_private_key(world().lab.path_of(ek.private_key));
  protocol::wcce::key_attestation_statement kast;
  kast.id_binding = tpm::marshal_creation_proof(client::certify_creation(aik));
  client::windows_request_parts p;
  p.aik_public_key = certs::public_key_der(aik.key.get());
  p.aik_key_id = certs::key_identifier(aik.key.get());
  p.who = client::client_description::make();
  p.signer_hash = bytes(20, 0x5a);
  p.tpm = {"id:49465800", "SLB9672", "id:000F0017"};
  p.attestation_statement = protocol::wcce::marshal_kast(kast);
  p.ek_info = certs::envelope_to(
      wcce::encode_ek_info({certs::public_key_der(ek_key.get()), *read_file(world().lab.path_of(ek.certificate)), {}}),
      a.ra_encryption.get(), EVP_aes_128_cbc());
  return p;
}
}  // namespace

TEST_CASE("a software AIK (Windows' template: RSASSA-SHA1) and its creation proof verify, with its nonce") {
  for (auto type : {tpm::alg::rsa, tpm::alg::ecc}) {
    auto aik = client::create_soft_aik(type);
    CHECK(tpm::check_aik_public(aik.public_area).has_value());
    if (type == tpm::alg::rsa) CHECK(aik.public_area.scheme.hash == tpm::alg::sha1);
    CHECK((aik.public_area.object_attributes & tpm::object_attr::no_da) != 0);
    const bytes nonce{1, 2, 3, 4};
    auto proof = client::certify_creation(aik, nonce);
    auto verdict = tpm::verify_aik_creation(proof, {.nonce = nonce, .outside_info = {}});
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
    CHECK_FALSE(tpm::verify_aik_creation(proof, {.nonce = bytes{9}, .outside_info = {}}).has_value());
  }
}

TEST_CASE("Windows' PKCS#10: every attribute survives the trip, and the bare hash is checked") {
  const auto& a = *world().authorities->all()[1];
  auto aik = client::create_soft_aik(tpm::alg::rsa);
  auto parts = parts_for(a, aik);
  auto der = client::build_windows_pkcs10(parts);
  auto r = wcce::parse_identity_request(der);
  REQUIRE_MESSAGE(r, r.error());
  CHECK(r->public_key == parts.aik_public_key);
  CHECK(r->os_version == parts.who.os_version);
  CHECK(r->signer_hash == parts.signer_hash);
  REQUIRE(r->client);
  CHECK(r->client->machine == parts.who.machine);
  CHECK(r->ksp_name == "Microsoft Platform Crypto Provider");
  REQUIRE(r->tpm);
  CHECK(r->tpm->model == "SLB9672");
  CHECK(r->subject_key_id == parts.aik_key_id);
  CHECK(r->attestation_statement == parts.attestation_statement);
  CHECK(r->signature_kind == wcce::request_signature::bare_sha256);
  CHECK(r->signature_valid);
  auto info = wcce::open_ek_info(*r->ek_info, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(info, info.error());
  CHECK(info->ek_certificate);
  auto kast = wcce::parse_kast(*r->attestation_statement);
  REQUIRE(kast);
  auto binding = wcce::parse_tpm20_id_binding(*kast);
  REQUIRE_MESSAGE(binding, binding.error());
  CHECK(tpm::verify_aik_creation(*binding).has_value());

  // A changed byte inside the request info: the bare hash no longer matches.
  auto altered = der;
  const auto at = std::search(altered.begin(), altered.end(), parts.signer_hash.begin(), parts.signer_hash.end());
  REQUIRE(at != altered.end());
  *at ^= 1;
  auto changed = wcce::parse_identity_request(altered);
  REQUIRE(changed);
  CHECK_FALSE(changed->signature_valid);
}

TEST_CASE("Windows' PKCS#10: an attribute twice, an attribute of the wrong type, too many, garbage") {
  const auto& a = *world().authorities->all()[1];
  auto aik = client::create_soft_aik(tpm::alg::rsa);
  auto parts = parts_for(a, aik);
  auto der = client::build_windows_pkcs10(parts);
  for (std::size_t n = 0; n < der.size(); n += 17) CHECK_FALSE(wcce::parse_identity_request(byte_view(der).first(n)));
  CHECK_FALSE(wcce::parse_identity_request(bytes{0x30, 0x00}));
  auto trailing = der;
  trailing.push_back(0);
  CHECK_FALSE(wcce::parse_identity_request(trailing));

  // A hand-made request info with a repeated and a mistyped attribute.
  auto request_with = [&](const std::vector<bytes>& attributes) {
    const bytes info = certs::der::sequence({certs::der::integer(0), certs::der::sequence({}), parts.aik_public_key,
                                             certs::der::constructed(0xa0, attributes)});
    return certs::der::sequence({info, certs::der::sequence({certs::der::oid("2.16.840.1.101.3.4.2.1"), certs::der::null()}),
                                 certs::der::bit_string(bytes(32, 0))});
  };
  auto os = [](const bytes& value) {
    return certs::der::sequence({certs::der::oid("1.3.6.1.4.1.311.13.2.3"), certs::der::set({value})});
  };
  auto twice = wcce::parse_identity_request(request_with({os(certs::der::ia5_string("10")), os(certs::der::ia5_string("11"))}));
  REQUIRE_FALSE(twice);
  CHECK(twice.error().find("appears twice") != std::string::npos);
  auto mistyped = wcce::parse_identity_request(request_with({os(certs::der::integer(10))}));
  REQUIRE_FALSE(mistyped);
  CHECK(mistyped.error().find("OS version") != std::string::npos);
  std::vector<bytes> many;
  for (int i = 0; i < 17; ++i)
    many.push_back(certs::der::sequence({certs::der::oid("1.2.3." + std::to_string(i)), certs::der::set({certs::der::null()})}));
  CHECK_FALSE(wcce::parse_identity_request(request_with(many)));
}

TEST_CASE("EK info without a certificate, and malformed ones") {
  const auto& a = *world().authorities->all().front();
  auto ek_key = certs::load_private_key(world().lab.path_of(world().lab.eks.front().private_key));
  auto sealed = certs::envelope_to(wcce::encode_ek_info({certs::public_key_der(ek_key.get()), std::nullopt, {}}),
                                   a.ra_encryption.get(), EVP_aes_128_cbc());
  auto opened = wcce::open_ek_info(sealed, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE(opened);
  CHECK_FALSE(opened->ek_certificate);
  // Wrapped in an OCTET STRING, as some clients send it.
  CHECK(wcce::open_ek_info(certs::der::octet_string(sealed), a.ra_encryption.get(), a.ra_encryption_key.get()));

  CHECK_FALSE(wcce::open_ek_info(bytes{0x30, 0x00}, a.ra_encryption.get(), a.ra_encryption_key.get()));
  CHECK_FALSE(wcce::open_ek_info({}, a.ra_encryption.get(), a.ra_encryption_key.get()));
  for (std::size_t n = 1; n < sealed.size(); n += 11)
    CHECK_FALSE(wcce::open_ek_info(byte_view(sealed).first(n), a.ra_encryption.get(), a.ra_encryption_key.get()));
}
