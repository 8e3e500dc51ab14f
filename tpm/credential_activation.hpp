#pragma once
// TPM2_ActivateCredential in software, for EKs whose private key we hold (the
// lab's software EKs, test keys): what a TPM does with a credential blob, in
// the TPM's order of checks (ms-tpm-20-ref ActivateCredential.c,
// CredentialToSecret, UnwrapOuter):
//   1. both TPM2Bs unmarshal                        -> malformed_blob
//   2. the seed decrypts with the EK                -> secret_decryption_failed
//   3. the outer HMAC over encIdentity || Name      -> integrity_check_failed
//   4. the decrypted inner TPM2B_DIGEST fits exactly -> credential_size_mismatch
// Like a TPM it accepts any seed up to |nameAlg| bytes, so the microsoft
// profile's 16-byte seeds open too.
#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/credential_error.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// `ek_private_key`: the EK's key pair; `ek`: its public area (nameAlg,
// symmetric); `object_name`: Name of the activating object (the AK).
// Returns the credential; it is a secret, wipe it when done.
credential_result<bytes> activate_credential(EVP_PKEY* ek_private_key, const tpmt_public& ek, byte_view object_name,
                                             const credential_blob& blob);

}  // namespace aikmock::tpm
