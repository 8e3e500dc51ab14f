#include "client/retry_schedule.hpp"

#include <algorithm>
#include <charconv>

namespace aikmock::client {

bool is_retryable(const http_reply& reply) {
  switch (reply.failure) {
    case transport_failure::none: return reply.status == 429 || (reply.status >= 500 && reply.status <= 599);
    case transport_failure::resolve:
    case transport_failure::connect:
    case transport_failure::timeout:
    case transport_failure::closed: return true;
    case transport_failure::tls:
    case transport_failure::bad_response: return false;
  }
  return false;
}

std::chrono::seconds backoff_before(const retry_policy& policy, unsigned retry) {
  auto wait = policy.first_backoff;
  for (unsigned i = 1; i < retry && wait < policy.max_backoff; ++i) wait *= 2;
  return std::min(wait, policy.max_backoff);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  unsigned long long seconds = 0;
  if (value.empty() || value.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
  return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(seconds));
}

retry_wait wait_before_retry(const retry_policy& policy, unsigned retry, const http_reply& reply) {
  const bool may_say = reply.answered() && (reply.status == 429 || reply.status == 503);
  if (may_say && reply.retry_after) {
    if (auto asked = parse_retry_after(*reply.retry_after)) {
      if (*asked > policy.max_retry_after) return {policy.max_retry_after, true, true};
      return {*asked, true, false};
    }
  }
  return {backoff_before(policy, retry), false, false};
}

}  // namespace aikmock::client
