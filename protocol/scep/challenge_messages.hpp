#pragma once
// The contents of the two middle messages of Windows' AIK enrollment
// (docs/protocol.md, "The challenge" and "The answer"), both directions, in one
// place — with the two choices the public record leaves to us:
//
//   challenge reply (CertRep, pkiStatus 11), enveloped to the requester:
//     SET { SEQUENCE { szOID_ENROLL_ATTESTATION_CHALLENGE, SET { OCTET STRING challenge } },
//           serverContext }
//   challenge answer (messageType 41), enveloped to the RA encryption certificate:
//     SET { SEQUENCE { szOID_ENROLL_SCEP_CHALLENGE_ANSWER, SET { EnvelopedData(secret) } },
//           serverContext echoed byte for byte }
//   serverContext (our choice, in MS-WCCE's vocabulary):
//     SEQUENCE { szOID_ENROLL_SCEP_SERVER_STATE, SET { OCTET STRING sealed state } }
//   challenge = little-endian UINT32 { magic, version 1, platform 2 (TPM 2.0),
//     header size 24, challenge size, reserved 0 } || TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET,
//     magic (our choice) the bytes "KACH".
// The SETs keep the order above (as the reverse-engineered client sends them);
// readers find the elements by their OIDs.
#include <cstdint>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "tpm/credential_container.hpp"

namespace aikmock::protocol::scep {

inline constexpr std::uint32_t challenge_magic = 0x4843414B;  // "KACH" in little-endian bytes
inline constexpr std::uint32_t challenge_version = 1;
inline constexpr std::uint32_t challenge_platform_tpm20 = 2;
inline constexpr std::size_t challenge_header_size = 24;
// Bounds for what a reader accepts: a state is a few hundred bytes, a challenge
// (two TPM2Bs of at most a few hundred bytes each) about one kilobyte.
inline constexpr std::size_t max_server_state = 4096;
inline constexpr std::size_t max_challenge_size = 4096;
inline constexpr std::size_t max_enveloped_secret = 8192;

// The challenge blob: header, then the credential.
bytes encode_attestation_challenge(const tpm::credential_blob& credential);
result<tpm::credential_blob> parse_attestation_challenge(byte_view data);

bytes encode_server_context(std::string_view sealed_state);

// The reply's content (before enveloping).
bytes encode_challenge_reply(const tpm::credential_blob& credential, std::string_view sealed_state);
struct challenge_reply {
  tpm::credential_blob credential;
  bytes server_context;  // the element's DER, to echo
};
result<challenge_reply> parse_challenge_reply(byte_view der);

// The answer's content (before enveloping): the secret, itself enveloped to the
// RA encryption certificate, and the server context as the reply carried it.
bytes encode_challenge_answer(byte_view enveloped_secret, byte_view server_context);
struct challenge_answer_content {
  bytes enveloped_secret;  // ContentInfo EnvelopedData DER
  std::string sealed_state;
};
result<challenge_answer_content> parse_challenge_answer(byte_view der);

}  // namespace aikmock::protocol::scep
