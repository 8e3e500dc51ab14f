#include "tpm/public_key.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace aikmock::tpm {

namespace {

constexpr std::uint32_t default_rsa_exponent = 65537;

struct nist_curve {
  ecc_curve_id tpm_id;
  int nid;
  const char* group_name;  // OpenSSL's name for OSSL_PKEY_PARAM_GROUP_NAME
};

constexpr std::array<nist_curve, 3> nist_curves{{
    {curve::nist_p256, NID_X9_62_prime256v1, SN_X9_62_prime256v1},
    {curve::nist_p384, NID_secp384r1, SN_secp384r1},
    {curve::nist_p521, NID_secp521r1, SN_secp521r1},
}};

const nist_curve* curve_by_tpm_id(ecc_curve_id id) {
  for (const auto& c : nist_curves) {
    if (c.tpm_id == id) return &c;
  }
  return nullptr;
}

const nist_curve* curve_by_nid(int nid) {
  for (const auto& c : nist_curves) {
    if (c.nid == nid) return &c;
  }
  return nullptr;
}

bignum_ptr bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) {
    ERR_clear_error();
    throw std::invalid_argument(std::string("cannot read key parameter ") + name);
  }
  return bignum_ptr(value);
}

bytes bn_bytes(const BIGNUM* value, std::size_t size) {
  bytes out(size);
  if (BN_bn2binpad(value, out.data(), static_cast<int>(size)) < 0) {
    throw std::invalid_argument("key value does not fit " + std::to_string(size) + " bytes");
  }
  return out;
}

void set_rsa_key(tpmt_public& area, EVP_PKEY* key) {
  int bits = EVP_PKEY_get_bits(key);
  if (bits <= 0 || static_cast<std::size_t>(bits) > max_rsa_modulus_size * 8) {
    throw std::invalid_argument("RSA key of " + std::to_string(bits) + " bits is out of the TPM's range");
  }
  auto n = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
  auto e = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
  if (BN_num_bits(e.get()) > 32) throw std::invalid_argument("RSA exponent exceeds 32 bits");
  auto exponent = static_cast<std::uint32_t>(BN_get_word(e.get()));

  area.type = alg::rsa;
  area.rsa.key_bits = static_cast<std::uint16_t>(bits);
  // The TPM writes the default exponent as 0, and the Name covers that field.
  area.rsa.exponent = exponent == default_rsa_exponent ? 0 : exponent;
  area.rsa.modulus = bn_bytes(n.get(), (static_cast<std::size_t>(bits) + 7) / 8);
}

void set_ecc_key(tpmt_public& area, EVP_PKEY* key) {
  std::array<char, 80> group{};
  std::size_t group_length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &group_length) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("EC key without a named curve");
  }
  const nist_curve* c = curve_by_nid(OBJ_txt2nid(group.data()));
  if (!c) throw std::invalid_argument(std::string("EC curve ") + group.data() + " has no TPM curve ID here");
  std::size_t size = curve_coordinate_size(c->tpm_id);
  auto x = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X);
  auto y = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y);

  area.type = alg::ecc;
  area.ecc.curve = c->tpm_id;
  area.ecc.x = bn_bytes(x.get(), size);
  area.ecc.y = bn_bytes(y.get(), size);
}

evp_pkey_ptr key_from_params(const char* key_type, OSSL_PARAM_BLD* builder) {
  params_ptr params(OSSL_PARAM_BLD_to_param(builder));
  evp_pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return evp_pkey_ptr(key);
}

evp_pkey_ptr rsa_key_from_public(const rsa_public& rsa) {
  if (rsa.modulus.empty() || rsa.key_bits % 8 != 0 || rsa.modulus.size() != rsa.key_bits / 8u) return nullptr;
  bignum_ptr n(BN_bin2bn(rsa.modulus.data(), static_cast<int>(rsa.modulus.size()), nullptr));
  bignum_ptr e(BN_new());
  param_bld_ptr builder(OSSL_PARAM_BLD_new());
  if (!n || !e || !builder || BN_set_word(e.get(), rsa.exponent == 0 ? default_rsa_exponent : rsa.exponent) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return nullptr;
  }
  return key_from_params("RSA", builder.get());
}

evp_pkey_ptr ecc_key_from_public(const ecc_public& ecc) {
  const nist_curve* c = curve_by_tpm_id(ecc.curve);
  if (!c) return nullptr;
  std::size_t size = curve_coordinate_size(c->tpm_id);
  if (ecc.x.empty() || ecc.y.empty() || ecc.x.size() > size || ecc.y.size() > size) return nullptr;

  // SEC 1 uncompressed point: 04 || X || Y, each left-padded to the curve size
  // (a TPM may drop leading zero bytes).
  bytes point(1 + 2 * size, 0);
  point[0] = 0x04;
  std::copy(ecc.x.begin(), ecc.x.end(), point.begin() + 1 + (size - ecc.x.size()));
  std::copy(ecc.y.begin(), ecc.y.end(), point.begin() + 1 + size + (size - ecc.y.size()));

  param_bld_ptr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, c->group_name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  auto key = key_from_params("EC", builder.get());
  if (!key) return nullptr;
  // The point will be used for ECDH; a point off the curve leaks the peer's scalar.
  evp_pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

}  // namespace

evp_pkey_ptr public_key_from_public(const tpmt_public& area) {
  evp_pkey_ptr key;
  if (area.type == alg::rsa) key = rsa_key_from_public(area.rsa);
  if (area.type == alg::ecc) key = ecc_key_from_public(area.ecc);
  // Keep OpenSSL's thread-local queue clean for whoever reports errors next.
  if (!key) ERR_clear_error();
  return key;
}

void set_public_key(tpmt_public& area, EVP_PKEY* key) {
  if (!key) throw std::invalid_argument("no key");
  if (EVP_PKEY_is_a(key, "RSA")) return set_rsa_key(area, key);
  if (EVP_PKEY_is_a(key, "EC")) return set_ecc_key(area, key);
  const char* type_name = EVP_PKEY_get0_type_name(key);
  throw std::invalid_argument(std::string("key type ") + (type_name ? type_name : "?") + " is neither RSA nor EC");
}

}  // namespace aikmock::tpm
