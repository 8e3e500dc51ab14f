#include "tpm/describe.hpp"

#include <string_view>

#include "common/encoding.hpp"

namespace aikmock::tpm {

namespace {
std::string describe(std::uint16_t value, std::string_view name) {
  std::string out = "0x" + to_hex(bytes{static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
  if (!name.empty()) out.append(" (").append(name).append(")");
  return out;
}
}  // namespace

std::string describe_alg(alg_id id) { return describe(id, alg_name(id)); }
std::string describe_curve(ecc_curve_id id) { return describe(id, curve_name(id)); }

std::span<const object_attribute_name> object_attribute_names() noexcept {
  namespace attr = object_attr;
  static constexpr object_attribute_name names[] = {
      {attr::fixed_tpm, "fixedTPM"},
      {attr::st_clear, "stClear"},
      {attr::fixed_parent, "fixedParent"},
      {attr::sensitive_data_origin, "sensitiveDataOrigin"},
      {attr::user_with_auth, "userWithAuth"},
      {attr::admin_with_policy, "adminWithPolicy"},
      {attr::no_da, "noDA"},
      {attr::encrypted_duplication, "encryptedDuplication"},
      {attr::restricted, "restricted"},
      {attr::decrypt, "decrypt"},
      {attr::sign_encrypt, "sign"},
      {1u << 19, "x509sign"},
  };
  return names;
}

std::string describe_object_attributes(std::uint32_t bits) {
  std::string out;
  for (int bit = 0; bit < 32; ++bit) {
    const std::uint32_t mask = 1u << bit;
    if (!(bits & mask)) continue;
    if (!out.empty()) out += '|';
    std::string_view name;
    for (const auto& n : object_attribute_names())
      if (n.bit == mask) name = n.name;
    out += name.empty() ? "bit " + std::to_string(bit) : std::string(name);
  }
  return out;
}

}  // namespace aikmock::tpm
