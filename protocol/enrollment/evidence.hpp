#pragma once
// What a client presents in round 1, whatever carried it (SCEP or the JSON
// API): its EK certificate and public, its AIK and the proof the TPM made it,
// and what the request claims of itself. Absent parts are absent evidence,
// judged by the enrollment service and the policy.
#include <optional>
#include <string>
#include <vector>

#include "certs/ek_certificate_profile.hpp"
#include "common/bytes.hpp"
#include "tpm/creation_proof.hpp"

namespace aikmock::protocol::enrollment {

struct evidence {
  std::optional<bytes> ek_certificate;    // as the client sent it (NV header, padding tolerated)
  std::string ek_certificate_error;       // why there is none, when the carrier did not open
  std::vector<bytes> ek_intermediates;    // untrusted helpers for the chain (EK_INFO, the SignedData's set)
  std::optional<bytes> ek_public_area;    // TPM2B_PUBLIC; rebuilt from the certificate when absent
  std::optional<bytes> ek_public_key;     // SubjectPublicKeyInfo the client says is its EK (EK_INFO)
  std::optional<bytes> aik_public_area;   // TPM2B_PUBLIC; or the proof's
  std::optional<tpm::aik_creation_proof> aik_proof;
  std::string aik_proof_error;            // why the proof could not be read, when it could not
  std::optional<bytes> aik_public_key;    // SubjectPublicKeyInfo the certificate is asked for (the PKCS#10's)
  // The TPM the request names in its SAN (Windows' extension request).
  std::optional<certs::tpm_identity> request_tpm;
  // A PKCS#10 with a real signature: whether it verifies with the attested AIK.
  // Absent for Windows' request, whose "signature" is the bare SHA-256 of the request.
  std::optional<bool> request_signature_valid;
  std::string request_signature_failure;
};

}  // namespace aikmock::protocol::enrollment
