#pragma once
// The admin listener's requests (docs/operations.md): the lab console and its
// JSON API, POST /admin/reload, /metrics, and the same /healthz and /readyz as
// the service. No I/O, like the service's router. A bearer token, when one is
// configured, guards everything but the health endpoints; the console takes it
// once and keeps a cookie derived from it (SameSite=Strict, HttpOnly).
#include <chrono>
#include <functional>
#include <string>

#include "server/exchange_log.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"

namespace aikmock::server {

struct admin_sources {
  const router* service = nullptr;  // health, readiness, the authorities and the policy in force
  const metrics* counters = nullptr;
  const exchange_log* exchanges = nullptr;
  std::function<metrics::gauges()> gauges;
  // Reads the trust store and the policy again; false and why when it refused.
  std::function<std::pair<bool, std::string>()> reload;
  std::string token;   // empty: no token required
  std::string domain;  // the lab's service domain, for the authorities' host names
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

class admin_router final : public request_handler {
 public:
  explicit admin_router(admin_sources sources);
  routed_response handle(const request_t& request, const std::string& scheme,
                         std::string_view client_address = {}) const noexcept override;

 private:
  routed_response route(const request_t& request, const std::string& scheme) const;
  bool authorized(const request_t& request) const;
  routed_response login(const request_t& request) const;
  std::string status_json() const;
  std::string policy_json() const;
  std::string authorities_json() const;

  admin_sources sources_;
  std::string session_cookie_;  // the cookie value a login sets; empty without a token
};

// The console's cookie value for a token: HMAC-SHA256(token, a fixed label),
// so the token itself never sits in the browser and every replica agrees.
std::string console_session_value(std::string_view token);

// The console's files (server/console/), embedded at build time.
struct console_asset {
  std::string_view path;  // "/console", "/console/console.js", …
  std::string_view content_type;
  std::string_view body;
};
std::span<const console_asset> console_assets();

}  // namespace aikmock::server
