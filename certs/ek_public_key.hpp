#pragma once
// The EK public key of a certificate, including the TPM 1.2-era
// id-RSAES-OAEP SubjectPublicKeyInfo that OpenSSL 3 cannot decode
// (X509_get0_pubkey fails with "decode error"; openssl/openssl#7907).
// Such an SPKI carries an ordinary PKCS#1 RSAPublicKey in its BIT STRING;
// only the algorithm identifier differs.
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

enum class ek_key_algorithm { rsa, ecc };

struct ek_key_info {
  ek_key_algorithm algorithm = ek_key_algorithm::rsa;
  unsigned bits = 0;      // RSA modulus size, or EC group order size
  std::string curve;      // ECC: NIST name ("P-256") when it has one, else OpenSSL's group name
  bool rsaes_oaep = false;  // the SPKI algorithm is id-RSAES-OAEP
};

struct ek_public_key {
  evp_pkey_ptr key;  // an ordinary RSA or EC key, whatever the SPKI algorithm said
  ek_key_info info;
};

// Never throws; untrusted certificates may carry anything in their SPKI.
result<ek_public_key> read_ek_public_key(X509* cert) noexcept;

}  // namespace aikmock::certs
