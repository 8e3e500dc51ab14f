#include "protocol/scep/pki_message.hpp"

#include <openssl/sha.h>

#include <charconv>

#include "certs/der_io.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::scep {

namespace {

failure<std::string> refuse(std::string why) {
  std::string detail = openssl_errors();
  return fail(detail.empty() ? why : why + " (" + detail + ")");
}

// A signed attribute's single value of the given ASN.1 type, or nullptr.
const ASN1_STRING* signed_attribute(CMS_SignerInfo* si, const char* oid, int type) {
  asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  if (!obj) return nullptr;
  // lastpos -3: the attribute must appear exactly once.
  return static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(si, obj.get(), -3, type));
}

std::string_view text_of(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

bytes sha1_of(const bytes& der) {
  bytes out(SHA_DIGEST_LENGTH);
  SHA1(der.data(), der.size(), out.data());
  return out;
}

}  // namespace

bool valid_transaction_id(std::string_view text) {
  if (text.empty() || text.size() > max_transaction_id) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool can_receive_envelopes(EVP_PKEY* key) {
  if (!key) return false;
  const int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) return bits >= 2048 && bits <= 4096;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) != 1) return false;
    const std::string_view g(group, len);
    return g == "prime256v1" || g == "secp384r1" || g == "secp521r1";
  }
  return false;
}

result<pki_message> parse_pki_message(byte_view der, X509* ra_cert, EVP_PKEY* ra_key) {
  if (der.empty()) return refuse("empty body");
  if (der.size() > max_pki_message_size) return refuse("pkiMessage too large");

  const unsigned char* p = der.data();
  cms_ptr signed_data(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!signed_data) return refuse("not a CMS ContentInfo");
  if (OBJ_obj2nid(CMS_get0_type(signed_data.get())) != NID_pkcs7_signed) return refuse("not a CMS SignedData");

  // Bound the work before any public-key operation: one signer, few certificates,
  // a requester key the reply can be enveloped to.
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(signed_data.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) return refuse("SignedData must have exactly one signer");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  x509_stack_ptr set(CMS_get1_certs(signed_data.get()));
  const int certificate_count = set ? sk_X509_num(set.get()) : 0;
  if (certificate_count < 1) return refuse("the SignedData carries no certificate (the signer's is needed)");
  if (static_cast<std::size_t>(certificate_count) > max_certificates) return refuse("too many certificates in the SignedData");
  pki_message msg;
  for (int i = 0; i < certificate_count; ++i) {
    X509* c = sk_X509_value(set.get(), i);
    if (CMS_SignerInfo_cert_cmp(si, c) == 0) msg.signer = share(c);
    else msg.other_certificates.push_back(certs::der_of(c, i2d_X509));
  }
  if (!msg.signer) return refuse("the signer's certificate is not in the SignedData");
  if (!can_receive_envelopes(X509_get0_pubkey(msg.signer.get())))
    return refuse("the signer's key is not RSA-2048..4096 or EC P-256/P-384/P-521: no reply can be enveloped to it");

  bio_ptr content(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  // The signer's certificate is the requester's own (self-signed) one: the
  // signature proves possession of its key; trust comes from the TPM exchange.
  if (CMS_verify(signed_data.get(), nullptr, nullptr, nullptr, content.get(),
                 CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
    return refuse("SignedData signature does not verify");

  const ASN1_STRING* type = signed_attribute(si, certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING);
  if (!type) return refuse("missing messageType attribute");
  auto type_text = text_of(type);
  auto [end, ec] = std::from_chars(type_text.data(), type_text.data() + type_text.size(), msg.message_type);
  if (ec != std::errc{} || end != type_text.data() + type_text.size()) return refuse("malformed messageType");

  const ASN1_STRING* tid = signed_attribute(si, certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING);
  if (!tid || !valid_transaction_id(text_of(tid)))
    return refuse("missing transactionID, or not 1 to 128 PrintableString characters");
  msg.transaction_id = std::string(text_of(tid));

  const ASN1_STRING* nonce = signed_attribute(si, certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING);
  if (!nonce || ASN1_STRING_length(nonce) != 16) return refuse("missing or malformed senderNonce attribute");
  msg.sender_nonce.assign(ASN1_STRING_get0_data(nonce), ASN1_STRING_get0_data(nonce) + ASN1_STRING_length(nonce));
  msg.signer_thumbprint = sha1_of(certs::der_of(msg.signer.get(), i2d_X509));

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

}  // namespace aikmock::protocol::scep
