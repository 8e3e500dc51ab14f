#pragma once
// What an enrolling client needs from its TPM, whatever the TPM is: the EK
// certificate and public, an AIK with its creation proof, and
// TPM2_ActivateCredential. The reference client has a software back end (a
// lab EK) and a real one (tpm2-tss); the exchange tests use the software one.
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "protocol/tpm/creation_proof.hpp"
#include "protocol/tpm/credential_container.hpp"
#include "protocol/tpm/credential_error.hpp"
#include "protocol/tpm/openssl_handles.hpp"
#include "protocol/tpm/public_area.hpp"

namespace aikmock::protocol::client {

class tpm_backend {
 public:
  virtual ~tpm_backend() = default;

  virtual bytes ek_certificate() = 0;           // as stored in NV (DER, perhaps padded)
  virtual tpm::tpmt_public ek_public() = 0;
  // Creates the AIK (restricted signing key) and certifies its creation by itself.
  virtual tpm::aik_creation_proof create_aik(byte_view nonce) = 0;
  // A key that can sign the PKCS#10 for the AIK (the AIK itself where possible).
  virtual EVP_PKEY* request_signing_key() = 0;
  // TPM2_ActivateCredential of the challenge with the EK, for the AIK.
  virtual tpm::credential_result<bytes> activate(const tpm::credential_blob& challenge) = 0;
};

}  // namespace aikmock::protocol::client
