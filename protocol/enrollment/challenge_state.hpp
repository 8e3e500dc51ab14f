#pragma once
// What the service needs again when the client answers its challenge, carried
// by the client between the two rounds (sealed: state_sealer.hpp), so that no
// server keeps anything and any replica can finish an exchange another began.
// A versioned binary record with one encoder and one decoder; nothing from the
// wire enters it unchecked (the transactionID is a validated PrintableString).
#include <cstdint>
#include <string>

#include "certs/ek_certificate_profile.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "tpm/credential_secret.hpp"

namespace aikmock::protocol::enrollment {

struct challenge_state {
  static constexpr std::uint8_t current_version = 3;

  std::string authority_key_id;  // lowercase hex: only this authority may finish
  std::string transaction_id;    // the SCEP transactionID (PrintableString), or the JSON API's
  tpm::secret_bytes secret;      // what the TPM must recover
  bytes aik_public;              // TPM2B_PUBLIC: the key the certificate is for
  certs::tpm_identity tpm;       // copied into the AIK certificate's SAN
  // SHA-1 of the certificate that signed round 1 (SCEP): round 2 must be signed
  // by the same one, which binds the two rounds. Empty for the JSON API.
  bytes requester_thumbprint;
  std::int64_t expires_at = 0;   // Unix seconds
  bytes use_id;                  // 16 random bytes: a challenge is answered once
  // Who round 1 came from, for round 2's log line and the lab console only
  // (round 2 names no machine and carries no EK): never decided on.
  std::string machine;      // at most max_machine characters of the request's client info
  std::string ek_template;  // "H-6"
  std::string ek_key;       // "rsa-3072"
};
// Machine names are at most 63 characters (a DNS label); a longer claim is cut, not refused.
inline constexpr std::size_t max_machine = 63;

bytes encode(const challenge_state& state);
// Untrusted only in theory (it opened with our key), checked anyway.
result<challenge_state> decode_challenge_state(byte_view data);

}  // namespace aikmock::protocol::enrollment
