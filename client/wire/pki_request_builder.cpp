#include "client/wire/pki_request_builder.hpp"

#include "certs/der_io.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::scep {

namespace {
using aikmock::bio_ptr;
using aikmock::cms_ptr;
using certs::cms_der;
using certs::memory_bio;

}  // namespace

bytes build_pki_message(const pki_request& r, byte_view inner, X509* recipient, X509* signer_cert,
                        EVP_PKEY* signer_key) {
  bytes envelope_der = certs::envelope_to(inner, recipient, r.cipher);

  cms_ptr signed_data(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  openssl_check(signed_data != nullptr, "CMS_sign");
  CMS_SignerInfo* si = CMS_add1_signer(signed_data.get(), signer_cert, signer_key, r.digest, CMS_BINARY);
  openssl_check(si != nullptr, "CMS_add1_signer");
  const std::string type = std::to_string(static_cast<int>(r.type));
  openssl_check(CMS_signed_add1_attr_by_txt(si, certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING, type.data(),
                                    static_cast<int>(type.size())) == 1,
        "messageType attribute");
  openssl_check(CMS_signed_add1_attr_by_txt(si, certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING,
                                    r.transaction_id.data(), static_cast<int>(r.transaction_id.size())) == 1,
        "transactionID attribute");
  openssl_check(CMS_signed_add1_attr_by_txt(si, certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING, r.sender_nonce.data(),
                                    static_cast<int>(r.sender_nonce.size())) == 1,
        "senderNonce attribute");
  for (const auto& a : r.attributes)
    openssl_check(CMS_signed_add1_attr_by_txt(si, a.oid.c_str(), V_ASN1_OCTET_STRING, a.value.data(),
                                      static_cast<int>(a.value.size())) == 1,
          "extra signed attribute");
  auto content = memory_bio(envelope_der);
  openssl_check(CMS_final(signed_data.get(), content.get(), nullptr, CMS_BINARY) == 1, "CMS_final");
  return cms_der(signed_data.get());
}

}  // namespace aikmock::protocol::scep
