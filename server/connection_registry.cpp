#include "server/connection_registry.hpp"

#include <vector>

namespace aikmock::server {

admission connection_registry::add(const std::shared_ptr<stoppable>& c, const std::string& address, std::size_t limit,
                                   std::size_t per_address) {
  std::lock_guard lock(mutex_);
  if (live_.size() >= limit) return admission::server_full;
  std::size_t& from_address = per_address_[address];
  if (from_address >= per_address) {
    if (from_address == 0) per_address_.erase(address);
    return admission::address_full;
  }
  ++from_address;
  live_.emplace(c.get(), entry{c, address});
  return admission::admitted;
}

void connection_registry::remove(const stoppable* c) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(c);
  if (it == live_.end()) return;
  if (auto a = per_address_.find(it->second.address); a != per_address_.end() && --a->second == 0) per_address_.erase(a);
  live_.erase(it);
}

std::size_t connection_registry::size() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void connection_registry::stop_all() {
  std::vector<std::shared_ptr<stoppable>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& [_, e] : live_)
      if (auto c = e.connection.lock()) targets.push_back(std::move(c));
  }
  // Outside the lock: stop() may end a connection, which removes itself.
  for (auto& c : targets) c->stop();
}

}  // namespace aikmock::server
