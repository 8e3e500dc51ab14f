#pragma once
// The output of MakeCredential and the two files it travels in.
//
//   TPM2B_ID_OBJECT        = UINT16 size || TPM2B_DIGEST integrityHMAC || encIdentity
//   TPM2B_ENCRYPTED_SECRET = UINT16 size || secret (RSA: OAEP ciphertext; ECC: TPMS_ECC_POINT)
//
// tpm2-tools credential file (tools/tpm2_makecredential.c, read by
// `tpm2_activatecredential -i`, also keylime's format):
//   UINT32 0xBADCC0DE || UINT32 1 || TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET
// Windows PCP activation blob (NCRYPT_PCP_TPM12_IDACTIVATION_PROPERTY, as
// go-attestation and TSS.MSR PCPTool build it):
//   TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET
#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "tpm/credential_blobs.hpp"
#include "tpm/parse_result.hpp"

namespace aikmock::tpm {

inline constexpr std::uint32_t tpm2_tools_credential_magic = 0xBADCC0DE;
inline constexpr std::uint32_t tpm2_tools_credential_version = 1;

struct credential_blob {
  bytes id_object;         // TPM2B_ID_OBJECT, size field included
  bytes encrypted_secret;  // TPM2B_ENCRYPTED_SECRET, size field included
  bool operator==(const credential_blob&) const = default;
};

bytes tpm2_tools_credential_file(const credential_blob& blob);
bytes windows_activation_blob(const credential_blob& blob);

// Strict: the whole input, both TPM2Bs well-formed within their maximum sizes
// (credential_blobs.hpp), nothing after them. The blob's buffers are copies of
// the input's bytes, size fields included.
parse_result<credential_blob> parse_tpm2_tools_credential_file(byte_view data);
parse_result<credential_blob> parse_windows_activation_blob(byte_view data);

}  // namespace aikmock::tpm
