#include "certs/crl.hpp"

#include <openssl/x509v3.h>

#include "certs/der_io.hpp"

namespace aikmock::certs {

namespace {
asn1_time_ptr time_of(std::chrono::system_clock::time_point t) {
  return asn1_time_ptr(openssl_check_ptr(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)), "ASN1_TIME_set"));
}

const EVP_MD* digest_for(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) >= 384) return EVP_sha384();
  return EVP_sha256();
}
}  // namespace

bytes sign_crl(X509* ca, EVP_PKEY* ca_key, const std::vector<revoked_certificate>& revoked, const crl_window& window) {
  x509_crl_ptr crl(openssl_check_ptr(X509_CRL_new(), "X509_CRL_new"));
  openssl_check(X509_CRL_set_version(crl.get(), 1) == 1, "X509_CRL_set_version");  // v2
  openssl_check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) == 1, "X509_CRL_set_issuer_name");
  auto this_update = time_of(window.this_update);
  auto next_update = time_of(window.next_update);
  openssl_check(X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) == 1, "X509_CRL_set1_lastUpdate");
  openssl_check(X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) == 1, "X509_CRL_set1_nextUpdate");

  for (const auto& r : revoked) {
    x509_revoked_ptr entry(openssl_check_ptr(X509_REVOKED_new(), "X509_REVOKED_new"));
    asn1_integer_ptr serial(openssl_check_ptr(
        BN_to_ASN1_INTEGER(bignum_ptr(openssl_check_ptr(BN_bin2bn(r.serial.data(), static_cast<int>(r.serial.size()), nullptr),
                                                     "BN_bin2bn"))
                               .get(),
                           nullptr),
        "BN_to_ASN1_INTEGER"));
    openssl_check(X509_REVOKED_set_serialNumber(entry.get(), serial.get()) == 1, "X509_REVOKED_set_serialNumber");
    auto when = time_of(r.revoked_at);
    openssl_check(X509_REVOKED_set_revocationDate(entry.get(), when.get()) == 1, "X509_REVOKED_set_revocationDate");
    if (r.reason != revocation_reason::unspecified) {
      asn1_enumerated_ptr code(openssl_check_ptr(ASN1_ENUMERATED_new(), "ASN1_ENUMERATED_new"));
      openssl_check(ASN1_ENUMERATED_set(code.get(), static_cast<int>(r.reason)) == 1, "ASN1_ENUMERATED_set");
      openssl_check(X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, code.get(), 0, 0) == 1, "CRL reason");
    }
    openssl_check(X509_CRL_add0_revoked(crl.get(), entry.get()) == 1, "X509_CRL_add0_revoked");
    entry.release();
  }

  // AKI (keyid of the CA) and cRLNumber, both required in a v2 CRL (RFC 5280 §5.2.1, §5.2.3).
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl.get(), 0);
  x509_extension_ptr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  openssl_check(aki != nullptr, "authorityKeyIdentifier of the CRL");
  openssl_check(X509_CRL_add_ext(crl.get(), aki.get(), -1) == 1, "X509_CRL_add_ext");
  asn1_integer_ptr number(openssl_check_ptr(ASN1_INTEGER_new(), "ASN1_INTEGER_new"));
  openssl_check(ASN1_INTEGER_set_uint64(number.get(), window.number) == 1, "ASN1_INTEGER_set_uint64");
  openssl_check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) == 1, "cRLNumber");

  X509_CRL_sort(crl.get());
  openssl_check(X509_CRL_sign(crl.get(), ca_key, digest_for(ca_key)) > 0, "X509_CRL_sign");
  return checked_der_of(crl.get(), i2d_X509_CRL, "i2d_X509_CRL");
}

}  // namespace aikmock::certs
