#include "client/soft/soft_signing.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

#include "tpm/hash.hpp"
#include "common/openssl.hpp"

namespace aikmock::client {

using namespace aikmock::tpm;

tpmt_signature sign_like_tpm(EVP_PKEY* key, alg_id sig_alg, alg_id hash_alg, byte_view message) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) throw std::runtime_error("unsupported signing hash");
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, EVP_MD_get0_name(md), nullptr, nullptr, key, nullptr) != 1)
    throw std::runtime_error("cannot start signing");
  // A TPM's RSA-PSS salt is as long as the digest.
  if (sig_alg == alg::rsapss && (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    throw std::runtime_error("cannot set up RSA-PSS");
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()) != 1)
    throw std::runtime_error("cannot size the signature");
  bytes raw(length);
  if (EVP_DigestSign(ctx.get(), raw.data(), &length, message.data(), message.size()) != 1)
    throw std::runtime_error("signing failed");
  raw.resize(length);

  tpmt_signature signature;
  signature.sig_alg = sig_alg;
  signature.hash = hash_alg;
  if (sig_alg != alg::ecdsa) {
    signature.rsa_signature = std::move(raw);
    return signature;
  }
  const unsigned char* cursor = raw.data();
  std::unique_ptr<ECDSA_SIG, openssl_deleter<ECDSA_SIG_free>> ecdsa(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(raw.size())));
  if (!ecdsa) throw std::runtime_error("cannot decode the ECDSA signature");
  const int size = (EVP_PKEY_get_bits(key) + 7) / 8;
  signature.ecdsa_r.resize(static_cast<std::size_t>(size));
  signature.ecdsa_s.resize(static_cast<std::size_t>(size));
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), signature.ecdsa_r.data(), size);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), signature.ecdsa_s.data(), size);
  return signature;
}

}  // namespace aikmock::client
