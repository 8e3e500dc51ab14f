#pragma once
// Moving OpenSSL objects to and from bytes: the few conversions every CMS and
// key-handling file needs, in one place.
#include <openssl/crypto.h>

#include "common/openssl.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace aikmock::certs {

// An OpenSSL object's DER through its i2d_* function (i2d_X509, i2d_X509_REQ,
// i2d_PUBKEY, i2d_re_X509_REQ_tbs…); empty when it cannot be encoded.
template <class T, class I2d>
bytes der_of(T* object, I2d i2d) {
  unsigned char* der = nullptr;
  const int n = object ? i2d(object, &der) : 0;
  if (n <= 0 || !der) return {};
  bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}
// The same; throws openssl_failure naming `what` when it cannot be encoded.
template <class T, class I2d>
bytes checked_der_of(T* object, I2d i2d, const char* what) {
  bytes out = der_of(object, i2d);
  openssl_check(!out.empty(), what);
  return out;
}

// A read-only memory BIO over `data` (which must outlive it).
bio_ptr memory_bio(byte_view data);
// Whatever a memory BIO holds.
bytes bio_contents(BIO* bio);
bytes cms_der(CMS_ContentInfo* cms);
// SubjectPublicKeyInfo DER of a key; empty when it has none.
bytes public_key_der(EVP_PKEY* key);
// A CMS EnvelopedData of `plain` to one recipient certificate, as DER.
bytes envelope_to(byte_view plain, X509* recipient, const EVP_CIPHER* cipher);
// The plaintext of a ContentInfo EnvelopedData addressed to `recipient`, at most
// `max_plain` bytes. Untrusted input: failures are values naming why.
result<bytes> open_envelope(byte_view der, X509* recipient, EVP_PKEY* key, std::size_t max_plain);

}  // namespace aikmock::certs
