#include "tpm/credential_wrap.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <string>

#include "tpm/credential_blobs.hpp"
#include "tpm/hash.hpp"
#include "tpm/kdf.hpp"
#include "tpm/marshal.hpp"
#include "common/openssl.hpp"

namespace aikmock::tpm {

namespace {

using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_deleter<EVP_CIPHER_CTX_free>>;

constexpr std::string_view storage_label = "STORAGE";
constexpr std::string_view integrity_label = "INTEGRITY";

failure<credential_error> crypto_error(std::string what) {
  ERR_clear_error();
  return fail(credential_error{credential_error_kind::crypto_failure, std::move(what)});
}

const EVP_CIPHER* aes_cfb(std::uint16_t key_bits) {
  switch (key_bits) {
    case 128: return EVP_aes_128_cfb128();
    case 192: return EVP_aes_192_cfb128();
    case 256: return EVP_aes_256_cfb128();
    default: return nullptr;
  }
}

// AES-CFB128 with a zero IV: the TPM may use a zero IV because every symKey
// is fresh (it depends on a fresh seed).
std::optional<secret_bytes> aes_cfb_zero_iv(std::uint16_t key_bits, const secret_bytes& key, byte_view input,
                                            bool encrypt) {
  const EVP_CIPHER* cipher = aes_cfb(key_bits);
  cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  const std::array<std::uint8_t, 16> iv{};
  if (!cipher || !ctx || key.size() * 8 != key_bits ||
      EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.view().data(), iv.data(), encrypt ? 1 : 0) != 1) {
    return std::nullopt;
  }
  secret_bytes output(input.size());
  int written = 0, final_written = 0;
  if (EVP_CipherUpdate(ctx.get(), output.data(), &written, input.data(), static_cast<int>(input.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), output.data() + written, &final_written) != 1 ||
      static_cast<std::size_t>(written + final_written) != input.size()) {
    return std::nullopt;
  }
  return output;
}

std::optional<secret_bytes> symmetric_key(alg_id hash_alg, std::uint16_t key_bits, byte_view seed,
                                          byte_view object_name) {
  auto key = kdfa(hash_alg, seed, storage_label, object_name, {}, key_bits);
  if (!key) return std::nullopt;
  return secret_bytes(std::move(*key));
}

std::optional<bytes> outer_hmac(alg_id hash_alg, byte_view seed, byte_view enc_identity, byte_view object_name) {
  auto key = kdfa(hash_alg, seed, integrity_label, {}, {}, static_cast<std::uint32_t>(8 * hash_size(hash_alg)));
  if (!key) return std::nullopt;
  secret_bytes hmac_key(std::move(*key));
  return hmac(hash_alg, hmac_key.view(), {enc_identity, object_name});
}

}  // namespace

credential_result<bytes> wrap_credential(alg_id hash_alg, std::uint16_t aes_key_bits, byte_view seed,
                                         byte_view object_name, byte_view credential) {
  auto key = symmetric_key(hash_alg, aes_key_bits, seed, object_name);
  if (!key) return crypto_error("KDFa for the storage key failed");

  secret_bytes plain(2 + credential.size());
  plain.data()[0] = static_cast<std::uint8_t>(credential.size() >> 8);
  plain.data()[1] = static_cast<std::uint8_t>(credential.size());
  std::copy(credential.begin(), credential.end(), plain.data() + 2);
  auto enc_identity = aes_cfb_zero_iv(aes_key_bits, *key, plain.view(), true);
  if (!enc_identity) return crypto_error("AES-CFB encryption of the credential failed");

  auto integrity = outer_hmac(hash_alg, seed, enc_identity->view(), object_name);
  if (!integrity) return crypto_error("outer HMAC failed");

  writer out;
  write_id_object2b(out, tpms_id_object{std::move(*integrity), enc_identity->copy()});
  return std::move(out).take();
}

credential_result<secret_bytes> unwrap_credential(alg_id hash_alg, std::uint16_t aes_key_bits, byte_view seed,
                                                  byte_view object_name, byte_view id_object) {
  auto parts = parse_id_object2b(id_object);
  if (!parts) return fail(credential_error{credential_error_kind::malformed_blob, parts.error()});
  if (parts.consumed != id_object.size()) {
    return fail(credential_error{credential_error_kind::malformed_blob,
                            std::to_string(id_object.size() - parts.consumed) + " bytes after the TPM2B_ID_OBJECT"});
  }

  auto expected = outer_hmac(hash_alg, seed, parts->enc_identity, object_name);
  if (!expected) return crypto_error("outer HMAC failed");
  if (parts->integrity_hmac.size() != expected->size() ||
      CRYPTO_memcmp(parts->integrity_hmac.data(), expected->data(), expected->size()) != 0) {
    return fail(credential_error{credential_error_kind::integrity_check_failed,
                            "outer HMAC does not match: the credential was made for another Name or EK, or "
                            "was altered (TPM_RC_INTEGRITY)"});
  }

  auto key = symmetric_key(hash_alg, aes_key_bits, seed, object_name);
  if (!key) return crypto_error("KDFa for the storage key failed");
  auto plain = aes_cfb_zero_iv(aes_key_bits, *key, parts->enc_identity, false);
  if (!plain) return crypto_error("AES-CFB decryption of the credential failed");

  const byte_view inner = plain->view();
  if (inner.size() < 2) {
    return fail(credential_error{
        credential_error_kind::credential_size_mismatch,
        "encIdentity of " + std::to_string(inner.size()) + " bytes cannot hold a TPM2B_DIGEST (TPM_RC_SIZE)"});
  }
  const std::size_t size = std::size_t{inner[0]} << 8 | inner[1];
  if (size > max_digest_size || 2 + size != inner.size()) {
    return fail(credential_error{credential_error_kind::credential_size_mismatch,
                            "the decrypted credential claims " + std::to_string(size) + " bytes but " +
                                std::to_string(inner.size() - 2) + " follow (TPM_RC_SIZE)"});
  }
  return secret_bytes(bytes(inner.begin() + 2, inner.end()));
}

}  // namespace aikmock::tpm
