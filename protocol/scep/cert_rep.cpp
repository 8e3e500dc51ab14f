#include "protocol/scep/cert_rep.hpp"

#include <openssl/rand.h>

#include "certs/der_io.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::scep {

namespace {

void add_text(CMS_SignerInfo* si, const char* oid, const std::string& text) {
  openssl_check(CMS_signed_add1_attr_by_txt(si, oid, V_ASN1_PRINTABLESTRING, text.data(),
                                            static_cast<int>(text.size())) == 1,
                oid);
}

void add_octets(CMS_SignerInfo* si, const char* oid, byte_view value) {
  openssl_check(CMS_signed_add1_attr_by_txt(si, oid, V_ASN1_OCTET_STRING, value.data(),
                                            static_cast<int>(value.size())) == 1,
                oid);
}

// The real service's answers name the signature sha256WithRSAEncryption where
// OpenSSL writes rsaEncryption; the signature is the same PKCS#1 v1.5 one
// (RFC 5754 §3.2 allows either), so the identifier is set once it is made.
void name_signature_sha256_with_rsa(CMS_SignerInfo* si) {
  X509_ALGOR* signature = nullptr;
  EVP_PKEY* key = nullptr;
  CMS_SignerInfo_get0_algs(si, &key, nullptr, nullptr, &signature);
  if (signature && key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
    openssl_check(X509_ALGOR_set0(signature, OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL, nullptr) == 1,
                  "X509_ALGOR_set0");
}

// A SignedData to be signed by `signer`; attributes and certificates are added before finish_signed.
cms_ptr begin_signed(X509* signer, EVP_PKEY* key, CMS_SignerInfo** si) {
  // CMS_NOCERTS: the set gets exactly the certificates added below.
  cms_ptr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  openssl_check(cms != nullptr, "CMS_sign");
  *si = CMS_add1_signer(cms.get(), signer, key, EVP_sha256(), CMS_BINARY | CMS_NOCERTS);
  openssl_check(*si != nullptr, "CMS_add1_signer");
  return cms;
}

bytes finish_signed(CMS_ContentInfo* cms, CMS_SignerInfo* si, byte_view content) {
  auto data = certs::memory_bio(content);
  openssl_check(CMS_final(cms, data.get(), nullptr, CMS_BINARY) == 1, "CMS_final");
  name_signature_sha256_with_rsa(si);
  return certs::cms_der(cms);
}

}  // namespace

bytes build_cert_rep(const cert_rep& rep, X509* ra_signing, EVP_PKEY* ra_key) {
  CMS_SignerInfo* si = nullptr;
  auto cms = begin_signed(ra_signing, ra_key, &si);
  openssl_check(CMS_add1_cert(cms.get(), ra_signing) == 1, "CMS_add1_cert");
  add_text(si, certs::oids::scep_message_type, "3");
  add_text(si, certs::oids::scep_pki_status, std::to_string(static_cast<int>(rep.status)));
  if (rep.status == pki_status::failure)
    add_text(si, certs::oids::scep_fail_info,
             std::to_string(static_cast<int>(rep.failure.value_or(fail_info::bad_request))));
  bytes nonce(16);
  openssl_check(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1, "RAND_bytes");
  add_octets(si, certs::oids::scep_sender_nonce, nonce);
  add_octets(si, certs::oids::scep_recipient_nonce, rep.recipient_nonce);
  add_text(si, certs::oids::scep_transaction_id, rep.transaction_id);
  return finish_signed(cms.get(), si, rep.content);
}

bytes signed_certificates(X509* signer, EVP_PKEY* signer_key, const std::vector<X509*>& certificates) {
  CMS_SignerInfo* si = nullptr;
  auto cms = begin_signed(signer, signer_key, &si);
  for (X509* c : certificates) openssl_check(CMS_add1_cert(cms.get(), c) == 1, "CMS_add1_cert");
  return finish_signed(cms.get(), si, {});
}

}  // namespace aikmock::protocol::scep
