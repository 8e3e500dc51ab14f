// Verifying AIK creation proofs and certifications made with software keys:
// everything valid passes, and each broken part fails by the check's name.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "tpm/aik_verification.hpp"
#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "protocol/wcce/kast.hpp"
#include "tpm/name.hpp"
#include "tests/support/aik_test_support.hpp"
#include "tests/support/parse_test_support.hpp"
#include "tests/support/test_keys.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
using namespace aikmock::protocol::wcce;
using test::contains;
using test::set_u16_be;

namespace {

const bytes nonce = bytes(32, 0x4e);

struct software_aik {
  const char* label;
  EVP_PKEY* key;
  alg_id sig_alg;
};

std::vector<software_aik> software_aiks() {
  return {{"RSA-2048 RSASSA-SHA256", test::rsa_key(2048), alg::rsassa},
          {"P-256 ECDSA-SHA256", test::ec_key("P-256"), alg::ecdsa}};
}

aik_creation_proof valid_proof(const software_aik& aik) {
  return test::creation_proof(aik.key, test::aik_public(aik.key, aik.sig_alg, alg::sha256), aik.sig_alg, alg::sha256,
                              nonce);
}

// The check `verdict` failed, for CHECK(...) == aik_check::x comparisons.
std::optional<aik_check> failed_check(const aik_verdict& verdict) {
  if (verdict.has_value()) return std::nullopt;
  return verdict.error().check;
}

#define CHECK_FAILS_WITH(verdict_expr, expected_check)                    \
  do {                                                                    \
    const aik_verdict verdict_ = (verdict_expr);                          \
    CHECK_MESSAGE(failed_check(verdict_) == (expected_check), describe(verdict_)); \
  } while (false)

// Replaces the signature so only the part the test broke is wrong.
aik_creation_proof resigned(aik_creation_proof proof, EVP_PKEY* key, alg_id sig_alg, alg_id hash = alg::sha256) {
  proof.signature = test::sign(key, sig_alg, hash, proof.attest);
  return proof;
}

// A proof for an AIK whose public area `adjust` changed, consistently signed.
template <class Adjust>
aik_creation_proof proof_with_public(const software_aik& aik, Adjust adjust, alg_id sig_hash = alg::sha256) {
  auto area = test::aik_public(aik.key, aik.sig_alg, alg::sha256);
  adjust(area);
  return test::creation_proof(aik.key, area, aik.sig_alg, sig_hash, nonce);
}

}  // namespace

TEST_CASE("a software AIK's creation proof passes, bare and through a whole KeyAttestationStatement") {
  for (const auto& aik : software_aiks()) {
    CAPTURE(aik.label);
    const auto proof = valid_proof(aik);
    auto verdict = verify_aik_creation(proof, {nonce, std::nullopt});
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
    CHECK(describe(verdict) == "passed");
    CHECK(check_aik_public(proof.aik_public).has_value());

    const bytes wire = marshal_kast({kast_platform::tpm20, marshal_creation_proof(proof), {}, bytes(16, 0x0a)});
    auto statement = parse_kast(wire);
    REQUIRE_MESSAGE(statement, statement.error());
    auto split = parse_tpm20_id_binding(*statement);
    REQUIRE_MESSAGE(split, split.error());
    verdict = verify_aik_creation(*split, {nonce, std::nullopt});
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
  }
}

TEST_CASE("other allowed schemes, hashes and sizes pass") {
  struct variant {
    const char* label;
    EVP_PKEY* key;
    alg_id scheme;       // the AIK's
    alg_id scheme_hash;
    alg_id sig_alg;      // the signature's
    alg_id sig_hash;
    alg_id name_alg;
  };
  for (const auto& v : {
           variant{"RSAPSS-SHA256", test::rsa_key(2048), alg::rsapss, alg::sha256, alg::rsapss, alg::sha256,
                   alg::sha256},
           variant{"RSASSA-SHA384, nameAlg SHA384", test::rsa_key(3072), alg::rsassa, alg::sha384, alg::rsassa,
                   alg::sha384, alg::sha384},
           variant{"NULL scheme, RSASSA-SHA256 signature", test::rsa_key(2048), alg::null, alg::null, alg::rsassa,
                   alg::sha256, alg::sha256},
           variant{"NULL scheme, RSAPSS-SHA512 signature", test::rsa_key(2048), alg::null, alg::null, alg::rsapss,
                   alg::sha512, alg::sha256},
           variant{"P-384 ECDSA-SHA384", test::ec_key("P-384"), alg::ecdsa, alg::sha384, alg::ecdsa, alg::sha384,
                   alg::sha256},
           variant{"P-521 NULL scheme, ECDSA-SHA512", test::ec_key("P-521"), alg::null, alg::null, alg::ecdsa,
                   alg::sha512, alg::sha512},
       }) {
    CAPTURE(v.label);
    auto area = test::aik_public(v.key, v.scheme, v.scheme_hash, test::aik_attributes, v.name_alg);
    auto verdict = verify_aik_creation(test::creation_proof(v.key, area, v.sig_alg, v.sig_hash));
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
  }
}

TEST_CASE("flipping any bit of the idBinding never passes") {
  for (const auto& aik : software_aiks()) {
    CAPTURE(aik.label);
    const bytes id_binding = marshal_creation_proof(valid_proof(aik));
    std::set<std::string> outcomes;
    for (std::size_t i = 0; i < id_binding.size(); ++i) {
      for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x02}, std::uint8_t{0x80}}) {
        CAPTURE(i);
        CAPTURE(mask);
        bytes flipped = id_binding;
        flipped[i] ^= mask;
        auto split = parse_creation_proof(flipped);
        if (!split) {
          outcomes.insert("parse");
          continue;
        }
        auto verdict = verify_aik_creation(*split, {nonce, std::nullopt});
        REQUIRE_FALSE_MESSAGE(verdict.has_value(), "byte " << i << " mask " << int(mask) << " passed");
        outcomes.insert(std::string(aik_check_name(verdict.error().check)));
      }
    }
    // The flips land on every kind of check, not on one catch-all. (A flipped
    // attestation type never gets past the idBinding parser, which needs the
    // type to lay out the body.)
    for (std::string_view expected : {"parse", "attestedName", "creationHash", "nonce", "signature", "attestMagic",
                                      "fixedTPM", "restricted", "decrypt", "signingScheme",
                                      "signatureScheme"}) {
      CHECK_MESSAGE(outcomes.count(std::string(expected)) == 1, expected);
    }
  }
}

TEST_CASE("a flipped byte in each part fails with the check that part feeds") {
  for (const auto& aik : software_aiks()) {
    CAPTURE(aik.label);
    const auto proof = valid_proof(aik);

    SUBCASE("public area: a key byte") {
      auto broken = proof;
      if (aik.sig_alg == alg::rsassa) {
        broken.aik_public.rsa.modulus[100] ^= 0x01;
        // Still a usable RSA key, but not the one the attestation names.
        CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::attested_name);
      } else {
        broken.aik_public.ecc.x[10] ^= 0x01;
        // A point off the curve is no key at all.
        CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::public_key);
      }
    }
    SUBCASE("public area: the policy digest, which only the Name covers") {
      auto broken = proof;
      broken.aik_public.auth_policy = bytes(32, 0x01);
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::attested_name);
    }
    SUBCASE("creation data") {
      auto broken = proof;
      broken.creation_data[20] ^= 0x01;  // inside pcrDigest
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::creation_hash);
    }
    SUBCASE("attestation: the clock, covered only by the signature") {
      auto broken = proof;
      broken.attest[80] ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::signature);
    }
    SUBCASE("attestation: the magic") {
      auto broken = proof;
      broken.attest[0] ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::attest_magic);
    }
    SUBCASE("attestation: the type") {
      auto broken = proof;
      broken.attest = set_u16_be(broken.attest, 4, st::attest_certify);
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::attest_type);
    }
    SUBCASE("attestation: the attested Name") {
      auto broken = proof;
      broken.attest[broken.attest.size() - 40] ^= 0x01;  // inside objectName
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::attested_name);
    }
    SUBCASE("attestation: the creation hash") {
      auto broken = proof;
      broken.attest.back() ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::creation_hash);
    }
    SUBCASE("attestation: extraData, with and without a nonce expected") {
      auto broken = proof;
      // qualifiedSigner takes 2+34 bytes from offset 6, so extraData's payload starts at 44.
      broken.attest[44 + 5] ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(broken, {nonce, std::nullopt}), aik_check::nonce);
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::signature);
    }
    SUBCASE("attestation: cut short, or with a byte after it") {
      auto shorter = proof;
      shorter.attest.pop_back();
      CHECK_FAILS_WITH(verify_aik_creation(shorter), aik_check::attest_structure);
      auto longer = proof;
      longer.attest.push_back(0);
      CHECK_FAILS_WITH(verify_aik_creation(longer), aik_check::attest_structure);
      auto short_attest = proof;
      short_attest.attest.resize(3);
      CHECK_FAILS_WITH(verify_aik_creation(short_attest), aik_check::attest_structure);
    }
    SUBCASE("creation data with a byte after it") {
      auto longer = proof;
      longer.creation_data.push_back(0);
      CHECK_FAILS_WITH(verify_aik_creation(longer), aik_check::creation_data_structure);
    }
    SUBCASE("signature") {
      auto broken = proof;
      auto& value = aik.sig_alg == alg::ecdsa ? broken.signature.ecdsa_s : broken.signature.rsa_signature;
      value[7] ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(broken), aik_check::signature);
    }
    SUBCASE("signature: a hash other than the AIK's scheme") {
      CHECK_FAILS_WITH(verify_aik_creation(resigned(proof, aik.key, aik.sig_alg, alg::sha384)),
                       aik_check::signature_scheme);
    }
    SUBCASE("signature: by another key") {
      EVP_PKEY* other = aik.sig_alg == alg::ecdsa ? test::ec_key("P-384") : test::rsa_key(3072);
      CHECK_FAILS_WITH(verify_aik_creation(resigned(proof, other, aik.sig_alg)), aik_check::signature);
    }
  }
}

TEST_CASE("nonce and outsideInfo must match what the caller expects") {
  EVP_PKEY* key = test::rsa_key(2048);
  const auto area = test::aik_public(key, alg::rsassa, alg::sha256);
  const bytes outside_info = bytes(16, 0x0f);
  const auto proof = test::creation_proof(key, area, alg::rsassa, alg::sha256, nonce, outside_info);

  CHECK(verify_aik_creation(proof, {nonce, outside_info}).has_value());
  CHECK(verify_aik_creation(proof).has_value());

  bytes wrong = nonce;
  wrong[0] ^= 1;
  CHECK_FAILS_WITH(verify_aik_creation(proof, {wrong, std::nullopt}), aik_check::nonce);
  CHECK_FAILS_WITH(verify_aik_creation(proof, {bytes(31, 0x4e), std::nullopt}), aik_check::nonce);
  CHECK_FAILS_WITH(verify_aik_creation(proof, {std::nullopt, nonce}), aik_check::outside_info);

  const auto without_nonce = test::creation_proof(key, area, alg::rsassa, alg::sha256);
  CHECK_FAILS_WITH(verify_aik_creation(without_nonce, {nonce, std::nullopt}), aik_check::nonce);
  CHECK(verify_aik_creation(without_nonce, {bytes{}, std::nullopt}).has_value());

  auto verdict = verify_aik_creation(proof, {wrong, std::nullopt});
  CHECK(contains(describe(verdict), "nonce: TPMS_ATTEST.extraData " + to_hex(nonce)));
}

TEST_CASE("each missing or extra AIK attribute fails by name") {
  struct toggle {
    std::uint32_t bit;
    aik_check expected;
  };
  for (const auto& aik : software_aiks()) {
    CAPTURE(aik.label);
    for (const auto& t : {toggle{object_attr::restricted, aik_check::restricted},
                          toggle{object_attr::sign_encrypt, aik_check::sign},
                          toggle{object_attr::decrypt, aik_check::decrypt},
                          toggle{object_attr::fixed_tpm, aik_check::fixed_tpm},
                          toggle{object_attr::fixed_parent, aik_check::fixed_parent},
                          toggle{object_attr::sensitive_data_origin, aik_check::sensitive_data_origin}}) {
      CAPTURE(aik_check_name(t.expected));
      auto proof = proof_with_public(aik, [&](tpmt_public& area) { area.object_attributes ^= t.bit; });
      CHECK_FAILS_WITH(verify_aik_creation(proof), t.expected);
      CHECK_FAILS_WITH(check_aik_public(proof.aik_public), t.expected);
    }
    // Attributes outside the rules are the owner's business.
    auto relaxed = proof_with_public(aik, [](tpmt_public& area) {
      area.object_attributes = (area.object_attributes & ~object_attr::user_with_auth) | object_attr::no_da |
                               object_attr::admin_with_policy;
    });
    CHECK(verify_aik_creation(relaxed).has_value());
  }
}

TEST_CASE("AIK keys that are too small, of the wrong kind or unusable fail by name") {
  SUBCASE("RSA-1024") {
    EVP_PKEY* small = test::rsa_key(1024);
    auto proof = test::creation_proof(small, test::aik_public(small, alg::rsassa, alg::sha256), alg::rsassa,
                                      alg::sha256);
    auto verdict = verify_aik_creation(proof);
    CHECK_FAILS_WITH(verdict, aik_check::key_size);
    CHECK(contains(describe(verdict), "RSA-1024, below 2048 bits"));
  }
  SUBCASE("a curve below P-256") {
    auto area = test::aik_public(test::ec_key("P-256"), alg::ecdsa, alg::sha256);
    area.ecc.curve = 0x0001;  // TPM_ECC_NIST_P192
    CHECK_FAILS_WITH(check_aik_public(area), aik_check::key_size);
    area.ecc.curve = curve::sm2_p256;
    CHECK_FAILS_WITH(check_aik_public(area), aik_check::key_size);
  }
  SUBCASE("a modulus that does not match keyBits") {
    auto area = test::aik_public(test::rsa_key(2048), alg::rsassa, alg::sha256);
    area.rsa.modulus.pop_back();
    CHECK_FAILS_WITH(check_aik_public(area), aik_check::public_key);
  }
  SUBCASE("a KEYEDHASH object") {
    tpmt_public area;
    area.type = alg::keyedhash;
    area.name_alg = alg::sha256;
    area.object_attributes = test::aik_attributes;
    area.keyedhash.scheme = alg::hmac;
    area.keyedhash.hash = alg::sha256;
    CHECK_FAILS_WITH(check_aik_public(area), aik_check::object_type);
  }
  SUBCASE("nameAlg SHA-1, or one nothing here computes") {
    for (alg_id name_alg : {alg::sha1, alg::sm3_256, alg::null}) {
      auto area = test::aik_public(test::rsa_key(2048), alg::rsassa, alg::sha256, test::aik_attributes, name_alg);
      CHECK_FAILS_WITH(check_aik_public(area), aik_check::name_alg);
    }
  }
}

TEST_CASE("AIK signing schemes outside the allowed list fail by name") {
  struct scheme_case {
    const char* label;
    EVP_PKEY* key;
    alg_id scheme;
    alg_id hash;
  };
  // RSASSA-SHA1 is allowed: the real service certified such an AIK (docs/tpm.md).
  CHECK(check_aik_public(test::aik_public(test::rsa_key(2048), alg::rsassa, alg::sha1)).has_value());
  for (const auto& c : {scheme_case{"RSASSA without a hash", test::rsa_key(2048), alg::rsassa, alg::null},
                        scheme_case{"OAEP-SHA256", test::rsa_key(2048), alg::oaep, alg::sha256},
                        scheme_case{"RSAES", test::rsa_key(2048), alg::rsaes, alg::null},
                        scheme_case{"ECDAA-SHA256", test::ec_key("P-256"), alg::ecdaa, alg::sha256},
                        scheme_case{"ECSCHNORR-SHA256", test::ec_key("P-256"), alg::ecschnorr, alg::sha256},
                        scheme_case{"ECDSA without a hash", test::ec_key("P-256"), alg::ecdsa, alg::null}}) {
    CAPTURE(c.label);
    CHECK_FAILS_WITH(check_aik_public(test::aik_public(c.key, c.scheme, c.hash)), aik_check::signing_scheme);
  }
}

TEST_CASE("signatures whose scheme the AIK does not allow fail as signatureScheme") {
  EVP_PKEY* rsa = test::rsa_key(2048);
  EVP_PKEY* ec = test::ec_key("P-256");
  // A NULL-scheme AIK still needs an allowed signature scheme and hash.
  auto null_scheme = test::aik_public(rsa, alg::null, alg::null);
  CHECK_FAILS_WITH(verify_aik_creation(test::creation_proof(rsa, null_scheme, alg::rsaes, alg::sha256)),
                   aik_check::signature_scheme);
  // An AIK with a scheme binds the signature to it.
  auto rsassa = test::aik_public(rsa, alg::rsassa, alg::sha256);
  CHECK_FAILS_WITH(verify_aik_creation(test::creation_proof(rsa, rsassa, alg::rsapss, alg::sha256)),
                   aik_check::signature_scheme);
  // An ECDSA signature cannot come from an RSA AIK.
  auto proof = test::creation_proof(rsa, rsassa, alg::rsassa, alg::sha256);
  proof.signature = test::sign(ec, alg::ecdsa, alg::sha256, proof.attest);
  auto verdict = verify_aik_creation(proof);
  CHECK_FAILS_WITH(verdict, aik_check::signature_scheme);
  CHECK(contains(describe(verdict), "does not fit the AIK's 0x0001 (RSA) key"));
}

TEST_CASE("a creation hash made with another hash than the AIK's nameAlg fails") {
  EVP_PKEY* key = test::rsa_key(2048);
  const auto area = test::aik_public(key, alg::rsassa, alg::sha256);
  aik_creation_proof proof;
  proof.aik_public = area;
  proof.creation_data = marshal_creation_data(test::sample_creation_data());
  auto attest = test::creation_attest(area, proof.creation_data);
  attest.attested = tpms_creation_info{*object_name(area), *hash(alg::sha384, proof.creation_data)};
  proof.attest = marshal_attest(attest);
  proof.signature = test::sign(key, alg::rsassa, alg::sha256, proof.attest);
  CHECK_FAILS_WITH(verify_aik_creation(proof), aik_check::creation_hash);
}

TEST_CASE("a creation proof naming another AIK fails as attestedName") {
  EVP_PKEY* key = test::rsa_key(2048);
  const auto area = test::aik_public(key, alg::rsassa, alg::sha256);
  const auto other = test::aik_public(test::rsa_key(3072), alg::rsassa, alg::sha256);
  aik_creation_proof proof;
  proof.aik_public = area;
  proof.creation_data = marshal_creation_data(test::sample_creation_data());
  proof.attest = marshal_attest(test::creation_attest(other, proof.creation_data));
  proof.signature = test::sign(key, alg::rsassa, alg::sha256, proof.attest);
  CHECK_FAILS_WITH(verify_aik_creation(proof), aik_check::attested_name);
}

// ---------------------------------------------------------------- TPM2_Certify by another key

namespace {

struct certification {
  tpmt_public aik;
  bytes attest;
  tpmt_signature signature;
  tpmt_public signer;
};

certification sample_certification(EVP_PKEY* signer_key = test::rsa_key(3072), bytes extra_data = nonce) {
  EVP_PKEY* aik_key = test::ec_key("P-256");
  certification c;
  c.aik = test::aik_public(aik_key, alg::ecdsa, alg::sha256);
  c.signer = test::aik_public(signer_key, alg::rsassa, alg::sha256);
  tpms_attest attest = test::creation_attest(c.aik, bytes{}, std::move(extra_data));
  attest.attested = tpms_certify_info{*object_name(c.aik), bytes(34, 0x2a)};
  c.attest = marshal_attest(attest);
  c.signature = test::sign(signer_key, alg::rsassa, alg::sha256, c.attest);
  return c;
}

aik_verdict verify(const certification& c, std::optional<byte_view> expected_nonce = byte_view(nonce)) {
  return verify_aik_certification(c.aik, c.attest, c.signature, c.signer, expected_nonce);
}

}  // namespace

TEST_CASE("a certification of the AIK by another key passes") {
  const auto c = sample_certification();
  auto verdict = verify(c);
  CHECK_MESSAGE(verdict.has_value(), describe(verdict));
  CHECK(verify(c, std::nullopt).has_value());
}

TEST_CASE("a broken certification fails by name") {
  const auto c = sample_certification();
  SUBCASE("wrong nonce") {
    bytes other = nonce;
    other[31] ^= 1;
    CHECK_FAILS_WITH(verify(c, byte_view(other)), aik_check::nonce);
  }
  SUBCASE("a CREATION attestation instead of CERTIFY") {
    auto broken = c;
    broken.attest = set_u16_be(broken.attest, 4, st::attest_creation);
    CHECK_FAILS_WITH(verify(broken), aik_check::attest_type);
  }
  SUBCASE("signed by the AIK instead of the signer") {
    auto broken = c;
    broken.signature = test::sign(test::ec_key("P-256"), alg::ecdsa, alg::sha256, broken.attest);
    CHECK_FAILS_WITH(verify(broken), aik_check::signature_scheme);
    broken.signer = broken.aik;
    CHECK(verify(broken).has_value());
  }
  SUBCASE("signed by a third key") {
    auto broken = c;
    broken.signature = test::sign(test::rsa_key(2048), alg::rsassa, alg::sha256, broken.attest);
    CHECK_FAILS_WITH(verify(broken), aik_check::signature);
  }
  SUBCASE("a signer that cannot sign") {
    auto broken = c;
    broken.signer.object_attributes &= ~object_attr::sign_encrypt;
    CHECK_FAILS_WITH(verify(broken), aik_check::signer_key);
  }
  SUBCASE("a signer below 2048 bits") {
    CHECK_FAILS_WITH(verify(sample_certification(test::rsa_key(1024))), aik_check::signer_key);
  }
  SUBCASE("a certified Name of another key") {
    auto broken = c;
    broken.aik = test::aik_public(test::ec_key("P-384"), alg::ecdsa, alg::sha256);
    CHECK_FAILS_WITH(verify(broken), aik_check::attested_name);
  }
  SUBCASE("an AIK that is not fixedTPM") {
    auto broken = c;
    broken.aik.object_attributes &= ~object_attr::fixed_tpm;
    CHECK_FAILS_WITH(verify(broken), aik_check::fixed_tpm);
  }
}

TEST_CASE("every check has a distinct name") {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(aik_check::signature); ++i) {
    auto name = aik_check_name(static_cast<aik_check>(i));
    CHECK(!name.empty());
    CHECK(name != "unknown");
    names.insert(name);
  }
  CHECK(names.size() == static_cast<std::size_t>(aik_check::signature) + 1);
}
