#pragma once
// The SCEP pkiMessage a client POSTs (RFC 8894 §3): a CMS SignedData, signed by
// the requester, whose content is an EnvelopedData to the RA encryption
// certificate. Parsing verifies the signature, reads the SCEP authenticated
// attributes and opens the envelope. Input is untrusted: every failure is a
// value with a reason, never an exception.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::protocol::scep {

// RFC 8894 §3.2.1.2 messageType values.
enum class message_type : int {
  cert_rep = 3,
  renewal_req = 17,
  pkcs_req = 19,
  cert_poll = 20,
  get_cert = 21,
  get_crl = 22,
};

// A signed attribute beyond SCEP's own, carried as an OCTET STRING (the
// challenge, the sealed server state).
struct octet_attribute {
  std::string oid;
  bytes value;
};

struct pki_message {
  int message_type = 0;
  std::string transaction_id;
  bytes sender_nonce;
  aikmock::x509_ptr signer;  // the requester's certificate (self-signed for a first request)
  bytes content;           // the opened pkcsPKIEnvelope, a PKCS#10 for PKCSReq
  std::vector<octet_attribute> attributes;  // other signed OCTET STRING attributes

  const bytes* attribute(std::string_view oid) const;
};

// Upper bound for a pkiMessage; a request with EK certificates is a few KiB.
inline constexpr std::size_t max_pki_message_size = 256 * 1024;

result<pki_message> parse_pki_message(byte_view der, X509* ra_encryption_cert, EVP_PKEY* ra_encryption_key);

}  // namespace aikmock::protocol::scep
