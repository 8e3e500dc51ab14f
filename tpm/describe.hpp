#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
// TPM identifiers as messages show them: "0x000B (SHA256)", or just the hex
// value when the identifier is unknown, so a message never hides what was sent.
#include <cstdint>
#include <string>

#include "tpm/constants.hpp"

namespace aikmock::tpm {

std::string describe_alg(alg_id id);
std::string describe_curve(ecc_curve_id id);

// TPMA_OBJECT bits and their names in the TPM specification ("fixedTPM", "sign").
struct object_attribute_name {
  std::uint32_t bit;
  std::string_view name;
};
std::span<const object_attribute_name> object_attribute_names() noexcept;
// "fixedTPM|restricted|bit 23": every set bit, named where it has a name.
std::string describe_object_attributes(std::uint32_t bits);

}  // namespace aikmock::tpm
