#include "protocol/response.hpp"

namespace aikmock::protocol {

namespace {
void add_policy(response& r, const enrollment::policy_record& policy) {
  r.delay = policy.delay;
  r.policy_rule = policy.rule;
  r.policy_trace = policy.trace;
  if (policy.facts) {
    r.exchange.operation = policy.facts->operation;
    r.exchange.round = round_of(policy.facts->operation);
  }
  r.exchange.facts = policy.facts;
  r.exchange.device = policy.device;
  if (policy.profile) r.exchange.credential_profile = std::string(policy::profile_name(*policy.profile));
}
}  // namespace

int round_of(std::string_view operation) {
  if (operation == "PKIOperation") return 1;
  if (operation == "ChallengeAnswer") return 2;
  return 0;
}

response error_response(policy::error_id id, const policy::message_args& args, std::string detail) {
  const auto& e = policy::catalog_entry(id);
  response r;
  r.status = e.status;
  r.content_type = json_content_type;
  r.body = policy::error_body(e, args);
  r.error_key = std::string(e.key);
  r.detail = std::move(detail);
  return r;
}

response answer(std::string content_type, std::string body, const enrollment::policy_record& policy) {
  response r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  add_policy(r, policy);
  return r;
}

response refusal_response(const enrollment::refusal& refusal, const enrollment::policy_record& policy) {
  response r;
  if (refusal.hang_up) {
    r.drop = true;
  } else {
    r = error_response(refusal.error, refusal.message_args, refusal.detail);
    if (refusal.retry_after) r.headers.emplace_back("Retry-After", std::to_string(*refusal.retry_after));
  }
  add_policy(r, policy);
  return r;
}

}  // namespace aikmock::protocol
