#pragma once
// What an operator watches (docs/operations.md), in the Prometheus text
// exposition format 0.0.4: requests by route, operation and status; policy
// decisions by rule and catalogue key; enrollments begun, challenged, issued and
// refused; the latency of each exchange round; open connections; the replay
// record's size; reloads. Thread-safe; rendering takes a consistent snapshot.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace aikmock::server {

// One answered request, as the metrics count it.
struct request_sample {
  std::string route;      // scep, json, publication, health, admin, unknown
  std::string operation;  // GetCACaps … PKIOperation, ChallengeAnswer; "" when none
  unsigned status = 0;    // 0: hung up without an answer
  int round = 0;          // the enrollment round it answered: 1 (challenge), 2 (certificate), 0 none
  std::string policy_rule;  // the rule that decided, "default", or "" when the policy did not speak
  std::string error_key;    // the catalogue key of an error answer
  std::chrono::microseconds duration{0};
};

class metrics {
 public:
  // Upper bounds of the exchange-latency histogram buckets, in seconds.
  static constexpr std::array<double, 12> latency_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  void observe(const request_sample& sample);
  void reload(bool ok);

  // Values read when rendering (connections, replay entries, authorities).
  struct gauges {
    std::size_t open_connections = 0;
    std::size_t replay_entries = 0;
    std::size_t authorities_ready = 0;
    std::size_t authorities_pending = 0;
  };
  std::string render(const gauges& now) const;
  // How often each rule (and "default", "exchange") decided, for the console.
  std::map<std::string, std::uint64_t> decisions_by_rule() const;

 private:
  struct histogram {
    std::array<std::uint64_t, latency_buckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::uint64_t> requests_;   // route, operation, status
  std::map<std::vector<std::string>, std::uint64_t> decisions_;  // rule, error
  std::map<std::string, std::uint64_t> enrollments_;             // begun, challenged, issued, refused
  std::map<int, histogram> rounds_;                              // 1, 2
  std::uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
};

}  // namespace aikmock::server
