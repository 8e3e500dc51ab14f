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

result<bytes> open_envelope(byte_view der, X509* recipient, EVP_PKEY* key, std::size_t max_plain) {
  const unsigned char* p = der.data();
  cms_ptr envelope(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!envelope || p != der.data() + der.size() || OBJ_obj2nid(CMS_get0_type(envelope.get())) != NID_pkcs7_enveloped) {
    openssl_errors();
    return fail("not a CMS EnvelopedData");
  }
  bio_ptr out(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  if (CMS_decrypt(envelope.get(), key, recipient, nullptr, out.get(), CMS_BINARY) != 1) {
    const std::string detail = openssl_errors();
    return fail("the envelope does not open with the recipient's key" + (detail.empty() ? "" : " (" + detail + ")"));
  }
  bytes plain = bio_contents(out.get());
  if (plain.size() > max_plain) return fail("the envelope holds more than " + std::to_string(max_plain) + " bytes");
  return plain;
}

}  // namespace aikmock::certs
