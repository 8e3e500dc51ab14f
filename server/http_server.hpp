#pragma once
// The running service: listeners on a thread pool, and a graceful stop (stop
// accepting, answer what is in flight, close idle connections). `serve` wraps
// it for the command line with SIGTERM/SIGINT.
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>
#include <vector>

#include "certs/authority.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/trust_store.hpp"
#include "policy/policy.hpp"
#include "certs/authority_minter.hpp"
#include "protocol/enrollment/replay_cache.hpp"
#include "protocol/enrollment/state_sealer.hpp"
#include "server/admin_router.hpp"
#include "server/router.hpp"
#include "server/access_log.hpp"
#include "server/exchange_log.hpp"
#include "server/metrics.hpp"
#include "server/beast.hpp"
#include "server/config.hpp"
#include "server/server_state.hpp"


namespace aikmock::server {

class listener;

class http_server {
 public:
  // Loads the lab and binds the listeners (port 0 picks a free port). Throws
  // std::exception on a configuration or bind failure.
  http_server(const config& cfg, std::ostream& log_out);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Where the listeners are bound; nullopt when that listener is off.
  std::optional<tcp::endpoint> https_endpoint() const { return https_; }
  std::optional<tcp::endpoint> http_endpoint() const { return http_; }
  std::optional<tcp::endpoint> admin_endpoint() const { return admin_; }

  // Serves on the configured threads until stop() has drained everything.
  void run();
  // Any thread, any number of times.
  void stop(const char* reason = "stop");

  access_log& log() { return log_; }
  std::shared_ptr<const certs::authority_directory> authorities() const { return router_->current()->authorities; }

  // Reads the trust store and the policy again (SIGHUP, POST /admin/reload). A
  // broken trust file or policy is reported in the log by name and changes
  // nothing: the service goes on with what it had. Connections and exchanges in
  // flight are not touched. `why`, when given, gets the reason of a refusal.
  bool reload(std::string* why = nullptr);

 private:
  void wait_for_drain();
  std::size_t open_connections() const;
  void start_admin_listener(const certs::lab_manifest& lab, const struct limits& limits);

  config cfg_;
  access_log log_;
  net::io_context ioc_;
  std::optional<ssl::context> tls_;
  certs::trust_store::load_result load_trust(const certs::lab_manifest& lab) const;
  std::shared_ptr<const route_set> build_routes(const certs::lab_manifest& lab,
                                                std::shared_ptr<const certs::trust_store> trust, policy::policy active);
  // An authority minted in the background joins the routes (on the minter's thread).
  void add_minted(std::shared_ptr<const certs::authority> minted);

  std::shared_ptr<const protocol::enrollment::state_sealer> sealer_;
  std::shared_ptr<protocol::enrollment::replay_cache> replays_;
  std::mutex routes_mutex_;  // reloads and mints replace the routes one at a time
  std::mutex reload_mutex_;  // one reload at a time (a signal and the admin endpoint)
  class metrics metrics_;
  exchange_log exchanges_;
  std::shared_ptr<router> router_;
  std::shared_ptr<server_state> state_;
  std::unique_ptr<admin_router> admin_router_;
  std::shared_ptr<server_state> admin_state_;  // null without an admin listener
  std::unique_ptr<certs::authority_minter> minter_;
  std::vector<std::shared_ptr<listener>> listeners_;
  std::optional<tcp::endpoint> https_, http_, admin_;
  net::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_started_{false};
};

// `aikmock serve`: runs until SIGTERM or SIGINT, then stops gracefully. Returns the exit status.
int serve(const config& cfg);

}  // namespace aikmock::server
