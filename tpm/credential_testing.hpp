#pragma once
// MakeCredential with its randomness supplied by the caller, for known-answer
// tests (keylime's vectors fix the RSA seed and the ECC ephemeral key).
// Production code calls make_credential, which draws both from OpenSSL.
#include "tpm/credential.hpp"
#include "tpm/random.hpp"

namespace aikmock::tpm::testing {

struct credential_entropy {
  random_fill seed = system_random;  // the RSA seed (OAEP's own padding randomness stays OpenSSL's)
  bytes ecc_ephemeral_private;       // big-endian scalar in [1, n-1]; empty: a fresh key
};

credential_result<credential_blob> make_credential_with_entropy(const tpmt_public& ek, byte_view object_name,
                                                                byte_view credential, credential_profile profile,
                                                                const credential_entropy& entropy);

}  // namespace aikmock::tpm::testing
