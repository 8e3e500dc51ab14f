#pragma once
// The Microsoft side of an AIK authority, in the shapes the real service's
// certificates have (docs/protocol.md; the extension orders are those of the
// validators google/security-research's tpm-carte-blanche wrote against real
// certificates): an AIK root; one issuing CA per EK-issuing vendor CA, named
// EUS-<VENDOR>-KEYID-<KEYID>; and the two SCEP RA certificates Windows picks
// from GetCACertChain by their common names. The root is aikmock's own: never
// Microsoft's name or keys.
#include <string>
#include <string_view>

#include "certs/certificate_builder.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

// What Windows' SCEP client looks for in GetCACertChain.
inline constexpr const char* ra_signing_common_name = "RA Signing Certificate";
inline constexpr const char* ra_encryption_common_name = "RA Encryption Certificate";
inline constexpr const char* aik_root_common_name = "aikmock TPM Root Certificate Authority";

// Where certificates and CRLs of the lab are published (AIA caIssuers and CRL
// distribution points): "<base>/aia/<name>.crt", "<base>/crl/<name>.crl".
// Where a lab's clients reach the plain-HTTP listener by default: the base of
// the AIA and CRL URLs in its certificates (pki init --public-url).
inline constexpr std::string_view default_public_url = "http://127.0.0.1:8080";

struct publication {
  std::string base{default_public_url};
  std::string certificate_url(const std::string& name) const;
  std::string crl_url(const std::string& name) const;
  // The URLs of `issuer` (a lab CA) as published.
  issuer_links links_to(X509* issuer) const;
};

// The real service's domain: its authorities are <label>.microsoftaik.azure.net
// (docs/protocol.md). A lab may serve another (pki init --domain).
inline constexpr std::string_view service_domain = "microsoftaik.azure.net";

// Host label of an authority: "<VENDOR>-KeyId-<lowercase hex>".
std::string authority_name(const std::string& vendor, const std::string& key_id_hex);
// Subject CN of its issuing CA: "EUS-<VENDOR>-KEYID-<UPPERCASE HEX>".
std::string issuing_ca_common_name(const std::string& vendor, const std::string& key_id_hex);
// The file name (without extension) a CA certificate is published under: its
// subject CN, lower-cased, spaces and slashes as '-'.
std::string published_name(X509* ca);
std::string published_name(std::string_view common_name);

struct minted_authority {
  x509_ptr issuing_ca;
  evp_pkey_ptr issuing_ca_key;
  x509_ptr ra_signing;
  evp_pkey_ptr ra_signing_key;
  x509_ptr ra_encryption;
  evp_pkey_ptr ra_encryption_key;
};

// Makes the AIK root: self-signed, keyUsage (not critical) digitalSignature,
// keyCertSign, cRLSign; critical CA:TRUE; SKI; CA version 0 — the real root's
// extensions, under aikmock's own name — and a CRL distribution point to its
// own CRL, which the real root has not (docs/windows-lab.md: a chain engine
// that checks every certificate, the root included, finds an answer).
x509_ptr make_aik_root(EVP_PKEY* key, const publication& urls);

// Mints an authority's issuing CA and RA certificates under the AIK root.
minted_authority mint_authority(X509* aik_root, EVP_PKEY* aik_root_key, const std::string& vendor,
                                const std::string& key_id_hex, const publication& urls);

}  // namespace aikmock::certs
