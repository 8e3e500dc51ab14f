#pragma once
// szOID_ENROLL_EK_INFO, the EK information of a TPM identity request: an
// EnvelopedData to the CA's exchange certificate (here the authority's RA
// encryption certificate) of
//   EndorsementKeyInfo ::= SEQUENCE SIZE (2..5) OF ANY
//     [0] EK SubjectPublicKeyInfo, [1] the manufacturer's EK certificate or NULL,
//     [2..4] up to three more certificates
// ([MS-WCCE] 2.2.2.7.7.x; Windows sends the first two). The attribute value is
// the ContentInfo itself; one wrapped in an OCTET STRING is accepted too.
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"

namespace aikmock::protocol::wcce {

struct endorsement_key_info {
  bytes ek_public_key;                   // SubjectPublicKeyInfo DER
  std::optional<bytes> ek_certificate;   // as sent: DER, possibly with NV header or padding
  std::vector<bytes> other_certificates;
};

result<endorsement_key_info> open_ek_info(byte_view attribute_value, X509* exchange_cert, EVP_PKEY* exchange_key);

// The DER SEQUENCE an EK_INFO envelope holds (the client seals it).
bytes encode_ek_info(const endorsement_key_info& info);

}  // namespace aikmock::protocol::wcce
