#include "certs/openssl_types.hpp"

#include <openssl/err.h>

namespace aikmock::certs {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

openssl_failure::openssl_failure(const std::string& what) : std::runtime_error(what) {}

void check(bool ok, const char* what) {
  if (ok) return;
  std::string detail = openssl_errors();
  throw openssl_failure(detail.empty() ? std::string(what) : std::string(what) + ": " + detail);
}

x509_ptr share(X509* cert) {
  check(X509_up_ref(cert) == 1, "X509_up_ref");
  return x509_ptr(cert);
}

evp_pkey_ptr share(EVP_PKEY* key) {
  check(EVP_PKEY_up_ref(key) == 1, "EVP_PKEY_up_ref");
  return evp_pkey_ptr(key);
}

}  // namespace aikmock::certs

#include <openssl/provider.h>

namespace aikmock::certs {
void load_openssl_providers() {
  // Loading any provider explicitly stops OpenSSL from loading the default one implicitly.
  check(OSSL_PROVIDER_load(nullptr, "default") != nullptr, "loading OpenSSL's default provider");
  if (!OSSL_PROVIDER_load(nullptr, "legacy")) openssl_errors();  // optional: only DES clients need it
}
}  // namespace aikmock::certs
