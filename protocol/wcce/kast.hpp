#pragma once
// The Windows KeyAttestationStatement ('KAST', [MS-WCCE] 2.2.2.5), which a
// client puts in szOID_ENROLL_ATTESTATION_STATEMENT, and the 'KADS' key
// attestation blob that may sit inside it. Both headers are little-endian
// UINT32s, unlike the big-endian TPM structures they carry:
//
//   KAST: Magic 0x5453414B | Version 1 | Platform 1 (TPM 1.2) or 2 (TPM 2.0) | HeaderSize
//         | cbIdBinding | cbKeyAttestation | cbAIKOpaque
//         then, from HeaderSize on: idBinding | keyAttestation | aikOpaque
//   KADS: Magic 0x5344414B | Platform | HeaderSize | cbKeyAttest | cbSignature | cbKeyBlob
//         then, from HeaderSize on: keyAttest | signature | keyBlob
//
// For Platform 2 the idBinding is an AIK creation proof (creation_proof.hpp).
// The aikOpaque and keyBlob are provider key blobs, opaque to a CA.
//
// Strictness: the magic, version and platform must be the documented values,
// HeaderSize at least the documented header (larger headers are skipped as
// unknown extensions), and the parts must end exactly at the end of the
// input: trailing bytes are an error.
#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "tpm/creation_proof.hpp"
#include "tpm/parse_result.hpp"

namespace aikmock::protocol::wcce {

using tpm::aik_creation_proof;
using tpm::parse_result;

inline constexpr std::uint32_t kast_magic = 0x5453414B;  // "KAST" in little-endian bytes
inline constexpr std::uint32_t kads_magic = 0x5344414B;  // "KADS"
inline constexpr std::uint32_t kast_version = 1;
inline constexpr std::size_t kast_header_size = 7 * 4;
inline constexpr std::size_t kads_header_size = 6 * 4;
// A real statement is a few kilobytes (two key blobs and an idBinding); the
// cap keeps a hostile size field from mattering.
inline constexpr std::size_t max_kast_size = 64 * 1024;

namespace kast_platform {
inline constexpr std::uint32_t tpm12 = 1;
inline constexpr std::uint32_t tpm20 = 2;
}  // namespace kast_platform

struct key_attestation_statement {
  std::uint32_t platform = kast_platform::tpm20;
  bytes id_binding;
  bytes key_attestation;  // a KADS blob, or empty
  bytes aik_opaque;
  bool operator==(const key_attestation_statement&) const = default;
};

// The 'KADS' blob: the provider's attestation of a key by the AIK.
struct key_attestation_blob {
  std::uint32_t platform = kast_platform::tpm20;
  bytes key_attest;  // the AIK's attestation of the key
  bytes signature;   // the AIK's signature over key_attest
  bytes key_blob;
  bool operator==(const key_attestation_blob&) const = default;
};

// Version 1 with the documented header size. Throws std::length_error above
// max_kast_size: only a programming error builds such a statement.
bytes marshal_kast(const key_attestation_statement& statement);
bytes marshal_kads(const key_attestation_blob& blob);

parse_result<key_attestation_statement> parse_kast(byte_view data);
parse_result<key_attestation_blob> parse_kads(byte_view data);

// The TPM 2.0 idBinding split into its four parts; errors are prefixed with
// "KeyAttestationStatement.idBinding: " and give offsets within the idBinding.
// Fails for a statement of another platform.
parse_result<aik_creation_proof> parse_tpm20_id_binding(const key_attestation_statement& statement);

}  // namespace aikmock::protocol::wcce
