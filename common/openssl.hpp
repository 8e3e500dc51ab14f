#pragma once
// Owning handles for OpenSSL objects, and the one way this project reports
// OpenSSL failures. Every room above common/ uses these; none defines its own.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace aikmock {

template <auto Free>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept { Free(p); }
};

using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using cms_ptr = std::unique_ptr<CMS_ContentInfo, openssl_deleter<CMS_ContentInfo_free>>;
using evp_cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_deleter<EVP_CIPHER_CTX_free>>;
using evp_md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX_free>>;
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using evp_pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<EVP_PKEY_CTX_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_deleter<OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_deleter<OSSL_PARAM_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using x509_req_ptr = std::unique_ptr<X509_REQ, openssl_deleter<X509_REQ_free>>;
using x509_name_ptr = std::unique_ptr<X509_NAME, openssl_deleter<X509_NAME_free>>;
using x509_extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using x509_crl_ptr = std::unique_ptr<X509_CRL, openssl_deleter<X509_CRL_free>>;
using x509_revoked_ptr = std::unique_ptr<X509_REVOKED, openssl_deleter<X509_REVOKED_free>>;
using asn1_object_ptr = std::unique_ptr<ASN1_OBJECT, openssl_deleter<ASN1_OBJECT_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, openssl_deleter<ASN1_INTEGER_free>>;
using asn1_enumerated_ptr = std::unique_ptr<ASN1_ENUMERATED, openssl_deleter<ASN1_ENUMERATED_free>>;
using asn1_time_ptr = std::unique_ptr<ASN1_TIME, openssl_deleter<ASN1_TIME_free>>;
using asn1_octet_string_ptr = std::unique_ptr<ASN1_OCTET_STRING, openssl_deleter<ASN1_OCTET_STRING_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_deleter<GENERAL_NAMES_free>>;

inline void free_x509_stack(STACK_OF(X509) * s) noexcept { sk_X509_pop_free(s, X509_free); }
using x509_stack_ptr = std::unique_ptr<STACK_OF(X509), openssl_deleter<free_x509_stack>>;

// Drains OpenSSL's thread-local error queue into one line.
std::string openssl_errors();

// For code paths where failure is a bug or a broken lab, not untrusted input.
class openssl_failure : public std::runtime_error {
 public:
  explicit openssl_failure(const std::string& what);
};

// Throws openssl_failure naming `what` with OpenSSL's queued errors when !ok.
void openssl_check(bool ok, const char* what);

template <class T>
T* openssl_check_ptr(T* p, const char* what) {
  openssl_check(p != nullptr, what);
  return p;
}

// A new owning reference to a shared object (OpenSSL reference counting).
x509_ptr share(X509* cert);
evp_pkey_ptr share(EVP_PKEY* key);

// Loads OpenSSL's default provider and, where installed, the legacy one: SCEP
// clients in the field still encrypt with DES and 3DES (micromdm's, older
// Windows), and OpenSSL 3 keeps DES in the legacy provider. Call once at start-up.
void load_openssl_providers();

}  // namespace aikmock
