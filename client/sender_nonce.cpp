#include "client/sender_nonce.hpp"

#include <openssl/cms.h>

#include "certs/oids.hpp"
#include "common/openssl.hpp"

namespace aikmock::client {

std::optional<bytes> sender_nonce_of(byte_view pki_message) {
  const unsigned char* p = pki_message.data();
  aikmock::cms_ptr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(pki_message.size())));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return std::nullopt;
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) return std::nullopt;
  aikmock::asn1_object_ptr oid(OBJ_txt2obj(certs::oids::scep_sender_nonce, 1));
  if (!oid) return std::nullopt;
  // lastpos -3: exactly one such attribute.
  const auto* nonce = static_cast<const ASN1_STRING*>(
      CMS_signed_get0_data_by_OBJ(sk_CMS_SignerInfo_value(infos, 0), oid.get(), -3, V_ASN1_OCTET_STRING));
  if (!nonce || ASN1_STRING_length(nonce) != 16) return std::nullopt;
  return bytes(ASN1_STRING_get0_data(nonce), ASN1_STRING_get0_data(nonce) + ASN1_STRING_length(nonce));
}

}  // namespace aikmock::client
