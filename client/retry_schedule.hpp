#pragma once
// When the reference client tries a request again, and how long it waits.
// Windows retries AIK enrollment, but its schedule is not public; this one is
// our choice (docs/enroll.md):
//   - retried: HTTP 429, HTTP 5xx, timeouts, connection failures (lookup,
//     connect, a connection closed without an answer). Never 4xx otherwise:
//     the same request gets the same refusal. Never TLS trust failures.
//   - up to `retries` further attempts of the failing request;
//   - waits 1 s, 2 s, 4 s, … doubling, at most `max_backoff`;
//   - a 429 or 503 with Retry-After (delta-seconds) waits that long instead,
//     at most `max_retry_after`; an HTTP-date Retry-After falls back to the backoff.
#include <chrono>
#include <optional>
#include <string_view>

#include "client/http_transport.hpp"

namespace aikmock::client {

struct retry_policy {
  unsigned retries = 3;  // further attempts after the first
  std::chrono::seconds first_backoff{1};
  std::chrono::seconds max_backoff{16};
  std::chrono::seconds max_retry_after{60};
};

bool is_retryable(const http_reply& reply);

// The backoff before retry number `retry` (1 for the first retry): 1 s, 2 s, 4 s… capped.
std::chrono::seconds backoff_before(const retry_policy& policy, unsigned retry);

// A Retry-After of delta-seconds ("30"); nullopt for anything else (an HTTP-date, garbage).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

struct retry_wait {
  std::chrono::seconds wait{0};
  bool from_retry_after = false;  // Retry-After decided it
  bool capped = false;            // Retry-After asked for more than max_retry_after
};

// How long to wait before retry number `retry` after `reply` (a retryable one).
retry_wait wait_before_retry(const retry_policy& policy, unsigned retry, const http_reply& reply);

}  // namespace aikmock::client
