#pragma once
// The MS-WCCE key-information attributes of a TPM identity request, each an
// EnvelopedData to the CA's exchange certificate (here the authority's RA
// encryption certificate):
//   szOID_ENROLL_EK_INFO:  EndorsementKeyInfo ::= SEQUENCE SIZE (2..5) OF ANY
//     [0] EK SubjectPublicKeyInfo, [1] the manufacturer's EK certificate or NULL,
//     [2..4] up to three more certificates (non-manufacturer EK certificates)
//   szOID_ENROLL_AIK_INFO: SEQUENCE SIZE (1..2) OF ANY
//     [0] AIK SubjectPublicKeyInfo, [1] optional AIK certificate
// (MS-WCCE 2.2.2.7.7.x). The attribute value is the ContentInfo itself; one
// wrapped in an OCTET STRING is accepted too.
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::protocol::wcce {

struct endorsement_key_info {
  bytes ek_public_key;                   // SubjectPublicKeyInfo DER
  std::optional<bytes> ek_certificate;   // as sent: DER, possibly with NV header or padding
  std::vector<bytes> other_certificates;
};

struct aik_info {
  bytes aik_public_key;  // SubjectPublicKeyInfo DER
  std::optional<bytes> aik_certificate;
};

result<endorsement_key_info> open_ek_info(byte_view attribute_value, X509* exchange_cert, EVP_PKEY* exchange_key);
result<aik_info> open_aik_info(byte_view attribute_value, X509* exchange_cert, EVP_PKEY* exchange_key);

// The client side: the attribute values, enveloped to the exchange certificate.
bytes seal_ek_info(const endorsement_key_info& info, X509* exchange_cert);
bytes seal_aik_info(const aik_info& info, X509* exchange_cert);

}  // namespace aikmock::protocol::wcce
