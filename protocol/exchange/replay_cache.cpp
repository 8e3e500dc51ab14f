#include "protocol/exchange/replay_cache.hpp"

namespace aikmock::protocol::exchange {

void replay_cache::forget_expired(clock::time_point now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

bool replay_cache::first_use(const std::string& id, clock::time_point expires, clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (seen_.count(id)) return false;
  if (seen_.size() >= capacity_ && !by_expiry_.empty()) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  seen_.emplace(id, expires);
  by_expiry_.emplace(expires, id);
  return true;
}

std::size_t replay_cache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace aikmock::protocol::exchange
