#include "protocol/wcce/identity_request.hpp"

#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/der_io.hpp"
#include "certs/ek_der_reader.hpp"
#include "certs/ek_san.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::wcce {

namespace {
constexpr std::size_t max_attributes = 16;
constexpr std::size_t max_text = 256;

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && n < static_cast<int>(sizeof buf) ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The text of a string value of any ASN.1 string type (IA5String, BMPString, UTF8String…).
result<std::string> text_of(const ASN1_TYPE* value, std::string_view what) {
  if (!value || value->type == V_ASN1_SEQUENCE || value->type == V_ASN1_SET || value->type == V_ASN1_NULL ||
      value->type == V_ASN1_OBJECT || value->type == V_ASN1_BOOLEAN)
    return fail(std::string(what) + " is not a string");
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value->value.asn1_string);
  if (n < 0) {
    openssl_errors();
    return fail(std::string(what) + " is not a readable string");
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  if (out.size() > max_text) return fail(std::string(what) + " is longer than " + std::to_string(max_text));
  return out;
}

result<bytes> octets_of(const ASN1_TYPE* value, std::string_view what) {
  if (!value || value->type != V_ASN1_OCTET_STRING) return fail(std::string(what) + " is not an OCTET STRING");
  const ASN1_STRING* s = value->value.octet_string;
  return bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s));
}

// SEQUENCE { INTEGER id, UTF8String machine, UTF8String user, UTF8String process }
result<client_info> client_info_of(const ASN1_TYPE* value) {
  if (!value || value->type != V_ASN1_SEQUENCE) return fail("client info is not a SEQUENCE");
  const ASN1_STRING* seq = value->value.sequence;
  const byte_view der(ASN1_STRING_get0_data(seq), static_cast<std::size_t>(ASN1_STRING_length(seq)));
  auto outer = certs::read_der_tlv(der);
  auto parts = outer ? certs::read_der_children(outer->content, 4) : std::nullopt;
  if (!parts || parts->size() != 4 || (*parts)[0].tag != certs::der_tag::integer ||
      (*parts)[0].content.empty() || (*parts)[0].content.size() > 4)
    return fail("client info is not SEQUENCE { INTEGER, machine, user, process }");
  client_info out;
  for (auto b : (*parts)[0].content) out.id = out.id << 8 | b;
  std::string* fields[] = {&out.machine, &out.user, &out.process};
  for (int i = 0; i < 3; ++i) {
    const auto& t = (*parts)[static_cast<std::size_t>(i) + 1];
    if (t.tag != 0x0c && t.tag != 0x13 && t.tag != 0x16) return fail("client info holds a field that is not text");
    if (t.content.size() > max_text) return fail("client info holds a field that is too long");
    fields[i]->assign(t.content.begin(), t.content.end());
  }
  return out;
}

// The request's extensions: the TPM in the SAN, the key affinity, the SKI.
void read_extensions(X509_REQ* csr, identity_request& r) {
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(csr);
  if (!extensions) {
    openssl_errors();
    return;
  }
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(extensions, i);
    const std::string oid = oid_text(X509_EXTENSION_get_object(ext));
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    const byte_view value(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data)));
    if (oid == "2.5.29.17") {
      const unsigned char* p = value.data();
      general_names_ptr names(d2i_GENERAL_NAMES(nullptr, &p, static_cast<long>(value.size())));
      if (names) r.tpm = certs::tpm_identity_of(names.get());
    } else if (oid == certs::oids::enroll_key_affinity) {
      r.key_affinity = true;
    } else if (oid == "2.5.29.14") {
      auto ski = certs::read_der_tlv(value);
      if (ski && ski->tag == certs::der_tag::octet_string) r.subject_key_id = bytes(ski->content.begin(), ski->content.end());
    }
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  openssl_errors();
}

// Windows' "signature": id-sha256, and the SHA-256 of the request info as the
// value — the request info as sent (OpenSSL's re-encoding would sort the
// attributes, which Windows does not).
void read_signature(X509_REQ* csr, byte_view der, identity_request& r) {
  const ASN1_BIT_STRING* value = nullptr;
  const X509_ALGOR* algorithm = nullptr;
  X509_REQ_get0_signature(csr, &value, &algorithm);
  const ASN1_OBJECT* alg = nullptr;
  X509_ALGOR_get0(&alg, nullptr, nullptr, algorithm);
  if (OBJ_obj2nid(alg) == NID_sha256) {
    r.signature_kind = request_signature::bare_sha256;
    auto outer = certs::read_der_tlv(der);
    auto parts = outer ? certs::read_der_children(outer->content, 3) : std::nullopt;
    if (!parts || parts->empty()) return;
    const byte_view info = (*parts)[0].encoding;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(info.data(), info.size(), digest);
    r.signature_valid = value && ASN1_STRING_length(value) == SHA256_DIGEST_LENGTH &&
                        CRYPTO_memcmp(ASN1_STRING_get0_data(value), digest, sizeof digest) == 0;
    return;
  }
  r.signature_kind = request_signature::signature;
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr);
  r.signature_valid = key && X509_REQ_verify(csr, key) == 1;
  openssl_errors();
}
}  // namespace

result<identity_request> parse_identity_request(byte_view pkcs10_der) {
  if (pkcs10_der.size() > max_identity_request_size) return fail("the PKCS#10 is larger than 64 KiB");
  const unsigned char* p = pkcs10_der.data();
  x509_req_ptr csr(d2i_X509_REQ(nullptr, &p, static_cast<long>(pkcs10_der.size())));
  if (!csr || p != pkcs10_der.data() + pkcs10_der.size()) {
    std::string detail = openssl_errors();
    return fail("not a PKCS#10 request (" + detail + ")");
  }
  identity_request r;
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr.get());
  if (!key) {
    openssl_errors();
    return fail("the PKCS#10's public key does not decode");
  }
  r.public_key = certs::public_key_der(key);
  if (X509_REQ_get_attr_count(csr.get()) > static_cast<int>(max_attributes))
    return fail("the PKCS#10 has more than " + std::to_string(max_attributes) + " attributes");

  for (int i = 0; i < X509_REQ_get_attr_count(csr.get()); ++i) {
    X509_ATTRIBUTE* attr = X509_REQ_get_attr(csr.get(), i);
    const std::string oid = oid_text(X509_ATTRIBUTE_get0_object(attr));
    for (const auto& seen : r.attribute_order)
      if (seen == oid) return fail("attribute " + oid + " appears twice");
    r.attribute_order.push_back(oid);
    if (X509_ATTRIBUTE_count(attr) != 1) return fail("attribute " + oid + " does not hold one value");
    const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);
    auto take = [&](auto parsed, auto& slot) -> result<void> {
      if (!parsed) return fail(parsed.error());
      slot = std::move(*parsed);
      return result<void>();
    };
    result<void> ok;
    if (oid == certs::oids::os_version) ok = take(text_of(value, "the OS version"), r.os_version);
    else if (oid == certs::oids::enroll_scep_signer_hash) ok = take(octets_of(value, "the SCEP signer hash"), r.signer_hash);
    else if (oid == certs::oids::request_client_info) ok = take(client_info_of(value), r.client);
    else if (oid == certs::oids::enroll_ksp_name) ok = take(text_of(value, "the KSP name"), r.ksp_name);
    else if (oid == certs::oids::enroll_attestation_statement)
      ok = take(octets_of(value, "the attestation statement"), r.attestation_statement);
    else if (oid == certs::oids::enroll_ek_info) {
      bytes der = certs::der_of(const_cast<ASN1_TYPE*>(value), i2d_ASN1_TYPE);
      if (der.empty()) return fail("attribute " + oid + " does not encode");
      r.ek_info = std::move(der);
    }
    if (!ok) return fail(ok.error());
  }
  read_extensions(csr.get(), r);
  read_signature(csr.get(), pkcs10_der, r);
  r.csr = std::move(csr);
  return r;
}

}  // namespace aikmock::protocol::wcce
