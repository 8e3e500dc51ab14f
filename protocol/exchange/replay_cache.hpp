#pragma once
// Remembers the states already answered, until they expire, so a second
// answer with the same state is refused. Bounded: at capacity the entry
// closest to expiry is forgotten first (documented in docs/protocol.md).
// Given a directory that replicas share (the lab's), a use is also recorded
// there as a file created exclusively, so an answer taken by one replica is
// refused by every other.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace aikmock::protocol::exchange {

class replay_cache {
 public:
  using clock = std::chrono::system_clock;

  explicit replay_cache(std::size_t capacity = 100'000, std::filesystem::path shared_dir = {})
      : capacity_(capacity), shared_dir_(std::move(shared_dir)) {}

  // True the first time `id` is presented (and records it until `expires`);
  // false when it was seen before and has not expired. Thread-safe.
  bool first_use(const std::string& id, clock::time_point expires, clock::time_point now = clock::now());

  std::size_t size() const;

 private:
  void forget_expired(clock::time_point now);
  // False when another process recorded `id` first.
  bool claim_shared(const std::string& id, clock::time_point expires, clock::time_point now);
  void sweep_shared(clock::time_point now);

  std::size_t capacity_;
  std::filesystem::path shared_dir_;
  std::size_t uses_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, clock::time_point> seen_;
  std::multimap<clock::time_point, std::string> by_expiry_;
};

}  // namespace aikmock::protocol::exchange
