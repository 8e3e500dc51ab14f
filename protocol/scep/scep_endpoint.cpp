#include "protocol/scep/scep_endpoint.hpp"

#include <random>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/wcce/identity_request.hpp"

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

response answer_identity_request(const wcce::identity_request& request) {
  if (!request.ek_info)
    return error_response(error_id::no_ek_certificate, {}, "the PKCS#10 carries no szOID_ENROLL_EK_INFO attribute");
  // The EK-bound challenge belongs to the enrollment exchange. Until it is
  // built, say so plainly rather than blame the client's EK.
  return error_response(error_id::exchange_unavailable, {}, "request carries szOID_ENROLL_EK_INFO");
}

std::string canonical_operation(std::string_view op) {
  for (std::string_view known : {"GetCACaps", "GetCACert", "PKIOperation"})
    if (iequals(op, known)) return std::string(known);
  return std::string(op);
}
}  // namespace

scep_service::scep_service(std::shared_ptr<const policy::policy> policy, policy::random_source random)
    : policy_(std::move(policy)), random_(std::move(random)) {}

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
    return decide(facts, request, facts.operation == "GetCACaps" ? get_ca_caps() : get_ca_cert(authority));
  }
  if (facts.operation == "PKIOperation") {
    response answer = pki_operation(authority, request, facts);
    return decide(facts, request, std::move(answer));
  }
  return error_response(error_id::unsupported_operation, {{"operation", request.operation}});
}

response scep_service::pki_operation(const certs::authority& a, const scep_request& r,
                                     policy::request_facts&) const {
  bytes message;
  if (iequals(r.method, "GET")) {
    auto decoded = from_base64(r.message);
    if (!decoded) return error_response(error_id::scep_parse_failed, {}, "message parameter is not base64");
    message = std::move(*decoded);
  } else {
    message.assign(r.body.begin(), r.body.end());
  }

  auto parsed = parse_pki_message(message, a.ra_encryption.get(), a.ra_encryption_key.get());
  if (!parsed.message) return error_response(error_id::scep_parse_failed, {}, parsed.error);
  const int type = parsed.message->message_type;
  if (type != static_cast<int>(message_type::pkcs_req) && type != static_cast<int>(message_type::renewal_req))
    return error_response(error_id::scep_parse_failed, {}, "unsupported messageType " + std::to_string(type));

  auto request = wcce::parse_identity_request(parsed.message->content);
  if (!request.request) return error_response(error_id::scep_parse_failed, {}, request.error);
  return answer_identity_request(*request.request);
}

// The policy speaks last, as a service's front end would: a fault, a throttle
// or a hang-up replaces whatever the endpoint would have answered; an accept
// lets that answer through (after any delay).
response scep_service::decide(const policy::request_facts& facts, const scep_request& request,
                              response answer) const {
  auto d = policy::evaluate(*policy_, facts, random_);
  std::vector<std::string> trace;
  for (const auto& step : d.trace) trace.push_back(step.check + ": " + step.result);

  if (d.what == policy::decision::kind::close) {
    answer = response{};
    answer.drop = true;
  } else if (d.what == policy::decision::kind::reject && d.error) {
    std::string detail = "policy rule " + d.decided_by;
    answer = error_response(*d.error, {{"host", request.host}, {"operation", facts.operation}}, detail);
    if (d.retry_after) answer.headers.emplace_back("Retry-After", std::to_string(*d.retry_after));
  }
  answer.delay = d.delay;
  answer.policy_rule = d.decided_by;
  answer.policy_trace = std::move(trace);
  return answer;
}

policy::random_source thread_random() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

}  // namespace aikmock::protocol::scep
