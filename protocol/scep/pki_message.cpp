#include "protocol/scep/pki_message.hpp"

#include <charconv>

#include "certs/der_io.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::scep {

namespace {
using aikmock::bio_ptr;
using aikmock::cms_ptr;

failure<std::string> refuse(std::string why) {
  std::string detail = aikmock::openssl_errors();
  return fail(detail.empty() ? why : why + " (" + detail + ")");
}

// A signed attribute's single value of the given ASN.1 type, or nullptr.
const ASN1_STRING* signed_attribute(CMS_SignerInfo* si, const char* oid, int type) {
  aikmock::asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  if (!obj) return nullptr;
  // lastpos -3: the attribute must appear exactly once.
  return static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(si, obj.get(), -3, type));
}

std::string_view text_of(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

}  // namespace

result<pki_message> parse_pki_message(byte_view der, X509* ra_cert, EVP_PKEY* ra_key) {
  if (der.empty()) return refuse("empty body");
  if (der.size() > max_pki_message_size) return refuse("pkiMessage too large");

  const unsigned char* p = der.data();
  cms_ptr signed_data(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!signed_data) return refuse("not a CMS ContentInfo");
  if (OBJ_obj2nid(CMS_get0_type(signed_data.get())) != NID_pkcs7_signed) return refuse("not a CMS SignedData");

  bio_ptr content(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  // The signer's certificate is the requester's own (self-signed) one: the
  // signature proves possession of its key; trust comes from the TPM exchange.
  if (CMS_verify(signed_data.get(), nullptr, nullptr, nullptr, content.get(),
                 CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
    return refuse("SignedData signature does not verify");

  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(signed_data.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) return refuse("SignedData must have exactly one signer");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);

  pki_message msg;
  const ASN1_STRING* type = signed_attribute(si, certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING);
  if (!type) return refuse("missing messageType attribute");
  auto type_text = text_of(type);
  auto [end, ec] = std::from_chars(type_text.data(), type_text.data() + type_text.size(), msg.message_type);
  if (ec != std::errc{} || end != type_text.data() + type_text.size()) return refuse("malformed messageType");

  const ASN1_STRING* tid = signed_attribute(si, certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING);
  if (!tid || ASN1_STRING_length(tid) == 0 || ASN1_STRING_length(tid) > 256)
    return refuse("missing or malformed transactionID attribute");
  msg.transaction_id = std::string(text_of(tid));

  const ASN1_STRING* nonce = signed_attribute(si, certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING);
  if (!nonce || ASN1_STRING_length(nonce) != 16) return refuse("missing or malformed senderNonce attribute");
  msg.sender_nonce.assign(ASN1_STRING_get0_data(nonce), ASN1_STRING_get0_data(nonce) + ASN1_STRING_length(nonce));

  if (STACK_OF(X509)* signers = CMS_get0_signers(signed_data.get())) {
    if (sk_X509_num(signers) > 0) msg.signer = aikmock::share(sk_X509_value(signers, 0));
    sk_X509_free(signers);
  }
  if (!msg.signer) return refuse("signer certificate missing");

  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, i);
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof oid, X509_ATTRIBUTE_get0_object(attr), 1);
    if (n <= 0 || n >= static_cast<int>(sizeof oid) || std::string_view(oid).starts_with("2.16.840.1.113733.1.9."))
      continue;
    ASN1_TYPE* v = X509_ATTRIBUTE_get0_type(attr, 0);
    if (!v || v->type != V_ASN1_OCTET_STRING || msg.attributes.size() >= 16) continue;
    const ASN1_STRING* s = v->value.octet_string;
    msg.attributes.push_back({oid, bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s))});
  }

  auto envelope_der = certs::bio_contents(content.get());
  if (envelope_der.empty()) return refuse("SignedData has no content");
  const unsigned char* q = envelope_der.data();
  cms_ptr envelope(d2i_CMS_ContentInfo(nullptr, &q, static_cast<long>(envelope_der.size())));
  if (!envelope || OBJ_obj2nid(CMS_get0_type(envelope.get())) != NID_pkcs7_enveloped)
    return refuse("content is not a CMS EnvelopedData");

  bio_ptr plain(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  if (CMS_decrypt(envelope.get(), ra_key, ra_cert, nullptr, plain.get(), CMS_BINARY) != 1)
    return refuse("EnvelopedData does not open with the RA encryption key");
  msg.content = certs::bio_contents(plain.get());
  if (msg.content.empty()) return refuse("EnvelopedData is empty");
  return msg;
}

const bytes* pki_message::attribute(std::string_view oid) const {
  for (const auto& a : attributes)
    if (a.oid == oid) return &a.value;
  return nullptr;
}

}  // namespace aikmock::protocol::scep
