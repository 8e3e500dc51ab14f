#pragma once
// A token bucket per client address (the policy's `rateLimit`, off unless a
// policy sets it): each address may send `burst` requests at once and
// `per_second` a second after that; beyond, the service answers the real 429
// with Retry-After (docs/policy.md). Thread-safe. The table of addresses is
// bounded: when it is full, addresses whose bucket has refilled are forgotten
// first (they are indistinguishable from new ones), then the least recently seen.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aikmock::policy {

struct rate_limit {
  double per_second = 0;   // > 0
  std::uint32_t burst = 1;  // >= 1
};

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t default_capacity = 65'536;

  explicit rate_limiter(rate_limit limit, std::size_t capacity = default_capacity);

  // nullopt: admitted (one token taken). Otherwise: the whole seconds until a
  // token will be there, at least 1 — the Retry-After to send.
  std::optional<std::uint32_t> admit(std::string_view address, clock::time_point now = clock::now());

  std::size_t tracked() const;

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point updated;
  };
  void refill(bucket& b, clock::time_point now) const;
  void make_room(clock::time_point now);

  rate_limit limit_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace aikmock::policy
