#pragma once
// The PKCS#10 inside a SCEP request, read for the MS-WCCE TPM key attestation
// attributes ([MS-WCCE] 3.1.1.4.3.4; OIDs from wincrypt.h). Only what is present is
// recorded here; opening and checking them is the exchange's work.
#include <functional>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::protocol::wcce {

struct identity_request {
  aikmock::x509_req_ptr csr;
  // Each attribute's single value, DER-encoded, when present.
  std::optional<bytes> ek_info;                // szOID_ENROLL_EK_INFO: EnvelopedData(EKPub, EK certs)
  std::optional<bytes> aik_info;               // szOID_ENROLL_AIK_INFO
  std::optional<bytes> attestation_statement;  // szOID_ENROLL_ATTESTATION_STATEMENT: KAST
  std::optional<bytes> ksp_name;               // szOID_ENROLL_KSP_NAME
  std::optional<bytes> ek_ca_key_id;           // szOID_ENROLL_EK_CA_KEYID
  std::optional<bytes> ek_public_area;         // aikmock's EK TPM2B_PUBLIC attribute (certs::oids)
};

result<identity_request> parse_identity_request(byte_view pkcs10_der);

// Signs the DER CertificationRequestInfo with SHA-256 and returns the X.509
// signature value: PKCS#1 v1.5 for an RSA key, a DER ECDSA-Sig-Value for an EC
// key. A TPM signs with the AIK itself (TPM2_Hash, then TPM2_Sign with the
// ticket a restricted key needs); a software key through OpenSSL.
using request_signer = std::function<bytes(byte_view to_be_signed)>;
// The signer for a private key in OpenSSL's hands.
request_signer sign_with_key(EVP_PKEY* key);

// The client side (the reference client and the tests): a PKCS#10 for the AIK
// with the attributes above. `aik_public` goes in the SubjectPublicKeyInfo and
// decides the signature algorithm (sha256WithRSAEncryption or
// ecdsa-with-SHA256); `sign` signs it, as the AIK where the client can.
struct identity_request_parts {
  EVP_PKEY* aik_public = nullptr;
  request_signer sign;
  std::optional<bytes> ek_info;                // sealed, from seal_ek_info
  std::optional<bytes> aik_info;               // sealed, from seal_aik_info
  std::optional<bytes> attestation_statement;  // KAST bytes
  std::string ksp_name = "Microsoft Platform Crypto Provider";
  std::optional<bytes> ek_ca_key_id;
  std::optional<bytes> ek_public_area;
};
bytes build_identity_request(const identity_request_parts& parts);

// The value of an OCTET STRING attribute (attestation statement, KeyId, EK public);
// nullopt when the DER is not one.
std::optional<bytes> octet_string_value(byte_view attribute_der);

}  // namespace aikmock::protocol::wcce
