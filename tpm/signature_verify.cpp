#include "tpm/signature_verify.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <memory>

#include "tpm/describe.hpp"
#include "tpm/hash.hpp"
#include "common/openssl.hpp"

namespace aikmock::tpm {

namespace {

using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_deleter<ECDSA_SIG_free>>;

std::optional<std::string> verify(EVP_PKEY* key, byte_view message, const tpmt_signature& signature) {
  const EVP_MD* md = hash_md(signature.hash);
  if (!md) return "signature hash " + describe_alg(signature.hash) + " is not one this project computes";

  bytes der;
  byte_view raw_signature;
  if (signature.sig_alg == alg::rsassa || signature.sig_alg == alg::rsapss) {
    if (!EVP_PKEY_is_a(key, "RSA")) return std::string(alg_name(signature.sig_alg)) + " signature from a non-RSA key";
    raw_signature = signature.rsa_signature;
  } else if (signature.sig_alg == alg::ecdsa) {
    if (!EVP_PKEY_is_a(key, "EC")) return std::string("ECDSA signature from a non-EC key");
    der = x509_signature_value(signature);
    if (der.empty()) return std::string("ECDSA r and s cannot be encoded");
    raw_signature = der;
  } else {
    return "unsupported signature scheme " + describe_alg(signature.sig_alg);
  }

  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, EVP_MD_get0_name(md), nullptr, nullptr, key, nullptr) != 1) {
    return std::string("cannot set up signature verification");
  }
  if (signature.sig_alg == alg::rsapss &&
      (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
    return std::string("cannot set up RSA-PSS verification");
  }
  if (EVP_DigestVerify(ctx.get(), raw_signature.data(), raw_signature.size(), message.data(), message.size()) != 1) {
    return std::string(alg_name(signature.sig_alg)) + "-" + std::string(alg_name(signature.hash)) +
           " signature does not verify with the key";
  }
  return std::nullopt;
}

}  // namespace

bytes x509_signature_value(const tpmt_signature& signature) {
  if (signature.sig_alg == alg::rsassa || signature.sig_alg == alg::rsapss) return signature.rsa_signature;
  if (signature.sig_alg != alg::ecdsa || signature.ecdsa_r.empty() || signature.ecdsa_s.empty()) return {};
  ecdsa_sig_ptr sig(ECDSA_SIG_new());
  bignum_ptr r(BN_bin2bn(signature.ecdsa_r.data(), static_cast<int>(signature.ecdsa_r.size()), nullptr));
  bignum_ptr s(BN_bin2bn(signature.ecdsa_s.data(), static_cast<int>(signature.ecdsa_s.size()), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  // ECDSA_SIG_set0 took ownership.
  (void)r.release();
  (void)s.release();
  int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  bytes der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &cursor) != length) return {};
  return der;
}

std::optional<std::string> signature_error(EVP_PKEY* key, byte_view message, const tpmt_signature& signature) {
  if (!key) return std::string("no key");
  auto error = verify(key, message, signature);
  // Keep OpenSSL's thread-local queue clean for whoever reports errors next.
  if (error) ERR_clear_error();
  return error;
}

}  // namespace aikmock::tpm
