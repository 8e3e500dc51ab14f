#include "protocol/scep/cert_rep.hpp"

#include <openssl/rand.h>

#include <charconv>

#include "certs/der_io.hpp"
#include "certs/oids.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"

namespace aikmock::protocol::scep {

namespace {
using aikmock::bio_ptr;
using aikmock::cms_ptr;
using certs::cms_der;
using certs::memory_bio;

void add_text(CMS_SignerInfo* si, const char* oid, const std::string& text) {
  openssl_check(CMS_signed_add1_attr_by_txt(si, oid, V_ASN1_PRINTABLESTRING, text.data(), static_cast<int>(text.size())) == 1,
        oid);
}

void add_octets(CMS_SignerInfo* si, const std::string& oid, byte_view value) {
  openssl_check(CMS_signed_add1_attr_by_txt(si, oid.c_str(), V_ASN1_OCTET_STRING, value.data(),
                                    static_cast<int>(value.size())) == 1,
        oid.c_str());
}

const char* scep_oids[] = {certs::oids::scep_message_type,   certs::oids::scep_pki_status,
                           certs::oids::scep_fail_info,      certs::oids::scep_sender_nonce,
                           certs::oids::scep_recipient_nonce, certs::oids::scep_transaction_id};

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && n < static_cast<int>(sizeof buf) ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

failure<std::string> failed(std::string why) {
  std::string detail = aikmock::openssl_errors();
  return fail(detail.empty() ? why : why + " (" + detail + ")");
}

std::optional<int> number(const ASN1_STRING* s) {
  if (!s) return std::nullopt;
  std::string_view t(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
  int v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
  return v;
}
}  // namespace

bytes build_cert_rep(const cert_rep& rep, X509* ra_signing, EVP_PKEY* ra_key, X509* requester) {
  bytes content;
  if (rep.status == pki_status::success) {
    content = certs::envelope_to(degenerate_pkcs7(rep.certificates), requester, EVP_aes_256_cbc());
  }

  // Without a certificate there is no pkcsPKIEnvelope: the SignedData has no eContent.
  const unsigned detached = content.empty() ? CMS_DETACHED : 0;
  cms_ptr signed_data(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY | detached));
  openssl_check(signed_data != nullptr, "CMS_sign");
  CMS_SignerInfo* si = CMS_add1_signer(signed_data.get(), ra_signing, ra_key, EVP_sha256(), CMS_BINARY);
  openssl_check(si != nullptr, "CMS_add1_signer");
  add_text(si, certs::oids::scep_message_type, "3");
  add_text(si, certs::oids::scep_pki_status, std::to_string(static_cast<int>(rep.status)));
  if (rep.status == pki_status::failure)
    add_text(si, certs::oids::scep_fail_info, std::to_string(static_cast<int>(rep.failure.value_or(fail_info::bad_request))));
  add_text(si, certs::oids::scep_transaction_id, rep.transaction_id);
  add_octets(si, certs::oids::scep_recipient_nonce, rep.recipient_nonce);
  bytes nonce(16);
  openssl_check(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1, "RAND_bytes");
  add_octets(si, certs::oids::scep_sender_nonce, nonce);
  for (const auto& a : rep.attributes) add_octets(si, a.oid, a.value);

  auto data = memory_bio(content);
  openssl_check(CMS_final(signed_data.get(), data.get(), nullptr, CMS_BINARY | detached) == 1, "CMS_final");
  return cms_der(signed_data.get());
}

const bytes* parsed_cert_rep::attribute(std::string_view oid) const {
  for (const auto& a : attributes)
    if (a.oid == oid) return &a.value;
  return nullptr;
}

result<parsed_cert_rep> parse_cert_rep(byte_view der, X509* ra_signing, X509* requester, EVP_PKEY* requester_key) {
  const unsigned char* p = der.data();
  cms_ptr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return failed("not a CMS SignedData");
  aikmock::x509_stack_ptr signers(openssl_check_ptr(sk_X509_new_null(), "sk_X509_new_null"));
  sk_X509_push(signers.get(), ra_signing);
  bio_ptr content(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  // Only the RA signing certificate from GetCACert may have signed it.
  // PENDING and FAILURE carry no eContent: verify over empty detached content.
  // (OpenSSL 3.0 rejects an empty detached content under CMS_BINARY, without an error.)
  bio_ptr nothing;
  unsigned flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN | CMS_BINARY;
  if (CMS_is_detached(cms.get())) {
    nothing.reset(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
    flags &= ~static_cast<unsigned>(CMS_BINARY);
  }
  int ok = CMS_verify(cms.get(), signers.get(), nullptr, nothing.get(), content.get(), flags);
  sk_X509_zero(signers.get());
  if (ok != 1) return failed("CertRep signature does not verify with the RA signing certificate");

  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) return failed("CertRep must have one signer");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);

  auto get = [&](const char* oid, int type) -> const ASN1_STRING* {
    aikmock::asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
    return static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(si, obj.get(), -3, type));
  };
  parsed_cert_rep rep;
  auto type = number(get(certs::oids::scep_message_type, V_ASN1_PRINTABLESTRING));
  if (type != 3) return failed("messageType is not CertRep (3)");
  auto status = number(get(certs::oids::scep_pki_status, V_ASN1_PRINTABLESTRING));
  if (!status || (*status != 0 && *status != 2 && *status != 3)) return failed("missing or unknown pkiStatus");
  rep.status = static_cast<pki_status>(*status);
  if (auto fi = number(get(certs::oids::scep_fail_info, V_ASN1_PRINTABLESTRING)); fi && *fi >= 0 && *fi <= 4)
    rep.failure = static_cast<fail_info>(*fi);
  if (auto* tid = get(certs::oids::scep_transaction_id, V_ASN1_PRINTABLESTRING))
    rep.transaction_id.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(tid)), static_cast<std::size_t>(ASN1_STRING_length(tid)));
  auto octets = [](const ASN1_STRING* s) {
    return s ? bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s)) : bytes{};
  };
  rep.recipient_nonce = octets(get(certs::oids::scep_recipient_nonce, V_ASN1_OCTET_STRING));
  rep.sender_nonce = octets(get(certs::oids::scep_sender_nonce, V_ASN1_OCTET_STRING));

  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, i);
    std::string oid = oid_text(X509_ATTRIBUTE_get0_object(attr));
    bool scep_own = false;
    for (const char* s : scep_oids) scep_own = scep_own || oid == s;
    ASN1_TYPE* v = X509_ATTRIBUTE_get0_type(attr, 0);
    if (scep_own || !v || v->type != V_ASN1_OCTET_STRING) continue;
    rep.attributes.push_back({oid, octets(v->value.octet_string)});
  }

  if (rep.status == pki_status::success) {
    char* data = nullptr;
    long n = BIO_get_mem_data(content.get(), &data);
    const unsigned char* q = reinterpret_cast<const unsigned char*>(data);
    cms_ptr envelope(d2i_CMS_ContentInfo(nullptr, &q, n));
    if (!envelope) return failed("SUCCESS without an enveloped certificate");
    bio_ptr plain(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
    if (CMS_decrypt(envelope.get(), requester_key, requester, nullptr, plain.get(), CMS_BINARY) != 1)
      return failed("the certificate envelope does not open with the requester's key");
    char* pd = nullptr;
    long pn = BIO_get_mem_data(plain.get(), &pd);
    rep.certificates = certificates_of_pkcs7(byte_view(reinterpret_cast<const std::uint8_t*>(pd), static_cast<std::size_t>(pn)));
    if (rep.certificates.empty()) return failed("SUCCESS carries no certificate");
  }
  return rep;
}

}  // namespace aikmock::protocol::scep
