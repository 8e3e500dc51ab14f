#pragma once
// What every session shares: the router, the log, the limits, the live
// connections and whether the server is stopping.
#include <atomic>

#include "server/access_log.hpp"
#include "server/config.hpp"
#include "server/connection_registry.hpp"
#include "server/router.hpp"

namespace aikmock::server {

struct server_state {
  server_state(std::shared_ptr<const route_set> initial, access_log& l, struct limits lim)
      : routes(std::move(initial)), log(l), limits(lim) {}

  class router routes;
  access_log& log;
  struct limits limits;
  connection_registry registry;
  std::atomic<bool> stopping{false};
};

}  // namespace aikmock::server
