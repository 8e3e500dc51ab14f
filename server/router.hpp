#pragma once
// handle_request: an HTTP request in, an HTTP response out, no I/O. Picks the
// authority from the Host, the endpoint from the path, and builds the headers
// every answer carries (x-ms-request-id, echoed x-ms-client-request-id, Date).
#include <atomic>
#include <memory>
#include <string>

#include "certs/authority.hpp"
#include "policy/error_catalog.hpp"
#include "protocol/response.hpp"
#include "protocol/json_api.hpp"
#include "protocol/scep/scep_endpoint.hpp"
#include "server/beast.hpp"

namespace aikmock::server {

using request_t = http::request<http::string_body>;
using response_t = http::response<http::string_body>;

struct routed_response {
  response_t response;
  std::string request_id;
  std::string authority;  // the authority's name, empty when none was found
  std::string error;      // catalogue key of an error answer
  std::string detail;
  std::chrono::milliseconds delay{0};  // answer only after this long
  bool drop = false;                   // hang up without answering
  std::string policy_rule;
  std::vector<std::string> policy_trace;
};

// What a request is routed to; replaced whole on a reload, so a request in
// flight finishes with the set it started with.
struct route_set {
  std::shared_ptr<const certs::authority_directory> authorities;
  // May be null: plain hosts then get the unknown-authority 404.
  std::shared_ptr<const certs::authority> default_authority;
  std::shared_ptr<const protocol::scep::scep_service> scep;
  std::shared_ptr<const protocol::json_api> json;
};

class router {
 public:
  explicit router(std::shared_ptr<const route_set> initial) : routes_(std::move(initial)) {}

  routed_response handle(const request_t& request, const std::string& scheme) const;
  // Any thread: later requests use `next`.
  void replace(std::shared_ptr<const route_set> next) { routes_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const route_set>> routes_;
};

// A response built from a protocol answer, with the headers every answer carries.
// `request` may be null (an answer to a request that could not be read).
routed_response make_response(const protocol::response& answer, const request_t* request, unsigned version,
                              bool keep_alive);
// An error answer before any request could be read whole (413, 431, 400).
routed_response make_error_response(policy::error_id id, const request_t* request, std::string detail = {});

// A random version 4 UUID, the shape of Azure request ids.
std::string new_request_id();

}  // namespace aikmock::server
