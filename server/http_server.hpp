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
#include "server/router.hpp"
#include "server/access_log.hpp"
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

  // Serves on the configured threads until stop() has drained everything.
  void run();
  // Any thread, any number of times.
  void stop(const char* reason = "stop");

  access_log& log() { return log_; }
  std::shared_ptr<const certs::authority_directory> authorities() const { return state_->routes.current()->authorities; }

  // Reads the trust store and the policy again (SIGHUP). A broken trust file or
  // policy is reported in the log by name and changes nothing: the service goes
  // on with what it had. Connections and exchanges in flight are not touched.
  bool reload();

 private:
  void wait_for_drain();

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
  std::shared_ptr<server_state> state_;
  std::unique_ptr<certs::authority_minter> minter_;
  std::vector<std::shared_ptr<listener>> listeners_;
  std::optional<tcp::endpoint> https_, http_;
  net::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_started_{false};
};

// `aikmock serve`: runs until SIGTERM or SIGINT, then stops gracefully. Returns the exit status.
int serve(const config& cfg);

}  // namespace aikmock::server
