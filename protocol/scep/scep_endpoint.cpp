#include "protocol/scep/scep_endpoint.hpp"

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/wcce/identity_request.hpp"

namespace aikmock::protocol::scep {

namespace {
using policy::error_id;

response get_ca_caps() { return {200, "text/plain", std::string(ca_caps), {}, {}}; }

// The issuing CA and both RA certificates, which Windows' SCEP client requires
// ("a SCEP server signing EA certificate and a SCEP server encryption EA
// certificate, both signed by the CA certificate").
response get_ca_cert(const certs::authority& a) {
  bytes der = degenerate_pkcs7({a.issuing_ca.get(), a.ra_signing.get(), a.ra_encryption.get()});
  return {200, "application/x-x509-ca-ra-cert", std::string(as_chars(der)), {}, {}};
}

response answer_identity_request(const wcce::identity_request& request) {
  if (!request.ek_info)
    return error_response(error_id::no_ek_certificate, {}, "the PKCS#10 carries no szOID_ENROLL_EK_INFO attribute");
  // The EK-bound challenge belongs to the enrollment exchange. Until it is
  // built, say so plainly rather than blame the client's EK.
  return error_response(error_id::exchange_unavailable, {}, "request carries szOID_ENROLL_EK_INFO");
}

response pki_operation(const certs::authority& a, const scep_request& r) {
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
}  // namespace

response handle_scep(const certs::authority& authority, const scep_request& request) {
  const bool get = iequals(request.method, "GET");
  const bool post = iequals(request.method, "POST");
  if (!get && !post) return error_response(error_id::method_not_allowed, {{"method", request.method}});

  if (iequals(request.operation, "GetCACaps")) {
    if (!get) return error_response(error_id::method_not_allowed, {{"method", request.method}});
    return get_ca_caps();
  }
  if (iequals(request.operation, "GetCACert")) {
    if (!get) return error_response(error_id::method_not_allowed, {{"method", request.method}});
    return get_ca_cert(authority);
  }
  if (iequals(request.operation, "PKIOperation")) return pki_operation(authority, request);
  return error_response(error_id::unsupported_operation, {{"operation", request.operation}});
}

}  // namespace aikmock::protocol::scep
