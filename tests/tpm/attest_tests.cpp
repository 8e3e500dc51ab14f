// TPML_PCR_SELECTION, TPMS_CREATION_DATA and TPMS_ATTEST: wire layout, round
// trips, and how each kind of malformed input is named.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/encoding.hpp"
#include "tpm/attest.hpp"
#include "tpm/buffer_limits.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/pcr_selection.hpp"
#include "tests/support/aik_test_support.hpp"
#include "tests/support/parse_test_support.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

using test::check_truncations_name_fields;
using test::contains;
using test::starts_with;
using layout = test::field_layout;

bytes set_u16(bytes wire, std::size_t offset, std::uint16_t value) {
  return test::set_u16_be(std::move(wire), offset, value);
}

tpms_attest sample_creation_attest() {
  tpms_attest attest;
  attest.qualified_signer = bytes(34, 0x11);
  attest.extra_data = bytes(32, 0x22);
  attest.clock_info = {0x0102030405060708, 0x0a0b0c0d, 0x0e0f1011, 1};
  attest.firmware_version = 0x2122232425262728;
  attest.attested = tpms_creation_info{bytes(34, 0x33), bytes(32, 0x44)};
  return attest;
}

// Field ends of sample_creation_attest() on the wire.
const layout creation_attest_layout = {
    {4, "TPMS_ATTEST.magic"},
    {6, "TPMS_ATTEST.type"},
    {42, "TPMS_ATTEST.qualifiedSigner"},
    {76, "TPMS_ATTEST.extraData"},
    {84, "TPMS_ATTEST.clockInfo.clock"},
    {88, "TPMS_ATTEST.clockInfo.resetCount"},
    {92, "TPMS_ATTEST.clockInfo.restartCount"},
    {93, "TPMS_ATTEST.clockInfo.safe"},
    {101, "TPMS_ATTEST.firmwareVersion"},
    {137, "TPMS_ATTEST.attested.creation.objectName"},
    {171, "TPMS_ATTEST.attested.creation.creationHash"},
};

// Field ends of test::sample_creation_data(8 bytes of outside info).
const layout creation_data_layout = {
    {4, "TPMS_CREATION_DATA.pcrSelect.count"},
    {6, "TPMS_CREATION_DATA.pcrSelect.pcrSelections[0].hash"},
    {7, "TPMS_CREATION_DATA.pcrSelect.pcrSelections[0].sizeofSelect"},
    {10, "TPMS_CREATION_DATA.pcrSelect.pcrSelections[0].pcrSelect"},
    {44, "TPMS_CREATION_DATA.pcrDigest"},
    {45, "TPMS_CREATION_DATA.locality"},
    {47, "TPMS_CREATION_DATA.parentNameAlg"},
    {83, "TPMS_CREATION_DATA.parentName"},
    {119, "TPMS_CREATION_DATA.parentQualifiedName"},
    {129, "TPMS_CREATION_DATA.outsideInfo"},
};

}  // namespace

// ---------------------------------------------------------------- TPMS_CREATION_DATA

TEST_CASE("creation data is laid out as Part 2 says and parses back to the same value") {
  const auto data = test::sample_creation_data(bytes(8, 0xee));
  const bytes wire = marshal_creation_data(data);
  CHECK(to_hex(byte_view(wire).first(10)) == "00000001000b03000000");
  CHECK(wire.size() == 129);

  auto parsed = parse_creation_data(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == data);
  CHECK(parsed.consumed == wire.size());
  CHECK(marshal_creation_data(*parsed) == wire);

  const bytes wire2b = marshal_creation_data2b(data);
  CHECK(to_hex(byte_view(wire2b).first(2)) == "0081");
  auto parsed2b = parse_creation_data2b(wire2b);
  REQUIRE_MESSAGE(parsed2b, parsed2b.error());
  CHECK(*parsed2b == data);
}

TEST_CASE("creation data with several banks, no banks and a hierarchy as parent round-trips") {
  tpms_creation_data data;
  data.pcr_select.banks = {{alg::sha1, bytes{0x01, 0x00, 0x80}}, {alg::sha256, bytes{0xff, 0xff, 0xff}},
                           {alg::sha384, {}}};
  data.locality = 0x1f;
  data.parent_name = bytes{0x40, 0x00, 0x00, 0x01};  // TPM_RH_OWNER
  data.parent_qualified_name = data.parent_name;
  for (const auto& sample : {data, tpms_creation_data{}}) {
    auto parsed = parse_creation_data(marshal_creation_data(sample));
    REQUIRE_MESSAGE(parsed, parsed.error());
    CHECK(*parsed == sample);
  }
}

TEST_CASE("truncating a TPMS_CREATION_DATA names the field the cut falls into") {
  check_truncations_name_fields(marshal_creation_data(test::sample_creation_data(bytes(8, 0xee))),
                                creation_data_layout, [](byte_view data) { return parse_creation_data(data); });
}

TEST_CASE("truncating a TPM2B_CREATION_DATA names the TPM2B") {
  const bytes wire = marshal_creation_data2b(test::sample_creation_data());
  for (std::size_t length = 0; length < wire.size(); ++length) {
    CAPTURE(length);
    auto parsed = parse_creation_data2b(byte_view(wire).first(length));
    REQUIRE_FALSE(parsed);
    CHECK_MESSAGE(starts_with(parsed.error(), test::tpm2b_cut_prefix("TPM2B_CREATION_DATA", length)),
                  parsed.error());
    CHECK(contains(parsed.error(), "truncated"));
  }
}

TEST_CASE("creation data sizes above their caps are rejected at the field") {
  const bytes wire = marshal_creation_data(test::sample_creation_data(bytes(8, 0xee)));
  SUBCASE("too many PCR banks, including a count that could not be allocated") {
    for (std::uint32_t count : {17u, 0xFFFFFFFFu}) {
      bytes bad = wire;
      bad[0] = static_cast<std::uint8_t>(count >> 24);
      bad[1] = static_cast<std::uint8_t>(count >> 16);
      bad[2] = static_cast<std::uint8_t>(count >> 8);
      bad[3] = static_cast<std::uint8_t>(count);
      auto parsed = parse_creation_data(bad);
      REQUIRE_FALSE(parsed);
      CHECK(parsed.error() == "TPMS_CREATION_DATA.pcrSelect.count at offset 0: " + std::to_string(count) +
                                " banks exceed the maximum 16");
    }
  }
  SUBCASE("a PCR bitmap above 8 bytes") {
    bytes bad = wire;
    bad[6] = 9;
    auto parsed = parse_creation_data(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() ==
          "TPMS_CREATION_DATA.pcrSelect.pcrSelections[0].sizeofSelect at offset 6: 9 bytes exceed the maximum 8");
  }
  SUBCASE("a pcrDigest above SHA-512") {
    auto parsed = parse_creation_data(set_u16(wire, 10, 65));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "TPMS_CREATION_DATA.pcrDigest at offset 10: size 65 exceeds the maximum 64");
  }
  SUBCASE("a parentName above a SHA-512 Name") {
    auto parsed = parse_creation_data(set_u16(wire, 47, 67));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "TPMS_CREATION_DATA.parentName at offset 47: size 67 exceeds the maximum 66");
  }
  SUBCASE("an outsideInfo above a TPMT_HA") {
    auto parsed = parse_creation_data(set_u16(wire, 119, 67));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "TPMS_CREATION_DATA.outsideInfo at offset 119: size 67 exceeds the maximum 66");
  }
  SUBCASE("a TPM2B_CREATION_DATA above 1024 bytes") {
    bytes bad{0x04, 0x01};
    bad.resize(2 + 1025);
    auto parsed = parse_creation_data2b(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == "TPM2B_CREATION_DATA at offset 0: size 1025 exceeds the maximum 1024");
  }
}

TEST_CASE("trailing bytes: an error after a bare TPMS_CREATION_DATA, left alone after a TPM2B") {
  const auto data = test::sample_creation_data();
  bytes bare = marshal_creation_data(data);
  const std::size_t size = bare.size();
  bare.push_back(0);
  auto parsed = parse_creation_data(bare);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMS_CREATION_DATA at offset " + std::to_string(size) + ": 1 unexpected trailing bytes");

  bytes wire2b = marshal_creation_data2b(data);
  wire2b.push_back(0xAB);
  auto parsed2b = parse_creation_data2b(wire2b);
  REQUIRE_MESSAGE(parsed2b, parsed2b.error());
  CHECK(parsed2b.consumed == size + 2);

  // Padding inside the TPM2B is no longer the structure the TPM hashed.
  bytes padded = marshal_creation_data(data);
  padded.push_back(0);
  writer w;
  w.tpm2b(padded);
  auto inside = parse_creation_data2b(w.data());
  REQUIRE_FALSE(inside);
  CHECK(inside.error() == "TPM2B_CREATION_DATA at offset 0: size " + std::to_string(size + 1) +
                            " but the structure inside uses " + std::to_string(size) + " bytes");
}

TEST_CASE("marshalling refuses creation data the wire format cannot carry") {
  auto data = test::sample_creation_data();
  data.outside_info = bytes(67, 0);
  CHECK_THROWS_AS(marshal_creation_data(data), std::invalid_argument);
  data = test::sample_creation_data();
  data.pcr_select.banks.assign(17, {alg::sha256, bytes{0, 0, 0}});
  CHECK_THROWS_AS(marshal_creation_data(data), std::invalid_argument);
  data = test::sample_creation_data();
  data.pcr_select.banks[0].select = bytes(9, 0);
  CHECK_THROWS_AS(marshal_creation_data(data), std::invalid_argument);
}

// ---------------------------------------------------------------- TPMS_ATTEST

TEST_CASE("a CREATION attestation is laid out as Part 2 says and parses back to the same value") {
  const auto attest = sample_creation_attest();
  const bytes wire = marshal_attest(attest);
  REQUIRE(wire.size() == 171);
  CHECK(to_hex(byte_view(wire).first(8)) == "ff544347801a0022");
  CHECK(to_hex(byte_view(wire).subspan(76, 25)) == "01020304050607080a0b0c0d0e0f1011012122232425262728");

  auto parsed = parse_attest(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == attest);
  CHECK(attest_type(*parsed) == st::attest_creation);
  CHECK(marshal_attest(*parsed) == wire);

  auto parsed2b = parse_attest2b(marshal_attest2b(attest));
  REQUIRE_MESSAGE(parsed2b, parsed2b.error());
  CHECK(*parsed2b == attest);
  CHECK(parsed2b.consumed == 173);
}

TEST_CASE("CERTIFY and QUOTE attestations round-trip") {
  auto certify = sample_creation_attest();
  certify.attested = tpms_certify_info{bytes(34, 0x55), bytes(34, 0x66)};
  auto quote = sample_creation_attest();
  tpms_quote_info info;
  info.pcr_select.banks = {{alg::sha256, bytes{0xff, 0x00, 0x01}}};
  info.pcr_digest = bytes(32, 0x77);
  quote.attested = info;

  for (const auto& [attest, type, tag] : {std::tuple{certify, st::attest_certify, "8017"},
                                          std::tuple{quote, st::attest_quote, "8018"}}) {
    const bytes wire = marshal_attest(attest);
    CHECK(to_hex(byte_view(wire).subspan(4, 2)) == tag);
    auto parsed = parse_attest(wire);
    REQUIRE_MESSAGE(parsed, parsed.error());
    CHECK(*parsed == attest);
    CHECK(attest_type(*parsed) == type);
  }
}

TEST_CASE("truncating a TPMS_ATTEST names the field the cut falls into") {
  check_truncations_name_fields(marshal_attest(sample_creation_attest()), creation_attest_layout,
                                [](byte_view data) { return parse_attest(data); });
}

TEST_CASE("truncating CERTIFY and QUOTE bodies names their fields") {
  auto certify = sample_creation_attest();
  certify.attested = tpms_certify_info{bytes(34, 0x55), bytes(34, 0x66)};
  layout certify_layout(creation_attest_layout.begin(), creation_attest_layout.end() - 2);
  certify_layout.push_back({137, "TPMS_ATTEST.attested.certify.name"});
  certify_layout.push_back({173, "TPMS_ATTEST.attested.certify.qualifiedName"});
  check_truncations_name_fields(marshal_attest(certify), certify_layout,
                                [](byte_view data) { return parse_attest(data); });

  auto quote = sample_creation_attest();
  tpms_quote_info info;
  info.pcr_select.banks = {{alg::sha256, bytes{0xff, 0x00, 0x01}}};
  info.pcr_digest = bytes(32, 0x77);
  quote.attested = info;
  layout quote_layout(creation_attest_layout.begin(), creation_attest_layout.end() - 2);
  quote_layout.push_back({105, "TPMS_ATTEST.attested.quote.pcrSelect.count"});
  quote_layout.push_back({107, "TPMS_ATTEST.attested.quote.pcrSelect.pcrSelections[0].hash"});
  quote_layout.push_back({108, "TPMS_ATTEST.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect"});
  quote_layout.push_back({111, "TPMS_ATTEST.attested.quote.pcrSelect.pcrSelections[0].pcrSelect"});
  quote_layout.push_back({145, "TPMS_ATTEST.attested.quote.pcrDigest"});
  check_truncations_name_fields(marshal_attest(quote), quote_layout, [](byte_view data) { return parse_attest(data); });
}

TEST_CASE("truncating a TPM2B_ATTEST names the TPM2B") {
  const bytes wire = marshal_attest2b(sample_creation_attest());
  for (std::size_t length = 0; length < wire.size(); ++length) {
    CAPTURE(length);
    auto parsed = parse_attest2b(byte_view(wire).first(length));
    REQUIRE_FALSE(parsed);
    CHECK_MESSAGE(starts_with(parsed.error(), test::tpm2b_cut_prefix("TPM2B_ATTEST", length)),
                  parsed.error());
    CHECK(contains(parsed.error(), "truncated"));
  }
}

TEST_CASE("the parser keeps any magic and leaves judging it to the verifier") {
  auto attest = sample_creation_attest();
  attest.magic = 0x12345678;
  auto parsed = parse_attest(marshal_attest(attest));
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed->magic == 0x12345678);
}

TEST_CASE("attestation types without a layout here are rejected at the type field") {
  const bytes wire = marshal_attest(sample_creation_attest());
  auto time = parse_attest(set_u16(wire, 4, st::attest_time));
  REQUIRE_FALSE(time);
  CHECK(time.error() == "TPMS_ATTEST.type at offset 4: unsupported attestation type 0x8019 (TIME)");
  auto unknown = parse_attest(set_u16(wire, 4, 0x1234));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == "TPMS_ATTEST.type at offset 4: unsupported attestation type 0x1234");
}

TEST_CASE("attestation sizes above their caps are rejected at the field") {
  const bytes wire = marshal_attest(sample_creation_attest());
  struct oversize {
    std::size_t offset;
    std::uint16_t size;
    std::string expected;
  };
  for (const auto& c : {
           oversize{6, 67, "TPMS_ATTEST.qualifiedSigner at offset 6: size 67 exceeds the maximum 66"},
           oversize{42, 67, "TPMS_ATTEST.extraData at offset 42: size 67 exceeds the maximum 66"},
           oversize{101, 67, "TPMS_ATTEST.attested.creation.objectName at offset 101: size 67 exceeds the maximum 66"},
           oversize{137, 65,
                    "TPMS_ATTEST.attested.creation.creationHash at offset 137: size 65 exceeds the maximum 64"},
       }) {
    CAPTURE(c.expected);
    auto parsed = parse_attest(set_u16(wire, c.offset, c.size));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == c.expected);
  }
  bytes huge{0x08, 0x01};
  huge.resize(2 + 2049);
  auto parsed = parse_attest2b(huge);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPM2B_ATTEST at offset 0: size 2049 exceeds the maximum 2048");
}

TEST_CASE("trailing bytes: an error after a bare TPMS_ATTEST, left alone after a TPM2B, an error inside one") {
  const auto attest = sample_creation_attest();
  bytes bare = marshal_attest(attest);
  bare.push_back(0);
  auto parsed = parse_attest(bare);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMS_ATTEST at offset 171: 1 unexpected trailing bytes");

  bytes after = marshal_attest2b(attest);
  after.push_back(0);
  auto parsed2b = parse_attest2b(after);
  REQUIRE_MESSAGE(parsed2b, parsed2b.error());
  CHECK(parsed2b.consumed == 173);

  writer w;
  w.tpm2b(bare);
  auto inside = parse_attest2b(w.data());
  REQUIRE_FALSE(inside);
  CHECK(inside.error() == "TPM2B_ATTEST at offset 0: size 172 but the structure inside uses 171 bytes");
}

TEST_CASE("errors inside a TPM2B_ATTEST report offsets in the outer input") {
  bytes wire = marshal_attest2b(sample_creation_attest());
  wire = set_u16(wire, 2 + 42, 67);  // extraData size
  auto parsed = parse_attest2b(wire);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMS_ATTEST.extraData at offset 44: size 67 exceeds the maximum 66");
}

TEST_CASE("marshalling refuses an attestation the wire format cannot carry") {
  auto attest = sample_creation_attest();
  attest.extra_data = bytes(67, 0);
  CHECK_THROWS_AS(marshal_attest(attest), std::invalid_argument);
  attest = sample_creation_attest();
  attest.attested = tpms_creation_info{bytes(34, 0), bytes(65, 0)};
  CHECK_THROWS_AS(marshal_attest(attest), std::invalid_argument);
}

TEST_CASE("attestation type names") {
  CHECK(attest_type_name(st::attest_creation) == "CREATION");
  CHECK(attest_type_name(st::attest_certify) == "CERTIFY");
  CHECK(attest_type_name(st::attest_quote) == "QUOTE");
  CHECK(attest_type_name(0x1234).empty());
}
