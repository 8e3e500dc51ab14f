#pragma once
// The live connections: counted for the connection limit, and told to wind
// down when the server stops.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace aikmock::server {

class stoppable {
 public:
  virtual ~stoppable() = default;
  // Called from any thread: close when idle, else finish the request in flight, then close.
  virtual void stop() = 0;
};

enum class admission { admitted, server_full, address_full };

class connection_registry {
 public:
  // Registers `c` from `address` (the peer's IP address) unless the server
  // holds `limit` connections or that address `per_address`.
  admission add(const std::shared_ptr<stoppable>& c, const std::string& address, std::size_t limit,
                std::size_t per_address);
  void remove(const stoppable* c);
  std::size_t size() const;
  void stop_all();

 private:
  struct entry {
    std::weak_ptr<stoppable> connection;
    std::string address;
  };
  mutable std::mutex mutex_;
  std::unordered_map<const stoppable*, entry> live_;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace aikmock::server
