#pragma once
// The symmetric half of credential protection (Library Part 1, "Credential
// Protection"; ms-tpm-20-ref SecretToCredential / CredentialToSecret,
// ProduceOuterWrap / UnwrapOuter):
//
//   symKey      = KDFa(H, seed, "STORAGE", Name, ∅, symmetric keyBits)
//   encIdentity = AES-CFB(symKey, IV = 0, UINT16(|CV|) || CV)     (the size is encrypted too)
//   hmacKey     = KDFa(H, seed, "INTEGRITY", ∅, ∅, 8·|H|)
//   outerHMAC   = HMAC_H(hmacKey, encIdentity || Name)
//   TPM2B_ID_OBJECT = UINT16(2 + |H| + |encIdentity|) || UINT16(|H|) || outerHMAC || encIdentity
//
// Name is the Name of the object to activate (the AK), with its nameAlg.
#include <cstdint>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/credential_error.hpp"
#include "tpm/credential_secret.hpp"

namespace aikmock::tpm {

// The TPM2B_ID_OBJECT, size field included. Trusts its caller to have checked
// the sizes; only OpenSSL can make it fail (crypto_failure).
credential_result<bytes> wrap_credential(alg_id hash_alg, std::uint16_t aes_key_bits, byte_view seed,
                                         byte_view object_name, byte_view credential);

// The TPM's order: the ID object's inner structure (malformed_blob), the outer
// HMAC (integrity_check_failed), then decryption and the exact inner size
// (credential_size_mismatch). `id_object` is the TPM2B_ID_OBJECT with its size field.
credential_result<secret_bytes> unwrap_credential(alg_id hash_alg, std::uint16_t aes_key_bits, byte_view seed,
                                                  byte_view object_name, byte_view id_object);

}  // namespace aikmock::tpm
