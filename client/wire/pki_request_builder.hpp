#pragma once
// The client side of a SCEP pkiMessage (RFC 8894 §3) as Windows sends it: the
// inner message enveloped (AES-128-CBC) to the RA encryption certificate,
// signed by the requester's "SCEP Protocol Certificate" (SHA-256, rsaEncryption)
// with messageType, senderNonce and transactionID, and the requester's
// certificate followed by `extra_certificates` (the EK's CA chain) in the set.
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "protocol/scep/pki_message.hpp"

namespace aikmock::client {

struct pki_request {
  protocol::scep::message_type type = protocol::scep::message_type::pkcs_req;
  std::string transaction_id;
  bytes sender_nonce;                            // 16 bytes
  const EVP_CIPHER* cipher = EVP_aes_128_cbc();  // content encryption for the envelope
  std::vector<bytes> extra_certificates;         // DER
};

// Throws aikmock::openssl_failure when OpenSSL cannot build it.
bytes build_pki_message(const pki_request& request, byte_view inner, X509* recipient, X509* signer_cert,
                        EVP_PKEY* signer_key);

}  // namespace aikmock::client
