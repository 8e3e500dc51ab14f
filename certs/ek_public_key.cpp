#include "certs/ek_public_key.hpp"

#include <openssl/ec.h>
#include <openssl/objects.h>

namespace aikmock::certs {

namespace {

// The RSAPublicKey inside an id-RSAES-OAEP SPKI. The OAEP parameters (hash,
// MGF, the "TCPA" label) only say how the TPM uses the key, so they are not needed.
evp_pkey_ptr rsa_key_from_oaep_spki(X509_PUBKEY* spki) {
  const unsigned char* der = nullptr;
  int der_len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &der, &der_len, nullptr, spki) != 1 || der == nullptr || der_len <= 0)
    return nullptr;
  const unsigned char* p = der;
  evp_pkey_ptr key(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, der_len));
  if (key && p != der + der_len) key.reset();  // bytes after the RSAPublicKey
  return key;
}

std::string curve_name(EVP_PKEY* key) {
  char group[80] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) != 1) return {};
  const int nid = OBJ_sn2nid(group);
  const char* nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
  return nist ? nist : group;
}

}  // namespace

result<ek_public_key> read_ek_public_key(X509* cert) noexcept try {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  if (!spki) return fail("certificate without a SubjectPublicKeyInfo");
  ASN1_OBJECT* algorithm = nullptr;
  if (X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr, spki) != 1 || !algorithm)
    return fail("unreadable SubjectPublicKeyInfo");

  ek_public_key out;
  if (OBJ_obj2nid(algorithm) == NID_rsaesOaep) {
    out.key = rsa_key_from_oaep_spki(spki);
    out.info.rsaes_oaep = true;
    openssl_errors();
    if (!out.key) return fail("id-RSAES-OAEP SubjectPublicKeyInfo without a readable RSAPublicKey");
  } else {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key) {
      const std::string detail = openssl_errors();
      char oid[80] = {};
      OBJ_obj2txt(oid, sizeof oid, algorithm, 1);
      return fail(std::string("EK public key (algorithm ") + oid + ") cannot be decoded" +
                     (detail.empty() ? "" : ": " + detail));
    }
    out.key = share(key);
  }

  const int type = EVP_PKEY_get_base_id(out.key.get());
  if (type == EVP_PKEY_RSA) {
    out.info.algorithm = ek_key_algorithm::rsa;
  } else if (type == EVP_PKEY_EC) {
    out.info.algorithm = ek_key_algorithm::ecc;
    out.info.curve = curve_name(out.key.get());
  } else {
    const char* name = OBJ_nid2sn(type);
    return fail(std::string("EK key type ") + (name ? name : "unknown") + " is neither RSA nor ECC");
  }
  const int bits = EVP_PKEY_get_bits(out.key.get());
  out.info.bits = bits > 0 ? static_cast<unsigned>(bits) : 0;
  return out;
} catch (const std::exception& e) {
  openssl_errors();
  return fail(std::string("reading the EK public key failed: ") + e.what());
}

}  // namespace aikmock::certs
