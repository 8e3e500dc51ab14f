#pragma once
// TPM identifiers as messages show them: "0x000B (SHA256)", or just the hex
// value when the identifier is unknown, so a message never hides what was sent.
#include <cstdint>
#include <string>

#include "protocol/tpm/constants.hpp"

namespace aikmock::protocol::tpm {

std::string describe_alg(alg_id id);
std::string describe_curve(ecc_curve_id id);

}  // namespace aikmock::protocol::tpm
