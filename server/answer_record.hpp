#pragma once
// What happens to an answered request besides the access log: the metrics
// count it, and an enrollment round joins the lab console's exchange log.
#include "server/access_log.hpp"
#include "server/router.hpp"
#include "server/server_state.hpp"

namespace aikmock::server {

// `entry`: what the access log wrote of it (status, error, duration).
void record_answer(server_state& state, const access_entry& entry, const routed_response& routed);

}  // namespace aikmock::server
