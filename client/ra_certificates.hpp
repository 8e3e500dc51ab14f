#pragma once
// What GetCACertChain hands Windows: a SignedData by the RA signing certificate
// holding the AIK root, the authority's issuing CA and the two RA certificates,
// which the client picks by their common names ("RA Signing Certificate",
// "RA Encryption Certificate"). This client checks what Windows' chain engine
// would: the SignedData is signed by the RA signing certificate, both RA
// certificates chain to the issuing CA, and the issuing CA to the root.
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"

namespace aikmock::client {

// Why the answer is not usable.
struct ra_problem {
  std::string message;
  bool untrusted = false;  // all four are there, but the chain or the signature does not hold
};

struct ca_cert_chain {
  x509_ptr root;
  x509_ptr ca;          // the authority's issuing CA
  x509_ptr signing;     // verifies CertReps
  x509_ptr encryption;  // the requests' envelopes are encrypted to it
};

result<ca_cert_chain, ra_problem> read_ca_cert_chain(byte_view der);
// The same, from certificates already out of their container.
result<ca_cert_chain, ra_problem> identify_ra_certificates(std::vector<x509_ptr> certificates);

// Empty when `leaf` verifies with `ca` as the only trust anchor (the CA may be
// an intermediate, hence a partial chain); otherwise OpenSSL's reason.
std::string verify_against_ca(X509* leaf, X509* ca);

}  // namespace aikmock::client
