#pragma once
// Windows' PlatformType request header, e.g.
//   TPM-Version:2.0 -Level:0-Revision:0.99-VendorID:'IFX '-Firmware:327680.278786
// (as google/security-research tpm-carte-blanche sends it emulating Windows):
// the TPM's TPM2_PT_LEVEL, TPM2_PT_REVISION, TPM2_PT_MANUFACTURER and
// TPM2_PT_FIRMWARE_VERSION_1/2. Without a TPM to ask (the software back end),
// the manufacturer and firmware come from the EK certificate's SAN.
#include <optional>
#include <string>

#include "certs/ek_certificate_profile.hpp"
#include "client/tpm_backend.hpp"

namespace aikmock::client {

std::string platform_type(const tpm_properties& properties);
// From the EK certificate's tcg-at-tpmManufacturer ("id:49465800") and tcg-at-tpmVersion ("id:00050000").
tpm_properties properties_from_certificate(const certs::tpm_identity& tpm);

}  // namespace aikmock::client
