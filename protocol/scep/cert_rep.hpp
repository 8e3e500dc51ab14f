#pragma once
// What the service signs: the SCEP CertRep (RFC 8894 §3.3.2, with Windows'
// pkiStatus 11) and the certs-and-signature SignedData of GetCACertChain and of
// the delivered certificate. Each is a CMS SignedData by the RA signing
// certificate, SHA-256 with sha256WithRSAEncryption, the RA signing certificate
// alone in the certificate set (as the real service's answers carry it).
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"

namespace aikmock::protocol::scep {

// RFC 8894 §3.2.1.3, and Windows' SCEPDispositionPendingChallenge (certpol.h).
enum class pki_status : int { success = 0, failure = 2, pending = 3, pending_challenge = 11 };
enum class fail_info : int { bad_alg = 0, bad_message_check = 1, bad_request = 2, bad_time = 3, bad_cert_id = 4 };

struct cert_rep {
  pki_status status = pki_status::success;
  std::optional<fail_info> failure;  // with status failure
  std::string transaction_id;
  bytes recipient_nonce;  // the request's senderNonce
  bytes content;          // the pkcsPKIEnvelope (ContentInfo EnvelopedData DER), or none
};

// Signed attributes messageType 3, pkiStatus, failInfo (for FAILURE),
// senderNonce (fresh), recipientNonce, transactionID. Throws openssl_failure
// only on a broken lab or a bug.
bytes build_cert_rep(const cert_rep& rep, X509* ra_signing, EVP_PKEY* ra_signing_key);

// A SignedData over empty id-data content, signed by `signer`, whose
// certificate set holds `certificates` (the signer's own only if listed).
bytes signed_certificates(X509* signer, EVP_PKEY* signer_key, const std::vector<X509*>& certificates);

}  // namespace aikmock::protocol::scep
