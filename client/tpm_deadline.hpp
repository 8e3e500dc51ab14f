#pragma once
// A bound on how long the reference client waits for its TPM. tpm2-tss blocks
// in its socket reads (the swtpm TCTI's control channel has no timeout at
// all), and no TPM call can be cancelled from outside; an enrollment against a
// TPM that stopped answering must end, not hang. So while a deadline is armed,
// a watcher thread ends the process when it passes: it prints what was waited
// for and the code Windows shows for a timeout, and exits with status 1 (the
// enrollment failed). Disarmed when it goes out of scope.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace aikmock::client {

class tpm_deadline {
 public:
  tpm_deadline(std::chrono::milliseconds limit, std::string waiting_for);
  ~tpm_deadline();
  tpm_deadline(const tpm_deadline&) = delete;
  tpm_deadline& operator=(const tpm_deadline&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool disarmed_ = false;
  std::thread watcher_;
};

}  // namespace aikmock::client
