#pragma once
// The PKCS#10 inside a SCEP request, read for the MS-WCCE TPM key attestation
// attributes (research: aik-protocol.md §2.1, §3). Only what is present is
// recorded here; opening and checking them is the exchange's work.
#include <optional>
#include <string>

#include "certs/openssl_types.hpp"
#include "common/bytes.hpp"

namespace aikmock::protocol::wcce {

struct identity_request {
  certs::x509_req_ptr csr;
  // Each attribute's single value, DER-encoded, when present.
  std::optional<bytes> ek_info;                // szOID_ENROLL_EK_INFO: EnvelopedData(EKPub, EK certs)
  std::optional<bytes> aik_info;               // szOID_ENROLL_AIK_INFO
  std::optional<bytes> attestation_statement;  // szOID_ENROLL_ATTESTATION_STATEMENT: KAST
  std::optional<bytes> ksp_name;               // szOID_ENROLL_KSP_NAME
  std::optional<bytes> ek_ca_key_id;           // szOID_ENROLL_EK_CA_KEYID
};

struct identity_request_result {
  std::optional<identity_request> request;
  std::string error;
};

identity_request_result parse_identity_request(byte_view pkcs10_der);

}  // namespace aikmock::protocol::wcce
