// What MakeCredential refuses, and that each refusal is an error value with a
// reason, never a crash or an exception.
#include <doctest/doctest.h>

#include <string>

#include "common/encoding.hpp"
#include "tpm/credential.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/hash.hpp"
#include "tpm/name.hpp"
#include "tests/support/test_keys.hpp"
#include "tests/support/test_vectors.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
namespace keys = aikmock::tpm::test;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

tpmt_public ek_for(std::string_view tpl) {
  const ek_template* t = find_ek_template(tpl);
  REQUIRE(t);
  return ek_public_from_key(*t, keys::key_for(*t));
}

bytes sha256_name() {
  bytes name{0x00, 0x0b};
  name.resize(34, 0x5a);
  return name;
}

credential_error expect_error(const tpmt_public& ek, const bytes& name, const bytes& credential,
                              credential_error_kind kind, credential_profile profile = credential_profile::tcg) {
  auto out = make_credential(ek, name, credential, profile);
  REQUIRE_FALSE(out);
  CHECK_MESSAGE(out.error().kind == kind, to_string(out.error().kind), ": ", out.error().reason);
  CHECK_FALSE(out.error().reason.empty());
  return out.error();
}

}  // namespace

TEST_CASE("the protector must be a restricted decryption RSA or ECC key") {
  const bytes name = sha256_name();
  const bytes credential(32, 1);

  SUBCASE("a signing key (an AK, or swtpm's --allow-signing EK)") {
    tpmt_public ak = ek_for("L-1");
    ak.object_attributes = 0x00050072;  // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign
    ak.symmetric = {};
    ak.scheme = {alg::rsassa, alg::sha256, 0};
    auto e = expect_error(ak, name, credential, credential_error_kind::unsupported_protector);
    CHECK(contains(e.reason, "restricted decryption key"));

    tpmt_public swtpm_signing_ek = ek_for("L-1");
    swtpm_signing_ek.object_attributes = 0x000400b2;  // as stefanberger/swtpm#979 shows it
    expect_error(swtpm_signing_ek, name, credential, credential_error_kind::unsupported_protector);
  }
  SUBCASE("an unrestricted decryption key") {
    tpmt_public ek = ek_for("L-1");
    ek.object_attributes &= ~object_attr::restricted;
    expect_error(ek, name, credential, credential_error_kind::unsupported_protector);
  }
  SUBCASE("a KEYEDHASH object") {
    tpmt_public sealed;
    sealed.type = alg::keyedhash;
    sealed.name_alg = alg::sha256;
    sealed.object_attributes = object_attr::restricted | object_attr::decrypt;
    auto e = expect_error(sealed, name, credential, credential_error_kind::unsupported_protector);
    CHECK(contains(e.reason, "KEYEDHASH"));
  }
  SUBCASE("symmetric other than AES-128/256-CFB") {
    for (sym_def_object sym : {sym_def_object{}, sym_def_object{alg::sm4, 128, alg::cfb},
                               sym_def_object{alg::aes, 192, alg::cfb}, sym_def_object{alg::aes, 128, 0x0044}}) {
      tpmt_public ek = ek_for("L-1");
      ek.symmetric = sym;
      auto e = expect_error(ek, name, credential, credential_error_kind::unsupported_protector);
      CHECK(contains(e.reason, "symmetric"));
    }
  }
  SUBCASE("a scheme on a restricted decryption key") {
    tpmt_public ek = ek_for("L-1");
    ek.scheme = {alg::oaep, alg::sha256, 0};
    auto e = expect_error(ek, name, credential, credential_error_kind::unsupported_protector);
    CHECK(contains(e.reason, "OAEP"));
  }
  SUBCASE("a nameAlg this project cannot compute (H-5's SM3)") {
    tpmt_public ek = ek_for("L-1");
    ek.name_alg = alg::sm3_256;
    auto e = expect_error(ek, name, credential, credential_error_kind::unsupported_protector);
    CHECK(contains(e.reason, "SM3_256"));
  }
  SUBCASE("an unusable key: modulus size off, point not on the curve, unknown curve") {
    tpmt_public rsa = ek_for("L-1");
    rsa.rsa.modulus.pop_back();
    expect_error(rsa, name, credential, credential_error_kind::unsupported_protector);

    tpmt_public ecc = ek_for("L-2");
    ecc.ecc.y.back() ^= 1;
    auto e = expect_error(ecc, name, credential, credential_error_kind::unsupported_protector);
    CHECK(contains(e.reason, "not on"));

    tpmt_public unknown_curve = ek_for("L-2");
    unknown_curve.ecc.curve = 0x0099;
    expect_error(unknown_curve, name, credential, credential_error_kind::unsupported_protector);
  }
  SUBCASE("an RSA key too small for an OAEP-wrapped seed of the nameAlg") {
    // RSA-1024 carries at most 128 - 2*64 - 2 bytes with SHA-512: not even empty.
    tpmt_public ek = ek_public_from_key(*find_ek_template("L-1"), keys::rsa_key(2048));
    set_public_key(ek, keys::rsa_key(1024));
    ek.name_alg = alg::sha512;
    auto e = expect_error(ek, name, credential, credential_error_kind::unsupported_protector);
    CHECK(contains(e.reason, "OAEP"));
  }
}

TEST_CASE("the Name must be nameAlg || digest of that size") {
  const tpmt_public ek = ek_for("L-1");
  const bytes credential(32, 1);
  for (const char* hex : {"", "000b", "000b00", "0004" /* SHA-1, no digest */, "ffff0102",
                          "00120000000000000000000000000000000000000000000000000000000000000000" /* SM3 */,
                          "40000001" /* a handle's Name (TPM_RH_OWNER) */}) {
    CAPTURE(hex);
    expect_error(ek, *from_hex(hex), credential, credential_error_kind::invalid_object_name);
  }
  bytes sha384_name{0x00, 0x0c};
  sha384_name.resize(50, 1);
  CHECK(make_credential(ek, sha384_name, credential));
  sha384_name.push_back(0);
  expect_error(ek, sha384_name, credential, credential_error_kind::invalid_object_name);
  CHECK(check_object_name(*object_name(ek)));
}

TEST_CASE("the credential must be 1 byte up to the EK nameAlg digest size") {
  const bytes name = sha256_name();
  const tpmt_public l1 = ek_for("L-1"), h6 = ek_for("H-6");
  expect_error(l1, name, {}, credential_error_kind::invalid_credential);
  expect_error(l1, name, bytes(33, 1), credential_error_kind::invalid_credential);
  CHECK(make_credential(l1, name, bytes(32, 1)));
  CHECK(make_credential(h6, name, bytes(48, 1)));
  auto e = expect_error(h6, name, bytes(49, 1), credential_error_kind::invalid_credential);
  CHECK(contains(e.reason, "1 to 48"));
  expect_error(l1, name, bytes(33, 1), credential_error_kind::invalid_credential, credential_profile::microsoft);
}

TEST_CASE("profiles parse and print") {
  CHECK(parse_credential_profile("tcg") == credential_profile::tcg);
  CHECK(parse_credential_profile("microsoft") == credential_profile::microsoft);
  CHECK_FALSE(parse_credential_profile("Microsoft"));
  CHECK_FALSE(parse_credential_profile(""));
  CHECK(to_string(credential_profile::microsoft) == "microsoft");
  CHECK(to_string(credential_error_kind::profile_cannot_encrypt_secret) == "profile_cannot_encrypt_secret");
}

TEST_CASE("the tcg profile takes every parameter from the EK") {
  struct expectation {
    std::string_view tpl;
    alg_id hash;
    std::size_t seed;
    std::uint16_t aes_bits;
  };
  for (auto [tpl, hash_alg, seed, aes_bits] :
       {expectation{"L-1", alg::sha256, 32, 128}, expectation{"L-2", alg::sha256, 32, 128},
        expectation{"H-3", alg::sha384, 48, 256}, expectation{"H-4", alg::sha512, 64, 256},
        expectation{"H-6", alg::sha384, 48, 256}, expectation{"H-7", alg::sha384, 48, 256}}) {
    CAPTURE(tpl);
    auto p = credential_protection_for(ek_for(tpl), credential_profile::tcg);
    REQUIRE_MESSAGE(p, p.error().reason);
    CHECK(p->hash == hash_alg);
    CHECK(p->seed_size == seed);
    CHECK(p->aes_key_bits == aes_bits);
    CHECK(p->max_credential_size == hash_size(hash_alg));
  }
}
