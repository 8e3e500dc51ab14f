#pragma once
// The two buffers TPM2_MakeCredential produces and TPM2_ActivateCredential
// consumes, as they travel between CA and client:
//
//   TPM2B_ID_OBJECT        = UINT16 size || TPMS_ID_OBJECT
//     TPMS_ID_OBJECT       = TPM2B_DIGEST integrityHMAC || encIdentity
//                            (encIdentity is a TPM2B_DIGEST encrypted whole,
//                            size field included, so it is opaque here)
//   TPM2B_ENCRYPTED_SECRET = UINT16 size || secret (RSA-OAEP ciphertext, or
//                            an ECC point for ECC EKs)
//
// Parsing only bounds and splits them; producing and checking their contents
// is MakeCredential's business.
#include <cstddef>
#include <optional>

#include "common/bytes.hpp"
#include "tpm/marshal.hpp"
#include "tpm/parse_result.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// encIdentity: an encrypted TPM2B_DIGEST holding the credential.
inline constexpr std::size_t max_enc_identity_size = 2 + max_digest_size;
// sizeof(TPMS_ID_OBJECT).
inline constexpr std::size_t max_id_object_size = 2 + max_digest_size + max_enc_identity_size;
// sizeof(TPMU_ENCRYPTED_SECRET): an RSA-4096 ciphertext is the largest member.
inline constexpr std::size_t max_encrypted_secret_size = max_rsa_modulus_size;

struct tpms_id_object {
  bytes integrity_hmac;  // HMAC over encIdentity || Name of the credential's object
  bytes enc_identity;
  bool operator==(const tpms_id_object&) const = default;
};

// Throw std::invalid_argument for parts above the caps: only a programming
// error builds them.
void write_id_object2b(writer& out, const tpms_id_object& id_object);
void write_encrypted_secret2b(writer& out, byte_view secret);

std::optional<tpms_id_object> read_id_object2b(reader& in);
std::optional<bytes> read_encrypted_secret2b(reader& in);

// Each at the start of `data`; bytes after it are left alone and
// result.consumed says where they start.
parse_result<tpms_id_object> parse_id_object2b(byte_view data);
parse_result<bytes> parse_encrypted_secret2b(byte_view data);

}  // namespace aikmock::tpm
