#pragma once
// TPM manufacturers as the TCG TPM Vendor ID Registry lists them: the 4-byte
// ID an EK certificate names in tcg-at-tpmManufacturer ("id:49465800") and the
// ASCII code it spells ("IFX"), which Windows puts in front of the AIK host
// name (docs/protocol.md; Microsoft's AIK CA names in TrustedTPM.cab).
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace aikmock::client {

struct tcg_vendor {
  std::string_view id;    // 8 uppercase hex digits, e.g. "49465800"
  std::string_view code;  // the ID as ASCII without trailing NUL or space, e.g. "IFX"
  std::string_view name;  // the company
};

std::span<const tcg_vendor> tcg_vendors();

// "id:49465800", "49465800", any case -> the registry entry; nullptr for IDs
// the registry does not list (e.g. swtpm's "id:00001014").
const tcg_vendor* find_tcg_vendor(std::string_view manufacturer);

}  // namespace aikmock::client
