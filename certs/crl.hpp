#pragma once
// Certificate revocation lists (RFC 5280 §5) for the lab's CAs, so that a
// client's chain engine (Windows', OpenSSL's -crl_download) finds a current
// answer at every CRL distribution point the lab's certificates name.
#include <chrono>
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

// RFC 5280 §5.3.1 CRLReason values this project writes.
enum class revocation_reason : int {
  unspecified = 0,
  key_compromise = 1,
  ca_compromise = 2,
  affiliation_changed = 3,
  superseded = 4,
  cessation_of_operation = 5,
  certificate_hold = 6,
};

struct revoked_certificate {
  bytes serial;  // big-endian magnitude, as the certificate's serialNumber
  std::chrono::system_clock::time_point revoked_at;
  revocation_reason reason = revocation_reason::unspecified;
};

struct crl_window {
  std::chrono::system_clock::time_point this_update;
  std::chrono::system_clock::time_point next_update;
  std::uint64_t number = 0;  // cRLNumber: grows with every CRL of a CA
};

// A v2 CRL of `ca`, signed with its key (SHA-256; SHA-384 for a P-384 or
// larger EC key), with AKI and cRLNumber. Throws openssl_failure only on a
// broken lab or a bug.
bytes sign_crl(X509* ca, EVP_PKEY* ca_key, const std::vector<revoked_certificate>& revoked, const crl_window& window);

}  // namespace aikmock::certs
