#pragma once
// What GetCACert hands a SCEP client: the authority's CA and its two RA
// certificates, one that signs the CertReps and one to encrypt requests to.
// Windows' IX509SCEPEnrollment requires both RA certificates "signed by the CA
// certificate"; so does this client, with that CA as the only trust anchor.
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/openssl.hpp"

namespace aikmock::client {

// Why the RA certificates are not usable.
struct ra_problem {
  std::string message;
  bool untrusted = false;  // all three are there, but an RA certificate does not chain to the CA
};

struct ra_certificates {
  aikmock::x509_ptr ca;
  aikmock::x509_ptr signing;     // verifies CertReps
  aikmock::x509_ptr encryption;  // the requests' envelopes are encrypted to it
};

// Picks the CA (CA:TRUE), the RA signing certificate (digitalSignature) and
// the RA encryption certificate (keyEncipherment) out of the degenerate
// PKCS#7's certificates, in any order, and verifies that both RA certificates
// chain to that CA (validity dates included).
result<ra_certificates, ra_problem> identify_ra_certificates(std::vector<aikmock::x509_ptr> certificates);

// Empty when `leaf` verifies with `ca` as the only trust anchor (the CA may be
// an intermediate, hence a partial chain); otherwise OpenSSL's reason.
std::string verify_against_ca(X509* leaf, X509* ca);

}  // namespace aikmock::client
