#pragma once
// A "certs-only" degenerate PKCS#7 SignedData (RFC 8894 §3.4): no content, no
// signers, only certificates. GetCACert answers with one, and so does a SCEP
// CertRep for the certificate it issues.
#include <vector>

#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::protocol::scep {

bytes degenerate_pkcs7(const std::vector<X509*>& certificates);

// The certificates of a degenerate PKCS#7, in order; empty when `der` is not one.
std::vector<aikmock::x509_ptr> certificates_of_pkcs7(byte_view der);

}  // namespace aikmock::protocol::scep
