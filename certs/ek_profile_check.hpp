#pragma once
// The TCG EK Credential Profile (§3.2, as go-attestation's ToEKCertificate and
// IBM's verifyKeyUsage implement it; spec text quoted in go-attestation#366) as a
// list of findings: every way a decoded EK certificate deviates from it.
// Nothing here rejects a certificate; real ones deviate in many ways.
#include <vector>

#include <openssl/x509.h>

#include "certs/ek_finding.hpp"
#include "certs/ek_public_key.hpp"
#include "certs/ek_san.hpp"
#include "common/bytes.hpp"

namespace aikmock::certs {

// `der` is the certificate's own encoding, read for DEFAULT values encoded
// explicitly (invisible once OpenSSL has decoded them).
std::vector<ek_finding> check_ek_profile(X509* cert, byte_view der, const ek_key_info& key, const ek_san& san);

// Only the explicit-DEFAULT part: extension `critical FALSE`, basicConstraints
// `cA FALSE`, id-RSAES-OAEP parameters equal to their defaults (SHA-1, MGF1-SHA-1,
// empty label). Malformed DER yields no findings (OpenSSL has parsed it already).
std::vector<ek_finding> find_explicit_defaults(byte_view der);

}  // namespace aikmock::certs
