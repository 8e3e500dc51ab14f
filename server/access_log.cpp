#include "server/access_log.hpp"

#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>

namespace aikmock::server {

std::string rfc3339_millis(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void access_log::request(const access_entry& e) {
  nlohmann::ordered_json j{{"time", rfc3339_millis(e.time)},
                           {"requestId", e.request_id},
                           {"remote", e.remote},
                           {"scheme", e.scheme},
                           {"host", e.host},
                           {"authority", e.authority},
                           {"method", e.method},
                           {"target", e.target},
                           {"status", e.status},
                           {"bytes", e.bytes},
                           {"durationMs", static_cast<double>(e.duration.count()) / 1000.0}};
  if (!e.client_request_id.empty()) j["clientRequestId"] = e.client_request_id;
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (!e.policy_rule.empty()) j["policy"] = {{"rule", e.policy_rule}, {"trace", e.policy_trace}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  out_ << line << '\n' << std::flush;
}

void access_log::event(const std::string& name, const nlohmann::json& fields) {
  nlohmann::ordered_json j{{"time", rfc3339_millis(std::chrono::system_clock::now())}, {"event", name}};
  if (fields.is_object())
    for (const auto& [k, v] : fields.items()) j[k] = v;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  out_ << line << '\n' << std::flush;
}

}  // namespace aikmock::server
