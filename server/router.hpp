#pragma once
// handle_request: an HTTP request in, an HTTP response out, no I/O. Picks the
// authority from the Host, the endpoint from the path, and builds the headers
// every answer carries (x-ms-request-id, echoed x-ms-client-request-id, Date,
// X-Content-Type-Options, and Strict-Transport-Security over HTTPS). It is also
// the exception barrier: whatever a handler throws (a bug, a broken lab) becomes
// a logged 500 that closes the connection, and the server goes on serving.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "certs/authority.hpp"
#include "policy/error_catalog.hpp"
#include "policy/rate_limiter.hpp"
#include "protocol/enrollment/enrollment_service.hpp"
#include "protocol/json_api.hpp"
#include "protocol/publication/publication_codec.hpp"
#include "protocol/response.hpp"
#include "protocol/scep/scep_codec.hpp"
#include "server/beast.hpp"

namespace aikmock::server {

using request_t = http::request<http::string_body>;
using response_t = http::response<http::string_body>;

struct routed_response {
  response_t response;
  std::string request_id;
  std::string client_request_id;  // the client's x-ms-client-request-id, when short printable ASCII
  std::string authority;  // the authority's name, empty when none was found
  std::string error;      // catalogue key of an error answer
  std::string detail;
  std::chrono::milliseconds delay{0};  // answer only after this long
  bool drop = false;                   // hang up without answering
  std::string policy_rule;
  std::vector<policy::trace_step> policy_trace;
  std::string route;  // health, publication, json, scep, admin; "" for a request that reached none
  protocol::exchange_note exchange;
};

// Anything that answers requests without I/O: the service's router, the admin listener's.
class request_handler {
 public:
  virtual ~request_handler() = default;
  // Never throws. `client_address`: the peer's IP address.
  virtual routed_response handle(const request_t& request, const std::string& scheme,
                                 std::string_view client_address = {}) const noexcept = 0;
};

// What a request is routed to; replaced whole on a reload or when an authority
// is minted, so a request in flight finishes with the set it started with.
struct route_set {
  std::shared_ptr<const certs::authority_directory> authorities;
  // May be null: plain hosts then get the unknown-authority 404.
  std::shared_ptr<const certs::authority> default_authority;
  std::shared_ptr<const protocol::enrollment::enrollment_service> service;
  std::shared_ptr<const protocol::scep::scep_codec> scep;
  std::shared_ptr<const protocol::json_api> json;
  // The lab CAs' certificates and CRLs (/aia/, /crl/), on every host.
  std::shared_ptr<const protocol::publication_codec> publication;
  // Requests per client address (the policy's rateLimit); null: unlimited.
  // Rebuilt with the policy, so a reload starts every bucket full.
  std::shared_ptr<policy::rate_limiter> rate_limiter;
  // Asks for a pending authority to be minted next (it answers 503 until then).
  std::function<void(const std::string& key_id)> mint_next;
};

// The health endpoints, on every listener and for every host.
inline constexpr std::string_view healthz_path = "/healthz";
inline constexpr std::string_view readyz_path = "/readyz";
// The most body a request to `target` may carry: the configured limit, lowered
// for routes whose messages are known to be small (a JSON API call, a SCEP
// pkiMessage), so nothing is buffered that no parser would take.
std::size_t body_limit_for(std::string_view target, std::size_t configured);

// Seconds a client is told to wait for an authority being minted.
inline constexpr unsigned minting_retry_after = 5;

class router final : public request_handler {
 public:
  explicit router(std::shared_ptr<const route_set> initial) : routes_(std::move(initial)) {}

  // Never throws. `client_address`: the peer's IP address (the rate limit's key).
  routed_response handle(const request_t& request, const std::string& scheme,
                         std::string_view client_address = {}) const noexcept override;
  // Any thread: later requests use `next`.
  void replace(std::shared_ptr<const route_set> next) { routes_.store(std::move(next)); }
  std::shared_ptr<const route_set> current() const { return routes_.load(); }
  // Not ready while draining: /readyz answers 503.
  void set_draining(bool draining) { draining_ = draining; }
  bool draining() const { return draining_; }

 private:
  routed_response route(const request_t& request, const std::string& scheme, std::string_view client_address) const;

  std::atomic<std::shared_ptr<const route_set>> routes_;
  std::atomic<bool> draining_{false};
};

// A response built from a protocol answer, with the headers every answer carries.
// `request` may be null (an answer to a request that could not be read).
routed_response make_response(const protocol::response& answer, const request_t* request, unsigned version,
                              bool keep_alive, std::string_view scheme);
// An error answer before any request could be read whole (413, 431, 400).
routed_response make_error_response(policy::error_id id, const request_t* request, std::string_view scheme,
                                    std::string detail = {});

// A random version 4 UUID, the shape of Azure request ids.
std::string new_request_id();

}  // namespace aikmock::server
