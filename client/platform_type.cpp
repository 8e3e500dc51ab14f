#include "client/platform_type.hpp"

#include <charconv>

namespace aikmock::client {

namespace {
std::uint32_t id_value(const std::string& text) {
  std::string_view v = text;
  if (v.starts_with("id:")) v.remove_prefix(3);
  std::uint32_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out, 16);
  return ec == std::errc{} && end == v.data() + v.size() ? out : 0;
}
}  // namespace

std::string platform_type(const tpm_properties& p) {
  std::string vendor;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>((p.manufacturer >> shift) & 0xff);
    vendor += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return "TPM-Version:2.0 -Level:" + std::to_string(p.level) + "-Revision:" + std::to_string(p.revision / 100) + "." +
         (p.revision % 100 < 10 ? "0" : "") + std::to_string(p.revision % 100) + "-VendorID:'" + vendor +
         "'-Firmware:" + std::to_string(p.firmware_1) + "." + std::to_string(p.firmware_2);
}

tpm_properties properties_from_certificate(const certs::tpm_identity& tpm) {
  tpm_properties p;
  p.manufacturer = id_value(tpm.manufacturer);
  p.revision = 138;  // the TPM 2.0 Library revision most TPMs in the field implement
  p.firmware_1 = id_value(tpm.version);
  return p;
}

}  // namespace aikmock::client
