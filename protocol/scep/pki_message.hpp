#pragma once
// The SCEP pkiMessage a client POSTs (RFC 8894 §3): a CMS SignedData signed by
// the requester — for Windows a self-signed "SCEP Protocol Certificate" — whose
// content is an EnvelopedData to the RA encryption certificate. Parsing bounds
// the work before any public-key operation (one signer, a requester key of a
// kind and size the reply can be enveloped to, a few certificates), verifies
// the signature, reads and validates the SCEP authenticated attributes and
// opens the envelope. Input is untrusted: every failure is a value.
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"

namespace aikmock::protocol::scep {

// RFC 8894 §3.2.1.2 messageType values, and Windows' own (certpol.h).
enum class message_type : int {
  cert_rep = 3,
  renewal_req = 17,
  pkcs_req = 19,
  cert_poll = 20,
  get_cert = 21,
  get_crl = 22,
  claim_challenge_answer = 41,  // SCEPMessageClaimChallengeAnswer
};

struct pki_message {
  int message_type = 0;
  std::string transaction_id;          // a PrintableString, validated
  bytes sender_nonce;                  // 16 bytes
  x509_ptr signer;                     // the requester's certificate
  bytes signer_thumbprint;             // SHA-1 over its DER (what szOID_ENROLL_SCEP_SIGNER_HASH names)
  std::vector<bytes> other_certificates;  // the rest of the certificate set (Windows: the EK's CA chain)
  bytes content;                       // the opened pkcsPKIEnvelope
};

// Upper bounds: a Windows request with its EK chain is about 9 KB.
inline constexpr std::size_t max_pki_message_size = 256 * 1024;
inline constexpr std::size_t max_certificates = 10;
inline constexpr std::size_t max_transaction_id = 128;

result<pki_message> parse_pki_message(byte_view der, X509* ra_encryption_cert, EVP_PKEY* ra_encryption_key);

// A transactionID as RFC 8894 and X.680 allow it: 1 to max_transaction_id
// characters of PrintableString's alphabet.
bool valid_transaction_id(std::string_view text);

// Whether a CMS envelope can be addressed to this key: RSA of 2048 to 4096 bits,
// or EC on P-256, P-384 or P-521 (checked before anything is signed or opened).
bool can_receive_envelopes(EVP_PKEY* key);

}  // namespace aikmock::protocol::scep
