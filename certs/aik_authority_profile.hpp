#pragma once
// The Microsoft side of an AIK authority, in the shape the real service shows
// (docs/protocol.md, from a real AIK chain): one issuing CA per EK-issuing vendor
// CA, named EUS-<VENDOR>-KEYID-<KEYID>, and the two SCEP RA certificates
// Windows' SCEP client expects from GetCACert (IX509SCEPEnrollment::Initialize).
#include <string>

#include "common/openssl.hpp"

namespace aikmock::certs {


// Host label of an authority: "<VENDOR>-KeyId-<lowercase hex>".
std::string authority_name(const std::string& vendor, const std::string& key_id_hex);
// Subject CN of its issuing CA: "EUS-<VENDOR>-KEYID-<UPPERCASE HEX>".
std::string issuing_ca_common_name(const std::string& vendor, const std::string& key_id_hex);

struct minted_authority {
  x509_ptr issuing_ca;
  evp_pkey_ptr issuing_ca_key;
  x509_ptr ra_signing;
  evp_pkey_ptr ra_signing_key;
  x509_ptr ra_encryption;
  evp_pkey_ptr ra_encryption_key;
};

// Makes the AIK root (self-signed, "aikmock TPM Root Certificate Authority").
x509_ptr make_aik_root(EVP_PKEY* key);

// Mints an authority's issuing CA and RA certificates under the AIK root.
minted_authority mint_authority(X509* aik_root, EVP_PKEY* aik_root_key, const std::string& vendor,
                                const std::string& key_id_hex);

}  // namespace aikmock::certs
