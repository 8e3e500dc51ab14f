#include <doctest/doctest.h>

#include <openssl/evp.h>

#include "common/encoding.hpp"
#include "tpm/ek_policy.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/hash.hpp"
#include "tpm/name.hpp"
#include "common/openssl.hpp"
#include "tests/support/test_keys.hpp"
#include "tests/support/test_vectors.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

// The swtpm --allow-signing EK, rebuilt from the fields tpm2_readpublic printed.
tpmt_public swtpm_signing_ek(std::uint32_t exponent_field) {
  tpmt_public area;
  area.type = alg::rsa;
  area.name_alg = alg::sha256;
  area.object_attributes = 0x000400B2;
  area.auth_policy.assign(policy_a_sha256.begin(), policy_a_sha256.end());
  area.rsa.key_bits = 2048;
  area.rsa.exponent = exponent_field;
  area.rsa.modulus = *from_hex(test::swtpm_signing_ek_modulus);
  return area;
}

// Streams the digest through EVP_DigestUpdate in two pieces: an independent
// path from tpm::hash's one-shot EVP_Digest.
bytes streamed_digest(const EVP_MD* md, byte_view data) {
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  REQUIRE(ctx);
  REQUIRE(EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1);
  std::size_t half = data.size() / 2;
  REQUIRE(EVP_DigestUpdate(ctx.get(), data.data(), half) == 1);
  REQUIRE(EVP_DigestUpdate(ctx.get(), data.data() + half, data.size() - half) == 1);
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  REQUIRE(EVP_DigestFinal_ex(ctx.get(), out.data(), &length) == 1);
  out.resize(length);
  return out;
}

}  // namespace

TEST_CASE("hash sizes and digests of the supported algorithms") {
  CHECK(hash_size(alg::sha1) == 20);
  CHECK(hash_size(alg::sha256) == 32);
  CHECK(hash_size(alg::sha384) == 48);
  CHECK(hash_size(alg::sha512) == 64);
  CHECK(hash_size(alg::sm3_256) == 0);
  CHECK(hash_size(alg::null) == 0);
  CHECK(to_hex(*hash(alg::sha256, as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(hash(alg::sm3_256, as_bytes("abc")));
}

TEST_CASE("the swtpm issue 979 EK hashes to the Name tpm2_readpublic printed, with exponent field 0") {
  auto name = object_name(swtpm_signing_ek(0));
  REQUIRE(name);
  CHECK(to_hex(*name) == test::swtpm_signing_ek_name);

  // Writing 65537 explicitly describes the same key but a different object.
  auto explicit_exponent = object_name(swtpm_signing_ek(65537));
  REQUIRE(explicit_exponent);
  CHECK(to_hex(*explicit_exponent) != test::swtpm_signing_ek_name);
}

TEST_CASE("Names are nameAlg || H_nameAlg(TPMT_PUBLIC) for every hash") {
  for (alg_id name_alg : {alg::sha1, alg::sha256, alg::sha384, alg::sha512}) {
    CAPTURE(name_alg);
    tpmt_public area = ek_public_from_key(*find_ek_template("L-2"), test::ec_key("P-256"));
    area.name_alg = name_alg;
    auto name = object_name(area);
    REQUIRE(name);
    bytes expected{static_cast<std::uint8_t>(name_alg >> 8), static_cast<std::uint8_t>(name_alg)};
    bytes digest = streamed_digest(hash_md(name_alg), marshal_public(area));
    expected.insert(expected.end(), digest.begin(), digest.end());
    CHECK(*name == expected);
    CHECK(name->size() == 2 + hash_size(name_alg));
  }
}

TEST_CASE("the Name covers the TPMT_PUBLIC, not the TPM2B size") {
  tpmt_public area = ek_public_from_key(*find_ek_template("L-1"), test::rsa_key(2048));
  auto name = object_name(area);
  REQUIRE(name);
  bytes tpmt = marshal_public(area);
  CHECK(byte_view(*name).subspan(2).size() == 32);
  CHECK(bytes(name->begin() + 2, name->end()) == streamed_digest(EVP_sha256(), tpmt));
  CHECK(bytes(name->begin() + 2, name->end()) != streamed_digest(EVP_sha256(), marshal_public2b(area)));
}

TEST_CASE("no Name for a nameAlg this project cannot compute") {
  tpmt_public area = ek_template_public(*find_ek_template("H-5"));
  CHECK_FALSE(object_name(area));
  area.name_alg = alg::null;
  CHECK_FALSE(object_name(area));
}
