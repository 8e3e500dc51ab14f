#pragma once
// EK certificates as TPM vendors issue them under the TCG EK Credential Profile
// (§3.2, as go-attestation's x509/ekcert.go checks it): empty subject, critical SAN directoryName
// with manufacturer/model/version, TPM specification attribute, EKU tcg-kp-EKCertificate,
// key usage by key type, CA:false, AKI.
#include <optional>
#include <string>

#include "certs/certificate_builder.hpp"

#include "common/openssl.hpp"

namespace aikmock::certs {

struct tpm_identity {
  std::string manufacturer;  // tcg-at-tpmManufacturer, e.g. "id:49465800" (IFX)
  std::string model;         // tcg-at-tpmModel
  std::string version;       // tcg-at-tpmVersion (firmware), e.g. "id:000F0017"
};


// Issues an EK certificate for `ek_key` (its public half is used), signed by
// `ca` with `digest`; with `links`, a CRL distribution point and AIA to the CA.
x509_ptr make_ek_certificate(EVP_PKEY* ek_key, X509* ca, EVP_PKEY* ca_key, const tpm_identity& tpm,
                             const EVP_MD* digest, const std::optional<issuer_links>& links = std::nullopt);

}  // namespace aikmock::certs
