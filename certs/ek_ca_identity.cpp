#include <openssl/bn.h>
#include "certs/ek_ca_identity.hpp"

#include "certs/certificate_builder.hpp"
#include "common/openssl.hpp"
#include "common/encoding.hpp"

namespace aikmock::certs {

std::string name_text(const X509_NAME* name) {
  bio_ptr bio(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    openssl_errors();
    return {};
  }
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<std::size_t>(n));
}

ca_identity ca_identity_of(X509* cert) {
  ca_identity id;
  id.subject = name_text(X509_get_subject_name(cert));
  bytes ski = subject_key_identifier(cert);
  // Every vendor CA seen so far has an SKI; RFC 5280 method 1 is what an absent one would most likely be.
  id.key_id = to_hex(ski.empty() ? key_identifier(cert) : ski);
  // i2d of a parsed name re-emits the bytes as received (OpenSSL keeps them), so a
  // Nuvoton name in non-DER SET order hashes as Windows sees it.
  id.name_id = to_hex(subject_name_hash_sha1(cert));
  return id;
}

std::string serial_text(const ASN1_INTEGER* serial) {
  std::string out;
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      out = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return out;
}

std::string serial_text(X509* cert) { return serial_text(X509_get0_serialNumber(cert)); }

}  // namespace aikmock::certs
