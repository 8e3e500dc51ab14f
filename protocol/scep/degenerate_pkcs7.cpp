#include "protocol/scep/degenerate_pkcs7.hpp"

#include <openssl/pkcs7.h>

#include "certs/der_io.hpp"

namespace aikmock::protocol::scep {

namespace {
using pkcs7_ptr = std::unique_ptr<PKCS7, aikmock::openssl_deleter<PKCS7_free>>;
}

bytes degenerate_pkcs7(const std::vector<X509*>& certificates) {
  pkcs7_ptr p7(openssl_check_ptr(PKCS7_new(), "PKCS7_new"));
  openssl_check(PKCS7_set_type(p7.get(), NID_pkcs7_signed) == 1, "PKCS7_set_type");
  // Detached empty content: the `data` content type with no eContent, as RFC 8894 specifies.
  openssl_check(PKCS7_content_new(p7.get(), NID_pkcs7_data) == 1, "PKCS7_content_new");
  for (X509* c : certificates) openssl_check(PKCS7_add_certificate(p7.get(), c) == 1, "PKCS7_add_certificate");
  return certs::checked_der_of(p7.get(), i2d_PKCS7, "i2d_PKCS7");
}

std::vector<aikmock::x509_ptr> certificates_of_pkcs7(byte_view der) {
  std::vector<aikmock::x509_ptr> out;
  const unsigned char* p = der.data();
  pkcs7_ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7 || !PKCS7_type_is_signed(p7.get()) || !p7->d.sign) {
    aikmock::openssl_errors();
    return out;
  }
  STACK_OF(X509)* certs_in = p7->d.sign->cert;
  for (int i = 0; certs_in && i < sk_X509_num(certs_in); ++i) out.push_back(aikmock::share(sk_X509_value(certs_in, i)));
  return out;
}

}  // namespace aikmock::protocol::scep
