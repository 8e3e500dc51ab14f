#pragma once
// The TPM 2.0 key derivation functions (Library Part 1, "Key Derivation
// Functions") and the HMAC they are built on.
//
// KDFa is SP 800-108 counter mode over HMAC:
//   K(i) = HMAC_H(key, UINT32(i) || label || 0x00 || contextU || contextV || UINT32(bits))
// KDFe is the SP 800-56A concatenation KDF over a plain hash, with no length field:
//   K(i) = H(UINT32(i) || Z || use || 0x00 || partyUInfo || partyVInfo)
// Both return the first `bits` bits of K(1) || K(2) || …; when `bits` is not a
// multiple of 8 the unused high-order bits of the first byte are cleared, as
// the TPM does. Labels are passed without their terminating NUL: it is always
// appended, because every TPM label ("STORAGE", "INTEGRITY", "IDENTITY") is a
// C string whose NUL the TPM feeds to the KDF.
//
// Outputs are key material: callers wipe them (OPENSSL_cleanse) after use.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"

namespace aikmock::tpm {

// HMAC_H(key, parts[0] || parts[1] || …); nullopt for a hash this project
// cannot compute or when OpenSSL fails.
std::optional<bytes> hmac(alg_id hash_alg, byte_view key, std::initializer_list<byte_view> parts);

// No TPM structure holds more than a TPM2B's 65535 bytes of KDF output.
inline constexpr std::uint32_t max_kdf_bits = 8 * 65535;

// nullopt for a hash this project cannot compute, for bits above
// max_kdf_bits, or when OpenSSL fails; an empty result for bits == 0.
std::optional<bytes> kdfa(alg_id hash_alg, byte_view key, std::string_view label, byte_view context_u,
                          byte_view context_v, std::uint32_t bits);

std::optional<bytes> kdfe(alg_id hash_alg, byte_view z, std::string_view use, byte_view party_u_info,
                          byte_view party_v_info, std::uint32_t bits);

}  // namespace aikmock::tpm
