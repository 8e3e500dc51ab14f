#pragma once
// The client side of the service's answers: the CertRep (RFC 8894 §3.3.2, with
// Windows' pkiStatus 11), verified with the RA signing certificate from
// GetCACertChain, its content opened with the requester's key; and the
// SignedData by the RA that holds the delivered certificates. Untrusted input:
// failures are values.
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"
#include "protocol/scep/cert_rep.hpp"

namespace aikmock::client {

struct parsed_cert_rep {
  protocol::scep::pki_status status = protocol::scep::pki_status::failure;
  std::optional<protocol::scep::fail_info> failure;
  std::string transaction_id;
  bytes recipient_nonce;
  bytes sender_nonce;
  bytes content;  // the opened pkcsPKIEnvelope; empty when it carried none
};

// Upper bound for an answer the client reads.
inline constexpr std::size_t max_cert_rep_size = 256 * 1024;

result<parsed_cert_rep> parse_cert_rep(byte_view der, X509* ra_signing, X509* requester, EVP_PKEY* requester_key);

// The certificates of a SignedData signed by `signer` (a delivery, or
// GetCACertChain when `signer` is null and the signer is found by the caller).
result<std::vector<x509_ptr>> signed_certificates_of(byte_view der, X509* signer);

}  // namespace aikmock::client
