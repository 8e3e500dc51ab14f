#include "protocol/tpm/describe.hpp"

#include <string_view>

#include "common/encoding.hpp"

namespace aikmock::protocol::tpm {

namespace {
std::string describe(std::uint16_t value, std::string_view name) {
  std::string out = "0x" + to_hex(bytes{static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
  if (!name.empty()) out.append(" (").append(name).append(")");
  return out;
}
}  // namespace

std::string describe_alg(alg_id id) { return describe(id, alg_name(id)); }
std::string describe_curve(ecc_curve_id id) { return describe(id, curve_name(id)); }

}  // namespace aikmock::protocol::tpm
