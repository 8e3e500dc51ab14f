#include "certs/authority_minter.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace aikmock::certs {

authority_minter::authority_minter(lab_manifest manifest, minted_fn minted, failed_fn failed)
    : manifest_(std::move(manifest)), minted_(std::move(minted)), failed_(std::move(failed)) {
  worker_ = std::thread([this] { run(); });
}

authority_minter::~authority_minter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void authority_minter::enqueue(const std::vector<std::shared_ptr<const pending_authority>>& candidates) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : candidates) {
      const bool known = done_.count(c->key_id) || in_progress_ == c->key_id ||
                         std::any_of(queue_.begin(), queue_.end(), [&](const auto& q) { return q->key_id == c->key_id; }) ||
                         std::any_of(failed_list_.begin(), failed_list_.end(),
                                     [&](const auto& f) { return f->key_id == c->key_id; });
      if (!known) queue_.push_back(c);
    }
  }
  wake_.notify_all();
}

bool authority_minter::prioritize(const std::string& key_id) {
  {
    std::lock_guard lock(mutex_);
    if (iequals(in_progress_, key_id)) return true;
    auto queued = std::find_if(queue_.begin(), queue_.end(), [&](const auto& q) { return iequals(q->key_id, key_id); });
    if (queued != queue_.end()) {
      auto c = *queued;
      queue_.erase(queued);
      queue_.push_front(std::move(c));
    } else {
      auto failed = std::find_if(failed_list_.begin(), failed_list_.end(),
                                 [&](const auto& f) { return iequals(f->key_id, key_id); });
      if (failed == failed_list_.end()) return false;
      queue_.push_front(*failed);  // asked for again: one more try
      failed_list_.erase(failed);
    }
  }
  wake_.notify_all();
  return true;
}

std::size_t authority_minter::outstanding() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + (in_progress_.empty() ? 0 : 1);
}

void authority_minter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto next = queue_.front();
    queue_.pop_front();
    in_progress_ = next->key_id;
    lock.unlock();
    auto minted = mint_into_lab(manifest_, *next);
    lock.lock();
    in_progress_.clear();
    if (minted) {
      done_.insert(next->key_id);
      lock.unlock();
      minted_(*minted);
    } else {
      failed_list_.push_back(next);
      lock.unlock();
      failed_(next->name(), minted.error());
    }
    lock.lock();
  }
}

}  // namespace aikmock::certs
