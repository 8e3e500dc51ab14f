#pragma once
// The recent enrollment rounds, for the lab console (/admin/api/exchanges): a
// bounded ring, oldest dropped first, each round numbered so that a console
// polling with `since` gets only what it has not seen. Thread-safe.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/facts.hpp"
#include "policy/policy.hpp"

namespace aikmock::server {

struct exchange_entry {
  std::uint64_t id = 0;  // given by the log
  std::chrono::system_clock::time_point time;
  std::string request_id;
  std::string authority;
  std::string host;
  std::string remote;
  std::string route;      // scep, json
  std::string operation;  // PKIOperation (round 1), ChallengeAnswer (round 2)
  int round = 0;
  // The device, as its request and its EK certificate name it.
  std::string machine;
  std::string tpm_manufacturer, tpm_model, tpm_version;
  std::string ek_template, ek_key;
  unsigned status = 0;  // 0: hung up on
  std::string error;    // catalogue key
  std::string message;  // the Message the client was sent
  std::string detail;   // why (the log's, never sent)
  std::string rule;
  std::vector<policy::trace_step> trace;
  std::string profile;  // the credential profile of a challenge
  std::shared_ptr<const policy::request_facts> facts;
  std::chrono::microseconds duration{0};
};

class exchange_log {
 public:
  explicit exchange_log(std::size_t capacity = 1000) : capacity_(capacity) {}

  void add(exchange_entry entry);
  // Entries with an id above `since`, oldest first, at most `limit` (the newest
  // of them), and the id to ask from next time.
  nlohmann::json since(std::uint64_t since, std::size_t limit) const;

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<exchange_entry> entries_;
  std::uint64_t last_id_ = 0;
};

// One entry as the console reads it (docs/operations.md).
nlohmann::json exchange_json(const exchange_entry& e);
// challenged, issued, refused or dropped.
std::string_view exchange_outcome(const exchange_entry& e);

}  // namespace aikmock::server
