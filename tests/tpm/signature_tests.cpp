// TPMT_SIGNATURE parsing and checking a signature against a key.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "tpm/signature.hpp"
#include "tpm/signature_verify.hpp"
#include "tests/support/aik_test_support.hpp"
#include "tests/support/parse_test_support.hpp"
#include "tests/support/test_keys.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

using test::contains;
using test::starts_with;

const bytes message = bytes{'a', 't', 't', 'e', 's', 't'};

tpmt_signature ecdsa_sample() {
  tpmt_signature signature;
  signature.sig_alg = alg::ecdsa;
  signature.hash = alg::sha256;
  signature.ecdsa_r = bytes(32, 0x01);
  signature.ecdsa_s = bytes(32, 0x02);
  return signature;
}

}  // namespace

TEST_CASE("TPMT_SIGNATURE layouts for RSASSA, RSAPSS and ECDSA") {
  tpmt_signature rsa;
  rsa.sig_alg = alg::rsassa;
  rsa.hash = alg::sha256;
  rsa.rsa_signature = bytes(256, 0xab);
  bytes wire = marshal_signature(rsa);
  CHECK(to_hex(byte_view(wire).first(6)) == "0014000b0100");
  CHECK(wire.size() == 6 + 256);

  rsa.sig_alg = alg::rsapss;
  rsa.hash = alg::sha384;
  wire = marshal_signature(rsa);
  CHECK(to_hex(byte_view(wire).first(6)) == "0016000c0100");

  wire = marshal_signature(ecdsa_sample());
  CHECK(to_hex(byte_view(wire).first(6)) == "0018000b0020");
  CHECK(to_hex(byte_view(wire).subspan(38, 2)) == "0020");
  CHECK(wire.size() == 4 + 34 + 34);

  for (const auto& signature : {rsa, ecdsa_sample()}) {
    auto parsed = parse_signature(marshal_signature(signature));
    REQUIRE_MESSAGE(parsed, parsed.error());
    CHECK(*parsed == signature);
  }
}

TEST_CASE("truncating a TPMT_SIGNATURE names the field the cut falls into") {
  const bytes wire = marshal_signature(ecdsa_sample());
  for (std::size_t length = 0; length < wire.size(); ++length) {
    CAPTURE(length);
    std::string_view field = length < 2    ? "TPMT_SIGNATURE.sigAlg"
                             : length < 4  ? "TPMT_SIGNATURE.signature.ecdsa.hash"
                             : length < 38 ? "TPMT_SIGNATURE.signature.ecdsa.signatureR"
                                           : "TPMT_SIGNATURE.signature.ecdsa.signatureS";
    auto parsed = parse_signature(byte_view(wire).first(length));
    REQUIRE_FALSE(parsed);
    CHECK_MESSAGE(starts_with(parsed.error(), std::string(field) + " at offset "), parsed.error());
    CHECK(contains(parsed.error(), "truncated"));
  }
}

TEST_CASE("NULL and schemes nothing here verifies are rejected at sigAlg") {
  auto null = parse_signature(bytes{0x00, 0x10});
  REQUIRE_FALSE(null);
  CHECK(null.error() == "TPMT_SIGNATURE.sigAlg at offset 0: NULL: the TPM produced no signature");

  bytes ecdaa = marshal_signature(ecdsa_sample());
  ecdaa[1] = 0x1A;
  auto parsed = parse_signature(ecdaa);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMT_SIGNATURE.sigAlg at offset 0: unsupported signature scheme 0x001a (ECDAA)");

  auto hmac = parse_signature(bytes{0x00, 0x05, 0x00, 0x0b});
  REQUIRE_FALSE(hmac);
  CHECK(hmac.error() == "TPMT_SIGNATURE.sigAlg at offset 0: unsupported signature scheme 0x0005 (HMAC)");

  tpmt_signature none;
  CHECK_THROWS_AS(marshal_signature(none), std::invalid_argument);
}

TEST_CASE("signature buffers above their caps are rejected") {
  bytes rsa{0x00, 0x14, 0x00, 0x0b, 0x02, 0x01};
  rsa.resize(6 + 513);
  auto parsed = parse_signature(rsa);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMT_SIGNATURE.signature.rsa.sig at offset 4: size 513 exceeds the maximum 512");

  bytes ecdsa = marshal_signature(ecdsa_sample());
  ecdsa[38] = 0x00;
  ecdsa[39] = 67;
  parsed = parse_signature(ecdsa);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMT_SIGNATURE.signature.ecdsa.signatureS at offset 38: size 67 exceeds the maximum 66");

  auto too_big = ecdsa_sample();
  too_big.ecdsa_r = bytes(67, 1);
  CHECK_THROWS_AS(marshal_signature(too_big), std::invalid_argument);
}

TEST_CASE("bytes after a bare TPMT_SIGNATURE are an error") {
  bytes wire = marshal_signature(ecdsa_sample());
  wire.push_back(0);
  auto parsed = parse_signature(wire);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMT_SIGNATURE at offset 72: 1 unexpected trailing bytes");
}

TEST_CASE("signatures verify with the signing key and the signature's hash") {
  struct sample {
    EVP_PKEY* key;
    alg_id sig_alg;
    alg_id hash;
  };
  for (const auto& s : {sample{test::rsa_key(2048), alg::rsassa, alg::sha256},
                        sample{test::rsa_key(2048), alg::rsassa, alg::sha384},
                        sample{test::rsa_key(2048), alg::rsapss, alg::sha256},
                        sample{test::rsa_key(3072), alg::rsapss, alg::sha512},
                        sample{test::ec_key("P-256"), alg::ecdsa, alg::sha256},
                        sample{test::ec_key("P-384"), alg::ecdsa, alg::sha384}}) {
    CAPTURE(s.sig_alg);
    CAPTURE(s.hash);
    auto signature = test::sign(s.key, s.sig_alg, s.hash, message);
    CHECK(signature_error(s.key, message, signature) == std::nullopt);

    bytes other = message;
    other.back() ^= 1;
    auto error = signature_error(s.key, other, signature);
    REQUIRE(error);
    CHECK(contains(*error, "does not verify"));

    auto wrong_hash = signature;
    wrong_hash.hash = s.hash == alg::sha256 ? alg::sha384 : alg::sha256;
    CHECK(signature_error(s.key, message, wrong_hash));
  }
}

TEST_CASE("RSA-PSS signatures verify whatever salt length the TPM chose") {
  EVP_PKEY* key = test::rsa_key(2048);
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  REQUIRE(EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, "SHA256", nullptr, nullptr, key, nullptr) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_MAX) == 1);
  std::size_t length = 256;
  bytes raw(length);
  REQUIRE(EVP_DigestSign(ctx.get(), raw.data(), &length, message.data(), message.size()) == 1);
  tpmt_signature signature{alg::rsapss, alg::sha256, raw, {}, {}};
  CHECK(signature_error(key, message, signature) == std::nullopt);
  // The same bytes are no PKCS#1 v1.5 signature.
  signature.sig_alg = alg::rsassa;
  CHECK(signature_error(key, message, signature));
}

TEST_CASE("ECDSA r and s verify with or without leading zero bytes") {
  EVP_PKEY* key = test::ec_key("P-256");
  auto signature = test::sign(key, alg::ecdsa, alg::sha256, message);
  signature.ecdsa_r.insert(signature.ecdsa_r.begin(), 0x00);
  CHECK(signature_error(key, message, signature) == std::nullopt);
  signature.ecdsa_s.clear();
  auto error = signature_error(key, message, signature);
  REQUIRE(error);
  CHECK(contains(*error, "cannot be encoded"));
}

TEST_CASE("a signature scheme that does not fit the key, or an unknown hash, is an error") {
  auto rsa_signature = test::sign(test::rsa_key(2048), alg::rsassa, alg::sha256, message);
  auto error = signature_error(test::ec_key("P-256"), message, rsa_signature);
  REQUIRE(error);
  CHECK(contains(*error, "non-RSA key"));

  auto ecdsa_signature = test::sign(test::ec_key("P-256"), alg::ecdsa, alg::sha256, message);
  error = signature_error(test::rsa_key(2048), message, ecdsa_signature);
  REQUIRE(error);
  CHECK(contains(*error, "non-EC key"));

  rsa_signature.hash = alg::sm3_256;
  error = signature_error(test::rsa_key(2048), message, rsa_signature);
  REQUIRE(error);
  CHECK(contains(*error, "0x0012 (SM3_256)"));

  CHECK(signature_error(nullptr, message, ecdsa_signature) == std::string("no key"));
}
