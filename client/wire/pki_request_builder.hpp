#pragma once
// The client side of a SCEP pkiMessage (RFC 8894 §3): the inner message
// enveloped to the RA encryption certificate, signed by the requester with the
// SCEP authenticated attributes. Used by the reference client and the tests.
#include <string>

#include "common/openssl.hpp"
#include "common/bytes.hpp"
#include "protocol/scep/pki_message.hpp"

namespace aikmock::protocol::scep {

struct pki_request {
  message_type type = message_type::pkcs_req;
  std::string transaction_id;
  bytes sender_nonce;                         // 16 bytes
  const EVP_CIPHER* cipher = EVP_aes_256_cbc();  // content encryption for the envelope
  const EVP_MD* digest = EVP_sha256();
  std::vector<octet_attribute> attributes;  // extra signed attributes
};

// Throws aikmock::openssl_failure when OpenSSL cannot build it.
bytes build_pki_message(const pki_request& request, byte_view inner, X509* recipient, X509* signer_cert,
                        EVP_PKEY* signer_key);

}  // namespace aikmock::protocol::scep
