// MakeCredential against known answers: keylime's vectors
// (keylime/tpm/tpm_util_test.py, test_makecredential and
// test_makecredential_ecc), whose randomness the test fixes, and a
// Microsoft-profile vector we derived with an independent Python
// implementation of Library Part 1 (hmac/hashlib + pyca AES-CFB).
#include <doctest/doctest.h>

#include <string>

#include "common/encoding.hpp"
#include "tpm/credential.hpp"
#include "tpm/credential_testing.hpp"
#include "tests/support/test_vectors.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
namespace vectors = aikmock::tpm::test;

namespace {

bytes hex(std::string_view text) {
  auto out = from_hex(text);
  REQUIRE(out);
  return *out;
}

tpmt_public ek_public(std::string_view public2b_hex) {
  auto parsed = parse_public2b(hex(public2b_hex));
  REQUIRE_MESSAGE(parsed, parsed.error());
  return *parsed;
}

// keylime mocks os.urandom with this.
testing::credential_entropy fixed_seed(std::uint8_t value) {
  testing::credential_entropy entropy;
  entropy.seed = [value](std::span<std::uint8_t> out) {
    std::fill(out.begin(), out.end(), value);
    return true;
  };
  return entropy;
}

// test_makecredential: L-1 EK, CV and AK Name.
const std::string_view rsa_credential = "5a4e524b4f4e6e777552754831683734785a466a42416f314758676c484d4149";
const std::string_view rsa_ak_name = "000b9601163463aacdb45be7ad1f6d11ad3dae0578d5aeeb5125e1075c5601b7c7fa";

}  // namespace

TEST_CASE("ECC (L-2): keylime's vector, byte for byte") {
  const auto ek = ek_public(vectors::keylime_ecc_ek_public2b);
  testing::credential_entropy entropy;
  // keylime's fixed ephemeral key: d = 75548318724506252006992803713632448754009807765151974952668642988315053146586.
  entropy.ecc_ephemeral_private = hex("a706d544decd78de340642bcc33317c0cba93b383ad635a1a2aff132936841da");
  auto blob = testing::make_credential_with_entropy(
      ek, hex("000b9f7f75b0564ea96bd70ef98baafbf6bf779641d17576bd11b5c6979273d2ba21"),
      hex("7756666e6e4574706552556d717932656e7954474c64434f576a523545654a69"), credential_profile::tcg, entropy);
  REQUIRE_MESSAGE(blob, blob.error().reason);
  CHECK(to_hex(tpm2_tools_credential_file(*blob)) ==
        "badcc0de00000001004400207d7934f023133b07f7d9bce3062451ea4da5f1917c95e1"
        "42da1c3277e658f66bbea694a7c1b30d006a09b28dc534876d59b644b9223c5f3c3432"
        "d8bae35f3ea3fba600440020361ce888d5152797aaca04838003976967c0c0a0a0e969"
        "8b7b5e6e5294e21711002078daa91b35fb5efc70052a470064a96dd556bd53a784d737"
        "e40966edc5f36ce8");
}

TEST_CASE("RSA (L-1): keylime's vector, the first 80 bytes (OAEP padding is random)") {
  const auto ek = ek_public(vectors::keylime_rsa_ek_public2b);
  auto blob = testing::make_credential_with_entropy(ek, hex(rsa_ak_name), hex(rsa_credential), credential_profile::tcg,
                                                    fixed_seed(0x12));
  REQUIRE_MESSAGE(blob, blob.error().reason);
  const bytes file = tpm2_tools_credential_file(*blob);
  REQUIRE(file.size() == 336);
  CHECK(to_hex(byte_view(file).first(80)) ==
        "badcc0de00000001004400206f0c4b08cfa00f21b474ca75623d098309c2cd7fac8d10"
        "ae3caf0da40162496db140cc6a5ae79a2bd7c22dc52cee372f34b356bf9bcd5176fa94"
        "239ee93191a0a75d0100");

  // The seed really is encrypted with fresh OAEP randomness each time.
  auto again = testing::make_credential_with_entropy(ek, hex(rsa_ak_name), hex(rsa_credential), credential_profile::tcg,
                                                     fixed_seed(0x12));
  REQUIRE(again);
  CHECK(again->id_object == blob->id_object);
  CHECK(again->encrypted_secret != blob->encrypted_secret);
}

TEST_CASE("Microsoft profile (L-1): 16-byte seed, SHA-256, AES-128; our independently derived vector") {
  const auto ek = ek_public(vectors::keylime_rsa_ek_public2b);
  auto blob = testing::make_credential_with_entropy(ek, hex(rsa_ak_name), hex(rsa_credential),
                                                    credential_profile::microsoft, fixed_seed(0x12));
  REQUIRE_MESSAGE(blob, blob.error().reason);
  CHECK(to_hex(blob->id_object) ==
        "00440020e88062cc693a5851b0a67a7a99ecddd8db83761986f86b75a6fb249ec5833b3f88964586cdcd7f5b7ec57e82703ded94"
        "5c13a3e421e8a6cbb146a2a818dbdd4af72f");
  // Same structure as tcg, different seed length, so different bytes.
  auto tcg = testing::make_credential_with_entropy(ek, hex(rsa_ak_name), hex(rsa_credential), credential_profile::tcg,
                                                   fixed_seed(0x12));
  REQUIRE(tcg);
  CHECK(tcg->id_object.size() == blob->id_object.size());
  CHECK(tcg->id_object != blob->id_object);
  CHECK(blob->encrypted_secret.size() == 2 + 256);
}

TEST_CASE("ECC ephemeral scalar: the same scalar gives the same blob, another gives another") {
  const auto ek = ek_public(vectors::keylime_ecc_ek_public2b);
  const bytes name = hex(rsa_ak_name);
  const bytes credential(32, 0x42);
  testing::credential_entropy first, second;
  first.ecc_ephemeral_private = hex("01");
  second.ecc_ephemeral_private = hex("02");
  auto a = testing::make_credential_with_entropy(ek, name, credential, credential_profile::tcg, first);
  auto b = testing::make_credential_with_entropy(ek, name, credential, credential_profile::tcg, first);
  auto c = testing::make_credential_with_entropy(ek, name, credential, credential_profile::tcg, second);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a == *b);
  CHECK(a->encrypted_secret != c->encrypted_secret);
  // 1·G is the generator: its x is P-256's Gx.
  CHECK(to_hex(byte_view(a->encrypted_secret).subspan(4, 32)) ==
        "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");

  // Unrandomised production calls differ every time.
  auto d = make_credential(ek, name, credential);
  auto e = make_credential(ek, name, credential);
  REQUIRE(d);
  REQUIRE(e);
  CHECK(d->encrypted_secret != e->encrypted_secret);
}

TEST_CASE("fixed randomness that cannot be used fails as crypto_failure, never silently") {
  const auto rsa_ek = ek_public(vectors::keylime_rsa_ek_public2b);
  const auto ecc_ek = ek_public(vectors::keylime_ecc_ek_public2b);
  const bytes name = hex(rsa_ak_name);
  const bytes credential(32, 0x42);

  testing::credential_entropy no_random;
  no_random.seed = [](std::span<std::uint8_t>) { return false; };
  auto r = testing::make_credential_with_entropy(rsa_ek, name, credential, credential_profile::tcg, no_random);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == credential_error_kind::crypto_failure);

  for (std::string_view scalar : {"00", "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"}) {
    CAPTURE(scalar);  // 0 and the P-256 group order n are outside [1, n-1]
    testing::credential_entropy bad;
    bad.ecc_ephemeral_private = hex(scalar);
    auto e = testing::make_credential_with_entropy(ecc_ek, name, credential, credential_profile::tcg, bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().kind == credential_error_kind::crypto_failure);
  }
}
