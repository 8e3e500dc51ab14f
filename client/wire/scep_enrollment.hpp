#pragma once
// The two SCEP messages of a TPM identity enrollment, as a client builds them
// (the carriers aikmock chose where Windows' are not public; docs/protocol.md):
//   round 1: PKCSReq whose PKCS#10 carries EK_INFO, AIK_INFO, the KAST
//            attestation statement (the AIK's creation proof) and the KSP name;
//   round 2: CertPoll for the same transaction, with the server state echoed
//            as a signed attribute and the recovered secret in the envelope.
#include <string>

#include "common/openssl.hpp"
#include "common/bytes.hpp"
#include "client/tpm_backend.hpp"
#include "protocol/scep/cert_rep.hpp"

namespace aikmock::client {

// The requester's own key and self-signed certificate, which sign the SCEP
// messages and to which the issued certificate is enveloped.
struct scep_identity {
  aikmock::evp_pkey_ptr key;
  aikmock::x509_ptr certificate;
  static scep_identity make();  // RSA-2048, CN "aikmock enroll"
};

struct round1_request {
  bytes message;               // the pkiMessage to POST
  std::string transaction_id;
  bytes sender_nonce;
};

// `send_ek_public`: add the EK TPM2B_PUBLIC (aikmock's own attribute); Windows does not.
round1_request build_round1(tpm_backend& tpm, X509* ra_encryption, const scep_identity& me, bool send_ek_public = false);

// The challenge a PENDING CertRep carries.
struct pending_challenge {
  tpm::credential_blob blob;
  std::string state;
};
// nullopt when the CertRep is not a PENDING with both attributes.
std::optional<pending_challenge> challenge_of(const protocol::scep::parsed_cert_rep& rep);

bytes build_round2(const pending_challenge& challenge, byte_view secret, const std::string& transaction_id,
                   X509* ra_encryption, const scep_identity& me);

}  // namespace aikmock::client
