#include "protocol/json_api.hpp"

#include <nlohmann/json.hpp>

#include "certs/ek_certificate.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "protocol/policy_gate.hpp"
#include "tpm/creation_data.hpp"

namespace aikmock::protocol {

namespace {
using nlohmann::json;
using policy::error_id;

// A field that is not there, or not what it must be: the request is invalid.
struct bad_field {
  std::string why;
};

bytes b64_field(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw bad_field{std::string("\"") + key + "\" is missing"};
    return {};
  }
  if (!it->is_string()) throw bad_field{std::string("\"") + key + "\" must be a base64 string"};
  auto decoded = from_base64(it->get<std::string>());
  if (!decoded) throw bad_field{std::string("\"") + key + "\" is not base64"};
  return *decoded;
}

response json_answer(const json& j) {
  response r;
  r.content_type = json_content_type;
  r.body = j.dump();
  return r;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

exchange::evidence evidence_from(const json& j) {
  exchange::evidence ev;
  ev.ek_certificate = b64_field(j, "ekCertificate", true);
  if (auto it = j.find("ekIntermediates"); it != j.end()) {
    if (!it->is_array() || it->size() > 8) throw bad_field{"\"ekIntermediates\" must be a list of at most 8"};
    for (const auto& c : *it) {
      if (!c.is_string()) throw bad_field{"\"ekIntermediates\" must hold base64 strings"};
      auto d = from_base64(c.get<std::string>());
      if (!d) throw bad_field{"\"ekIntermediates\" holds something that is not base64"};
      ev.ek_intermediates.push_back(std::move(*d));
    }
  }
  if (auto ek_public = b64_field(j, "ekPublic", false); !ek_public.empty()) ev.ek_public_area = std::move(ek_public);
  auto aik_public = b64_field(j, "aikPublic", true);
  ev.aik_public_area = aik_public;
  auto creation = j.find("aikCreation");
  if (creation == j.end() || creation->is_null()) {
    ev.aik_proof_error = "no AIK creation proof (aikCreation)";
    return ev;
  }
  if (!creation->is_object()) throw bad_field{"\"aikCreation\" must be an object"};
  auto creation_data = b64_field(*creation, "creationData", true);
  auto attest = b64_field(*creation, "attest", true);
  auto signature = b64_field(*creation, "signature", true);
  // The proof's parts as tpm2-tools writes them: TPM2B_PUBLIC, TPM2B_CREATION_DATA,
  // a bare TPMS_ATTEST and a TPMT_SIGNATURE; the idBinding wants TPM2B_ATTEST.
  bytes binding = aik_public;
  binding.insert(binding.end(), creation_data.begin(), creation_data.end());
  if (attest.size() > 0xffff) throw bad_field{"\"aikCreation.attest\" is too large"};
  binding.push_back(static_cast<std::uint8_t>(attest.size() >> 8));
  binding.push_back(static_cast<std::uint8_t>(attest.size() & 0xff));
  binding.insert(binding.end(), attest.begin(), attest.end());
  binding.insert(binding.end(), signature.begin(), signature.end());
  auto proof = tpm::parse_creation_proof(binding);
  if (proof) ev.aik_proof = std::move(*proof);
  else ev.aik_proof_error = "aikCreation: " + proof.error();
  return ev;
}
}  // namespace

json_api::json_api(std::shared_ptr<const policy::policy> policy, policy::random_source random,
                   std::shared_ptr<const exchange::enrollment_engine> engine,
                   std::shared_ptr<const certs::authority_directory> authorities)
    : policy_(std::move(policy)), random_(std::move(random)), engine_(std::move(engine)),
      authorities_(std::move(authorities)) {}

response json_api::handle(std::string_view method, std::string_view path, std::string_view body,
                          const certs::authority* from_host, std::string_view host,
                          std::string& authority_name) const {
  const bool is_challenge = iequals(path, "/aik/v1/challenge");
  const bool is_certificate = iequals(path, "/aik/v1/certificate");
  if (!is_challenge && !is_certificate)
    return error_response(error_id::route_not_found, {{"uri", std::string(path)}});
  if (!iequals(method, "POST")) return error_response(error_id::method_not_allowed, {{"method", method}});
  try {
    return is_challenge ? challenge(body, from_host, host, authority_name)
                        : certificate(body, from_host, host, authority_name);
  } catch (const bad_field& e) {
    return error_response(error_id::bad_request, {}, e.why);
  }
}

response json_api::challenge(std::string_view body, const certs::authority* from_host, std::string_view host,
                             std::string& authority_name) const {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object()) throw bad_field{"the body is not a JSON object"};
  auto ev = evidence_from(j);

  // A plain host: the authority of the CA that issued the EK certificate, as Windows picks it.
  std::shared_ptr<const certs::authority> found;
  const certs::authority* a = from_host;
  if (!a) {
    auto ek = certs::parse_ek_certificate(*ev.ek_certificate);
    if (!ek) return error_response(error_id::no_ek_certificate, {}, "EK certificate: " + ek.error());
    found = authorities_->by_key_id(to_hex(ek->authority_key_id));
    if (!found) {
      const std::string name = "KeyId-" + to_hex(ek->authority_key_id);
      return error_response(error_id::unknown_authority, {{"host", name}}, "no authority for the EK's issuer");
    }
    a = found.get();
  }
  authority_name = a->name;

  policy::request_facts facts;
  facts.operation = "PKIOperation";
  facts.authority = a->name;
  facts.authority_vendor = a->vendor;
  auto begun = engine_->begin(*a, ev, *policy_, random_, facts, "json-api");
  response answer;
  if (begun.refusal) {
    answer = std::move(*begun.refusal);
  } else if (begun.issued) {
    answer = json_answer({{"credentialBlob", to_base64(begun.issued->tpm2_tools_file)},
                          {"activationBlob", to_base64(begun.issued->windows_blob)},
                          {"state", begun.issued->state},
                          {"expiresAt", rfc3339(begun.issued->expires_at)},
                          {"credentialProfile", begun.issued->credential_profile}});
    answer.detail = "challenge made with the " + begun.issued->credential_profile + " credential profile";
  }
  return apply_decision(std::move(begun.decision), host, facts.operation, std::move(answer));
}

response json_api::certificate(std::string_view body, const certs::authority* from_host, std::string_view host,
                               std::string& authority_name) const {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object()) throw bad_field{"the body is not a JSON object"};
  auto state = j.find("state");
  if (state == j.end() || !state->is_string()) throw bad_field{"\"state\" is missing"};
  auto secret = b64_field(j, "secret", true);

  std::shared_ptr<const certs::authority> found;
  const certs::authority* a = from_host;
  if (!a) {
    auto key_id = engine_->authority_of_state(state->get<std::string>());
    if (key_id) found = authorities_->by_key_id(*key_id);
    if (!found) return error_response(error_id::challenge_state_invalid, {}, "the state names no authority of ours");
    a = found.get();
  }
  authority_name = a->name;

  policy::request_facts facts;
  facts.operation = "ChallengeAnswer";
  facts.authority = a->name;
  facts.authority_vendor = a->vendor;
  auto d = policy::evaluate(*policy_, facts, random_);
  response answer;
  if (d.what == policy::decision::kind::accept) {
    auto done = engine_->finish(*a, state->get<std::string>(), secret);
    if (done.refusal) {
      answer = std::move(*done.refusal);
    } else {
      json chain = json::array();
      for (const auto& c : done.issued->chain) chain.push_back(certs::certificate_pem(c.get()));
      answer = json_answer({{"certificate", certs::certificate_pem(done.issued->certificate.get())}, {"chain", chain}});
    }
  }
  return apply_decision(std::move(d), host, facts.operation, std::move(answer));
}

}  // namespace aikmock::protocol
