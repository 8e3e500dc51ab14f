#pragma once
// The asymmetric half of credential protection: getting a seed to the TPM
// that holds the EK (Library Part 1, "Secret Sharing"; ms-tpm-20-ref
// CryptSecretEncrypt / CryptSecretDecrypt).
//
//   RSA EK: encrypted secret = RSAES-OAEP(EK, seed, hash = H, MGF1-H, label "IDENTITY\0")
//   ECC EK: ephemeral (d_e, Q_e) on the EK's curve, Z = x(d_e · Q_EK),
//           seed = KDFe(H, Z, "IDENTITY", x(Q_e), x(Q_EK), 8·|H|),
//           encrypted secret = TPMS_ECC_POINT(Q_e)
//
// Building blocks for make_credential / activate_credential; they trust their
// caller to have validated the EK (credential_protection_for).
#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/credential_error.hpp"
#include "tpm/credential_secret.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

struct shared_seed {
  secret_bytes seed;
  bytes encrypted_secret;  // the TPM2B_ENCRYPTED_SECRET payload, without its size field
};

// RSA: OAEP-encrypts `seed` to `ek_key` (the EK's public key).
credential_result<bytes> rsa_encrypt_seed(EVP_PKEY* ek_key, alg_id hash_alg, byte_view seed);

// ECC: one-pass Diffie-Hellman with an ephemeral key. `ephemeral_private` is
// the big-endian scalar to use, for known-answer tests; empty draws a fresh one.
credential_result<shared_seed> ecc_encapsulate_seed(const tpmt_public& ek, alg_id hash_alg,
                                                    byte_view ephemeral_private = {});

// The TPM's side. Any failure is secret_decryption_failed, as on a TPM, with
// the reason; a recovered seed longer than |H| is refused (TPM_RC_VALUE).
credential_result<secret_bytes> rsa_decrypt_seed(EVP_PKEY* ek_private_key, alg_id hash_alg, byte_view encrypted_secret);
credential_result<secret_bytes> ecc_decapsulate_seed(EVP_PKEY* ek_private_key, const tpmt_public& ek, alg_id hash_alg,
                                                     byte_view encrypted_secret);

}  // namespace aikmock::tpm
