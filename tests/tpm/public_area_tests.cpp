#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/encoding.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/name.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"
#include "tests/support/test_vectors.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

bytes hex(std::string_view text) {
  auto out = from_hex(text);
  REQUIRE(out);
  return *out;
}

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

tpmt_public keyedhash_sample() {
  tpmt_public area;
  area.type = alg::keyedhash;
  area.name_alg = alg::sha256;
  area.object_attributes = object_attr::fixed_tpm | object_attr::fixed_parent | object_attr::user_with_auth;
  area.keyedhash.scheme = alg::xor_;
  area.keyedhash.hash = alg::sha256;
  area.keyedhash.kdf = alg::kdf1_sp800_108;
  area.keyedhash.unique = bytes(32, 0x5a);
  return area;
}

}  // namespace

TEST_CASE("the keylime RSA EK vector parses as L-1 and re-marshals byte for byte") {
  const bytes wire = hex(test::keylime_rsa_ek_public2b);
  auto parsed = parse_public2b(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed.consumed == wire.size());
  CHECK(parsed->type == alg::rsa);
  CHECK(parsed->name_alg == alg::sha256);
  CHECK(parsed->object_attributes == 0x000300B2);
  CHECK(to_hex(parsed->auth_policy) == "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
  CHECK(parsed->symmetric == sym_def_object{alg::aes, 128, alg::cfb});
  CHECK(parsed->scheme == asym_scheme{});
  CHECK(parsed->rsa.key_bits == 2048);
  CHECK(parsed->rsa.exponent == 0);
  CHECK(parsed->rsa.modulus.size() == 256);
  CHECK(marshal_public2b(*parsed) == wire);
  CHECK(classify_ek_public(*parsed).label() == "L-1");
  CHECK(public_key_from_public(*parsed) != nullptr);
}

TEST_CASE("the keylime ECC EK vector parses as L-2 and re-marshals byte for byte") {
  const bytes wire = hex(test::keylime_ecc_ek_public2b);
  auto parsed = parse_public2b(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed.consumed == wire.size());
  CHECK(parsed->type == alg::ecc);
  CHECK(parsed->ecc.curve == curve::nist_p256);
  CHECK(parsed->ecc.kdf == kdf_scheme{});
  CHECK(parsed->ecc.x.size() == 32);
  CHECK(parsed->ecc.y.size() == 32);
  CHECK(marshal_public2b(*parsed) == wire);
  CHECK(classify_ek_public(*parsed).label() == "L-2");
  CHECK(public_key_from_public(*parsed) != nullptr);
}

TEST_CASE("an L-1 public area starts with the bytes the spec layout gives") {
  auto area = ek_template_public(*find_ek_template("L-1"));
  const std::string expected_prefix =
      "0001000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa"
      "000600800043" "0010" "0800" "00000000" "0100";
  auto wire = to_hex(marshal_public(area));
  CHECK(wire.substr(0, expected_prefix.size()) == expected_prefix);
  CHECK(wire.size() == expected_prefix.size() + 256 * 2);
}

TEST_CASE("a TPM2B_PUBLIC may be followed by other structures; consumed says where they start") {
  bytes wire = hex(test::keylime_ecc_ek_public2b);
  const std::size_t size = wire.size();
  wire.insert(wire.end(), {0xde, 0xad, 0xbe, 0xef});
  auto parsed = parse_public2b(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed.consumed == size);

  reader r(wire);
  CHECK(read_public2b(r));
  CHECK(r.u32("next") == 0xdeadbeef);
}

TEST_CASE("a bare TPMT_PUBLIC must be the whole input") {
  bytes tpmt = marshal_public(ek_template_public(*find_ek_template("H-3")));
  CHECK(parse_public(tpmt));
  tpmt.push_back(0);
  auto parsed = parse_public(tpmt);
  CHECK_FALSE(parsed);
  CHECK(starts_with(parsed.error(), "TPMT_PUBLIC at offset"));
  CHECK(contains(parsed.error(), "1 unexpected trailing bytes"));
}

TEST_CASE("the TPM2B_PUBLIC size must equal what TPMT_PUBLIC consumes") {
  const bytes tpmt = marshal_public(ek_template_public(*find_ek_template("L-2")));
  SUBCASE("size too large: unread bytes inside the TPM2B") {
    writer w;
    bytes padded = tpmt;
    padded.push_back(0);
    w.tpm2b(padded);
    auto parsed = parse_public2b(w.data());
    CHECK_FALSE(parsed);
    CHECK(parsed.error() == "TPM2B_PUBLIC at offset 0: size " + std::to_string(padded.size()) +
                              " but the structure inside uses " + std::to_string(tpmt.size()) + " bytes");
  }
  SUBCASE("size too small: the TPMT_PUBLIC runs past it") {
    writer w;
    w.u16(static_cast<std::uint16_t>(tpmt.size() - 1)).raw(tpmt);
    auto parsed = parse_public2b(w.data());
    CHECK_FALSE(parsed);
    CHECK(starts_with(parsed.error(), "TPMT_PUBLIC.unique.ecc.y"));
  }
}

TEST_CASE("truncating a TPM2B_PUBLIC at every offset fails with a named field") {
  for (auto vector : {test::keylime_rsa_ek_public2b, test::keylime_ecc_ek_public2b}) {
    const bytes wire = hex(vector);
    for (std::size_t length = 0; length < wire.size(); ++length) {
      CAPTURE(length);
      auto parsed = parse_public2b(byte_view(wire).first(length));
      REQUIRE_FALSE(parsed);
      CHECK(starts_with(parsed.error(), "TPM2B_PUBLIC at offset "));
    }
  }
}

TEST_CASE("truncating the TPMT_PUBLIC inside a consistent TPM2B names the field that broke") {
  // Layout of the L-1 vector's TPMT_PUBLIC: [end offset, field].
  const std::vector<std::pair<std::size_t, std::string_view>> layout = {
      {2, "TPMT_PUBLIC.type"},
      {4, "TPMT_PUBLIC.nameAlg"},
      {8, "TPMT_PUBLIC.objectAttributes"},
      {42, "TPMT_PUBLIC.authPolicy"},
      {44, "TPMT_PUBLIC.parameters.symmetric.algorithm"},
      {46, "TPMT_PUBLIC.parameters.symmetric.keyBits"},
      {48, "TPMT_PUBLIC.parameters.symmetric.mode"},
      {50, "TPMT_PUBLIC.parameters.scheme.scheme"},
      {52, "TPMT_PUBLIC.parameters.rsaDetail.keyBits"},
      {56, "TPMT_PUBLIC.parameters.rsaDetail.exponent"},
      {314, "TPMT_PUBLIC.unique.rsa"},
  };
  const bytes wire = hex(test::keylime_rsa_ek_public2b);
  const bytes tpmt(wire.begin() + 2, wire.end());
  REQUIRE(tpmt.size() == 314);
  for (std::size_t length = 0; length < tpmt.size(); ++length) {
    CAPTURE(length);
    std::string_view field;
    for (const auto& [end, name] : layout) {
      if (length < end) {
        field = name;
        break;
      }
    }
    auto bare = parse_public(byte_view(tpmt).first(length));
    REQUIRE_FALSE(bare);
    CHECK(starts_with(bare.error(), std::string(field) + " at offset "));

    writer w;
    w.tpm2b(byte_view(tpmt).first(length));
    auto wrapped = parse_public2b(w.data());
    REQUIRE_FALSE(wrapped);
    CHECK(starts_with(wrapped.error(), std::string(field) + " at offset "));
  }
}

TEST_CASE("oversized buffers are refused before they are read") {
  auto area = ek_template_public(*find_ek_template("L-1"));
  SUBCASE("modulus above 512 bytes") {
    bytes wire = marshal_public(area);
    // Rewrite unique.rsa's size (at offset 56) to 513 and supply the bytes.
    wire.resize(56);
    writer w;
    w.raw(wire).tpm2b(bytes(513, 0x11));
    auto parsed = parse_public(w.data());
    CHECK_FALSE(parsed);
    CHECK(parsed.error() == "TPMT_PUBLIC.unique.rsa at offset 56: size 513 exceeds the maximum 512");
  }
  SUBCASE("authPolicy above 64 bytes") {
    area.auth_policy = bytes(64, 0x22);
    bytes wire = marshal_public(area);
    CHECK(parse_public(wire));
    wire[9] = 65;  // authPolicy size low byte
    auto parsed = parse_public(wire);
    CHECK_FALSE(parsed);
    CHECK(parsed.error() == "TPMT_PUBLIC.authPolicy at offset 8: size 65 exceeds the maximum 64");
  }
  SUBCASE("ECC coordinate above 66 bytes") {
    tpmt_public ecc = ek_template_public(*find_ek_template("H-4"));
    ecc.ecc.x = bytes(66, 1);
    ecc.ecc.y = bytes(66, 2);
    bytes wire = marshal_public(ecc);
    CHECK(parse_public(wire));
    ecc.ecc.x = bytes(67, 1);
    CHECK_THROWS_AS(marshal_public(ecc), std::invalid_argument);
  }
}

TEST_CASE("unknown selectors are rejected with the field and value named") {
  const bytes good = marshal_public(ek_template_public(*find_ek_template("L-1")));
  auto with = [&](std::size_t offset, std::uint16_t value) {
    bytes wire = good;
    wire[offset] = static_cast<std::uint8_t>(value >> 8);
    wire[offset + 1] = static_cast<std::uint8_t>(value);
    return parse_public(wire);
  };
  auto type = with(0, alg::symcipher);
  CHECK(type.error() == "TPMT_PUBLIC.type at offset 0: unsupported object type 0x0025 (SYMCIPHER)");
  auto sym = with(42, alg::xor_);
  CHECK(sym.error() == "TPMT_PUBLIC.parameters.symmetric.algorithm at offset 42: unsupported 0x000a (XOR)");
  auto scheme = with(48, alg::ecdsa);
  CHECK(scheme.error() ==
        "TPMT_PUBLIC.parameters.scheme.scheme at offset 48: unsupported 0x0018 (ECDSA) for RSA keys");
}

TEST_CASE("signing schemes, kdfs and keyed-hash objects round-trip") {
  tpmt_public ak = ek_template_public(*find_ek_template("L-1"));
  ak.object_attributes = 0x00050072;
  ak.auth_policy.clear();
  ak.symmetric = {};
  ak.scheme = {alg::rsassa, alg::sha256, 0};
  ak.rsa.modulus = bytes(256, 0xc3);
  auto wire = marshal_public(ak);
  CHECK(to_hex(wire).substr(0, 40) == "0001000b00050072000000100014000b08000000");
  CHECK(parse_public(wire).value() == ak);

  tpmt_public ecdaa = ek_template_public(*find_ek_template("L-2"));
  ecdaa.scheme = {alg::ecdaa, alg::sha256, 7};
  ecdaa.ecc.kdf = {alg::kdf1_sp800_56a, alg::sha256};
  CHECK(parse_public(marshal_public(ecdaa)).value() == ecdaa);

  auto sealed = keyedhash_sample();
  CHECK(parse_public2b(marshal_public2b(sealed)).value() == sealed);
  sealed.keyedhash = {alg::hmac, alg::sha384, alg::null, bytes(48, 1)};
  CHECK(parse_public2b(marshal_public2b(sealed)).value() == sealed);
  sealed.keyedhash = {alg::null, alg::null, alg::null, {}};
  CHECK(parse_public2b(marshal_public2b(sealed)).value() == sealed);
}

TEST_CASE("marshalling refuses structures the wire format cannot express") {
  tpmt_public area;
  area.type = alg::symcipher;
  CHECK_THROWS_AS(marshal_public(area), std::invalid_argument);
  area = ek_template_public(*find_ek_template("L-1"));
  area.scheme.scheme = alg::ecdsa;
  CHECK_THROWS_AS(marshal_public(area), std::invalid_argument);
  area = ek_template_public(*find_ek_template("L-1"));
  area.auth_policy = bytes(65);
  CHECK_THROWS_AS(marshal_public(area), std::invalid_argument);
}

TEST_CASE("random mutations never crash the parser, and what parses round-trips") {
  std::mt19937 rng(20240611);
  std::vector<bytes> seeds = {hex(test::keylime_rsa_ek_public2b), hex(test::keylime_ecc_ek_public2b),
                              marshal_public2b(keyedhash_sample())};
  int parsed_count = 0;
  for (int round = 0; round < 30000; ++round) {
    bytes wire = seeds[round % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: wire[rng() % wire.size()] = static_cast<std::uint8_t>(rng()); break;
        case 1: wire[rng() % std::min<std::size_t>(wire.size(), 64)] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
        case 2: wire.resize(rng() % (wire.size() + 1)); break;
        default: wire.push_back(static_cast<std::uint8_t>(rng())); break;
      }
      if (wire.empty()) wire.push_back(0);
    }
    auto parsed = parse_public2b(wire);
    if (!parsed) {
      CHECK_FALSE(parsed.error().empty());
      continue;
    }
    ++parsed_count;
    CHECK(parsed.consumed <= wire.size());
    CHECK(marshal_public2b(*parsed) == bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(parsed.consumed)));
    // Whatever a client sends, these must not crash either.
    (void)object_name(*parsed);
    (void)classify_ek_public(*parsed);
    (void)public_key_from_public(*parsed);
  }
  CHECK(parsed_count > 0);
}
