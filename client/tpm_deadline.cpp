#include "client/tpm_deadline.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace aikmock::client {

tpm_deadline::tpm_deadline(std::chrono::milliseconds limit, std::string waiting_for) {
  watcher_ = std::thread([this, limit, what = std::move(waiting_for)] {
    std::unique_lock lock(mutex_);
    if (done_.wait_for(lock, limit, [this] { return disarmed_; })) return;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3g", static_cast<double>(limit.count()) / 1000.0);
    const std::string message = std::string("aikmock enroll: the TPM did not answer within ") + seconds + " s (" +
                                what + "); giving up: 0x800705B4 (-2147023436 ERROR_TIMEOUT)\n";
    // The main thread is stuck inside tpm2-tss: write directly, and end without unwinding it.
    (void)!::write(STDERR_FILENO, message.data(), message.size());
    std::_Exit(1);
  });
}

tpm_deadline::~tpm_deadline() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  done_.notify_one();
  watcher_.join();
}

}  // namespace aikmock::client
