#include "server/router.hpp"


#include <ctime>

#include "common/strings.hpp"
#include "common/uuid.hpp"
#include "protocol/scep/scep_endpoint.hpp"
#include "server/host_route.hpp"
#include "server/request_target.hpp"

namespace aikmock::server {

namespace {
using policy::error_id;

constexpr std::string_view scep_path = "/templates/Aik/scep";
constexpr std::size_t max_client_request_id = 256;

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Echoed only when it is short printable ASCII: it goes back into a header.
std::string client_request_id(const request_t* request) {
  if (!request) return {};
  auto it = request->find("x-ms-client-request-id");
  if (it == request->end()) return {};
  std::string_view v = it->value();
  if (v.size() > max_client_request_id) return {};
  for (char c : v)
    if (c < 0x20 || c > 0x7e) return {};
  return std::string(v);
}
}  // namespace

std::string new_request_id() { return random_uuid(); }

routed_response make_response(const protocol::response& answer, const request_t* request, unsigned version,
                              bool keep_alive) {
  routed_response r;
  r.request_id = new_request_id();
  r.error = answer.error_key;
  r.detail = answer.detail;
  r.delay = answer.delay;
  r.drop = answer.drop;
  r.policy_rule = answer.policy_rule;
  r.policy_trace = answer.policy_trace;
  r.response.version(version);
  r.response.result(static_cast<http::status>(answer.status));
  r.response.set(http::field::content_type, answer.content_type);
  r.response.set(http::field::date, http_date());
  r.response.set("x-ms-request-id", r.request_id);
  if (auto id = client_request_id(request); !id.empty()) r.response.set("x-ms-client-request-id", id);
  for (const auto& [name, value] : answer.headers) r.response.set(name, value);
  r.response.body() = answer.body;
  r.response.keep_alive(keep_alive);
  r.response.prepare_payload();
  return r;
}

routed_response make_error_response(error_id id, const request_t* request, std::string detail) {
  return make_response(protocol::error_response(id, {}, std::move(detail)), request, request ? request->version() : 11,
                       false);
}

routed_response router::handle(const request_t& req, const std::string& scheme) const {
  const auto current = routes_.load();
  const auto& authorities_ = current->authorities;
  const auto& default_authority_ = current->default_authority;
  const auto& scep_ = current->scep;
  const auto& json_ = current->json;
  auto respond = [&](const protocol::response& answer, const std::string& authority) {
    auto r = make_response(answer, &req, req.version(), req.keep_alive());
    r.authority = authority;
    return r;
  };

  const std::string host(req[http::field::host]);
  std::shared_ptr<const certs::authority> authority = default_authority_;
  std::string note;
  const auto label = parse_authority_label(host);
  if (label) {
    authority = label->name_id ? authorities_->by_name_id(label->id) : authorities_->by_key_id(label->id);
    if (authority && !iequals(authority->vendor, label->vendor))
      note = "host vendor prefix " + label->vendor + " differs from the authority's vendor " + authority->vendor;
  }

  auto target = parse_request_target(req.target());
  // The JSON API finds the authority from the EK on a plain host.
  if (target && istarts_with(target->path, protocol::json_api_prefix) && json_ && (authority || !label)) {
    std::string served_by;
    auto answer = json_->handle(req.method_string(), target->path, req.body(), label ? authority.get() : nullptr,
                                host_without_port(host), served_by);
    return respond(answer, served_by);
  }
  if (!authority) {
    std::string name(host_without_port(host));
    return respond(protocol::error_response(error_id::unknown_authority, {{"host", name}}, "no such authority"), {});
  }

  if (!target) return respond(protocol::error_response(error_id::bad_request, {}, "malformed request target"), authority->name);

  if (!iequals(target->path, scep_path) && !iequals(target->path, std::string(scep_path) + "/")) {
    std::string uri = scheme + "://" + std::string(host_without_port(host)) + target->path;
    return respond(protocol::error_response(error_id::route_not_found, {{"uri", uri}}), authority->name);
  }

  const std::string operation = target->param("operation").value_or("");
  const std::string message = target->param("message").value_or("");
  const std::string host_name(host_without_port(host));
  protocol::scep::scep_request scep{req.method_string(), operation, message, as_bytes(req.body()), host_name};
  auto answer = scep_->handle(*authority, scep);
  if (!note.empty()) answer.detail = answer.detail.empty() ? note : note + "; " + answer.detail;
  return respond(answer, authority->name);
}

}  // namespace aikmock::server
