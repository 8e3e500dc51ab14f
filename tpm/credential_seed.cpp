#include "tpm/credential_seed.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <memory>
#include <optional>
#include <string>

#include "tpm/hash.hpp"
#include "tpm/kdf.hpp"
#include "tpm/marshal.hpp"
#include "common/openssl.hpp"

namespace aikmock::tpm {

namespace {

using ec_group_ptr = std::unique_ptr<EC_GROUP, openssl_deleter<EC_GROUP_free>>;
using ec_point_ptr = std::unique_ptr<EC_POINT, openssl_deleter<EC_POINT_free>>;
using bn_ctx_ptr = std::unique_ptr<BN_CTX, openssl_deleter<BN_CTX_free>>;
// For scalars and shared-point coordinates: wiped before they are freed.
using secret_bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_clear_free>>;

// "IDENTITY" with its NUL: the OAEP label of Library Part 1, "Secret Sharing".
constexpr std::uint8_t identity_label_with_nul[] = {'I', 'D', 'E', 'N', 'T', 'I', 'T', 'Y', 0};
constexpr std::string_view identity_use = "IDENTITY";

failure<credential_error> crypto_error(std::string what) {
  ERR_clear_error();
  return fail(credential_error{credential_error_kind::crypto_failure, std::move(what)});
}

failure<credential_error> decryption_error(std::string what) {
  ERR_clear_error();
  return fail(credential_error{credential_error_kind::secret_decryption_failed, std::move(what)});
}

// An RSA context set up for OAEP with `md` for both the label hash and MGF1.
evp_pkey_ctx_ptr oaep_context(EVP_PKEY* key, const EVP_MD* md, bool encrypt) {
  evp_pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return nullptr;
  int init = encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get());
  if (init != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    return nullptr;
  }
  // OpenSSL takes ownership of the OPENSSL_malloc'ed label only when it accepts it.
  void* label = OPENSSL_memdup(identity_label_with_nul, sizeof identity_label_with_nul);
  if (!label) return nullptr;
  if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, sizeof identity_label_with_nul) != 1) {
    OPENSSL_free(label);
    return nullptr;
  }
  return ctx;
}

int curve_nid(ecc_curve_id curve_id) {
  switch (curve_id) {
    case curve::nist_p256: return NID_X9_62_prime256v1;
    case curve::nist_p384: return NID_secp384r1;
    case curve::nist_p521: return NID_secp521r1;
    default: return NID_undef;
  }
}

bignum_ptr bignum_from(byte_view data) {
  return bignum_ptr(BN_bin2bn(data.data(), static_cast<int>(data.size()), nullptr));
}

// A point from TPM coordinates, or nullptr when it is not on the curve.
ec_point_ptr point_from(const EC_GROUP* group, byte_view x, byte_view y, BN_CTX* ctx) {
  bignum_ptr bx = bignum_from(x);
  bignum_ptr by = bignum_from(y);
  ec_point_ptr point(EC_POINT_new(group));
  if (!bx || !by || !point || EC_POINT_set_affine_coordinates(group, point.get(), bx.get(), by.get(), ctx) != 1 ||
      EC_POINT_is_on_curve(group, point.get(), ctx) != 1) {
    return nullptr;
  }
  return point;
}

// The affine coordinates of `point`, each padded to the curve size as a TPM writes them.
bool coordinates_of(const EC_GROUP* group, const EC_POINT* point, std::size_t size, BN_CTX* ctx, bytes& x, bytes& y) {
  secret_bignum_ptr bx(BN_new());
  secret_bignum_ptr by(BN_new());
  if (!bx || !by || EC_POINT_is_at_infinity(group, point) == 1 ||
      EC_POINT_get_affine_coordinates(group, point, bx.get(), by.get(), ctx) != 1) {
    return false;
  }
  x.resize(size);
  y.resize(size);
  return BN_bn2binpad(bx.get(), x.data(), static_cast<int>(size)) == static_cast<int>(size) &&
         BN_bn2binpad(by.get(), y.data(), static_cast<int>(size)) == static_cast<int>(size);
}

// Z = x(scalar · peer), padded to the curve size: the shared secret KDFe hashes.
std::optional<secret_bytes> shared_x(const EC_GROUP* group, const BIGNUM* scalar, const EC_POINT* peer,
                                     std::size_t size, BN_CTX* ctx) {
  ec_point_ptr product(EC_POINT_new(group));
  if (!product || EC_POINT_mul(group, product.get(), nullptr, peer, scalar, ctx) != 1) return std::nullopt;
  bytes x, y;
  bool ok = coordinates_of(group, product.get(), size, ctx, x, y);
  secret_bytes z(std::move(x));
  secret_bytes discarded_y(std::move(y));
  if (!ok) return std::nullopt;
  return z;
}

credential_result<secret_bytes> identity_seed(alg_id hash_alg, const secret_bytes& z, byte_view ephemeral_x,
                                              byte_view ek_x) {
  auto seed =
      kdfe(hash_alg, z.view(), identity_use, ephemeral_x, ek_x, static_cast<std::uint32_t>(8 * hash_size(hash_alg)));
  if (!seed) return crypto_error("KDFe failed");
  return secret_bytes(std::move(*seed));
}

}  // namespace

credential_result<bytes> rsa_encrypt_seed(EVP_PKEY* ek_key, alg_id hash_alg, byte_view seed) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) return crypto_error("OAEP hash unavailable");
  auto ctx = oaep_context(ek_key, md, true);
  std::size_t size = 0;
  if (!ctx || EVP_PKEY_encrypt(ctx.get(), nullptr, &size, seed.data(), seed.size()) != 1) {
    return crypto_error("cannot set up RSA-OAEP encryption to the EK");
  }
  bytes out(size);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &size, seed.data(), seed.size()) != 1) {
    return crypto_error("RSA-OAEP encryption of the seed failed");
  }
  out.resize(size);
  return out;
}

credential_result<shared_seed> ecc_encapsulate_seed(const tpmt_public& ek, alg_id hash_alg,
                                                    byte_view ephemeral_private) {
  const std::size_t size = curve_coordinate_size(ek.ecc.curve);
  ec_group_ptr group(EC_GROUP_new_by_curve_name(curve_nid(ek.ecc.curve)));
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  if (!group || !ctx || size == 0) return crypto_error("EK curve unavailable");
  auto ek_point = point_from(group.get(), ek.ecc.x, ek.ecc.y, ctx.get());
  if (!ek_point) return crypto_error("EK point is not on its curve");

  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  secret_bignum_ptr scalar(BN_secure_new());
  if (!scalar) return crypto_error("out of memory");
  BN_set_flags(scalar.get(), BN_FLG_CONSTTIME);
  if (ephemeral_private.empty()) {
    do {
      if (BN_priv_rand_range_ex(scalar.get(), order, 0, ctx.get()) != 1)
        return crypto_error("no randomness for the ephemeral key");
    } while (BN_is_zero(scalar.get()));
  } else if (!BN_bin2bn(ephemeral_private.data(), static_cast<int>(ephemeral_private.size()), scalar.get()) ||
             BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), order) >= 0) {
    return crypto_error("the given ephemeral scalar is not in [1, n-1]");
  }

  ec_point_ptr ephemeral(EC_POINT_new(group.get()));
  shared_seed out;
  bytes ephemeral_x, ephemeral_y;
  if (!ephemeral || EC_POINT_mul(group.get(), ephemeral.get(), scalar.get(), nullptr, nullptr, ctx.get()) != 1 ||
      !coordinates_of(group.get(), ephemeral.get(), size, ctx.get(), ephemeral_x, ephemeral_y)) {
    return crypto_error("cannot compute the ephemeral public key");
  }
  auto z = shared_x(group.get(), scalar.get(), ek_point.get(), size, ctx.get());
  if (!z) return crypto_error("ECDH with the EK failed");

  // The TPM feeds its own stored x(Q_EK) to KDFe, byte for byte as in its public area.
  auto seed = identity_seed(hash_alg, *z, ephemeral_x, ek.ecc.x);
  if (!seed) return fail(seed.error());
  out.seed = std::move(*seed);
  writer point;
  point.tpm2b(ephemeral_x).tpm2b(ephemeral_y);
  out.encrypted_secret = std::move(point).take();
  return out;
}

credential_result<secret_bytes> rsa_decrypt_seed(EVP_PKEY* ek_private_key, alg_id hash_alg,
                                                 byte_view encrypted_secret) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) return crypto_error("OAEP hash unavailable");
  const int modulus_size = EVP_PKEY_get_size(ek_private_key);
  if (modulus_size <= 0 || encrypted_secret.size() != static_cast<std::size_t>(modulus_size)) {
    return decryption_error("encrypted secret of " + std::to_string(encrypted_secret.size()) +
                            " bytes; the EK modulus has " + std::to_string(modulus_size));
  }
  auto ctx = oaep_context(ek_private_key, md, false);
  if (!ctx) return crypto_error("cannot set up RSA-OAEP decryption with the EK");
  secret_bytes seed(static_cast<std::size_t>(modulus_size));
  std::size_t size = seed.size();
  if (EVP_PKEY_decrypt(ctx.get(), seed.data(), &size, encrypted_secret.data(), encrypted_secret.size()) != 1) {
    return decryption_error("RSA-OAEP decryption failed: not encrypted to this EK with label IDENTITY and " +
                            std::string(alg_name(hash_alg)));
  }
  if (size > hash_size(hash_alg)) {
    return decryption_error("decrypted seed of " + std::to_string(size) + " bytes exceeds the " +
                            std::to_string(hash_size(hash_alg)) + "-byte nameAlg digest (TPM_RC_VALUE)");
  }
  bytes exact(seed.view().begin(), seed.view().begin() + static_cast<std::ptrdiff_t>(size));
  return secret_bytes(std::move(exact));
}

credential_result<secret_bytes> ecc_decapsulate_seed(EVP_PKEY* ek_private_key, const tpmt_public& ek, alg_id hash_alg,
                                                     byte_view encrypted_secret) {
  reader in(encrypted_secret);
  auto x = in.tpm2b("TPMS_ECC_POINT.x", max_ecc_coordinate_size);
  auto y = in.tpm2b("TPMS_ECC_POINT.y", max_ecc_coordinate_size);
  if (x && y) in.expect_end("TPMS_ECC_POINT");
  if (!in.ok()) return decryption_error("encrypted secret is not a TPMS_ECC_POINT: " + in.error());

  const std::size_t size = curve_coordinate_size(ek.ecc.curve);
  ec_group_ptr group(EC_GROUP_new_by_curve_name(curve_nid(ek.ecc.curve)));
  bn_ctx_ptr ctx(BN_CTX_secure_new());
  if (!group || !ctx || size == 0) return crypto_error("EK curve unavailable");
  auto ephemeral = point_from(group.get(), *x, *y, ctx.get());
  if (!ephemeral) return decryption_error("the ephemeral point is not on the EK's curve (TPM_RC_ECC_POINT)");

  BIGNUM* raw_private = nullptr;
  if (EVP_PKEY_get_bn_param(ek_private_key, OSSL_PKEY_PARAM_PRIV_KEY, &raw_private) != 1) {
    return crypto_error("cannot read the EK's private scalar");
  }
  secret_bignum_ptr ek_private(raw_private);
  BN_set_flags(ek_private.get(), BN_FLG_CONSTTIME);
  auto z = shared_x(group.get(), ek_private.get(), ephemeral.get(), size, ctx.get());
  if (!z) return decryption_error("ECDH with the ephemeral point failed");
  return identity_seed(hash_alg, *z, *x, ek.ecc.x);
}

}  // namespace aikmock::tpm
