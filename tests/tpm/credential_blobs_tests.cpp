// TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET framing.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "tpm/credential_blobs.hpp"
#include "tests/support/parse_test_support.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {

using test::starts_with;

tpms_id_object sample_id_object() { return {bytes(32, 0xaa), bytes(34, 0xbb)}; }

}  // namespace

TEST_CASE("TPM2B_ID_OBJECT is size || TPM2B_DIGEST integrityHMAC || encIdentity, and parses back") {
  writer w;
  write_id_object2b(w, sample_id_object());
  const bytes& wire = w.data();
  CHECK(to_hex(byte_view(wire).first(4)) == "00440020");
  CHECK(wire.size() == 2 + 2 + 32 + 34);
  auto parsed = parse_id_object2b(wire);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == sample_id_object());
  CHECK(parsed.consumed == wire.size());
}

TEST_CASE("TPM2B_ENCRYPTED_SECRET round-trips and leaves what follows alone") {
  writer w;
  write_encrypted_secret2b(w, bytes(256, 0x5a));
  w.u8(0xff);
  auto parsed = parse_encrypted_secret2b(w.data());
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == bytes(256, 0x5a));
  CHECK(parsed.consumed == 258);
}

TEST_CASE("truncated credential blobs fail naming the blob") {
  writer id;
  write_id_object2b(id, sample_id_object());
  for (std::size_t length = 0; length < id.data().size(); ++length) {
    CAPTURE(length);
    auto parsed = parse_id_object2b(byte_view(id.data()).first(length));
    REQUIRE_FALSE(parsed);
    CHECK_MESSAGE(starts_with(parsed.error(), test::tpm2b_cut_prefix("TPM2B_ID_OBJECT", length)),
                  parsed.error());
  }
  writer secret;
  write_encrypted_secret2b(secret, bytes(64, 1));
  for (std::size_t length = 0; length < secret.data().size(); ++length) {
    CAPTURE(length);
    auto parsed = parse_encrypted_secret2b(byte_view(secret.data()).first(length));
    REQUIRE_FALSE(parsed);
    CHECK_MESSAGE(starts_with(parsed.error(), test::tpm2b_cut_prefix("TPM2B_ENCRYPTED_SECRET", length)),
                  parsed.error());
  }
}

TEST_CASE("an integrityHMAC reaching past its TPM2B is named") {
  // Outer size 4, HMAC size 32: the HMAC cannot fit.
  auto parsed = parse_id_object2b(bytes{0x00, 0x04, 0x00, 0x20, 0x01, 0x02});
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMS_ID_OBJECT.integrityHMAC at offset 4: payload truncated (needs 32 bytes, 2 left)");
}

TEST_CASE("credential blob sizes above their caps are rejected") {
  bytes id_object{0x00, 133};
  id_object.resize(2 + 133);
  auto parsed = parse_id_object2b(id_object);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPM2B_ID_OBJECT at offset 0: size 133 exceeds the maximum 132");

  // An empty HMAC leaves room for 67 bytes of encIdentity, one too many.
  writer w;
  w.u16(2 + 67).u16(0).raw(bytes(67, 0));
  parsed = parse_id_object2b(w.data());
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMS_ID_OBJECT.encIdentity at offset 4: 67 bytes exceed the maximum 66");

  writer hmac;
  hmac.u16(2 + 65).u16(65).raw(bytes(65, 0));
  parsed = parse_id_object2b(hmac.data());
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() == "TPMS_ID_OBJECT.integrityHMAC at offset 2: size 65 exceeds the maximum 64");

  bytes secret{0x02, 0x01};
  secret.resize(2 + 513);
  auto parsed_secret = parse_encrypted_secret2b(secret);
  REQUIRE_FALSE(parsed_secret);
  CHECK(parsed_secret.error() == "TPM2B_ENCRYPTED_SECRET at offset 0: size 513 exceeds the maximum 512");

  writer out;
  CHECK_THROWS_AS(write_encrypted_secret2b(out, bytes(513, 0)), std::invalid_argument);
  CHECK_THROWS_AS(write_id_object2b(out, tpms_id_object{bytes(65, 0), {}}), std::invalid_argument);
  CHECK_THROWS_AS(write_id_object2b(out, tpms_id_object{bytes(32, 0), bytes(67, 0)}), std::invalid_argument);
}
