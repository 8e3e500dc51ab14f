#include "protocol/wcce/identity_request.hpp"

#include <string_view>

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
  unsigned char* der = nullptr;
  int n = i2d_ASN1_TYPE(value, &der);
  if (n <= 0) return std::nullopt;
  bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}
}  // namespace

identity_request_result parse_identity_request(byte_view pkcs10_der) {
  const unsigned char* p = pkcs10_der.data();
  certs::x509_req_ptr csr(d2i_X509_REQ(nullptr, &p, static_cast<long>(pkcs10_der.size())));
  if (!csr) {
    std::string detail = certs::openssl_errors();
    return {std::nullopt, "not a PKCS#10 request (" + detail + ")"};
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
    if (!slot) continue;
    if (slot->has_value()) return {std::nullopt, "attribute " + oid + " appears twice"};
    *slot = first_value(attr);
    if (!slot->has_value()) return {std::nullopt, "attribute " + oid + " has no value"};
  }
  r.csr = std::move(csr);
  return {std::move(r), {}};
}

}  // namespace aikmock::protocol::wcce
