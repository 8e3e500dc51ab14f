#include "protocol/wcce/key_info.hpp"

#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "certs/ek_der_reader.hpp"

namespace aikmock::protocol::wcce {

namespace {
constexpr std::size_t max_attribute_size = 64 * 1024;

// The ContentInfo in the attribute value, unwrapping an OCTET STRING around it.
result<byte_view> content_info_of(byte_view value) {
  if (value.empty() || value.size() > max_attribute_size) return fail("attribute value empty or too large");
  if (value[0] != certs::der_tag::octet_string) return value;
  auto wrapped = certs::read_der_tlv(value);
  if (!wrapped || wrapped->encoding.size() != value.size()) return fail("malformed OCTET STRING");
  return wrapped->content;
}
}  // namespace

result<endorsement_key_info> open_ek_info(byte_view value, X509* cert, EVP_PKEY* key) {
  auto content_info = content_info_of(value);
  if (!content_info) return fail("EK info: " + content_info.error());
  auto plain = certs::open_envelope(*content_info, cert, key, max_attribute_size);
  if (!plain) return fail("EK info: " + plain.error());
  auto outer = certs::read_der_tlv(*plain);
  if (!outer || outer->tag != certs::der_tag::sequence || outer->encoding.size() != plain->size())
    return fail("EK info: not a DER SEQUENCE");
  auto elements = certs::read_der_children(outer->content, 5);
  if (!elements) return fail("EK info: malformed, or more than 5 elements");
  const std::size_t n = elements->size();
  if (n < 2) return fail("EK info: " + std::to_string(n) + " elements, 2 to 5 expected");

  endorsement_key_info info;
  auto der = [](const certs::der_tlv& t) { return bytes(t.encoding.begin(), t.encoding.end()); };
  if ((*elements)[0].tag != certs::der_tag::sequence) return fail("EK info: [0] is not a SubjectPublicKeyInfo");
  info.ek_public_key = der((*elements)[0]);
  const auto& second = (*elements)[1];
  if (second.tag == certs::der_tag::sequence) info.ek_certificate = der(second);
  else if (second.tag != 0x05 || !second.content.empty()) return fail("EK info: [1] is neither a certificate nor NULL");
  for (std::size_t i = 2; i < n; ++i) {
    if ((*elements)[i].tag != certs::der_tag::sequence)
      return fail("EK info: [" + std::to_string(i) + "] is not a certificate");
    info.other_certificates.push_back(der((*elements)[i]));
  }
  return info;
}

bytes encode_ek_info(const endorsement_key_info& info) {
  bytes content = info.ek_public_key;
  const bytes second = info.ek_certificate.value_or(certs::der::null());
  content.insert(content.end(), second.begin(), second.end());
  for (const auto& c : info.other_certificates) content.insert(content.end(), c.begin(), c.end());
  return certs::der::tlv(certs::der_tag::sequence, content);
}

}  // namespace aikmock::protocol::wcce
