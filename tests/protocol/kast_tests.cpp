// The Windows KeyAttestationStatement ('KAST'), its 'KADS' key attestation
// blob and the TPM 2.0 idBinding inside it.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/creation_proof.hpp"
#include "protocol/wcce/kast.hpp"
#include "tests/support/aik_test_support.hpp"
#include "tests/support/parse_test_support.hpp"
#include "tests/support/test_keys.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
using namespace aikmock::protocol::wcce;
using test::check_truncations_name_fields;
using test::contains;
using test::set_u16_be;
using test::set_u32_le;
using test::starts_with;

namespace {

aik_creation_proof rsa_proof() {
  EVP_PKEY* key = test::rsa_key(2048);
  return test::creation_proof(key, test::aik_public(key, alg::rsassa, alg::sha256), alg::rsassa, alg::sha256,
                              bytes(32, 0x4e));
}

key_attestation_statement sample_statement() {
  key_attestation_statement statement;
  statement.platform = kast_platform::tpm20;
  statement.id_binding = marshal_creation_proof(rsa_proof());
  statement.key_attestation = marshal_kads({kast_platform::tpm20, bytes(40, 0xa1), bytes(20, 0xa2), bytes(30, 0xa3)});
  statement.aik_opaque = bytes(50, 0x0a);
  return statement;
}

// Sizes of the four idBinding parts of `proof`, in wire order.
struct part_sizes {
  std::size_t public2b, creation_data2b, attest2b, signature;
};

part_sizes sizes_of(const aik_creation_proof& proof) {
  return {marshal_public2b(proof.aik_public).size(), 2 + proof.creation_data.size(), 2 + proof.attest.size(),
          marshal_signature(proof.signature).size()};
}

}  // namespace

// ---------------------------------------------------------------- KAST framing

TEST_CASE("a KeyAttestationStatement has the documented little-endian header and parses back") {
  const auto statement = sample_statement();
  const bytes wire = marshal_kast(statement);
  const std::size_t id_size = statement.id_binding.size();
  REQUIRE(id_size < 0x10000);
  CHECK(to_hex(byte_view(wire).first(16)) == "4b41535401000000020000001c000000");
  CHECK(to_hex(byte_view(wire).subspan(16, 4)) ==
        to_hex(bytes{static_cast<std::uint8_t>(id_size), static_cast<std::uint8_t>(id_size >> 8), 0, 0}));
  CHECK(to_hex(byte_view(wire).subspan(20, 8)) == "7200000032000000");
  CHECK(wire.size() == 28 + id_size + 0x72 + 50);
  CHECK(std::string(wire.begin(), wire.begin() + 4) == "KAST");

  auto parsed = parse_kast(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == statement);
  CHECK(parsed.consumed == wire.size());
}

TEST_CASE("a TPM 1.2 statement and empty parts frame and parse too") {
  key_attestation_statement statement{kast_platform::tpm12, bytes(10, 1), {}, {}};
  auto parsed = parse_kast(marshal_kast(statement));
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == statement);
}

TEST_CASE("truncating a KeyAttestationStatement names the field the cut falls into") {
  const auto statement = sample_statement();
  const std::size_t id_end = 28 + statement.id_binding.size();
  const std::size_t key_end = id_end + statement.key_attestation.size();
  check_truncations_name_fields(marshal_kast(statement),
                                {{4, "KeyAttestationStatement.Magic"},
                                 {8, "KeyAttestationStatement.Version"},
                                 {12, "KeyAttestationStatement.Platform"},
                                 {16, "KeyAttestationStatement.HeaderSize"},
                                 {20, "KeyAttestationStatement.cbIdBinding"},
                                 {24, "KeyAttestationStatement.cbKeyAttestation"},
                                 {28, "KeyAttestationStatement.cbAIKOpaque"},
                                 {id_end, "KeyAttestationStatement.IdBinding"},
                                 {key_end, "KeyAttestationStatement.KeyAttestation"},
                                 {key_end + statement.aik_opaque.size(), "KeyAttestationStatement.AIKOpaque"}},
                                [](byte_view data) { return parse_kast(data); });
}

TEST_CASE("KAST header values other than the documented ones are rejected at their field") {
  const bytes wire = marshal_kast(sample_statement());
  struct bad_field {
    std::size_t offset;
    std::uint32_t value;
    std::string expected;
  };
  for (const auto& c : {
           bad_field{0, 0x5344414B, "KeyAttestationStatement.Magic at offset 0: 0x5344414B is not 'KAST' (0x5453414B)"},
           bad_field{4, 2, "KeyAttestationStatement.Version at offset 4: unsupported version 2"},
           bad_field{8, 3, "KeyAttestationStatement.Platform at offset 8: 3 is neither 1 (TPM 1.2) nor 2 (TPM 2.0)"},
           bad_field{8, 0, "KeyAttestationStatement.Platform at offset 8: 0 is neither 1 (TPM 1.2) nor 2 (TPM 2.0)"},
           bad_field{12, 27, "KeyAttestationStatement.HeaderSize at offset 12: 27 is less than the 28-byte header"},
       }) {
    CAPTURE(c.expected);
    auto parsed = parse_kast(set_u32_le(wire, c.offset, c.value));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == c.expected);
  }
}

TEST_CASE("a longer KAST header is skipped as an unknown extension") {
  const auto statement = sample_statement();
  bytes wire = marshal_kast(statement);
  wire.insert(wire.begin() + 28, {0xde, 0xad, 0xbe, 0xef});
  wire = set_u32_le(wire, 12, 32);
  auto parsed = parse_kast(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == statement);
}

TEST_CASE("KAST sizes that do not add up to the input are named") {
  const bytes wire = marshal_kast(sample_statement());
  SUBCASE("trailing bytes") {
    bytes longer = wire;
    longer.push_back(0);
    auto parsed = parse_kast(longer);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() ==
          "KeyAttestationStatement at offset " + std::to_string(wire.size()) + ": 1 unexpected trailing bytes");
  }
  SUBCASE("a part size far beyond the input") {
    auto parsed = parse_kast(set_u32_le(wire, 16, 0xFFFFFFFF));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "KeyAttestationStatement.IdBinding at offset 28: value truncated (needs 4294967295 bytes, " +
                              std::to_string(wire.size() - 28) + " left)");
  }
  SUBCASE("a header size far beyond the input") {
    auto parsed = parse_kast(set_u32_le(wire, 12, 0xFFFFFFFF));
    REQUIRE_FALSE(parsed);
    CHECK(starts_with(parsed.error(), "KeyAttestationStatement.header at offset 28: value truncated"));
  }
  SUBCASE("an input above the cap") {
    bytes huge = wire;
    huge.resize(max_kast_size + 1);
    auto parsed = parse_kast(huge);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "KeyAttestationStatement at offset 0: size 65537 exceeds the maximum 65536");
  }
}

TEST_CASE("marshalling refuses a statement above the cap") {
  key_attestation_statement statement;
  statement.aik_opaque = bytes(max_kast_size, 0);
  CHECK_THROWS_AS(marshal_kast(statement), std::length_error);
  statement.aik_opaque.resize(max_kast_size - kast_header_size);
  CHECK(marshal_kast(statement).size() == max_kast_size);
}

// ---------------------------------------------------------------- KADS

TEST_CASE("a KADS key attestation blob has the documented header and parses back") {
  const key_attestation_blob blob{kast_platform::tpm20, bytes(40, 0xa1), bytes(20, 0xa2), bytes(30, 0xa3)};
  const bytes wire = marshal_kads(blob);
  CHECK(to_hex(byte_view(wire).first(24)) == "4b414453020000001800000028000000140000001e000000");
  CHECK(std::string(wire.begin(), wire.begin() + 4) == "KADS");
  auto parsed = parse_kads(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == blob);

  check_truncations_name_fields(wire,
                                {{4, "KeyAttestation.Magic"},
                                 {8, "KeyAttestation.Platform"},
                                 {12, "KeyAttestation.HeaderSize"},
                                 {16, "KeyAttestation.cbKeyAttest"},
                                 {20, "KeyAttestation.cbSignature"},
                                 {24, "KeyAttestation.cbKeyBlob"},
                                 {64, "KeyAttestation.KeyAttest"},
                                 {84, "KeyAttestation.Signature"},
                                 {114, "KeyAttestation.KeyBlob"}},
                                [](byte_view data) { return parse_kads(data); });
}

TEST_CASE("KADS header values other than the documented ones are rejected") {
  const bytes wire = marshal_kads({kast_platform::tpm20, bytes(4, 1), bytes(4, 2), bytes(4, 3)});
  auto magic = parse_kads(set_u32_le(wire, 0, kast_magic));
  REQUIRE_FALSE(magic);
  CHECK(magic.error() == "KeyAttestation.Magic at offset 0: 0x5453414B is not 'KADS' (0x5344414B)");
  auto platform = parse_kads(set_u32_le(wire, 4, 7));
  REQUIRE_FALSE(platform);
  CHECK(platform.error() == "KeyAttestation.Platform at offset 4: 7 is neither 1 (TPM 1.2) nor 2 (TPM 2.0)");
  auto header = parse_kads(set_u32_le(wire, 8, 20));
  REQUIRE_FALSE(header);
  CHECK(header.error() == "KeyAttestation.HeaderSize at offset 8: 20 is less than the 24-byte header");
  bytes longer = wire;
  longer.push_back(0);
  auto trailing = parse_kads(longer);
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error() == "KeyAttestation at offset 36: 1 unexpected trailing bytes");
}

// ---------------------------------------------------------------- TPM 2.0 idBinding

TEST_CASE("the TPM 2.0 idBinding splits into the four parts it was made of") {
  const auto proof = rsa_proof();
  const auto statement = sample_statement();
  auto parsed = parse_kast(marshal_kast(statement));
  REQUIRE_MESSAGE(parsed, parsed.error());
  auto split = parse_tpm20_id_binding(*parsed);
  REQUIRE_MESSAGE(split, split.error());
  CHECK(split->aik_public == proof.aik_public);
  CHECK(split->creation_data == proof.creation_data);
  CHECK(split->attest == proof.attest);
  CHECK(split->signature == proof.signature);
  CHECK(split.consumed == statement.id_binding.size());
  // The parts are what the TPM structures marshal to, so they parse on their own.
  CHECK(parse_creation_data(split->creation_data));
  CHECK(parse_attest(split->attest));
}

TEST_CASE("a TPM 1.2 statement has no TPM 2.0 idBinding") {
  key_attestation_statement statement = sample_statement();
  statement.platform = kast_platform::tpm12;
  auto split = parse_tpm20_id_binding(statement);
  REQUIRE_FALSE(split);
  CHECK(split.error() ==
        "KeyAttestationStatement.Platform: 1 is not 2 (TPM 2.0), so the idBinding is no TPM 2.0 creation proof");
}

TEST_CASE("truncating an idBinding names the part and field the cut falls into") {
  const auto proof = rsa_proof();
  const auto s = sizes_of(proof);
  const bytes id_binding = marshal_creation_proof(proof);
  const std::size_t sig_start = s.public2b + s.creation_data2b + s.attest2b;
  check_truncations_name_fields(
      id_binding,
      {{s.public2b, "TPM2B_PUBLIC"},
       {s.public2b + s.creation_data2b, "TPM2B_CREATION_DATA"},
       {sig_start, "TPM2B_ATTEST"},
       {sig_start + 2, "TPMT_SIGNATURE.sigAlg"},
       {sig_start + 4, "TPMT_SIGNATURE.signature.rsa.hash"},
       {sig_start + s.signature, "TPMT_SIGNATURE.signature.rsa.sig"}},
      [](byte_view data) {
        return parse_tpm20_id_binding({kast_platform::tpm20, bytes(data.begin(), data.end()), {}, {}});
      },
      "KeyAttestationStatement.idBinding: ");
}

TEST_CASE("malformed idBinding parts are named at their own field, with offsets in the idBinding") {
  const auto proof = rsa_proof();
  const auto s = sizes_of(proof);
  const bytes id_binding = marshal_creation_proof(proof);
  auto split = [](bytes data) { return parse_tpm20_id_binding({kast_platform::tpm20, std::move(data), {}, {}}); };
  const std::string prefix = "KeyAttestationStatement.idBinding: ";

  SUBCASE("bytes after the signature") {
    bytes longer = id_binding;
    longer.push_back(0);
    auto parsed = split(longer);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == prefix + "idBinding at offset " + std::to_string(id_binding.size()) +
                              ": 1 unexpected trailing bytes");
  }
  SUBCASE("creation data with too many PCR banks") {
    const std::size_t count_offset = s.public2b + 2;
    bytes bad = id_binding;
    bad[count_offset + 3] = 17;
    auto parsed = split(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == prefix + "TPMS_CREATION_DATA.pcrSelect.count at offset " + std::to_string(count_offset) +
                              ": 17 banks exceed the maximum 16");
  }
  SUBCASE("an attestation of a type without a layout") {
    const std::size_t type_offset = s.public2b + s.creation_data2b + 2 + 4;
    auto parsed = split(set_u16_be(id_binding, type_offset, st::attest_time));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == prefix + "TPMS_ATTEST.type at offset " + std::to_string(type_offset) +
                              ": unsupported attestation type 0x8019 (TIME)");
  }
  SUBCASE("a NULL signature") {
    const std::size_t sig_start = s.public2b + s.creation_data2b + s.attest2b;
    bytes bad(id_binding.begin(), id_binding.begin() + static_cast<std::ptrdiff_t>(sig_start));
    bad.insert(bad.end(), {0x00, 0x10});
    auto parsed = split(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == prefix + "TPMT_SIGNATURE.sigAlg at offset " + std::to_string(sig_start) +
                              ": NULL: the TPM produced no signature");
  }
  SUBCASE("a creation data TPM2B padded past its structure") {
    aik_creation_proof padded = proof;
    padded.creation_data.push_back(0);
    auto parsed = split(marshal_creation_proof(padded));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == prefix + "TPM2B_CREATION_DATA at offset " + std::to_string(s.public2b) + ": size " +
                              std::to_string(proof.creation_data.size() + 1) + " but the structure inside uses " +
                              std::to_string(proof.creation_data.size()) + " bytes");
  }
  SUBCASE("an AIK public area of an unknown type") {
    auto parsed = split(set_u16_be(id_binding, 2, 0x0025));
    REQUIRE_FALSE(parsed);
    CHECK(starts_with(parsed.error(), prefix + "TPMT_PUBLIC.type at offset 2: "));
  }
}

TEST_CASE("an idBinding made of tpm2-tools style files concatenates to the same split") {
  // ak.pub (TPM2B_PUBLIC) || creation data (TPM2B_CREATION_DATA) || TPM2B of the
  // attestation file (TPMS_ATTEST) || signature file (TPMT_SIGNATURE).
  const auto proof = rsa_proof();
  writer w;
  w.raw(marshal_public2b(proof.aik_public));
  w.raw(marshal_creation_data2b(*parse_creation_data(proof.creation_data)));
  w.tpm2b(proof.attest);
  w.raw(marshal_signature(proof.signature));
  CHECK(w.data() == marshal_creation_proof(proof));
  auto parsed = parse_creation_proof(w.data());
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == proof);
  CHECK(contains(to_hex(w.data()), to_hex(proof.attest)));
}
