#pragma once
// What an enrolling client needs from its TPM, whatever the TPM is: the EK
// certificate and public, an AIK with its creation proof, and
// TPM2_ActivateCredential. The reference client has a software back end (a
// lab EK) and a real one (tpm2-tss); the exchange tests use the software one.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "tpm/creation_proof.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/credential_error.hpp"
#include "common/openssl.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::client {

// The TPM holds no EK certificate where the back end looks: Windows then has
// no AIK URL either (ERROR_NOT_FOUND), which is not a TPM failure.
class no_ek_certificate : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class tpm_backend {
 public:
  virtual ~tpm_backend() = default;

  // As stored in NV (DER, perhaps padded). Throws no_ek_certificate when there is none.
  virtual bytes ek_certificate() = 0;
  // Where ek_certificate() read it, for the report ("NV 0x01C0001C (H-6)", a
  // file); empty before it was read.
  virtual std::string ek_certificate_source() const = 0;
  // The certificates of the EK certificate's issuers the TPM keeps with it
  // (DER, issuer first), sent with the EK certificate so the service can
  // build the chain; none by default.
  virtual std::vector<bytes> ek_chain() { return {}; }
  // TPM2_PT_MANUFACTURER, the TCG vendor ID the TPM reports, where the back end can ask it.
  virtual std::optional<std::uint32_t> manufacturer() { return std::nullopt; }
  virtual tpm::tpmt_public ek_public() = 0;
  // Creates the AIK (restricted signing key) and certifies its creation by itself.
  virtual tpm::aik_creation_proof create_aik(byte_view nonce) = 0;
  // Signs the PKCS#10's CertificationRequestInfo with the AIK made by
  // create_aik: SHA-256 with the AIK's scheme, returned as the X.509 signature
  // value (wcce::request_signer). Throws std::runtime_error when there is no
  // AIK or the TPM refuses.
  virtual bytes sign_with_aik(byte_view to_be_signed) = 0;
  // TPM2_ActivateCredential of the challenge with the EK, for the AIK.
  virtual tpm::credential_result<bytes> activate(const tpm::credential_blob& challenge) = 0;
};

}  // namespace aikmock::client
