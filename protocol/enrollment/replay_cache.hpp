#pragma once
// Remembers the challenges already answered, until they expire, so a second
// answer to the same challenge is refused. Bounded: at capacity the entry
// closest to expiry is forgotten first (docs/protocol.md). Given a directory
// that replicas share (the lab's), a use is also recorded there as a file
// created exclusively, so an answer taken by one replica is refused by every
// other. When that record cannot be written or read (no file descriptors, a
// full disk), the answer is neither accepted nor refused as a replay: the cache
// says it cannot tell, and the service answers 503 (fail closed).
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace aikmock::protocol::enrollment {

class replay_cache {
 public:
  using clock = std::chrono::system_clock;
  enum class verdict { first, replayed, unknown };

  explicit replay_cache(std::size_t capacity = 100'000, std::filesystem::path shared_dir = {})
      : capacity_(capacity), shared_dir_(std::move(shared_dir)) {}

  // `first` the first time `id` (lowercase hex) is presented, recording it
  // until `expires`; `replayed` when it was seen before and has not expired;
  // `unknown` when the shared record could not be consulted. Thread-safe.
  verdict first_use(const std::string& id, clock::time_point expires, clock::time_point now = clock::now());

  std::size_t size() const;

 private:
  void forget_expired(clock::time_point now);
  verdict claim_shared(const std::string& id, clock::time_point expires, clock::time_point now);
  void sweep_shared(clock::time_point now);

  std::size_t capacity_;
  std::filesystem::path shared_dir_;
  std::size_t uses_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, clock::time_point> seen_;
  std::multimap<clock::time_point, std::string> by_expiry_;
};

}  // namespace aikmock::protocol::enrollment
