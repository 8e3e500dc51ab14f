#include "tpm/credential_container.hpp"

#include <optional>
#include <string>

#include "common/encoding.hpp"

namespace aikmock::tpm {

namespace {

std::optional<credential_blob> read_blob(reader& in, byte_view data) {
  credential_blob blob;
  // Keep each structure's exact input bytes: they are what the TPM receives.
  const std::size_t id_start = in.consumed();
  if (!read_id_object2b(in)) return std::nullopt;
  const std::size_t secret_start = in.consumed();
  if (!read_encrypted_secret2b(in)) return std::nullopt;
  blob.id_object.assign(data.begin() + static_cast<std::ptrdiff_t>(id_start),
                        data.begin() + static_cast<std::ptrdiff_t>(secret_start));
  blob.encrypted_secret.assign(data.begin() + static_cast<std::ptrdiff_t>(secret_start),
                               data.begin() + static_cast<std::ptrdiff_t>(in.consumed()));
  return blob;
}

std::string hex32(std::uint32_t value) {
  return "0x" + to_hex(bytes{static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                             static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
}

}  // namespace

bytes tpm2_tools_credential_file(const credential_blob& blob) {
  writer out;
  out.u32(tpm2_tools_credential_magic)
      .u32(tpm2_tools_credential_version)
      .raw(blob.id_object)
      .raw(blob.encrypted_secret);
  return std::move(out).take();
}

bytes windows_activation_blob(const credential_blob& blob) {
  writer out;
  out.raw(blob.id_object).raw(blob.encrypted_secret);
  return std::move(out).take();
}

parse_result<credential_blob> parse_tpm2_tools_credential_file(byte_view data) {
  reader in(data);
  std::optional<credential_blob> blob;
  auto magic = in.u32("credential file magic");
  if (magic && *magic != tpm2_tools_credential_magic) {
    in.reject("credential file magic", hex32(*magic) + " is not " + hex32(tpm2_tools_credential_magic));
  }
  auto version = in.u32("credential file version");
  if (version && *version != tpm2_tools_credential_version) {
    in.reject("credential file version", std::to_string(*version) + " is not 1");
  }
  if (in.ok()) blob = read_blob(in, data);
  if (blob) in.expect_end("tpm2-tools credential file");
  return finish_parse(in, std::move(blob), "tpm2-tools credential file");
}

parse_result<credential_blob> parse_windows_activation_blob(byte_view data) {
  reader in(data);
  auto blob = read_blob(in, data);
  if (blob) in.expect_end("Windows activation blob");
  return finish_parse(in, std::move(blob), "Windows activation blob");
}

}  // namespace aikmock::tpm
