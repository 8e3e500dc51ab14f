#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "common/encoding.hpp"
#include "tpm/ek_policy.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/hash.hpp"
#include "tpm/name.hpp"
#include "tpm/public_key.hpp"
#include "tests/support/test_keys.hpp"
#include "tests/support/test_vectors.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

const ek_template& tmpl(std::string_view id) {
  const ek_template* t = find_ek_template(id);
  REQUIRE(t);
  return *t;
}

// The template with a plausible key in `unique`, so only the template decides.
tpmt_public filled(const ek_template& t) {
  tpmt_public area = ek_template_public(t);
  if (area.type == alg::rsa) {
    area.rsa.modulus.assign(t.rsa_key_bits / 8u, 0xa5);
  } else {
    area.ecc.x.assign(curve_coordinate_size(t.curve), 0x5a);
    area.ecc.y.assign(curve_coordinate_size(t.curve), 0x3c);
  }
  return area;
}

// PolicySecret(TPM_RH_ENDORSEMENT) from its definition (Library Part 3,
// TPM2_PolicySecret): policyDigest' = H(H(policyDigest || TPM_CC_PolicySecret
// || authObject Name) || policyRef), starting from zeros, empty policyRef.
bytes policy_secret_endorsement(const EVP_MD* md) {
  const std::size_t size = static_cast<std::size_t>(EVP_MD_get_size(md));
  bytes first_input(size, 0);
  for (std::uint32_t word : {cc::policy_secret, rh_endorsement}) {
    for (int shift = 24; shift >= 0; shift -= 8) first_input.push_back(static_cast<std::uint8_t>(word >> shift));
  }
  bytes first(size);
  bytes second(size);
  REQUIRE(EVP_Digest(first_input.data(), first_input.size(), first.data(), nullptr, md, nullptr) == 1);
  REQUIRE(EVP_Digest(first.data(), first.size(), second.data(), nullptr, md, nullptr) == 1);
  return second;
}

}  // namespace

TEST_CASE("the catalogue holds L-1, L-2, H-1 … H-7 with their NV indices") {
  auto all = all_ek_templates();
  REQUIRE(all.size() == 9);
  const char* ids[] = {"L-1", "L-2", "H-1", "H-2", "H-3", "H-4", "H-5", "H-6", "H-7"};
  const std::uint32_t nv[] = {0x01C00002, 0x01C0000A, 0x01C00012, 0x01C00014, 0x01C00016,
                              0x01C00018, 0x01C0001A, 0x01C0001C, 0x01C0001E};
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].id == ids[i]);
    CHECK(all[i].cert_nv_index == nv[i]);
    CHECK(all[i].object_attributes == (i < 2 ? 0x000300B2u : 0x000300F2u));
    CHECK(all[i].symmetric.mode == alg::cfb);
    CHECK(ek_policy_name(all[i].auth_policy) == all[i].auth_policy_name);
  }
  CHECK(tmpl("L-1").rsa_key_bits == 2048);
  CHECK(tmpl("H-6").rsa_key_bits == 3072);
  CHECK(tmpl("H-7").rsa_key_bits == 4096);
  CHECK(tmpl("H-3").curve == curve::nist_p384);
  CHECK(tmpl("H-4").name_alg == alg::sha512);
  CHECK(tmpl("H-4").symmetric == sym_def_object{alg::aes, 256, alg::cfb});
  CHECK(tmpl("H-5").symmetric == sym_def_object{alg::sm4, 128, alg::cfb});
}

TEST_CASE("templates are found by id in either spelling") {
  CHECK(find_ek_template("L-1") == &all_ek_templates()[0]);
  CHECK(find_ek_template("l1") == &all_ek_templates()[0]);
  CHECK(find_ek_template("h-6") == &all_ek_templates()[7]);
  CHECK(find_ek_template("H6") == &all_ek_templates()[7]);
  CHECK(find_ek_template("L-3") == nullptr);
  CHECK(find_ek_template("L-11") == nullptr);
  CHECK(find_ek_template("L") == nullptr);
  CHECK(find_ek_template("") == nullptr);
}

TEST_CASE("PolicyA recomputed from its formula equals the catalogue constant") {
  CHECK(policy_secret_endorsement(EVP_sha256()) == bytes(policy_a_sha256.begin(), policy_a_sha256.end()));
  CHECK(tmpl("L-1").auth_policy.size() == 32);
  // The SHA-384 value no template uses, as recorded in the research notes.
  auto sha384 = to_hex(policy_secret_endorsement(EVP_sha384()));
  CHECK(sha384.substr(0, 8) == "8bbf2266");
  CHECK(sha384.substr(sha384.size() - 5) == "6db53");
}

TEST_CASE("each policy digest has the size of its template's nameAlg") {
  for (const auto& t : all_ek_templates()) {
    CAPTURE(t.id);
    std::size_t expected = t.name_alg == alg::sm3_256 ? 32 : hash_size(t.name_alg);
    CHECK(t.auth_policy.size() == expected);
  }
}

TEST_CASE("an EK built from a fresh key round-trips, classifies and gives the key back, for every template") {
  for (const auto& t : all_ek_templates()) {
    if (t.curve == curve::sm2_p256) continue;
    CAPTURE(t.id);
    EVP_PKEY* key = test::key_for(t);
    REQUIRE(key);
    tpmt_public area = ek_public_from_key(t, key);

    bytes wire = marshal_public2b(area);
    auto parsed = parse_public2b(wire);
    REQUIRE_MESSAGE(parsed, parsed.error());
    CHECK(parsed.consumed == wire.size());
    CHECK(*parsed == area);

    auto c = classify_ek_public(*parsed);
    CHECK_MESSAGE(c.match == &t, c.reason);
    CHECK(c.reason.empty());

    auto back = public_key_from_public(*parsed);
    REQUIRE(back);
    CHECK(EVP_PKEY_eq(back.get(), key) == 1);

    auto name = object_name(*parsed);
    REQUIRE(name);
    CHECK(name->size() == 2 + hash_size(t.name_alg));
  }
}

TEST_CASE("an EK built from a key writes 65537 as 0 and fills unique from the key") {
  tpmt_public rsa = ek_public_from_key(tmpl("H-6"), test::rsa_key(3072));
  CHECK(rsa.rsa.exponent == 0);
  CHECK(rsa.rsa.modulus.size() == 384);
  CHECK((rsa.rsa.modulus[0] & 0x80) != 0);

  tpmt_public ecc = ek_public_from_key(tmpl("H-4"), test::ec_key("P-521"));
  CHECK(ecc.ecc.x.size() == 66);
  CHECK(ecc.ecc.y.size() == 66);
}

TEST_CASE("an exponent other than 65537 is written as it is") {
  tpmt_public source = ek_public_from_key(tmpl("L-1"), test::rsa_key(2048));
  source.rsa.exponent = 3;
  auto key = public_key_from_public(source);
  REQUIRE(key);
  tpmt_public area = ek_public_from_key(tmpl("L-1"), key.get());
  CHECK(area.rsa.exponent == 3);
  auto back = public_key_from_public(area);
  REQUIRE(back);
  CHECK(EVP_PKEY_eq(back.get(), key.get()) == 1);
  auto c = classify_ek_public(area);
  CHECK_FALSE(c.is_standard());
  CHECK(contains(c.reason, "exponent field 0x00000003"));
}

TEST_CASE("a key that does not fit the template is refused with the reason") {
  auto message = [](const ek_template& t, EVP_PKEY* key) -> std::string {
    try {
      ek_public_from_key(t, key);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK(message(tmpl("L-1"), test::ec_key("P-256")) == "template L-1: needs an RSA key, got ECC");
  CHECK(message(tmpl("L-2"), test::rsa_key(2048)) == "template L-2: needs an ECC key, got RSA");
  CHECK(message(tmpl("H-6"), test::rsa_key(2048)) == "template H-6: needs RSA-3072, got RSA-2048");
  CHECK(message(tmpl("H-3"), test::ec_key("P-256")) == "template H-3: needs NIST P-384, got NIST P-256");
  CHECK(contains(message(tmpl("H-5"), test::ec_key("P-256")), "template H-5: SM2"));
  CHECK(contains(message(tmpl("L-1"), nullptr), "template L-1: no key"));

  evp_pkey_ptr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  REQUIRE(ed25519);
  CHECK(message(tmpl("L-1"), ed25519.get()) == "template L-1: key type ED25519 is neither RSA nor EC");
}

TEST_CASE("public_key_from_public refuses what cannot be the key it claims") {
  tpmt_public rsa = ek_public_from_key(tmpl("L-1"), test::rsa_key(2048));
  SUBCASE("modulus shorter than keyBits") {
    rsa.rsa.modulus.pop_back();
    CHECK_FALSE(public_key_from_public(rsa));
  }
  SUBCASE("empty modulus") {
    rsa.rsa.modulus.clear();
    rsa.rsa.key_bits = 0;
    CHECK_FALSE(public_key_from_public(rsa));
  }

  tpmt_public ecc = ek_public_from_key(tmpl("L-2"), test::ec_key("P-256"));
  SUBCASE("point off the curve") {
    ecc.ecc.y.back() ^= 1;
    CHECK_FALSE(public_key_from_public(ecc));
  }
  SUBCASE("coordinate longer than the curve") {
    ecc.ecc.x.insert(ecc.ecc.x.begin(), 0);
    CHECK_FALSE(public_key_from_public(ecc));
  }
  SUBCASE("SM2 and unknown curves") {
    ecc.ecc.curve = curve::sm2_p256;
    CHECK_FALSE(public_key_from_public(ecc));
    ecc.ecc.curve = 0x0099;
    CHECK_FALSE(public_key_from_public(ecc));
  }
  SUBCASE("not an asymmetric key") {
    tpmt_public keyed;
    keyed.type = alg::keyedhash;
    CHECK_FALSE(public_key_from_public(keyed));
  }
}

TEST_CASE("ECC coordinates a TPM wrote without their leading zero byte still give the key") {
  evp_pkey_ptr key;
  tpmt_public area;
  for (int attempt = 0; attempt < 8192 && !key; ++attempt) {
    evp_pkey_ptr candidate(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    REQUIRE(candidate);
    area = ek_public_from_key(tmpl("L-2"), candidate.get());
    if (area.ecc.x[0] == 0) key = std::move(candidate);
  }
  REQUIRE_MESSAGE(key, "no P-256 key with a leading zero byte in x within 8192 tries");
  area.ecc.x.erase(area.ecc.x.begin());
  auto back = public_key_from_public(area);
  REQUIRE(back);
  CHECK(EVP_PKEY_eq(back.get(), key.get()) == 1);
  CHECK(classify_ek_public(area).is_standard());
}

TEST_CASE("classification recognises every template, H-5 included") {
  for (const auto& t : all_ek_templates()) {
    CAPTURE(t.id);
    auto c = classify_ek_public(filled(t));
    CHECK_MESSAGE(c.match == &t, c.reason);
    CHECK(c.label() == t.id);
  }
}

TEST_CASE("classification names the first property that differs from the closest template") {
  SUBCASE("an extra attribute") {
    tpmt_public area = filled(tmpl("L-1"));
    area.object_attributes |= object_attr::sign_encrypt;
    auto c = classify_ek_public(area);
    CHECK_FALSE(c.is_standard());
    CHECK(c.label() == "non-standard");
    CHECK(c.reason == "closest to L-1: objectAttributes 0x000700b2, L-1 needs 0x000300b2 (extra sign)");
  }
  SUBCASE("a missing attribute") {
    tpmt_public area = filled(tmpl("H-3"));
    area.object_attributes &= ~object_attr::restricted;
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to H-3: objectAttributes 0x000200f2, H-3 needs 0x000300f2 (missing restricted)");
  }
  SUBCASE("the high-range policy on a low-range EK") {
    tpmt_public area = filled(tmpl("L-1"));
    area.auth_policy.assign(policy_b_sha256.begin(), policy_b_sha256.end());
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to L-1: authPolicy PolicyB-SHA256, L-1 needs PolicyA-SHA256");
  }
  SUBCASE("an unknown policy") {
    tpmt_public area = filled(tmpl("H-2"));
    area.auth_policy = bytes(32, 0);
    auto c = classify_ek_public(area);
    CHECK(contains(c.reason, "closest to H-2: authPolicy 0000"));
    CHECK(contains(c.reason, "(32 bytes), H-2 needs PolicyB-SHA256"));
  }
  SUBCASE("another nameAlg") {
    tpmt_public area = filled(tmpl("L-2"));
    area.name_alg = alg::sha384;
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to L-2: nameAlg SHA384, L-2 needs SHA256");
  }
  SUBCASE("no symmetric algorithm") {
    tpmt_public area = filled(tmpl("H-7"));
    area.symmetric = {};
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to H-7: symmetric NULL, H-7 needs AES-256-CFB");
  }
  SUBCASE("a signing scheme") {
    tpmt_public area = filled(tmpl("H-6"));
    area.scheme = {alg::rsassa, alg::sha256, 0};
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to H-6: scheme RSASSA-SHA256, H-6 needs NULL");
  }
  SUBCASE("an RSA size no template has") {
    tpmt_public area = filled(tmpl("L-1"));
    area.rsa.key_bits = 1024;
    area.rsa.modulus.resize(128);
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to L-1: RSA keyBits 1024, L-1 needs 2048");
  }
  SUBCASE("a curve the template does not use") {
    tpmt_public area = filled(tmpl("H-3"));
    area.ecc.curve = curve::nist_p521;
    area.ecc.x.resize(66);
    area.ecc.y.resize(66);
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to H-3: curveID NIST P-521, H-3 needs NIST P-384");
  }
  SUBCASE("a kdf") {
    tpmt_public area = filled(tmpl("L-2"));
    area.ecc.kdf = {alg::kdf1_sp800_56a, alg::sha256};
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to L-2: kdf KDF1_SP800_56A-SHA256, L-2 needs NULL");
  }
  SUBCASE("65537 written out") {
    tpmt_public area = filled(tmpl("L-1"));
    area.rsa.exponent = 65537;
    auto c = classify_ek_public(area);
    CHECK(c.reason == "closest to L-1: exponent field 0x00010001, L-1 needs 0 (which means 65537)");
  }
  SUBCASE("a modulus that contradicts keyBits") {
    tpmt_public area = filled(tmpl("L-1"));
    area.rsa.modulus.resize(255);
    auto c = classify_ek_public(area);
    CHECK(c.reason == "parameters match L-1, but unique.rsa is 255 bytes while keyBits is 2048");
  }
  SUBCASE("a template's empty unique is no EK") {
    auto c = classify_ek_public(ek_template_public(tmpl("H-2")));
    CHECK(c.reason == "parameters match H-2, but unique.ecc.x is 0 bytes; NIST P-256 needs 1 to 32");
  }
  SUBCASE("not an asymmetric key") {
    tpmt_public area;
    area.type = alg::keyedhash;
    auto c = classify_ek_public(area);
    CHECK(c.reason == "type KEYEDHASH is not an EK key type (RSA or ECC)");
  }
}

TEST_CASE("the swtpm --allow-signing EK is non-standard because of its attributes") {
  tpmt_public area;
  area.type = alg::rsa;
  area.name_alg = alg::sha256;
  area.object_attributes = 0x000400B2;
  area.auth_policy.assign(policy_a_sha256.begin(), policy_a_sha256.end());
  area.rsa.key_bits = 2048;
  area.rsa.modulus = *from_hex(test::swtpm_signing_ek_modulus);
  auto c = classify_ek_public(area);
  CHECK_FALSE(c.is_standard());
  CHECK(c.reason ==
        "closest to L-1: objectAttributes 0x000400b2, L-1 needs 0x000300b2 (missing restricted|decrypt, extra sign) "
        "(and 1 more difference)");
}

TEST_CASE("the policy session for each EK template: PolicyA alone, or PolicyOR of A and C giving the template's B") {
  for (const auto& t : all_ek_templates()) {
    CAPTURE(t.id);
    auto steps = ek_policy_session_for(t.auth_policy);
    if (t.auth_policy_name == "PolicyB-SM3") {
      CHECK_FALSE(steps);  // this project computes no SM3
      continue;
    }
    REQUIRE(steps);
    CHECK(steps->hash == t.name_alg);
    if (t.auth_policy_name == "PolicyA-SHA256") {
      CHECK(steps->policy_or_branches.empty());
    } else {
      REQUIRE(steps->policy_or_branches.size() == 2);
      // Branch A is PolicySecret(TPM_RH_ENDORSEMENT) in the template's hash.
      CHECK(steps->policy_or_branches[0] == policy_secret_endorsement(hash_md(t.name_alg)));
    }
  }
  bytes other(policy_b_sha384.begin(), policy_b_sha384.end());
  other[0] ^= 1;
  CHECK_FALSE(ek_policy_session_for(other));
  CHECK_FALSE(ek_policy_session_for({}));
}
