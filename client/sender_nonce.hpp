#pragma once
// The senderNonce a pkiMessage we built carries. build_round2 picks its own
// nonce; the CertRep must echo it as recipientNonce (RFC 8894 §3.2.1.5), and
// the client checks that it does.
#include <optional>

#include "common/bytes.hpp"

namespace aikmock::client {

// nullopt when `pki_message` is not a SignedData with one signer and one 16-byte senderNonce.
std::optional<bytes> sender_nonce_of(byte_view pki_message);

}  // namespace aikmock::client
