#include "certs/der_io.hpp"

namespace aikmock::certs {

bio_ptr memory_bio(byte_view data) {
  // BIO_new_mem_buf refuses a null pointer even for no bytes.
  static const unsigned char nothing = 0;
  const void* p = data.empty() ? &nothing : data.data();
  return bio_ptr(openssl_check_ptr(BIO_new_mem_buf(p, static_cast<int>(data.size())), "BIO_new_mem_buf"));
}

bytes bio_contents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? bytes(p, p + n) : bytes{};
}

bytes cms_der(CMS_ContentInfo* cms) { return checked_der_of(cms, i2d_CMS_ContentInfo, "i2d_CMS_ContentInfo"); }

bytes public_key_der(EVP_PKEY* key) { return der_of(key, i2d_PUBKEY); }

bytes envelope_to(byte_view plain, X509* recipient, const EVP_CIPHER* cipher) {
  x509_stack_ptr recipients(openssl_check_ptr(sk_X509_new_null(), "sk_X509_new_null"));
  openssl_check(sk_X509_push(recipients.get(), recipient) > 0, "sk_X509_push");
  auto in = memory_bio(plain);
  cms_ptr envelope(CMS_encrypt(recipients.get(), in.get(), cipher, CMS_BINARY));
  sk_X509_zero(recipients.get());  // the stack does not own the certificate
  openssl_check(envelope != nullptr, "CMS_encrypt");
  return cms_der(envelope.get());
}

}  // namespace aikmock::certs
