#pragma once
// One JSON line per request (and per server event), safe from every thread.
#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aikmock::server {

struct access_entry {
  std::chrono::system_clock::time_point time;
  std::string request_id;
  std::string client_request_id;
  std::string remote;
  std::string scheme;
  std::string host;
  std::string authority;
  std::string method;
  std::string target;
  unsigned status = 0;
  std::size_t bytes = 0;
  std::chrono::microseconds duration{0};
  std::string error;   // catalogue key of an error answer
  std::string detail;  // why (never secrets)
  std::string policy_rule;  // the policy rule that decided
  std::vector<std::string> policy_trace;
};

class access_log {
 public:
  explicit access_log(std::ostream& out) : out_(out) {}
  void request(const access_entry& e);
  // A server event: {"time":…,"event":name, …fields}; `fields` is a JSON object (or null).
  void event(const std::string& name, const nlohmann::json& fields = nullptr);

 private:
  std::mutex mutex_;
  std::ostream& out_;
};

std::string rfc3339_millis(std::chrono::system_clock::time_point t);

}  // namespace aikmock::server
