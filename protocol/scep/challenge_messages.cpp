#include "protocol/scep/challenge_messages.hpp"

#include "certs/der.hpp"
#include "certs/ek_der_reader.hpp"
#include "certs/oids.hpp"

namespace aikmock::protocol::scep {

namespace {
using certs::der_tag::octet_string;
using certs::der_tag::oid;
using certs::der_tag::sequence;
using certs::der_tag::set;

void put_u32le(bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t u32le(byte_view in, std::size_t at) {
  return std::uint32_t{in[at]} | std::uint32_t{in[at + 1]} << 8 | std::uint32_t{in[at + 2]} << 16 |
         std::uint32_t{in[at + 3]} << 24;
}

bytes wrap(const char* type_oid, const bytes& value) {
  return certs::der::sequence({certs::der::oid(type_oid), certs::der::set({value})});
}

// The `SEQUENCE { OID, SET { value } }` elements of a SET, by OID: the value's
// TLV, and the element's whole encoding.
struct element {
  certs::der_tlv value;
  byte_view encoding;
};
result<std::vector<std::pair<bytes, element>>> elements_of(byte_view der, std::string_view what) {
  auto outer = certs::read_der_tlv(der);
  if (!outer || outer->tag != set || outer->encoding.size() != der.size())
    return fail(std::string(what) + " is not a DER SET");
  auto children = certs::read_der_children(outer->content, 8);
  if (!children) return fail(std::string(what) + ": malformed SET");
  std::vector<std::pair<bytes, element>> out;
  for (const auto& c : *children) {
    if (c.tag != sequence) return fail(std::string(what) + ": an element is not a SEQUENCE");
    auto parts = certs::read_der_children(c.content, 2);
    if (!parts || parts->size() != 2 || (*parts)[0].tag != oid || (*parts)[1].tag != set)
      return fail(std::string(what) + ": an element is not SEQUENCE { OID, SET }");
    auto values = certs::read_der_children((*parts)[1].content, 1);
    if (!values || values->size() != 1) return fail(std::string(what) + ": an element's SET holds not one value");
    out.push_back({bytes((*parts)[0].encoding.begin(), (*parts)[0].encoding.end()), {(*values)[0], c.encoding}});
  }
  return out;
}

const element* find(const std::vector<std::pair<bytes, element>>& elements, const char* dotted) {
  const bytes wanted = certs::der::oid(dotted);
  for (const auto& [o, e] : elements)
    if (o == wanted) return &e;
  return nullptr;
}

result<std::string> state_of(const element& server_context) {
  if (server_context.value.tag != octet_string) return fail("serverContext: the state is not an OCTET STRING");
  if (server_context.value.content.size() > max_server_state) return fail("serverContext: the state is too large");
  return std::string(server_context.value.content.begin(), server_context.value.content.end());
}
}  // namespace

bytes encode_attestation_challenge(const tpm::credential_blob& credential) {
  const bytes body = tpm::windows_activation_blob(credential);
  bytes out;
  put_u32le(out, challenge_magic);
  put_u32le(out, challenge_version);
  put_u32le(out, challenge_platform_tpm20);
  put_u32le(out, static_cast<std::uint32_t>(challenge_header_size));
  put_u32le(out, static_cast<std::uint32_t>(body.size()));
  put_u32le(out, 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

result<tpm::credential_blob> parse_attestation_challenge(byte_view data) {
  if (data.size() < challenge_header_size) return fail("the challenge is shorter than its 24-byte header");
  if (u32le(data, 0) != challenge_magic) return fail("the challenge's magic is not \"KACH\"");
  if (u32le(data, 8) != challenge_platform_tpm20) return fail("the challenge is not for a TPM 2.0 (platform 2)");
  if (u32le(data, 12) != challenge_header_size) return fail("the challenge's header size is not 24");
  const std::uint32_t size = u32le(data, 16);
  if (size > max_challenge_size || challenge_header_size + size != data.size())
    return fail("the challenge's size field does not match its length");
  auto blob = tpm::parse_windows_activation_blob(data.subspan(challenge_header_size));
  if (!blob) return fail("challenge: " + blob.error());
  return *blob;
}

bytes encode_server_context(std::string_view sealed_state) {
  return wrap(certs::oids::enroll_scep_server_state, certs::der::octet_string(as_bytes(sealed_state)));
}

bytes encode_challenge_reply(const tpm::credential_blob& credential, std::string_view sealed_state) {
  return certs::der::set({wrap(certs::oids::enroll_attestation_challenge,
                               certs::der::octet_string(encode_attestation_challenge(credential))),
                          encode_server_context(sealed_state)});
}

result<challenge_reply> parse_challenge_reply(byte_view der) {
  auto elements = elements_of(der, "the challenge reply");
  if (!elements) return fail(elements.error());
  const element* challenge = find(*elements, certs::oids::enroll_attestation_challenge);
  const element* context = find(*elements, certs::oids::enroll_scep_server_state);
  if (!challenge) return fail("the challenge reply has no szOID_ENROLL_ATTESTATION_CHALLENGE");
  if (!context) return fail("the challenge reply has no serverContext (szOID_ENROLL_SCEP_SERVER_STATE)");
  if (challenge->value.tag != octet_string) return fail("the challenge is not an OCTET STRING");
  auto credential = parse_attestation_challenge(challenge->value.content);
  if (!credential) return fail(credential.error());
  if (auto state = state_of(*context); !state) return fail(state.error());
  return challenge_reply{std::move(*credential), bytes(context->encoding.begin(), context->encoding.end())};
}

bytes encode_challenge_answer(byte_view enveloped_secret, byte_view server_context) {
  return certs::der::set({wrap(certs::oids::enroll_scep_challenge_answer, bytes(enveloped_secret.begin(), enveloped_secret.end())),
                          bytes(server_context.begin(), server_context.end())});
}

result<challenge_answer_content> parse_challenge_answer(byte_view der) {
  auto elements = elements_of(der, "the challenge answer");
  if (!elements) return fail(elements.error());
  const element* answer = find(*elements, certs::oids::enroll_scep_challenge_answer);
  const element* context = find(*elements, certs::oids::enroll_scep_server_state);
  if (!answer) return fail("the challenge answer has no szOID_ENROLL_SCEP_CHALLENGE_ANSWER");
  if (!context) return fail("the challenge answer has no serverContext (szOID_ENROLL_SCEP_SERVER_STATE)");
  if (answer->value.tag != sequence || answer->value.encoding.size() > max_enveloped_secret)
    return fail("the answered secret is not an EnvelopedData");
  auto state = state_of(*context);
  if (!state) return fail(state.error());
  return challenge_answer_content{bytes(answer->value.encoding.begin(), answer->value.encoding.end()),
                                  std::move(*state)};
}

}  // namespace aikmock::protocol::scep
