#include "protocol/enrollment/replay_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

namespace aikmock::protocol::enrollment {

void replay_cache::forget_expired(clock::time_point now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

replay_cache::verdict replay_cache::first_use(const std::string& id, clock::time_point expires, clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_expired(now);
  if (seen_.count(id)) return verdict::replayed;
  if (!shared_dir_.empty()) {
    if (auto shared = claim_shared(id, expires, now); shared != verdict::first) return shared;
  }
  if (seen_.size() >= capacity_ && !by_expiry_.empty()) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  seen_.emplace(id, expires);
  by_expiry_.emplace(expires, id);
  return verdict::first;
}

replay_cache::verdict replay_cache::claim_shared(const std::string& id, clock::time_point expires,
                                                  clock::time_point now) {
  // Ids are ours (hex, from the sealed state), but a file name is built from one: check.
  if (id.empty() || id.size() > 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos)
    return verdict::unknown;
  std::error_code ec;
  std::filesystem::create_directories(shared_dir_, ec);
  if (++uses_ % 256 == 0) sweep_shared(now);
  const auto path = shared_dir_ / id;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno == EEXIST ? verdict::replayed : verdict::unknown;  // fail closed
  const std::string when = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count());
  const bool written = ::write(fd, when.data(), when.size()) == static_cast<ssize_t>(when.size());
  ::close(fd);
  // The use is claimed either way (the file exists); a short write only loses its expiry for the sweep.
  (void)written;
  return verdict::first;
}

// Forgets uses whose challenge has expired (they are refused as expired anyway).
void replay_cache::sweep_shared(clock::time_point now) {
  std::error_code ec;
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::size_t looked = 0;
  for (auto it = std::filesystem::directory_iterator(shared_dir_, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (++looked > 10'000) break;  // bounded work per sweep
    std::ifstream in(it->path());
    long long expiry = 0;
    if (in >> expiry && expiry < now_s) std::filesystem::remove(it->path(), ec);
  }
}

std::size_t replay_cache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace aikmock::protocol::enrollment
