#pragma once
// What every session of one listener shares: who answers its requests, the
// log, the limits, the live connections, whether the server is stopping, and
// where answers are counted (metrics) and enrollment rounds kept (the exchange log).
#include <atomic>

#include "server/access_log.hpp"
#include "server/config.hpp"
#include "server/connection_registry.hpp"
#include "server/exchange_log.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"

namespace aikmock::server {

struct server_state {
  server_state(const request_handler& h, access_log& l, struct limits lim, class metrics* m = nullptr,
               exchange_log* x = nullptr)
      : handler(h), log(l), limits(lim), metrics(m), exchanges(x) {}

  const request_handler& handler;
  access_log& log;
  struct limits limits;
  connection_registry registry;
  std::atomic<bool> stopping{false};
  class metrics* metrics;   // may be null
  exchange_log* exchanges;  // may be null
};

}  // namespace aikmock::server
