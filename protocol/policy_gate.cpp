#include "protocol/policy_gate.hpp"

namespace aikmock::protocol {

response apply_decision(policy::decision d, std::string_view host, std::string_view operation, response answer) {
  std::vector<std::string> trace;
  for (const auto& step : d.trace) trace.push_back(step.check + ": " + step.result);

  if (d.what == policy::decision::kind::close) {
    answer = response{};
    answer.drop = true;
  } else if (d.what == policy::decision::kind::reject && d.error && !answer.error_key.empty() &&
             answer.error_key == policy::catalog_entry(*d.error).key) {
    // The exchange answered this refusal already, with its reason.
  } else if (d.what == policy::decision::kind::reject && d.error) {
    answer = error_response(*d.error, {{"host", host}, {"operation", operation}}, "policy rule " + d.decided_by);
    if (d.retry_after) answer.headers.emplace_back("Retry-After", std::to_string(*d.retry_after));
  }
  answer.delay = d.delay;
  answer.policy_rule = d.decided_by;
  answer.policy_trace = std::move(trace);
  return answer;
}

}  // namespace aikmock::protocol
