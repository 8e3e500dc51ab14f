#pragma once
// Caps on the TPM2B buffers inside attestation structures. Each is the size of
// the union or structure the TPM2B carries (TPM 2.0 Library Part 2) with the
// largest algorithm a TPM implements (SHA-512, RSA-4096, P-521), so a size
// above the cap can only come from a broken or hostile client.
#include <cstddef>

#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// TPM2B_NAME: UINT16 nameAlg || digest, or a 4-byte handle (sizeof(TPMU_NAME)).
inline constexpr std::size_t max_name_size = 2 + max_digest_size;
// TPM2B_DATA: sizeof(TPMT_HA), a hash algorithm and a digest.
inline constexpr std::size_t max_data_size = 2 + max_digest_size;
// TPM2B_ECC_PARAMETER (ECDSA r and s).
inline constexpr std::size_t max_ecc_parameter_size = max_ecc_coordinate_size;
// TPM2B_PUBLIC_KEY_RSA holding an RSA signature.
inline constexpr std::size_t max_rsa_signature_size = max_rsa_modulus_size;

// TPML_PCR_SELECTION: at most one selection per PCR bank (HASH_COUNT), and a
// bitmap of at most 64 PCRs each; TPMs have 24.
inline constexpr std::size_t max_pcr_banks = 16;
inline constexpr std::size_t max_pcr_select_size = 8;

// The parsers accept at most ~450 bytes of TPMS_CREATION_DATA and TPMS_ATTEST
// of the kinds they know (CERTIFY, CREATION, QUOTE); these outer caps only cut
// absurd sizes off early, the fields inside enforce the exact limits.
inline constexpr std::size_t max_creation_data_size = 1024;
inline constexpr std::size_t max_attest_size = 2048;

}  // namespace aikmock::tpm
