#include "server/router.hpp"

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "common/strings.hpp"
#include "protocol/scep/pki_message.hpp"
#include "common/uuid.hpp"
#include "server/host_route.hpp"
#include "server/request_target.hpp"

namespace aikmock::server {

namespace {
using policy::error_id;

constexpr std::size_t max_client_request_id = 256;
// As the real service's answers carry them (CertEnroll event 86 captures).
constexpr const char* hsts = "max-age=31536000;includeSubDomains";

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

protocol::response json_status(unsigned status, const nlohmann::json& body) {
  protocol::response r;
  r.status = status;
  r.content_type = protocol::json_content_type;
  r.body = body.dump();
  return r;
}

// The host as the 404 names it: without its port, lower-cased (as captured).
std::string host_for_message(std::string_view host) { return to_lower(host_without_port(host)); }
}  // namespace

std::string new_request_id() { return random_uuid(); }

std::size_t body_limit_for(std::string_view target, std::size_t configured) {
  auto parsed = parse_request_target(target);
  std::size_t route = protocol::json_api_max_body;  // the JSON API, and routes that take no body
  if (parsed) {
    std::string_view path = parsed->path;
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    if (iequals(path, protocol::scep::scep_path)) route = protocol::scep::max_pki_message_size;
  }
  return std::min(configured, route);
}

routed_response make_response(const protocol::response& answer, const request_t* request, unsigned version,
                              bool keep_alive, std::string_view scheme) {
  routed_response r;
  r.request_id = new_request_id();
  r.error = answer.error_key;
  r.detail = answer.detail;
  r.delay = answer.delay;
  r.drop = answer.drop;
  r.policy_rule = answer.policy_rule;
  r.policy_trace = answer.policy_trace;
  r.exchange = answer.exchange;
  r.response.version(version);
  r.response.result(static_cast<http::status>(answer.status));
  r.response.set(http::field::content_type, answer.content_type);
  r.response.set(http::field::date, http_date());
  r.response.set("X-Content-Type-Options", "nosniff");
  if (scheme == "https") r.response.set(http::field::strict_transport_security, hsts);
  r.response.set("x-ms-request-id", r.request_id);
  r.client_request_id = client_request_id(request);
  if (!r.client_request_id.empty()) r.response.set("x-ms-client-request-id", r.client_request_id);
  for (const auto& [name, value] : answer.headers) r.response.set(name, value);
  r.response.body() = answer.body;
  r.response.keep_alive(keep_alive);
  r.response.prepare_payload();
  return r;
}

routed_response make_error_response(error_id id, const request_t* request, std::string_view scheme,
                                    std::string detail) {
  return make_response(protocol::error_response(id, {}, std::move(detail)), request,
                       request ? request->version() : 11, false, scheme);
}

routed_response router::handle(const request_t& req, const std::string& scheme,
                                std::string_view client_address) const noexcept {
  try {
    return route(req, scheme, client_address);
  } catch (const std::exception& e) {
    // A bug or a broken lab, never the client's input: answer, close, keep serving.
    try {
      return make_response(protocol::error_response(error_id::internal_error, {},
                                                    std::string("unhandled exception: ") + e.what()),
                           &req, req.version(), false, scheme);
    } catch (...) {
    }
  } catch (...) {
  }
  // Building even the 500 failed (out of memory): the connection is closed unanswered.
  routed_response dropped;
  dropped.drop = true;
  dropped.error = "internal-error";
  dropped.detail = "unhandled exception; no answer could be built";
  return dropped;
}

routed_response router::route(const request_t& req, const std::string& scheme,
                              std::string_view client_address) const {
  const auto current = routes_.load();
  const auto& authorities = current->authorities;
  std::string route_name;
  auto respond = [&](const protocol::response& answer, const std::string& authority) {
    auto r = make_response(answer, &req, req.version(), req.keep_alive(), scheme);
    r.authority = authority;
    r.route = route_name;
    return r;
  };

  auto target = parse_request_target(req.target());
  if (target && (target->path == healthz_path || target->path == readyz_path)) {
    route_name = "health";
    if (target->path == healthz_path) return respond(json_status(200, {{"status", "ok"}}), {});
    const nlohmann::json body{{"status", draining_ ? "draining" : "ready"},
                              {"authorities", authorities->all().size()},
                              {"pendingAuthorities", authorities->pending().size()}};
    return respond(json_status(draining_ ? 503 : 200, body), {});
  }

  // The policy's rate limit, before anything else is looked at.
  if (current->rate_limiter) {
    if (auto wait = current->rate_limiter->admit(client_address)) {
      auto answer = protocol::error_response(error_id::too_many_requests, {},
                                             "over the policy's rate limit for " + std::string(client_address));
      answer.headers.emplace_back("Retry-After", std::to_string(*wait));
      return respond(answer, {});
    }
  }

  // What the lab's certificates point at (AIA, CRL): the same for every host.
  if (target && current->publication && protocol::publication_codec::serves(target->path)) {
    route_name = "publication";
    const std::string uri = scheme + "://" + std::string(host_without_port(req[http::field::host])) + target->path;
    return respond(current->publication->handle(req.method_string(), target->path, uri), {});
  }

  const std::string host(req[http::field::host]);
  std::shared_ptr<const certs::authority> authority = current->default_authority;
  std::string note;
  const auto label = parse_authority_label(host);
  if (label) {
    authority = label->name_id ? authorities->by_name_id(label->id) : authorities->by_key_id(label->id);
    if (authority && !iequals(authority->vendor, label->vendor))
      note = "host vendor prefix " + label->vendor + " differs from the authority's vendor " + authority->vendor;
    // A trust-store CA whose authority is still being minted: come back in a moment.
    auto pending = label->name_id ? authorities->pending_by_name_id(label->id) : authorities->pending_by_key_id(label->id);
    if (!authority && pending) {
      if (current->mint_next) current->mint_next(pending->key_id);
      auto answer = protocol::error_response(error_id::service_unavailable, {},
                                             "the authority " + pending->name() + " is being minted");
      answer.headers.emplace_back("Retry-After", std::to_string(minting_retry_after));
      return respond(answer, pending->name());
    }
  }

  // The JSON API finds the authority from the EK on a plain host.
  if (target && istarts_with(target->path, protocol::json_api_prefix) && current->json && (authority || !label)) {
    route_name = "json";
    std::string served_by;
    protocol::authority_source source{label ? authority.get() : nullptr, authorities};
    auto answer = current->json->handle(req.method_string(), target->path, req.body(), source,
                                        host_without_port(host), served_by);
    return respond(answer, served_by);
  }
  if (!authority) {
    return respond(protocol::error_response(error_id::unknown_authority, {{"host", host_for_message(host)}},
                                            "no such authority"),
                   {});
  }
  if (!target) return respond(protocol::error_response(error_id::bad_request, {}, "malformed request target"), authority->name);

  const std::string path_without_slash =
      target->path.size() > 1 && target->path.back() == '/' ? target->path.substr(0, target->path.size() - 1) : target->path;
  if (!iequals(path_without_slash, protocol::scep::scep_path)) {
    std::string uri = scheme + "://" + std::string(host_without_port(host)) + target->path;
    return respond(protocol::error_response(error_id::route_not_found, {{"uri", uri}}), authority->name);
  }

  route_name = "scep";
  const std::string operation = target->param("operation").value_or("");
  const std::string message = target->param("message").value_or("");
  const std::string host_name(host_without_port(host));
  protocol::scep::scep_request scep{req.method_string(), operation, message, as_bytes(req.body()), host_name};
  auto answer = current->scep->handle(*authority, scep);
  if (!note.empty()) answer.detail = answer.detail.empty() ? note : note + "; " + answer.detail;
  return respond(answer, authority->name);
}

}  // namespace aikmock::server
