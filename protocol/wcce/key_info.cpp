#include "protocol/wcce/key_info.hpp"

#include <openssl/asn1t.h>

#include "certs/der_io.hpp"

namespace aikmock::protocol::wcce {

namespace {
using aikmock::bio_ptr;
using aikmock::cms_ptr;

constexpr std::size_t max_attribute_size = 64 * 1024;

void free_sequence(ASN1_SEQUENCE_ANY* s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
using sequence_ptr = std::unique_ptr<ASN1_SEQUENCE_ANY, aikmock::openssl_deleter<free_sequence>>;

std::string failure(std::string why) {
  std::string detail = aikmock::openssl_errors();
  return detail.empty() ? why : why + " (" + detail + ")";
}

// The plaintext of the envelope in the attribute value.
std::optional<bytes> open_envelope(byte_view value, X509* cert, EVP_PKEY* key, std::string& error) {
  if (value.empty() || value.size() > max_attribute_size) {
    error = "attribute value empty or too large";
    return std::nullopt;
  }
  const unsigned char* p = value.data();
  long length = static_cast<long>(value.size());
  aikmock::asn1_octet_string_ptr wrapped;
  if (value[0] == V_ASN1_OCTET_STRING) {
    wrapped.reset(d2i_ASN1_OCTET_STRING(nullptr, &p, length));
    if (!wrapped) {
      error = failure("malformed OCTET STRING");
      return std::nullopt;
    }
    p = ASN1_STRING_get0_data(wrapped.get());
    length = ASN1_STRING_length(wrapped.get());
  }
  cms_ptr envelope(d2i_CMS_ContentInfo(nullptr, &p, length));
  if (!envelope || OBJ_obj2nid(CMS_get0_type(envelope.get())) != NID_pkcs7_enveloped) {
    error = failure("not a CMS EnvelopedData");
    return std::nullopt;
  }
  bio_ptr out(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  if (CMS_decrypt(envelope.get(), key, cert, nullptr, out.get(), CMS_BINARY) != 1) {
    error = failure("the envelope does not open with the exchange key");
    return std::nullopt;
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return bytes(data, data + n);
}

sequence_ptr parse_sequence(const bytes& plain, std::string& error) {
  const unsigned char* p = plain.data();
  sequence_ptr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(plain.size())));
  if (!seq || p != plain.data() + plain.size()) {
    error = failure("not a DER SEQUENCE OF ANY");
    return nullptr;
  }
  return seq;
}

// One element's whole DER (tag and length included).
bytes element_der(ASN1_TYPE* t) { return certs::checked_der_of(t, i2d_ASN1_TYPE, "i2d_ASN1_TYPE"); }

bytes sequence_of(const std::vector<bytes>& elements) {
  bytes content;
  for (const auto& e : elements) content.insert(content.end(), e.begin(), e.end());
  bytes out{0x30};
  std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    bytes len;
    for (; n; n >>= 8) len.insert(len.begin(), static_cast<std::uint8_t>(n & 0xff));
    out.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
    out.insert(out.end(), len.begin(), len.end());
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

}  // namespace

result<endorsement_key_info> open_ek_info(byte_view value, X509* cert, EVP_PKEY* key) {
  std::string error;
  auto plain = open_envelope(value, cert, key, error);
  if (!plain) return fail("EK info: " + error);
  auto seq = parse_sequence(*plain, error);
  if (!seq) return fail("EK info: " + error);
  const int n = sk_ASN1_TYPE_num(seq.get());
  if (n < 2 || n > 5) return fail("EK info: " + std::to_string(n) + " elements, 2 to 5 expected");

  endorsement_key_info info;
  ASN1_TYPE* spki = sk_ASN1_TYPE_value(seq.get(), 0);
  if (spki->type != V_ASN1_SEQUENCE) return fail("EK info: [0] is not a SubjectPublicKeyInfo");
  info.ek_public_key = element_der(spki);
  ASN1_TYPE* cert_or_null = sk_ASN1_TYPE_value(seq.get(), 1);
  if (cert_or_null->type == V_ASN1_SEQUENCE) info.ek_certificate = element_der(cert_or_null);
  else if (cert_or_null->type != V_ASN1_NULL) return fail("EK info: [1] is neither a certificate nor NULL");
  for (int i = 2; i < n; ++i) {
    ASN1_TYPE* extra = sk_ASN1_TYPE_value(seq.get(), i);
    if (extra->type != V_ASN1_SEQUENCE) return fail("EK info: [" + std::to_string(i) + "] is not a certificate");
    info.other_certificates.push_back(element_der(extra));
  }
  return info;
}

result<aik_info> open_aik_info(byte_view value, X509* cert, EVP_PKEY* key) {
  std::string error;
  auto plain = open_envelope(value, cert, key, error);
  if (!plain) return fail("AIK info: " + error);
  auto seq = parse_sequence(*plain, error);
  if (!seq) return fail("AIK info: " + error);
  const int n = sk_ASN1_TYPE_num(seq.get());
  if (n < 1 || n > 2) return fail("AIK info: " + std::to_string(n) + " elements, 1 or 2 expected");
  aik_info info;
  ASN1_TYPE* spki = sk_ASN1_TYPE_value(seq.get(), 0);
  if (spki->type != V_ASN1_SEQUENCE) return fail("AIK info: [0] is not a SubjectPublicKeyInfo");
  info.aik_public_key = element_der(spki);
  if (n == 2) {
    ASN1_TYPE* c = sk_ASN1_TYPE_value(seq.get(), 1);
    if (c->type != V_ASN1_SEQUENCE) return fail("AIK info: [1] is not a certificate");
    info.aik_certificate = element_der(c);
  }
  return info;
}

bytes seal_ek_info(const endorsement_key_info& info, X509* cert) {
  std::vector<bytes> elements{info.ek_public_key, info.ek_certificate.value_or(bytes{0x05, 0x00})};
  for (const auto& c : info.other_certificates) elements.push_back(c);
  return certs::envelope_to(sequence_of(elements), cert, EVP_aes_256_cbc());
}

bytes seal_aik_info(const aik_info& info, X509* cert) {
  std::vector<bytes> elements{info.aik_public_key};
  if (info.aik_certificate) elements.push_back(*info.aik_certificate);
  return certs::envelope_to(sequence_of(elements), cert, EVP_aes_256_cbc());
}

}  // namespace aikmock::protocol::wcce
