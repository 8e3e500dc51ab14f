#include "protocol/scep/scep_codec.hpp"

#include "certs/der_io.hpp"
#include "certs/ek_ca_identity.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/scep/challenge_messages.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/kast.hpp"
#include "protocol/wcce/key_info.hpp"

namespace aikmock::protocol::scep {

namespace {
using policy::error_id;

constexpr const char* pki_message_type = "application/x-pki-message";
// The answered secret is one EK nameAlg digest at most.
constexpr std::size_t max_secret = 64;

response parse_failure(std::string why) { return error_response(error_id::scep_parse_failed, {}, std::move(why)); }

std::string canonical_operation(std::string_view op) {
  for (std::string_view known : {"GetCACaps", "GetCACert", "GetCACertChain", "PKIOperation"})
    if (iequals(op, known)) return std::string(known);
  return std::string(op);
}

// What the request says of the machine and process that sent it, and whether
// it names its signer correctly: policy facts, never refusals by themselves.
policy::client_facts client_facts_of(const wcce::identity_request& request, const pki_message& msg) {
  policy::client_facts c;
  if (request.client) {
    c.machine = request.client->machine;
    c.user = request.client->user;
    c.process = request.client->process;
  }
  c.os_version = request.os_version.value_or("");
  c.signer = certs::name_text(X509_get_subject_name(msg.signer.get()));
  if (request.signer_hash) c.signer_hash_matches = *request.signer_hash == msg.signer_thumbprint;
  c.request_signed = request.signature_kind == wcce::request_signature::signature;
  return c;
}

// The request as the enrollment service weighs it. Parts that do not open are
// absent evidence, with the reason.
enrollment::evidence evidence_of(const certs::authority& a, const wcce::identity_request& request,
                                 const pki_message& msg) {
  enrollment::evidence ev;
  if (!request.ek_info) {
    ev.ek_certificate_error = "the PKCS#10 carries no szOID_ENROLL_EK_INFO attribute";
  } else if (auto info = wcce::open_ek_info(*request.ek_info, a.ra_encryption.get(), a.ra_encryption_key.get()); !info) {
    ev.ek_certificate_error = info.error();
  } else {
    ev.ek_certificate = info->ek_certificate;
    if (!info->ek_certificate) ev.ek_certificate_error = "EK info holds NULL instead of an EK certificate";
    ev.ek_public_key = info->ek_public_key;
    ev.ek_intermediates = info->other_certificates;
  }
  // Windows puts the EK certificate's CA chain in the SignedData's certificate set.
  for (const auto& c : msg.other_certificates) ev.ek_intermediates.push_back(c);
  ev.aik_public_key = request.public_key;  // the certificate is asked for the PKCS#10's key
  ev.request_tpm = request.tpm;
  if (request.signature_kind == wcce::request_signature::signature) {
    ev.request_signature_valid = request.signature_valid;
    if (!request.signature_valid) ev.request_signature_failure = "the PKCS#10 signature does not verify with its key";
  } else if (!request.signature_valid) {
    ev.request_signature_valid = false;
    ev.request_signature_failure = "the PKCS#10's SHA-256 is not the hash of its request info";
  }

  if (!request.attestation_statement) {
    ev.aik_proof_error = "no attestation statement (szOID_ENROLL_ATTESTATION_STATEMENT)";
    return ev;
  }
  auto kast = wcce::parse_kast(*request.attestation_statement);
  if (!kast) {
    ev.aik_proof_error = "attestation statement: " + kast.error();
    return ev;
  }
  auto proof = wcce::parse_tpm20_id_binding(*kast);
  if (!proof) {
    ev.aik_proof_error = "idBinding: " + proof.error();
    return ev;
  }
  ev.aik_proof = std::move(*proof);
  return ev;
}

// A line for the access log: what the request claims of itself.
std::string describe(const policy::client_facts& c) {
  std::string out = "client " + (c.machine.empty() ? std::string("(no client info)") : c.machine + " " + c.user + " " + c.process);
  if (!c.os_version.empty()) out += ", OS " + c.os_version;
  if (c.signer_hash_matches) out += *c.signer_hash_matches ? ", signer hash matches" : ", signer hash differs";
  if (c.request_tpm_matches_ek) out += *c.request_tpm_matches_ek ? ", request TPM is the EK's" : ", request TPM differs";
  return out;
}

response pki_answer(bytes der, const enrollment::policy_record& policy) {
  return answer(pki_message_type, std::string(as_chars(der)), policy);
}
}  // namespace

scep_codec::scep_codec(std::shared_ptr<const enrollment::enrollment_service> service)
    : service_(std::move(service)), ca_answers_(service_->aik_root()) {}

response scep_codec::handle(const certs::authority& a, const scep_request& request) const {
  const std::string operation = canonical_operation(request.operation);
  const bool get = iequals(request.method, "GET");
  const bool post = iequals(request.method, "POST");
  if (!get && !post) return error_response(error_id::method_not_allowed, {{"method", std::string(request.method)}});

  if (operation == "GetCACaps" || operation == "GetCACert" || operation == "GetCACertChain") {
    if (!get) return error_response(error_id::method_not_allowed, {{"method", std::string(request.method)}});
    enrollment::request_context ctx{operation, &a, std::string(request.host), {}, {}, {}, nullptr};
    auto door = service_->front_door(ctx);
    if (!door.value) return refusal_response(door.value.error(), door.policy);
    if (operation == "GetCACaps") return answer("text/plain", std::string(ca_caps), door.policy);
    const auto bodies = ca_answers_.of(a);
    if (operation == "GetCACert") return answer("application/x-x509-ca-ra-cert", bodies->ca_cert, door.policy);
    return answer("application/x-x509-ca-ra-cert-chain", bodies->ca_cert_chain, door.policy);
  }
  if (operation == "PKIOperation") {
    auto r = pki_operation(a, request);
    // Refused before its messageType was read: counted as a request for a challenge.
    if (r.exchange.operation.empty()) r.exchange = {"PKIOperation", 1, nullptr, std::nullopt, {}};
    return r;
  }
  return error_response(error_id::unsupported_operation, {{"operation", std::string(request.operation)}});
}

response scep_codec::pki_operation(const certs::authority& a, const scep_request& r) const {
  // The front end first, as at a real service's edge: before anything is parsed.
  enrollment::request_context ctx;
  ctx.operation = "PKIOperation";
  ctx.authority = &a;
  ctx.host = std::string(r.host);
  ctx.draws = std::make_shared<policy::request_draws>(service_->random_source());
  if (auto door = service_->front_door(ctx); !door.value) return refusal_response(door.value.error(), door.policy);

  bytes body;
  if (iequals(r.method, "GET")) {
    if (r.message.size() > 2 * max_pki_message_size) return parse_failure("message parameter too large");
    auto decoded = from_base64(r.message);
    if (!decoded) return parse_failure("message parameter is not base64");
    body = std::move(*decoded);
  } else {
    body.assign(r.body.begin(), r.body.end());
  }
  auto msg = parse_pki_message(body, a.ra_encryption.get(), a.ra_encryption_key.get());
  if (!msg) return parse_failure(msg.error());

  ctx.requester_thumbprint = msg->signer_thumbprint;
  ctx.client.signer = certs::name_text(X509_get_subject_name(msg->signer.get()));

  if (msg->message_type == static_cast<int>(message_type::pkcs_req)) {
    auto request = wcce::parse_identity_request(msg->content);
    if (!request) return parse_failure(request.error());
    ctx.operation = "PKIOperation";
    ctx.client = client_facts_of(*request, *msg);
    ctx.transaction_id = msg->transaction_id;
    auto begun = service_->begin(ctx, evidence_of(a, *request, *msg));
    if (!begun.value) {
      auto out = refusal_response(begun.value.error(), begun.policy);
      out.detail += (out.detail.empty() ? "" : "; ") + describe(ctx.client);
      return out;
    }
    // The challenge: CertRep pkiStatus 11 (SCEPDispositionPendingChallenge),
    // the challenge and the server context enveloped to the requester.
    cert_rep rep;
    rep.status = pki_status::pending_challenge;
    rep.transaction_id = msg->transaction_id;
    rep.recipient_nonce = msg->sender_nonce;
    rep.content = certs::envelope_to(encode_challenge_reply(begun.value->blob, begun.value->state), msg->signer.get(),
                                     EVP_aes_128_cbc());
    auto out = pki_answer(build_cert_rep(rep, a.ra_signing.get(), a.ra_signing_key.get()), begun.policy);
    out.detail = "challenge made with the " + std::string(tpm::to_string(begun.value->profile)) +
                 " credential profile; " + describe(ctx.client);
    return out;
  }

  if (msg->message_type == static_cast<int>(message_type::claim_challenge_answer)) {
    ctx.operation = "ChallengeAnswer";
    auto content = parse_challenge_answer(msg->content);
    if (!content) return parse_failure(content.error());
    auto secret = certs::open_envelope(content->enveloped_secret, a.ra_encryption.get(), a.ra_encryption_key.get(),
                                       max_secret);
    if (!secret) return parse_failure("the answered secret: " + secret.error());
    auto done = service_->finish(ctx, {content->sealed_state, *secret});
    OPENSSL_cleanse(secret->data(), secret->size());
    if (!done.value) return refusal_response(done.value.error(), done.policy);
    // The AIK certificate and its issuing CA, in a SignedData by the RA, enveloped to the requester.
    const auto& issued = *done.value;
    std::vector<X509*> delivered{issued.certificate.get()};
    if (!issued.chain.empty()) delivered.push_back(issued.chain.front().get());
    cert_rep rep;
    rep.status = pki_status::success;
    rep.transaction_id = msg->transaction_id;
    rep.recipient_nonce = msg->sender_nonce;
    rep.content = certs::envelope_to(signed_certificates(a.ra_signing.get(), a.ra_signing_key.get(), delivered),
                                     msg->signer.get(), EVP_aes_128_cbc());
    auto out = pki_answer(build_cert_rep(rep, a.ra_signing.get(), a.ra_signing_key.get()), done.policy);
    out.detail = "AIK certificate issued, serial " + certs::serial_text(issued.certificate.get());
    return out;
  }
  return parse_failure("unsupported messageType " + std::to_string(msg->message_type) + " (19 and 41 are Windows')");
}

}  // namespace aikmock::protocol::scep
