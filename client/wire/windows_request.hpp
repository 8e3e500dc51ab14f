#pragma once
// The client's side of Windows' AIK enrollment wire (docs/protocol.md), as
// certreq -enrollaik sends it:
//   - the "SCEP Protocol Certificate": a fresh self-signed RSA-2048 certificate
//     with exactly AKI then SKI, which signs both requests and to which the
//     service envelopes its answers;
//   - round 1 (messageType 19): a PKCS#10 with Windows' eight attributes in
//     Windows' order and the bare SHA-256 of the request info as its
//     "signature", enveloped to the RA encryption certificate, with the EK
//     certificate's CA chain in the SignedData's certificate set;
//   - round 2 (messageType 41): the activated secret, itself enveloped to the RA
//     encryption certificate, and the server context echoed byte for byte.
#include <functional>
#include <string>
#include <vector>

#include "certs/ek_certificate_profile.hpp"
#include "client/tpm_backend.hpp"
#include "client/wire/cert_rep_reader.hpp"
#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"
#include "protocol/scep/challenge_messages.hpp"

namespace aikmock::client {

struct scep_identity {
  evp_pkey_ptr key;
  x509_ptr certificate;  // CN "SCEP Protocol Certificate", self-signed
  bytes thumbprint;      // SHA-1 of its DER: szOID_ENROLL_SCEP_SIGNER_HASH
  static scep_identity make();
};

// What the request says of the machine and the process that sent it.
struct client_description {
  std::string os_version = "10.0.19045.2";
  std::string machine;  // "DESKTOP-" and seven letters or digits
  std::string user;     // "WORKGROUP\<machine>$"
  std::string process = "taskhostw.exe";
  static client_description make();  // a new machine name
};

// Everything the PKCS#10 holds, for building one by hand (tests build variants).
struct windows_request_parts {
  bytes aik_public_key;  // SubjectPublicKeyInfo DER
  bytes aik_key_id;      // 20 bytes, the SKI in the extension request
  client_description who;
  bytes signer_hash;     // 20 bytes
  certs::tpm_identity tpm;
  bytes attestation_statement;  // KAST
  bytes ek_info;                // ContentInfo EnvelopedData DER
  // Signs the request info with a real key instead of Windows' bare hash (tests
  // of the policy's requireRequestSignature): returns the signature value.
  std::function<bytes(byte_view request_info)> sign;
};
bytes build_windows_pkcs10(const windows_request_parts& parts);

struct round1_request {
  bytes message;  // the pkiMessage to POST
  std::string transaction_id;
  bytes sender_nonce;
  tpm::tpmt_public aik_public;  // the AIK it asks a certificate for
};

// Creates the AIK and its proof on `tpm` and builds the request. `ek_ca_chain`:
// the EK certificate's issuers (DER, in any order: they are sent root-most first, as Windows sends them).
round1_request build_request(tpm_backend& tpm, X509* ra_encryption, const scep_identity& me,
                             const client_description& who, const std::vector<bytes>& ek_ca_chain);

struct round2_request {
  bytes message;
  bytes sender_nonce;
};
round2_request build_answer(const protocol::scep::challenge_reply& challenge, byte_view secret,
                            const std::string& transaction_id, X509* ra_encryption, const scep_identity& me);

// The AIK certificate and its issuing CA from a SUCCESS CertRep's content.
result<std::vector<x509_ptr>> delivered_certificates(const parsed_cert_rep& rep, X509* ra_signing);

}  // namespace aikmock::client
