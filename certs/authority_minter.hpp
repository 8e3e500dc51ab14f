#pragma once
// Mints the authorities of trust-store CAs on a thread of its own, so that no
// request ever waits on key generation: a request for an authority not minted
// yet is answered "come back later" (503 with Retry-After) and moves it to the
// front of the queue. Everything pending is minted in the background, one at a
// time, in the order asked for first and then as listed.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "certs/authority.hpp"
#include "certs/lab_manifest.hpp"

namespace aikmock::certs {

class authority_minter {
 public:
  using minted_fn = std::function<void(std::shared_ptr<const authority>)>;
  using failed_fn = std::function<void(const std::string& name, const std::string& reason)>;

  // `minted` and `failed` are called on the minter's thread.
  authority_minter(lab_manifest manifest, minted_fn minted, failed_fn failed);
  // Finishes the mint in progress (seconds at most), then stops.
  ~authority_minter();
  authority_minter(const authority_minter&) = delete;
  authority_minter& operator=(const authority_minter&) = delete;

  // Queues these candidates (a reload hands over its pending list); those queued
  // or minted already are skipped. A candidate that failed is tried again only
  // when asked for again.
  void enqueue(const std::vector<std::shared_ptr<const pending_authority>>& candidates);
  // Mints this one next; true when it is queued or being minted now.
  bool prioritize(const std::string& key_id);
  // Candidates not minted yet (queued, or being minted).
  std::size_t outstanding() const;

 private:
  void run();

  lab_manifest manifest_;
  minted_fn minted_;
  failed_fn failed_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<const pending_authority>> queue_;
  std::set<std::string> done_;                // key ids minted
  std::vector<std::shared_ptr<const pending_authority>> failed_list_;  // waiting to be asked for again
  std::string in_progress_;                   // key id being minted
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace aikmock::certs
