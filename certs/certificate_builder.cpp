#include "certs/certificate_builder.hpp"

#include "certs/der_io.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace aikmock::certs {

x509_name_ptr make_name(const name_entries& entries) {
  x509_name_ptr name(openssl_check_ptr(X509_NAME_new(), "X509_NAME_new"));
  for (const auto& [field, value] : entries) {
    asn1_object_ptr obj(OBJ_txt2obj(field.c_str(), 0));
    openssl_check(obj != nullptr, "unknown name attribute");
    // countryName must be PrintableString; everything else UTF8String, as TPM vendors do.
    int type = OBJ_obj2nid(obj.get()) == NID_countryName ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
    openssl_check(X509_NAME_add_entry_by_OBJ(name.get(), obj.get(), type,
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), -1, 0) == 1,
          "X509_NAME_add_entry_by_OBJ");
  }
  return name;
}

certificate_builder::certificate_builder(EVP_PKEY* subject_public_key)
    : cert_(openssl_check_ptr(X509_new(), "X509_new")) {
  openssl_check(X509_set_version(cert_.get(), X509_VERSION_3) == 1, "X509_set_version");
  openssl_check(X509_set_pubkey(cert_.get(), subject_public_key) == 1, "X509_set_pubkey");
  random_serial();
}

certificate_builder& certificate_builder::subject(const name_entries& entries) {
  auto name = make_name(entries);
  openssl_check(X509_set_subject_name(cert_.get(), name.get()) == 1, "X509_set_subject_name");
  return *this;
}

certificate_builder& certificate_builder::random_serial(std::size_t size) {
  bytes serial(size);
  openssl_check(RAND_bytes(serial.data(), static_cast<int>(serial.size())) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  serial[0] |= 0x40;  // and of full length, so it stays `size` bytes in DER
  BIGNUM* bn = openssl_check_ptr(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr), "BN_bin2bn");
  ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert_.get()));
  BN_free(bn);
  openssl_check(ai != nullptr, "BN_to_ASN1_INTEGER");
  return *this;
}

certificate_builder& certificate_builder::validity(std::chrono::system_clock::time_point not_before,
                                                   std::chrono::system_clock::time_point not_after) {
  auto set = [](ASN1_TIME* t, std::chrono::system_clock::time_point tp) {
    openssl_check(ASN1_TIME_set(t, std::chrono::system_clock::to_time_t(tp)) != nullptr, "ASN1_TIME_set");
  };
  set(X509_getm_notBefore(cert_.get()), not_before);
  set(X509_getm_notAfter(cert_.get()), not_after);
  return *this;
}

certificate_builder& certificate_builder::extension(int nid, std::string_view value) {
  pending_extension e;
  e.nid = nid;
  e.conf_value = std::string(value);
  extensions_.push_back(std::move(e));
  return *this;
}

certificate_builder& certificate_builder::extension_der(std::string_view oid, bool critical, byte_view value_der) {
  pending_extension e;
  e.oid = std::string(oid);
  e.critical = critical;
  e.der.assign(value_der.begin(), value_der.end());
  extensions_.push_back(std::move(e));
  return *this;
}

certificate_builder& certificate_builder::links(const issuer_links& to_issuer) {
  extension(NID_crl_distribution_points, "URI:" + to_issuer.crl_url);
  return extension(NID_info_access, "caIssuers;URI:" + to_issuer.certificate_url);
}

certificate_builder& certificate_builder::subject_alt_dirname(const name_entries& entries, bool critical) {
  general_names_ptr names(openssl_check_ptr(GENERAL_NAMES_new(), "GENERAL_NAMES_new"));
  GENERAL_NAME* gn = openssl_check_ptr(GENERAL_NAME_new(), "GENERAL_NAME_new");
  gn->type = GEN_DIRNAME;
  gn->d.directoryName = make_name(entries).release();
  sk_GENERAL_NAME_push(names.get(), gn);
  return extension_der("2.5.29.17", critical, checked_der_of(names.get(), i2d_GENERAL_NAMES, "i2d_GENERAL_NAMES"));
}

x509_ptr certificate_builder::sign(X509* issuer, EVP_PKEY* issuer_key, const EVP_MD* digest) {
  X509* signer = issuer ? issuer : cert_.get();
  openssl_check(X509_set_issuer_name(cert_.get(), X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, signer, cert_.get(), nullptr, nullptr, 0);
  for (const auto& e : extensions_) {
    x509_extension_ptr ext;
    if (e.nid != NID_undef) {
      ext.reset(X509V3_EXT_conf_nid(nullptr, &ctx, e.nid, e.conf_value.c_str()));
    } else {
      asn1_object_ptr obj(OBJ_txt2obj(e.oid.c_str(), 0));
      openssl_check(obj != nullptr, "extension OID");
      asn1_octet_string_ptr value(openssl_check_ptr(ASN1_OCTET_STRING_new(), "ASN1_OCTET_STRING_new"));
      openssl_check(ASN1_OCTET_STRING_set(value.get(), e.der.data(), static_cast<int>(e.der.size())) == 1,
            "ASN1_OCTET_STRING_set");
      ext.reset(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), e.critical ? 1 : 0, value.get()));
    }
    openssl_check(ext != nullptr, "building extension");
    openssl_check(X509_add_ext(cert_.get(), ext.get(), -1) == 1, "X509_add_ext");
  }
  openssl_check(X509_sign(cert_.get(), issuer_key, digest) > 0, "X509_sign");
  return std::move(cert_);
}

bytes key_identifier(X509* cert) {
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(cert);
  openssl_check(key != nullptr, "X509_get0_pubkey_bitstr");
  bytes out(SHA_DIGEST_LENGTH);
  SHA1(key->data, static_cast<std::size_t>(key->length), out.data());
  return out;
}

bytes key_identifier(EVP_PKEY* key) {
  X509_PUBKEY* spki = nullptr;
  openssl_check(X509_PUBKEY_set(&spki, key) == 1, "X509_PUBKEY_set");
  const unsigned char* bits = nullptr;
  int length = 0;
  X509_PUBKEY_get0_param(nullptr, &bits, &length, nullptr, spki);
  bytes out(SHA_DIGEST_LENGTH);
  SHA1(bits, static_cast<std::size_t>(length), out.data());
  X509_PUBKEY_free(spki);
  return out;
}

bytes subject_key_identifier(X509* cert) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert);
  if (!ski) return {};
  return bytes(ski->data, ski->data + ski->length);
}

bytes authority_key_identifier(X509* cert) {
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert);
  if (!aki) return {};
  return bytes(aki->data, aki->data + aki->length);
}

bytes issuer_name_hash_sha1(X509* cert) {
  const bytes der = checked_der_of(X509_get_issuer_name(cert), i2d_X509_NAME, "i2d_X509_NAME");
  bytes out(SHA_DIGEST_LENGTH);
  SHA1(der.data(), der.size(), out.data());
  return out;
}

bytes subject_name_hash_sha1(X509* cert) {
  const bytes der = checked_der_of(X509_get_subject_name(cert), i2d_X509_NAME, "i2d_X509_NAME");
  bytes out(SHA_DIGEST_LENGTH);
  SHA1(der.data(), der.size(), out.data());
  return out;
}

}  // namespace aikmock::certs
