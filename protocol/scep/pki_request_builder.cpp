#include "protocol/scep/pki_request_builder.hpp"

#include "certs/oids.hpp"

namespace aikmock::protocol::scep {

namespace {
using certs::bio_ptr;
using certs::check;
using certs::check_ptr;
using certs::cms_ptr;

bytes cms_der(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms, &der);
  check(n > 0, "i2d_CMS_ContentInfo");
  bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

bio_ptr memory_bio(byte_view data) {
  return bio_ptr(check_ptr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), "BIO_new_mem_buf"));
}
}  // namespace

bytes build_pki_message(const pki_request& r, byte_view inner, X509* recipient, X509* signer_cert,
                        EVP_PKEY* signer_key) {
  certs::x509_stack_ptr recipients(check_ptr(sk_X509_new_null(), "sk_X509_new_null"));
  check(sk_X509_push(recipients.get(), recipient) > 0, "sk_X509_push");
  auto inner_bio = memory_bio(inner);
  cms_ptr envelope(CMS_encrypt(recipients.get(), inner_bio.get(), r.cipher, CMS_BINARY));
  // The stack does not own the recipient certificate.
  sk_X509_zero(recipients.get());
  check(envelope != nullptr, "CMS_encrypt");
  bytes envelope_der = cms_der(envelope.get());

  cms_ptr signed_data(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  check(signed_data != nullptr, "CMS_sign");
  CMS_SignerInfo* si = CMS_add1_signer(signed_data.get(), signer_cert, signer_key, r.digest, CMS_BINARY);
  check(si != nullptr, "CMS_add1_signer");
  const std::string type = std::to_string(static_cast<int>(r.type));
  check(CMS_signed_add1_attr_by_txt(si, certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING, type.data(),
                                    static_cast<int>(type.size())) == 1,
        "messageType attribute");
  check(CMS_signed_add1_attr_by_txt(si, certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING,
                                    r.transaction_id.data(), static_cast<int>(r.transaction_id.size())) == 1,
        "transactionID attribute");
  check(CMS_signed_add1_attr_by_txt(si, certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING, r.sender_nonce.data(),
                                    static_cast<int>(r.sender_nonce.size())) == 1,
        "senderNonce attribute");
  for (const auto& a : r.attributes)
    check(CMS_signed_add1_attr_by_txt(si, a.oid.c_str(), V_ASN1_OCTET_STRING, a.value.data(),
                                      static_cast<int>(a.value.size())) == 1,
          "extra signed attribute");
  auto content = memory_bio(envelope_der);
  check(CMS_final(signed_data.get(), content.get(), nullptr, CMS_BINARY) == 1, "CMS_final");
  return cms_der(signed_data.get());
}

}  // namespace aikmock::protocol::scep
