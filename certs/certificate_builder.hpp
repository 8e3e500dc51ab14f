#pragma once
// Builds and signs X.509 v3 certificates: one fluent builder for every
// certificate the lab PKI and the issuing CA make.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::certs {

// A distinguished name as (short name or dotted OID, value) pairs, UTF8String values.
using name_entries = std::vector<std::pair<std::string, std::string>>;
x509_name_ptr make_name(const name_entries& entries);

// Where a certificate's issuer is published: its certificate (AIA caIssuers)
// and its CRL (CRL distribution point).
struct issuer_links {
  std::string certificate_url;
  std::string crl_url;
};

class certificate_builder {
 public:
  explicit certificate_builder(EVP_PKEY* subject_public_key);

  certificate_builder& subject(const name_entries& entries);  // empty entries: empty subject
  // A random positive serial of `size` bytes (16 by default, as CAs commonly use).
  certificate_builder& random_serial(std::size_t size = 16);
  certificate_builder& validity(std::chrono::system_clock::time_point not_before,
                                std::chrono::system_clock::time_point not_after);
  // An extension in OpenSSL's config syntax, e.g. (NID_key_usage, "critical,keyCertSign").
  certificate_builder& extension(int nid, std::string_view value);
  // An extension whose value is given as DER; `oid` is dotted or a known short name.
  certificate_builder& extension_der(std::string_view oid, bool critical, byte_view value_der);
  // subjectAltName holding one directoryName (the TCG EK/AIK profile).
  certificate_builder& subject_alt_dirname(const name_entries& entries, bool critical);
  // A CRL distribution point, then AIA caIssuers (both non-critical).
  certificate_builder& links(const issuer_links& to_issuer);

  // Self-signed when issuer is nullptr (then issuer_key signs and must match the subject key).
  // Extensions are added in the order given; SKI/AKI values are computed at signing time
  // and so may be asked for with "hash" / "keyid:always".
  x509_ptr sign(X509* issuer, EVP_PKEY* issuer_key, const EVP_MD* digest);

 private:
  struct pending_extension {
    int nid = NID_undef;
    std::string conf_value;
    std::string oid;
    bool critical = false;
    bytes der;
  };
  x509_ptr cert_;
  std::vector<pending_extension> extensions_;
};

// The SHA-1 of the subjectPublicKey bit string (RFC 5280 key identifier, method 1),
// which is what the SKI of every lab certificate holds.
bytes key_identifier(X509* cert);
bytes key_identifier(EVP_PKEY* key);
// The certificate's Subject Key Identifier extension; empty when absent.
bytes subject_key_identifier(X509* cert);
// The keyIdentifier of the Authority Key Identifier extension; empty when absent.
bytes authority_key_identifier(X509* cert);
// SHA-1 over the DER of the subject name (the MS "NameId" of a CA).
bytes subject_name_hash_sha1(X509* cert);
// SHA-1 over the DER of the issuer name as the certificate encodes it (OpenSSL
// keeps the received encoding): the NameId of the CA that issued it.
bytes issuer_name_hash_sha1(X509* cert);

}  // namespace aikmock::certs
