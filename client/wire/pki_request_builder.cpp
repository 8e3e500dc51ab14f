#include "client/wire/pki_request_builder.hpp"

#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "certs/ek_der_reader.hpp"
#include "certs/oids.hpp"

namespace aikmock::client {

namespace {
// OpenSSL sorts a SET OF when it encodes one, the certificate set included;
// Windows sends its set in an order of its own (the signer first, then the EK's
// CA chain root-most first; docs/protocol.md). The set is outside what the
// signature covers, so it is written again in `order`.
bytes with_certificate_order(const bytes& content_info, const std::vector<bytes>& order) {
  namespace der = certs::der;
  auto broken = [] { return openssl_failure("the SignedData OpenSSL made does not have the expected layout"); };
  auto outer = certs::read_der_tlv(content_info);
  if (!outer) throw broken();
  auto info = certs::read_der_children(outer->content);  // contentType, [0] EXPLICIT content
  if (!info || info->size() != 2) throw broken();
  auto signed_data = certs::read_der_tlv((*info)[1].content);
  if (!signed_data) throw broken();
  auto fields = certs::read_der_children(signed_data->content);
  if (!fields) throw broken();
  std::vector<bytes> rebuilt;
  bool replaced = false;
  for (const auto& f : *fields) {
    if (f.tag == certs::der_tag::context(0)) {
      bytes set;
      for (const auto& c : order) set.insert(set.end(), c.begin(), c.end());
      rebuilt.push_back(der::tlv(certs::der_tag::context(0), set));
      replaced = true;
    } else {
      rebuilt.emplace_back(f.encoding.begin(), f.encoding.end());
    }
  }
  if (!replaced) throw broken();
  return der::sequence({bytes((*info)[0].encoding.begin(), (*info)[0].encoding.end()),
                        der::context(0, der::constructed(certs::der_tag::sequence, rebuilt))});
}

void add_attribute(CMS_SignerInfo* si, const char* oid, int type, byte_view value, const char* what) {
  openssl_check(CMS_signed_add1_attr_by_txt(si, oid, type, value.data(), static_cast<int>(value.size())) == 1, what);
}
}  // namespace

bytes build_pki_message(const pki_request& r, byte_view inner, X509* recipient, X509* signer_cert,
                        EVP_PKEY* signer_key) {
  const bytes envelope_der = certs::envelope_to(inner, recipient, r.cipher);

  cms_ptr signed_data(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  openssl_check(signed_data != nullptr, "CMS_sign");
  CMS_SignerInfo* si = CMS_add1_signer(signed_data.get(), signer_cert, signer_key, EVP_sha256(), CMS_BINARY);
  openssl_check(si != nullptr, "CMS_add1_signer");
  const std::string type = std::to_string(static_cast<int>(r.type));
  add_attribute(si, certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING, as_bytes(type), "messageType attribute");
  add_attribute(si, certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING, r.sender_nonce, "senderNonce attribute");
  add_attribute(si, certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING, as_bytes(r.transaction_id),
                "transactionID attribute");
  for (const auto& der : r.extra_certificates) {
    const unsigned char* p = der.data();
    x509_ptr c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    openssl_check(c != nullptr, "an extra certificate does not decode");
    openssl_check(CMS_add1_cert(signed_data.get(), c.get()) == 1, "CMS_add1_cert");
  }
  auto content = certs::memory_bio(envelope_der);
  openssl_check(CMS_final(signed_data.get(), content.get(), nullptr, CMS_BINARY) == 1, "CMS_final");
  std::vector<bytes> order{certs::der_of(signer_cert, i2d_X509)};
  order.insert(order.end(), r.extra_certificates.begin(), r.extra_certificates.end());
  return with_certificate_order(certs::cms_der(signed_data.get()), order);
}

}  // namespace aikmock::client
