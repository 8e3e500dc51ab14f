#pragma once
// Converting between the key inside a TPMT_PUBLIC (unique + key parameters)
// and an OpenSSL public key, so the EK a client sends can be compared with
// the key in its EK certificate (EVP_PKEY_eq) and used for MakeCredential.
#include <openssl/evp.h>

#include "common/openssl.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// The public key of an RSA area (exponent 0 meaning 65537; the modulus must be
// exactly keyBits/8 bytes) or of an ECC area on NIST P-256/P-384/P-521
// (coordinates of at most the curve size, the point on the curve).
// nullptr for anything else: KEYEDHASH, SM2, inconsistent sizes, a point off
// the curve. Never throws; the area may come straight from a client.
evp_pkey_ptr public_key_from_public(const tpmt_public& area);

// Sets `area`'s type and key fields from `key`: RSA keyBits, exponent (65537
// written as 0, as a TPM writes it; any other value as is) and modulus, or ECC
// curveID and the point's coordinates padded to the curve size. Leaves every
// other field alone. Throws std::invalid_argument for a key that is neither
// RSA nor EC on NIST P-256/P-384/P-521, or whose exponent exceeds 32 bits.
void set_public_key(tpmt_public& area, EVP_PKEY* key);

}  // namespace aikmock::tpm
