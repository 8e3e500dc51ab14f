#include "protocol/scep/scep_endpoint.hpp"

#include <random>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
#include "protocol/scep/pki_message.hpp"
#include "certs/der_io.hpp"
#include "certs/oids.hpp"
#include "protocol/policy_gate.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/wcce/kast.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/key_info.hpp"

namespace aikmock::protocol::scep {

namespace {
using policy::error_id;

response get_ca_caps() {
  response r;
  r.content_type = "text/plain";
  r.body = std::string(ca_caps);
  return r;
}

// The issuing CA and both RA certificates, which Windows' SCEP client requires
// ("a SCEP server signing EA certificate and a SCEP server encryption EA
// certificate, both signed by the CA certificate").
response get_ca_cert(const certs::authority& a) {
  bytes der = degenerate_pkcs7({a.issuing_ca.get(), a.ra_signing.get(), a.ra_encryption.get()});
  response r;
  r.content_type = "application/x-x509-ca-ra-cert";
  r.body = std::string(as_chars(der));
  return r;
}

response pki_message_answer(bytes der) {
  response r;
  r.content_type = "application/x-pki-message";
  r.body = std::string(as_chars(der));
  return r;
}

// What the identity request presents, as the exchange wants it. Attributes
// that do not open are absent evidence, judged by the exchange and the policy.
exchange::evidence evidence_from(const certs::authority& a, const wcce::identity_request& request,
                                 std::string& refusal) {
  exchange::evidence ev;
  auto ek_info = wcce::open_ek_info(*request.ek_info, a.ra_encryption.get(), a.ra_encryption_key.get());
  if (!ek_info) {
    refusal = ek_info.error();
    return ev;
  }
  ev.ek_certificate = ek_info->ek_certificate;
  ev.ek_intermediates = ek_info->other_certificates;
  if (EVP_PKEY* key = X509_REQ_get0_pubkey(request.csr.get())) {
    ev.request_key = certs::public_key_der(key);
    ev.request_signature_valid = X509_REQ_verify(request.csr.get(), key) == 1;
    if (!ev.request_signature_valid) aikmock::openssl_errors();  // leaves nothing queued for the next caller
  }
  ev.ek_public_key = ek_info->ek_public_key;
  if (request.ek_public_area) ev.ek_public_area = wcce::octet_string_value(*request.ek_public_area);
  if (request.aik_info) {
    auto aik_info = wcce::open_aik_info(*request.aik_info, a.ra_encryption.get(), a.ra_encryption_key.get());
    if (aik_info) ev.aik_public_key = aik_info->aik_public_key;
  } else if (auto csr_key = certs::public_key_der(X509_REQ_get0_pubkey(request.csr.get())); !csr_key.empty()) {
    ev.aik_public_key = std::move(csr_key);  // the certificate is requested for the PKCS#10's key
  }
  if (!request.attestation_statement) {
    ev.aik_proof_error = "no attestation statement (szOID_ENROLL_ATTESTATION_STATEMENT)";
    return ev;
  }
  auto kast_bytes = wcce::octet_string_value(*request.attestation_statement);
  if (!kast_bytes) {
    ev.aik_proof_error = "the attestation statement is not an OCTET STRING";
    return ev;
  }
  auto kast = protocol::wcce::parse_kast(*kast_bytes);
  if (!kast) {
    ev.aik_proof_error = "attestation statement: " + kast.error();
    return ev;
  }
  auto proof = protocol::wcce::parse_tpm20_id_binding(*kast);
  if (!proof) {
    ev.aik_proof_error = "idBinding: " + proof.error();
    return ev;
  }
  ev.aik_proof = std::move(*proof);
  return ev;
}

std::string canonical_operation(std::string_view op) {
  for (std::string_view known : {"GetCACaps", "GetCACert", "PKIOperation"})
    if (iequals(op, known)) return std::string(known);
  return std::string(op);
}
}  // namespace

scep_service::scep_service(std::shared_ptr<const policy::policy> policy, policy::random_source random,
                           std::shared_ptr<const exchange::enrollment_engine> engine)
    : policy_(std::move(policy)), random_(std::move(random)), engine_(std::move(engine)) {}

response scep_service::handle(const certs::authority& authority, const scep_request& request) const {
  policy::request_facts facts;
  facts.operation = canonical_operation(request.operation);
  facts.authority = authority.name;
  facts.authority_vendor = authority.vendor;

  const bool get = iequals(request.method, "GET");
  const bool post = iequals(request.method, "POST");
  if (!get && !post) return error_response(error_id::method_not_allowed, {{"method", request.method}});

  if (facts.operation == "GetCACaps" || facts.operation == "GetCACert") {
    if (!get) return error_response(error_id::method_not_allowed, {{"method", request.method}});
    return decide(facts, request, facts.operation == "GetCACaps" ? get_ca_caps() : get_ca_cert(authority), {});
  }
  if (facts.operation == "PKIOperation") {
    std::optional<policy::decision> decided;
    response answer = pki_operation(authority, request, facts, decided);
    return decide(facts, request, std::move(answer), std::move(decided));
  }
  return error_response(error_id::unsupported_operation, {{"operation", request.operation}});
}

response scep_service::pki_operation(const certs::authority& a, const scep_request& r,
                                     policy::request_facts& facts, std::optional<policy::decision>& decided) const {
  bytes message;
  if (iequals(r.method, "GET")) {
    auto decoded = from_base64(r.message);
    if (!decoded) return error_response(error_id::scep_parse_failed, {}, "message parameter is not base64");
    message = std::move(*decoded);
  } else {
    message.assign(r.body.begin(), r.body.end());
  }

  auto parsed = parse_pki_message(message, a.ra_encryption.get(), a.ra_encryption_key.get());
  if (!parsed) return error_response(error_id::scep_parse_failed, {}, parsed.error());
  const pki_message& msg = *parsed;
  const int type = msg.message_type;

  if (type == static_cast<int>(message_type::cert_poll)) {
    // Round 2, the challenge answer (our choice of carrier, docs/protocol.md):
    // CertPoll for the pending transaction, the sealed state echoed as a signed
    // attribute, the recovered secret in the envelope.
    facts.operation = "ChallengeAnswer";
    const bytes* state = msg.attribute(certs::oids::enroll_scep_server_state);
    if (!state)
      return error_response(error_id::challenge_state_invalid, {}, "the answer carries no szOID_ENROLL_SCEP_SERVER_STATE");
    auto done = engine_->finish(a, as_chars(*state), msg.content);
    if (!done.issued) return std::move(*done.refusal);
    cert_rep rep;
    rep.status = pki_status::success;
    rep.transaction_id = msg.transaction_id;
    rep.recipient_nonce = msg.sender_nonce;
    rep.certificates.push_back(done.issued->certificate.get());
    for (const auto& c : done.issued->chain) rep.certificates.push_back(c.get());
    return pki_message_answer(build_cert_rep(rep, a.ra_signing.get(), a.ra_signing_key.get(), msg.signer.get()));
  }

  if (type != static_cast<int>(message_type::pkcs_req) && type != static_cast<int>(message_type::renewal_req))
    return error_response(error_id::scep_parse_failed, {}, "unsupported messageType " + std::to_string(type));
  auto request = wcce::parse_identity_request(msg.content);
  if (!request) return error_response(error_id::scep_parse_failed, {}, request.error());
  if (!request->ek_info)
    return error_response(error_id::no_ek_certificate, {}, "the PKCS#10 carries no szOID_ENROLL_EK_INFO attribute");

  std::string refusal;
  auto evidence = evidence_from(a, *request, refusal);
  if (!refusal.empty()) return error_response(error_id::no_ek_certificate, {}, refusal);

  auto begun = engine_->begin(a, evidence, *policy_, random_, facts, msg.transaction_id);
  decided = begun.decision;
  if (begun.refusal) return std::move(*begun.refusal);
  if (!begun.issued) return response{};  // the policy refused: decide() answers

  // Round 1 answered: PENDING (Windows' SCEPDispositionPendingChallenge), the
  // activation blob and the sealed state as signed attributes.
  cert_rep rep;
  rep.status = pki_status::pending;
  rep.transaction_id = msg.transaction_id;
  rep.recipient_nonce = msg.sender_nonce;
  rep.attributes.push_back({certs::oids::enroll_attestation_challenge, begun.issued->windows_blob});
  rep.attributes.push_back({certs::oids::enroll_scep_server_state, bytes(begun.issued->state.begin(), begun.issued->state.end())});
  auto answer = pki_message_answer(build_cert_rep(rep, a.ra_signing.get(), a.ra_signing_key.get(), msg.signer.get()));
  answer.detail = "challenge made with the " + begun.issued->credential_profile + " credential profile";
  return answer;
}

response scep_service::decide(const policy::request_facts& facts, const scep_request& request, response answer,
                              std::optional<policy::decision> decided) const {
  auto d = decided ? std::move(*decided) : policy::evaluate(*policy_, facts, random_);
  return apply_decision(std::move(d), request.host, facts.operation, std::move(answer));
}

policy::random_source thread_random() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

}  // namespace aikmock::protocol::scep
