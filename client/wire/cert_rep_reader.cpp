#include "client/wire/cert_rep_reader.hpp"

#include <charconv>

#include "certs/der_io.hpp"
#include "certs/oids.hpp"

namespace aikmock::client {

namespace {
namespace scep = protocol::scep;

failure<std::string> failed(std::string why) {
  std::string detail = openssl_errors();
  return fail(detail.empty() ? why : why + " (" + detail + ")");
}

std::optional<int> number(const ASN1_STRING* s) {
  if (!s) return std::nullopt;
  std::string_view t(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
  int v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
  return v;
}

bytes octets(const ASN1_STRING* s) {
  return s ? bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s)) : bytes{};
}

// Verifies a SignedData with `signer` as the only acceptable signer; its content.
result<bytes> verified_content(CMS_ContentInfo* cms, X509* signer) {
  x509_stack_ptr signers(openssl_check_ptr(sk_X509_new_null(), "sk_X509_new_null"));
  openssl_check(sk_X509_push(signers.get(), signer) > 0, "sk_X509_push");
  bio_ptr content(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  // An empty content: OpenSSL 3.0 refuses it under CMS_BINARY, without an error.
  bio_ptr nothing;
  unsigned flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN | CMS_BINARY;
  if (CMS_is_detached(cms)) {
    nothing.reset(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
    flags &= ~static_cast<unsigned>(CMS_BINARY);
  } else if (const ASN1_OCTET_STRING* const* e = CMS_get0_content(cms); e && *e && ASN1_STRING_length(*e) == 0) {
    flags &= ~static_cast<unsigned>(CMS_BINARY);
  }
  const int ok = CMS_verify(cms, signers.get(), nullptr, nothing.get(), content.get(), flags);
  sk_X509_zero(signers.get());
  if (ok != 1) return failed("the signature does not verify with the RA signing certificate");
  return certs::bio_contents(content.get());
}

result<cms_ptr> signed_data_of(byte_view der) {
  if (der.empty() || der.size() > max_cert_rep_size) return fail("empty or oversized answer");
  const unsigned char* p = der.data();
  cms_ptr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return failed("not a CMS SignedData");
  return cms;
}
}  // namespace

result<parsed_cert_rep> parse_cert_rep(byte_view der, X509* ra_signing, X509* requester, EVP_PKEY* requester_key) {
  auto cms = signed_data_of(der);
  if (!cms) return fail("CertRep: " + cms.error());
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms->get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) return failed("CertRep must have one signer");
  auto content = verified_content(cms->get(), ra_signing);
  if (!content) return fail("CertRep: " + content.error());
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);

  auto get = [&](const char* oid, int type) -> const ASN1_STRING* {
    asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
    return static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(si, obj.get(), -3, type));
  };
  parsed_cert_rep rep;
  if (number(get(certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING)) != 3)
    return failed("messageType is not CertRep (3)");
  auto status = number(get(certs::oids::scep_pki_status, V_ASN1_PRINTABLESTRING));
  if (!status || (*status != 0 && *status != 2 && *status != 3 && *status != 11))
    return failed("missing or unknown pkiStatus");
  rep.status = static_cast<scep::pki_status>(*status);
  // failInfo means something only beside FAILURE (RFC 8894 §3.2.1.4).
  if (auto fi = number(get(certs::oids::scep_fail_info, V_ASN1_PRINTABLESTRING));
      rep.status == scep::pki_status::failure && fi && *fi >= 0 && *fi <= 4)
    rep.failure = static_cast<scep::fail_info>(*fi);
  if (auto* tid = get(certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING))
    rep.transaction_id.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(tid)),
                              static_cast<std::size_t>(ASN1_STRING_length(tid)));
  rep.recipient_nonce = octets(get(certs::oids::scep_recipient_nonce, V_ASN1_OCTET_STRING));
  rep.sender_nonce = octets(get(certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING));

  if (!content->empty()) {
    auto opened = certs::open_envelope(*content, requester, requester_key, max_cert_rep_size);
    if (!opened) return fail("CertRep content: " + opened.error());
    rep.content = std::move(*opened);
  }
  return rep;
}

result<std::vector<x509_ptr>> signed_certificates_of(byte_view der, X509* signer) {
  auto cms = signed_data_of(der);
  if (!cms) return fail(cms.error());
  if (signer) {
    auto content = verified_content(cms->get(), signer);
    if (!content) return fail(content.error());
  }
  x509_stack_ptr set(CMS_get1_certs(cms->get()));
  std::vector<x509_ptr> out;
  for (int i = 0; set && i < sk_X509_num(set.get()); ++i) out.push_back(share(sk_X509_value(set.get(), i)));
  if (out.empty()) return fail("the SignedData holds no certificate");
  return out;
}

}  // namespace aikmock::client
