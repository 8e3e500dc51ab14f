#pragma once
// The AIK service URL Windows derives from the EK certificate:
//   https://<VENDOR>-KeyId-<AKI hex>.<domain>/templates/Aik/scep
// VENDOR from the SAN's tcg-at-tpmManufacturer (the TCG vendor code), KeyId
// the EK certificate's Authority Key Identifier, i.e. the SKI of the CA that
// issued it (docs/protocol.md, from TrustedTPM.cab). Without an AKI, the NameId form:
// SHA-1 of the issuer name's DER.
//
// Where the certificate names a manufacturer the registry does not list (or
// none), the TPM's own TPM2_PT_MANUFACTURER is used when the back end can read
// it: swtpm_setup writes IBM's PCI vendor ID (id:00001014) into its EK
// certificates while the TPM reports the registry's IBM. Which of the two
// Windows prefers is not public; for real TPMs they agree.
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "certs/aik_authority_profile.hpp"
#include "certs/ek_certificate.hpp"

namespace aikmock::client {


struct aik_url {
  std::string url;     // the whole URL
  std::string label;   // the host's first label, e.g. "STM-KeyId-194f…"
  std::string vendor;  // "STM"
  std::string vendor_source;  // "tcg-at-tpmManufacturer id:53544D20", or "--vendor"
};

// `vendor_override` replaces the code from the certificate (and is required
// when neither the certificate's manufacturer nor `tpm_manufacturer` is in
// the TCG registry).
result<aik_url> derive_aik_url(const certs::ek_certificate& ek, const std::optional<std::string>& vendor_override = {},
                              const std::string& domain = std::string(certs::service_domain),
                              std::optional<std::uint32_t> tpm_manufacturer = std::nullopt);

}  // namespace aikmock::client
