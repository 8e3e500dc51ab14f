#include "protocol/json_api.hpp"

#include <nlohmann/json.hpp>

#include "certs/ek_certificate.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/credential_container.hpp"

namespace aikmock::protocol {

namespace {
using nlohmann::json;
using policy::error_id;

// Bounds of a request document: the API's documents are flat (depth 3) and small.
constexpr int max_depth = 8;
constexpr std::size_t max_elements = 256;

// A field that is not there, or not what it must be: the request is invalid.
response bad(std::string why) { return error_response(error_id::bad_request, {}, std::move(why)); }

// Parses with bounded depth and element count: a hostile document is refused
// without being built in memory.
result<json> parse_bounded(std::string_view body) {
  if (body.size() > json_api_max_body) return fail("the body is larger than " + std::to_string(json_api_max_body) + " bytes");
  std::size_t elements = 0;
  bool too_big = false;
  json::parser_callback_t bound = [&](int depth, json::parse_event_t event, json&) {
    if (depth > max_depth || ++elements > max_elements) too_big = true;
    (void)event;
    return !too_big;
  };
  json j = json::parse(body.begin(), body.end(), bound, false);
  if (too_big) return fail("the document is nested deeper than " + std::to_string(max_depth) + " or has more than " +
                           std::to_string(max_elements) + " elements");
  if (!j.is_object()) return fail("the body is not a JSON object");
  return j;
}

result<bytes> b64_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fail(std::string("\"") + key + "\" is missing");
  if (!it->is_string()) return fail(std::string("\"") + key + "\" must be a base64 string");
  auto decoded = from_base64(it->get<std::string>());
  if (!decoded) return fail(std::string("\"") + key + "\" is not base64");
  return *decoded;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

result<enrollment::evidence> evidence_of(const json& j) {
  enrollment::evidence ev;
  auto ek_certificate = b64_field(j, "ekCertificate");
  if (!ek_certificate) return fail(ek_certificate.error());
  ev.ek_certificate = std::move(*ek_certificate);
  if (auto it = j.find("ekIntermediates"); it != j.end()) {
    if (!it->is_array() || it->size() > 8) return fail("\"ekIntermediates\" must be a list of at most 8");
    for (const auto& c : *it) {
      if (!c.is_string()) return fail("\"ekIntermediates\" must hold base64 strings");
      auto d = from_base64(c.get<std::string>());
      if (!d) return fail("\"ekIntermediates\" holds something that is not base64");
      ev.ek_intermediates.push_back(std::move(*d));
    }
  }
  if (j.contains("ekPublic") && !j["ekPublic"].is_null()) {
    auto ek_public = b64_field(j, "ekPublic");
    if (!ek_public) return fail(ek_public.error());
    ev.ek_public_area = std::move(*ek_public);
  }
  auto aik_public = b64_field(j, "aikPublic");
  if (!aik_public) return fail(aik_public.error());
  ev.aik_public_area = *aik_public;
  auto creation = j.find("aikCreation");
  if (creation == j.end() || creation->is_null()) {
    ev.aik_proof_error = "no AIK creation proof (aikCreation)";
    return ev;
  }
  if (!creation->is_object()) return fail("\"aikCreation\" must be an object");
  auto creation_data = b64_field(*creation, "creationData");
  auto attest = b64_field(*creation, "attest");
  auto signature = b64_field(*creation, "signature");
  if (!creation_data) return fail("aikCreation: " + creation_data.error());
  if (!attest) return fail("aikCreation: " + attest.error());
  if (!signature) return fail("aikCreation: " + signature.error());
  if (attest->size() > 0xffff) return fail("\"aikCreation.attest\" is too large");
  // The proof's parts as tpm2-tools writes them: TPM2B_PUBLIC, TPM2B_CREATION_DATA,
  // a bare TPMS_ATTEST and a TPMT_SIGNATURE; the idBinding wants TPM2B_ATTEST.
  bytes binding = *aik_public;
  binding.insert(binding.end(), creation_data->begin(), creation_data->end());
  binding.push_back(static_cast<std::uint8_t>(attest->size() >> 8));
  binding.push_back(static_cast<std::uint8_t>(attest->size() & 0xff));
  binding.insert(binding.end(), attest->begin(), attest->end());
  binding.insert(binding.end(), signature->begin(), signature->end());
  auto proof = tpm::parse_creation_proof(binding);
  if (proof) ev.aik_proof = std::move(*proof);
  else ev.aik_proof_error = "aikCreation: " + proof.error();
  return ev;
}
}  // namespace

json_api::json_api(std::shared_ptr<const enrollment::enrollment_service> service) : service_(std::move(service)) {}

response json_api::handle(std::string_view method, std::string_view path, std::string_view body,
                          const authority_source& authorities, std::string_view host,
                          std::string& authority_name) const {
  const bool is_challenge = iequals(path, "/aik/v1/challenge");
  const bool is_certificate = iequals(path, "/aik/v1/certificate");
  if (!is_challenge && !is_certificate) return error_response(error_id::route_not_found, {{"uri", std::string(path)}});
  if (!iequals(method, "POST")) return error_response(error_id::method_not_allowed, {{"method", std::string(method)}});
  if (body.size() > json_api_max_body) return error_response(error_id::body_too_large, {}, "JSON API body limit");
  auto r = is_challenge ? challenge(body, authorities, host, authority_name)
                        : certificate(body, authorities, host, authority_name);
  // Refused before the service judged it: the round is still known from the path.
  if (r.exchange.operation.empty()) {
    r.exchange.operation = is_challenge ? "PKIOperation" : "ChallengeAnswer";
    r.exchange.round = is_challenge ? 1 : 2;
  }
  return r;
}

response json_api::challenge(std::string_view body, const authority_source& authorities, std::string_view host,
                             std::string& authority_name) const {
  auto j = parse_bounded(body);
  if (!j) return bad(j.error());
  auto ev = evidence_of(*j);
  if (!ev) return bad(ev.error());

  // A plain host: the authority of the CA that issued the EK certificate, as Windows picks it.
  const certs::authority* a = authorities.from_host;
  std::shared_ptr<const certs::authority> found;
  if (!a) {
    auto ek = certs::parse_ek_certificate(*ev->ek_certificate);
    if (!ek) return error_response(error_id::no_ek_certificate, {}, "EK certificate: " + ek.error());
    const std::string key_id = to_hex(ek->authority_key_id);
    found = authorities.directory->by_key_id(key_id);
    if (!found && authorities.directory->pending_by_key_id(key_id)) {
      auto r = error_response(error_id::service_unavailable, {}, "the authority of KeyId " + key_id + " is being minted");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    if (!found)
      return error_response(error_id::unknown_authority, {{"host", "keyid-" + key_id}}, "no authority for the EK's issuer");
    a = found.get();
  }
  authority_name = a->name;

  enrollment::request_context ctx;
  ctx.operation = "PKIOperation";
  ctx.authority = a;
  ctx.host = std::string(host);
  ctx.transaction_id = "json-api";
  auto begun = service_->begin(ctx, *ev);
  if (!begun.value) return refusal_response(begun.value.error(), begun.policy);
  const auto& c = *begun.value;
  json out{{"credentialBlob", to_base64(tpm::tpm2_tools_credential_file(c.blob))},
           {"activationBlob", to_base64(tpm::windows_activation_blob(c.blob))},
           {"state", c.state},
           {"expiresAt", rfc3339(c.expires_at)},
           {"credentialProfile", std::string(tpm::to_string(c.profile))}};
  auto r = answer(json_content_type, out.dump(), begun.policy);
  r.detail = "challenge made with the " + std::string(tpm::to_string(c.profile)) + " credential profile";
  return r;
}

response json_api::certificate(std::string_view body, const authority_source& authorities, std::string_view host,
                               std::string& authority_name) const {
  auto j = parse_bounded(body);
  if (!j) return bad(j.error());
  auto state = j->find("state");
  if (state == j->end() || !state->is_string()) return bad("\"state\" is missing");
  auto secret = b64_field(*j, "secret");
  if (!secret) return bad(secret.error());

  const certs::authority* a = authorities.from_host;
  std::shared_ptr<const certs::authority> found;
  if (!a) {
    auto key_id = service_->authority_of_state(state->get<std::string>());
    if (key_id) found = authorities.directory->by_key_id(*key_id);
    if (!found) return error_response(error_id::challenge_state_invalid, {}, "the state names no authority of ours");
    a = found.get();
  }
  authority_name = a->name;

  enrollment::request_context ctx;
  ctx.operation = "ChallengeAnswer";
  ctx.authority = a;
  ctx.host = std::string(host);
  const std::string token = state->get<std::string>();
  auto done = service_->finish(ctx, {token, *secret});
  OPENSSL_cleanse(secret->data(), secret->size());
  if (!done.value) return refusal_response(done.value.error(), done.policy);
  json chain = json::array();
  for (const auto& c : done.value->chain) chain.push_back(certs::certificate_pem(c.get()));
  return answer(json_content_type, json{{"certificate", certs::certificate_pem(done.value->certificate.get())}, {"chain", chain}}.dump(),
                done.policy);
}

}  // namespace aikmock::protocol
