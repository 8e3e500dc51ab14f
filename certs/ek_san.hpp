#pragma once
// The TPM an EK certificate names in its subjectAltName: one directoryName with
// tcg-at-tpmManufacturer, tcg-at-tpmModel and tcg-at-tpmVersion
// (TCG EK Credential Profile §3.2.9). Vendors lay it out as three RDNs
// (Infineon, Intel, ST) or as one multi-valued RDN in non-DER SET order
// (Nuvoton); the attributes are looked up by OID, so either works.
#include <optional>
#include <string>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/ek_certificate_profile.hpp"

namespace aikmock::certs {

struct ek_san {
  bool present = false;
  bool critical = false;
  bool decodable = false;     // OpenSSL could decode the GeneralNames
  bool has_directory_name = false;
  tpm_identity tpm;           // empty fields when absent
};

// Never throws.
ek_san read_ek_san(X509* cert) noexcept;

// The TPM named by the first directoryName of `names` that names one (the same
// layout, in an AIK request's SAN); nullopt when none does.
std::optional<tpm_identity> tpm_identity_of(const GENERAL_NAMES* names);

}  // namespace aikmock::certs
