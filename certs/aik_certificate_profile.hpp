#pragma once
// The AIK certificate in the shape Microsoft's service issues it (docs/protocol.md,
// decoded from a real Windows Hello one): empty subject; critical SAN with
// the TPM's manufacturer, model and version copied from its EK certificate; EKU
// tcg-kp-AIKCertificate; critical key usage digitalSignature; critical
// CA:FALSE; a critical certificate policy 1.3.6.1.4.1.311.21.31 with the notice
// "TCPA  Trusted  Platform  Identity"; AKI/SKI; an AIA caIssuers URL; valid
// until its issuing CA expires.
#include <string>

#include "certs/certificate_builder.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

// The notice text as the real certificates carry it: two spaces between words.
inline constexpr const char* aik_policy_notice = "TCPA  Trusted  Platform  Identity";

// `links`: the issuing CA's certificate (AIA) and CRL. The real certificates
// name no CRL; the lab's do, so that revocation can be tested (docs/windows-lab.md).
x509_ptr issue_aik_certificate(EVP_PKEY* aik_public_key, const tpm_identity& tpm, X509* issuing_ca,
                               EVP_PKEY* issuing_ca_key, const issuer_links& links);

}  // namespace aikmock::certs
