#include "policy/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace aikmock::policy {

rate_limiter::rate_limiter(rate_limit limit, std::size_t capacity) : limit_(limit), capacity_(capacity) {
  if (!(limit_.per_second > 0) || limit_.burst < 1 || capacity_ < 1)
    throw std::invalid_argument("rate_limiter: needs per_second > 0, burst >= 1 and room for one address");
}

void rate_limiter::refill(bucket& b, clock::time_point now) const {
  if (now <= b.updated) return;
  const double seconds = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min<double>(limit_.burst, b.tokens + seconds * limit_.per_second);
  b.updated = now;
}

void rate_limiter::make_room(clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= limit_.burst ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() < capacity_) return;
  auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                 [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
  buckets_.erase(oldest);
}

std::optional<std::uint32_t> rate_limiter::admit(std::string_view address, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(address));
  if (it == buckets_.end()) {
    if (buckets_.size() >= capacity_) make_room(now);
    it = buckets_.emplace(std::string(address), bucket{static_cast<double>(limit_.burst), now}).first;
  }
  bucket& b = it->second;
  refill(b, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  const double wait = (1 - b.tokens) / limit_.per_second;
  return static_cast<std::uint32_t>(std::max(1.0, std::ceil(wait)));
}

std::size_t rate_limiter::tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace aikmock::policy
