#include "common/openssl.hpp"

#include <openssl/err.h>

namespace aikmock {

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

void openssl_check(bool ok, const char* what) {
  if (ok) return;
  std::string detail = openssl_errors();
  throw openssl_failure(detail.empty() ? std::string(what) : std::string(what) + ": " + detail);
}

x509_ptr share(X509* cert) {
  openssl_check(X509_up_ref(cert) == 1, "X509_up_ref");
  return x509_ptr(cert);
}

evp_pkey_ptr share(EVP_PKEY* key) {
  openssl_check(EVP_PKEY_up_ref(key) == 1, "EVP_PKEY_up_ref");
  return evp_pkey_ptr(key);
}

}  // namespace aikmock

#include <openssl/provider.h>

namespace aikmock {
namespace {
using provider_ptr = std::unique_ptr<OSSL_PROVIDER, openssl_deleter<OSSL_PROVIDER_unload>>;
}

void load_openssl_providers() {
  // Held until exit and unloaded then, before OpenSSL's own clean-up (which was
  // registered first, when loading initialised the library).
  static const provider_ptr default_provider = [] {
    // Loading any provider explicitly stops OpenSSL from loading the default one implicitly.
    provider_ptr p(OSSL_PROVIDER_load(nullptr, "default"));
    openssl_check(p != nullptr, "loading OpenSSL's default provider");
    return p;
  }();
  static const provider_ptr legacy_provider = [] {
    provider_ptr p(OSSL_PROVIDER_load(nullptr, "legacy"));
    if (!p) openssl_errors();  // optional: only DES clients need it
    return p;
  }();
}
}  // namespace aikmock
