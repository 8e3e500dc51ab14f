#pragma once
// Owning handles for the OpenSSL objects this module uses. Deliberately local:
// protocol/tpm sits below certs/ and must not depend on it.
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace aikmock::protocol::tpm {

template <auto Free>
struct openssl_free {
  template <class T>
  void operator()(T* p) const noexcept { Free(p); }
};

using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<EVP_PKEY_free>>;
using evp_pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_free<EVP_PKEY_CTX_free>>;
using evp_md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_free<EVP_MD_CTX_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_free<BN_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_free<OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_free<OSSL_PARAM_free>>;

}  // namespace aikmock::protocol::tpm
