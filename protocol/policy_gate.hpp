#pragma once
// The policy speaks last, as a service's front end would: a fault, a throttle
// or a hang-up replaces whatever the endpoint would have answered; an accept
// lets that answer through (after any delay). Shared by the SCEP endpoint and
// the JSON API.
#include <string_view>

#include "policy/policy.hpp"
#include "protocol/response.hpp"

namespace aikmock::protocol {

response apply_decision(policy::decision decision, std::string_view host, std::string_view operation,
                        response answer);

}  // namespace aikmock::protocol
