#pragma once
// The SCEP CertRep (RFC 8894 §3.3.2): SignedData by the RA signing key with
// the authenticated attributes messageType 3, pkiStatus, failInfo,
// transactionID, recipientNonce and senderNonce, plus — for SUCCESS — a
// degenerate PKCS#7 with the issued certificates, enveloped to the
// requester's certificate. Extra signed attributes carry what a PENDING
// answer hands the client (the challenge and the sealed server state).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"
#include "protocol/scep/pki_message.hpp"

namespace aikmock::protocol::scep {

enum class pki_status : int { success = 0, failure = 2, pending = 3 };
enum class fail_info : int { bad_alg = 0, bad_message_check = 1, bad_request = 2, bad_time = 3, bad_cert_id = 4 };

struct cert_rep {
  pki_status status = pki_status::success;
  std::optional<fail_info> failure;  // with status failure
  std::string transaction_id;
  bytes recipient_nonce;  // the request's senderNonce
  std::vector<octet_attribute> attributes;
  std::vector<X509*> certificates;  // SUCCESS: issued certificate first, then its chain
};

// Throws aikmock::openssl_failure when OpenSSL cannot build it. `requester` is
// the certificate the request was signed with; SUCCESS content is enveloped to it.
bytes build_cert_rep(const cert_rep& rep, X509* ra_signing, EVP_PKEY* ra_signing_key, X509* requester);

// The client side: verifies the signature with the RA signing certificate,
// reads the attributes, and for SUCCESS opens the content with the
// requester's key. Untrusted input: failures are values.
struct parsed_cert_rep {
  pki_status status = pki_status::failure;
  std::optional<fail_info> failure;
  std::string transaction_id;
  bytes recipient_nonce;
  bytes sender_nonce;
  std::vector<octet_attribute> attributes;  // every OCTET STRING attribute not of SCEP's own
  std::vector<aikmock::x509_ptr> certificates;

  const bytes* attribute(std::string_view oid) const;
};

result<parsed_cert_rep> parse_cert_rep(byte_view der, X509* ra_signing, X509* requester, EVP_PKEY* requester_key);

}  // namespace aikmock::protocol::scep
