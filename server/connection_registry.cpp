#include "server/connection_registry.hpp"

#include <vector>

namespace aikmock::server {

bool connection_registry::add(const std::shared_ptr<stoppable>& c, std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (live_.size() >= limit) return false;
  live_.emplace(c.get(), c);
  return true;
}

void connection_registry::remove(const stoppable* c) {
  std::lock_guard lock(mutex_);
  live_.erase(c);
}

std::size_t connection_registry::size() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void connection_registry::stop_all() {
  std::vector<std::shared_ptr<stoppable>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& [_, weak] : live_)
      if (auto c = weak.lock()) targets.push_back(std::move(c));
  }
  // Outside the lock: stop() may end a connection, which removes itself.
  for (auto& c : targets) c->stop();
}

}  // namespace aikmock::server
