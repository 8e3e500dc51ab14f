#pragma once
// TPM2_MakeCredential in software: protect a credential (a secret of at most
// one nameAlg digest) so that only the TPM holding the EK can recover it, and
// only through TPM2_ActivateCredential on the object with the given Name.
//
// Two profiles:
//  - tcg: every parameter comes from the EK public, as a TPM's own
//    MakeCredential takes them (and go-tpm, tpm2-tools and keylime do):
//    H = EK nameAlg, seed of |H| bytes, AES key size from EK symmetric.
//  - microsoft: deliberately as limited as Microsoft's published activation
//    code (TSS.MSR PCPTool GenerateActivation20, TSS.CPP CreateActivation):
//    RSA EKs only, modulus >= 2048 bits, SHA-256 for OAEP, KDFa and HMAC,
//    AES-128-CFB, a 16-byte seed. Any other EK fails with
//    profile_cannot_encrypt_secret, so a policy layer can answer like the real
//    service ("Client challenge cannot be created due to failure in
//    EncryptSecret") for the real cause. Its output still opens on a real TPM:
//    a TPM rejects only seeds longer than the nameAlg digest.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/credential_error.hpp"
#include "tpm/credential_profile.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// What a profile uses to protect a credential for one EK.
struct credential_protection {
  credential_profile profile;
  alg_id key_type;                  // alg::rsa or alg::ecc
  alg_id hash;                      // OAEP and MGF1 (RSA), KDFe (ECC), KDFa, HMAC
  std::size_t seed_size;            // bytes
  std::uint16_t aes_key_bits;       // the key that encrypts the credential
  std::size_t max_credential_size;  // the EK nameAlg digest size
};

// How `profile` would protect a credential for `ek`, or why it cannot:
// unsupported_protector when no TPM could use `ek` as a protector (not a
// restricted decryption RSA/ECC key, symmetric not AES-CFB-128/256, scheme not
// NULL, unusable key, hash not computable), profile_cannot_encrypt_secret when
// only the profile is in the way.
credential_result<credential_protection> credential_protection_for(const tpmt_public& ek, credential_profile profile);

// A Name fit for MakeCredential: UINT16 nameAlg || digest, the hash one this
// project computes and the digest its size; else why not.
result<void, credential_error> check_object_name(byte_view object_name);

// `ek`: the EK public as the client presented it. `object_name`: Name of the
// key that will activate it (the AK). `credential`: 1 to |EK nameAlg| bytes.
credential_result<credential_blob> make_credential(const tpmt_public& ek, byte_view object_name, byte_view credential,
                                                   credential_profile profile = credential_profile::tcg);

}  // namespace aikmock::tpm
