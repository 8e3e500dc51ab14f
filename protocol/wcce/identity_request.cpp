#include "protocol/wcce/identity_request.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string_view>

#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::wcce {

namespace {
std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && n < static_cast<int>(sizeof buf) ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The attribute's first value, DER-encoded (the MS-WCCE attributes carry one).
std::optional<bytes> first_value(X509_ATTRIBUTE* attr) {
  if (X509_ATTRIBUTE_count(attr) < 1) return std::nullopt;
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);
  if (!value) return std::nullopt;
  bytes out = certs::der_of(value, i2d_ASN1_TYPE);
  if (out.empty()) return std::nullopt;
  return out;
}
}  // namespace

result<identity_request> parse_identity_request(byte_view pkcs10_der) {
  const unsigned char* p = pkcs10_der.data();
  aikmock::x509_req_ptr csr(d2i_X509_REQ(nullptr, &p, static_cast<long>(pkcs10_der.size())));
  if (!csr) {
    std::string detail = aikmock::openssl_errors();
    return fail("not a PKCS#10 request (" + detail + ")");
  }

  identity_request r;
  for (int i = 0; i < X509_REQ_get_attr_count(csr.get()); ++i) {
    X509_ATTRIBUTE* attr = X509_REQ_get_attr(csr.get(), i);
    const std::string oid = oid_text(X509_ATTRIBUTE_get0_object(attr));
    std::optional<bytes>* slot = nullptr;
    if (oid == certs::oids::enroll_ek_info) slot = &r.ek_info;
    else if (oid == certs::oids::enroll_aik_info) slot = &r.aik_info;
    else if (oid == certs::oids::enroll_attestation_statement) slot = &r.attestation_statement;
    else if (oid == certs::oids::enroll_ksp_name) slot = &r.ksp_name;
    else if (oid == certs::oids::enroll_ek_ca_keyid) slot = &r.ek_ca_key_id;
    else if (oid == certs::oids::aikmock_ek_public_area) slot = &r.ek_public_area;
    if (!slot) continue;
    if (slot->has_value()) return fail("attribute " + oid + " appears twice");
    *slot = first_value(attr);
    if (!slot->has_value()) return fail("attribute " + oid + " has no value");
  }
  r.csr = std::move(csr);
  return r;
}

namespace {
void add_der_attribute(X509_REQ* req, const char* oid, byte_view der) {
  const unsigned char* p = der.data();
  ASN1_TYPE* value = d2i_ASN1_TYPE(nullptr, &p, static_cast<long>(der.size()));
  openssl_check(value != nullptr, "attribute value DER");
  aikmock::asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  X509_ATTRIBUTE* attr = X509_ATTRIBUTE_create_by_OBJ(nullptr, obj.get(), value->type,
                                                       value->type == V_ASN1_NULL ? nullptr : value->value.ptr, -1);
  ASN1_TYPE_free(value);
  // A SEQUENCE value (the ContentInfo) is copied in whole, as its DER.
  openssl_check(attr != nullptr, "X509_ATTRIBUTE_create_by_OBJ");
  openssl_check(X509_REQ_add1_attr(req, attr) == 1, "X509_REQ_add1_attr");
  X509_ATTRIBUTE_free(attr);
}

void add_octets(X509_REQ* req, const char* oid, byte_view value) {
  aikmock::asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  openssl_check(X509_REQ_add1_attr_by_OBJ(req, obj.get(), V_ASN1_OCTET_STRING, value.data(),
                                         static_cast<int>(value.size())) == 1,
               oid);
}
// Signs through `sign` what X509_REQ_sign would sign, so the key may live in a TPM.
void sign_request(X509_REQ* req, EVP_PKEY* aik_public, const request_signer& sign) {
  if (!sign) throw std::invalid_argument("build_identity_request: no signer");
  const bool ecc = EVP_PKEY_is_a(aik_public, "EC");
  const int nid = ecc ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption;
  std::unique_ptr<X509_ALGOR, decltype(&X509_ALGOR_free)> algorithm(
      openssl_check_ptr(X509_ALGOR_new(), "X509_ALGOR_new"), X509_ALGOR_free);
  // RFC 4055: NULL parameters for RSA; RFC 5758: absent for ECDSA.
  openssl_check(X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(nid), ecc ? V_ASN1_UNDEF : V_ASN1_NULL, nullptr) == 1,
               "X509_ALGOR_set0");
  openssl_check(X509_REQ_set1_signature_algo(req, algorithm.get()) == 1, "X509_REQ_set1_signature_algo");

  const bytes signature = sign(certs::checked_der_of(req, i2d_re_X509_REQ_tbs, "i2d_re_X509_REQ_tbs"));

  ASN1_BIT_STRING* value = openssl_check_ptr(ASN1_BIT_STRING_new(), "ASN1_BIT_STRING_new");
  if (ASN1_BIT_STRING_set(value, const_cast<unsigned char*>(signature.data()), static_cast<int>(signature.size())) != 1) {
    ASN1_BIT_STRING_free(value);
    openssl_check(false, "ASN1_BIT_STRING_set");
  }
  value->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);  // a whole number of bytes: no unused bits
  value->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  X509_REQ_set0_signature(req, value);
  // A signer that is not the AIK (a TPM answering with another key) is caught here, not by the service.
  if (X509_REQ_verify(req, aik_public) != 1) {
    aikmock::openssl_errors();
    throw std::runtime_error("the PKCS#10 signature does not verify with the AIK public key");
  }
}

}  // namespace

request_signer sign_with_key(EVP_PKEY* key) {
  return [key](byte_view data) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(openssl_check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"),
                                                                 EVP_MD_CTX_free);
    openssl_check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1, "EVP_DigestSignInit");
    std::size_t size = 0;
    openssl_check(EVP_DigestSign(ctx.get(), nullptr, &size, data.data(), data.size()) == 1, "EVP_DigestSign");
    bytes out(size);
    openssl_check(EVP_DigestSign(ctx.get(), out.data(), &size, data.data(), data.size()) == 1, "EVP_DigestSign");
    out.resize(size);
    return out;
  };
}

bytes build_identity_request(const identity_request_parts& parts) {
  aikmock::x509_req_ptr req(openssl_check_ptr(X509_REQ_new(), "X509_REQ_new"));
  openssl_check(X509_REQ_set_version(req.get(), 0) == 1, "X509_REQ_set_version");
  openssl_check(X509_REQ_set_pubkey(req.get(), parts.aik_public) == 1, "X509_REQ_set_pubkey");
  if (parts.ek_info) add_der_attribute(req.get(), certs::oids::enroll_ek_info, *parts.ek_info);
  if (parts.aik_info) add_der_attribute(req.get(), certs::oids::enroll_aik_info, *parts.aik_info);
  if (parts.attestation_statement)
    add_octets(req.get(), certs::oids::enroll_attestation_statement, *parts.attestation_statement);
  // A Unicode string, as Windows writes it (BMPString).
  if (!parts.ksp_name.empty())
    add_der_attribute(req.get(), certs::oids::enroll_ksp_name, certs::der::bmp_string(parts.ksp_name));
  if (parts.ek_ca_key_id) add_octets(req.get(), certs::oids::enroll_ek_ca_keyid, *parts.ek_ca_key_id);
  if (parts.ek_public_area) add_octets(req.get(), certs::oids::aikmock_ek_public_area, *parts.ek_public_area);
  sign_request(req.get(), parts.aik_public, parts.sign);
  return certs::checked_der_of(req.get(), i2d_X509_REQ, "i2d_X509_REQ");
}

std::optional<bytes> octet_string_value(byte_view der) {
  const unsigned char* p = der.data();
  aikmock::asn1_octet_string_ptr s(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(der.size())));
  if (!s || p != der.data() + der.size()) {
    aikmock::openssl_errors();
    return std::nullopt;
  }
  return bytes(ASN1_STRING_get0_data(s.get()), ASN1_STRING_get0_data(s.get()) + ASN1_STRING_length(s.get()));
}

}  // namespace aikmock::protocol::wcce
