#pragma once
// Checking a TPMT_SIGNATURE against a public key: the message is hashed with
// the signature's own hash (TPM2_Sign signs H_hash(message) for every scheme
// here), RSASSA is PKCS#1 v1.5, RSAPSS accepts any salt length (TPMs differ:
// older ones use the largest salt, newer ones the digest size), ECDSA's r and
// s are re-encoded as the DER ECDSA-Sig-Value OpenSSL verifies.
#include <optional>
#include <string>

#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "tpm/signature.hpp"

namespace aikmock::tpm {

// The signature as X.509 carries it (a certificate's or PKCS#10's BIT STRING):
// the RSA signature itself, or for ECDSA r and s as a DER ECDSA-Sig-Value.
// Empty for another scheme or an ECDSA signature that cannot be encoded.
bytes x509_signature_value(const tpmt_signature& signature);

// Why `signature` is not `key`'s signature over `message` (wrong key type for
// the scheme, a hash this project cannot compute, a bad signature); nullopt
// when it is. Never throws.
std::optional<std::string> signature_error(EVP_PKEY* key, byte_view message, const tpmt_signature& signature);

}  // namespace aikmock::tpm
