#pragma once
// How credential protection fails: a kind a policy layer can map to the
// service's answer, and a reason a human can act on. Failures are values,
// never exceptions; inputs come straight from clients.
#include <optional>

#include "common/result.hpp"
#include <string>
#include <string_view>
#include <utility>

namespace aikmock::tpm {

enum class credential_error_kind {
  // MakeCredential and ActivateCredential inputs.
  unsupported_protector,  // the EK cannot protect a credential at all (TPM_RC_TYPE, _ATTRIBUTES, _SYMMETRIC, _KEY…)
  invalid_object_name,    // not nameAlg || digest of a hash this project computes
  invalid_credential,     // empty, or larger than the EK nameAlg digest (TPM_RC_SIZE)
  // MakeCredential only: the EK is fine, but the chosen profile (e.g. Microsoft's
  // published activation code) has no way to encrypt a secret for it.
  profile_cannot_encrypt_secret,
  // ActivateCredential, in the order a TPM checks.
  malformed_blob,            // TPM2B_ID_OBJECT / TPM2B_ENCRYPTED_SECRET do not unmarshal
  private_key_mismatch,      // the software EK's private key is not the EK public's
  secret_decryption_failed,  // seed not recoverable (a TPM reports TPM_RC_FAILURE 0x101 / _VALUE / _ECC_POINT)
  integrity_check_failed,    // outer HMAC differs (TPM_RC_INTEGRITY, 0x1DF as ESAPI shows it)
  credential_size_mismatch,  // inner TPM2B_DIGEST size does not match (TPM_RC_SIZE)
  // Neither side's fault.
  crypto_failure,  // OpenSSL or the random source failed
};

constexpr std::string_view to_string(credential_error_kind kind) {
  switch (kind) {
    case credential_error_kind::unsupported_protector: return "unsupported_protector";
    case credential_error_kind::invalid_object_name: return "invalid_object_name";
    case credential_error_kind::invalid_credential: return "invalid_credential";
    case credential_error_kind::profile_cannot_encrypt_secret: return "profile_cannot_encrypt_secret";
    case credential_error_kind::malformed_blob: return "malformed_blob";
    case credential_error_kind::private_key_mismatch: return "private_key_mismatch";
    case credential_error_kind::secret_decryption_failed: return "secret_decryption_failed";
    case credential_error_kind::integrity_check_failed: return "integrity_check_failed";
    case credential_error_kind::credential_size_mismatch: return "credential_size_mismatch";
    case credential_error_kind::crypto_failure: return "crypto_failure";
  }
  return "unknown";
}

struct credential_error {
  credential_error_kind kind;
  std::string reason;  // never contains secret material
};

// A value or the error that prevented it.
template <class T>
using credential_result = result<T, credential_error>;

}  // namespace aikmock::tpm
