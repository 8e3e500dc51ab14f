#pragma once
// What the protocol layer answers, independent of any HTTP library: the
// transport turns it into a wire response (or into silence, or a late answer).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "policy/error_catalog.hpp"

namespace aikmock::protocol {

struct response {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  // The catalogue key when this is an error answer (for the access log).
  std::string error_key;
  // Why, for the access log only (never sent: it may name internals).
  std::string detail;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
  std::chrono::milliseconds delay{0};  // answer only after this long (a stalled service)
  bool drop = false;                   // close the connection without answering
  std::string policy_rule;             // the policy rule that decided, or "default"
  std::vector<std::string> policy_trace;
};

inline constexpr const char* json_content_type = "application/json; charset=utf-8";

inline response error_response(policy::error_id id, policy::message_args args = {}, std::string detail = {}) {
  const auto& e = policy::catalog_entry(id);
  response r;
  r.status = e.status;
  r.content_type = json_content_type;
  r.body = policy::error_body(e, args);
  r.error_key = std::string(e.key);
  r.detail = std::move(detail);
  return r;
}

}  // namespace aikmock::protocol
