#pragma once
// The live connections: counted for the connection limit, and told to wind
// down when the server stops.
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace aikmock::server {

class stoppable {
 public:
  virtual ~stoppable() = default;
  // Called from any thread: close when idle, else finish the request in flight, then close.
  virtual void stop() = 0;
};

class connection_registry {
 public:
  // False when the limit is reached (the connection is then not registered).
  bool add(const std::shared_ptr<stoppable>& c, std::size_t limit);
  void remove(const stoppable* c);
  std::size_t size() const;
  void stop_all();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const stoppable*, std::weak_ptr<stoppable>> live_;
};

}  // namespace aikmock::server
