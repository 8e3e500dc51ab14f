// The tpm2-tools credential file and the Windows activation blob: layout,
// round trips, and strict parsing.
#include <doctest/doctest.h>

#include <string>

#include "common/encoding.hpp"
#include "tpm/credential.hpp"
#include "tpm/credential_container.hpp"
#include "tests/support/test_vectors.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
namespace vectors = aikmock::tpm::test;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

credential_blob sample_blob() {
  auto ek = parse_public2b(*from_hex(vectors::keylime_ecc_ek_public2b));
  REQUIRE(ek);
  bytes name{0x00, 0x0b};
  name.resize(34, 7);
  auto blob = make_credential(*ek, name, bytes(32, 9));
  REQUIRE(blob);
  return *blob;
}

}  // namespace

TEST_CASE("tpm2-tools file = BADCC0DE || version 1 || TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET") {
  const credential_blob blob = sample_blob();
  const bytes file = tpm2_tools_credential_file(blob);
  REQUIRE(file.size() == 148);
  CHECK(to_hex(byte_view(file).first(12)) == "badcc0de0000000100440020");
  CHECK(to_hex(byte_view(file).subspan(78, 4)) == "00440020");  // ENCRYPTED_SECRET size, x.size
  auto parsed = parse_tpm2_tools_credential_file(file);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == blob);
  CHECK(parsed.consumed == file.size());
}

TEST_CASE("Windows activation blob = TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET") {
  const credential_blob blob = sample_blob();
  const bytes windows = windows_activation_blob(blob);
  const bytes file = tpm2_tools_credential_file(blob);
  CHECK(windows == bytes(file.begin() + 8, file.end()));
  auto parsed = parse_windows_activation_blob(windows);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(*parsed == blob);
  // The two containers are not interchangeable.
  CHECK_FALSE(parse_windows_activation_blob(file));
  CHECK_FALSE(parse_tpm2_tools_credential_file(windows));
}

TEST_CASE("container parsing is strict and names what broke") {
  const bytes file = tpm2_tools_credential_file(sample_blob());

  bytes bad_magic = file;
  bad_magic[0] = 0xde;
  auto m = parse_tpm2_tools_credential_file(bad_magic);
  REQUIRE_FALSE(m);
  CHECK(contains(m.error(), "magic"));

  bytes bad_version = file;
  bad_version[7] = 2;
  auto v = parse_tpm2_tools_credential_file(bad_version);
  REQUIRE_FALSE(v);
  CHECK(contains(v.error(), "version"));

  bytes trailing = file;
  trailing.push_back(0);
  auto t = parse_tpm2_tools_credential_file(trailing);
  REQUIRE_FALSE(t);
  CHECK(contains(t.error(), "trailing"));

  for (std::size_t length = 0; length < file.size(); ++length) {
    CAPTURE(length);
    CHECK_FALSE(parse_tpm2_tools_credential_file(byte_view(file).first(length)));
  }

  // An ID object larger than any TPM's TPMS_ID_OBJECT.
  writer huge;
  huge.u32(tpm2_tools_credential_magic).u32(1).u16(static_cast<std::uint16_t>(max_id_object_size + 1));
  huge.raw(bytes(max_id_object_size + 1, 0)).u16(0);
  auto h = parse_tpm2_tools_credential_file(huge.data());
  REQUIRE_FALSE(h);
  CHECK(contains(h.error(), "TPM2B_ID_OBJECT"));
}
