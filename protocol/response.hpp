#pragma once
// What the protocol layer answers, independent of any HTTP library: the
// transport turns it into a wire response.
#include <string>

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
};

inline constexpr const char* json_content_type = "application/json; charset=utf-8";

inline response error_response(policy::error_id id, policy::message_args args = {}, std::string detail = {}) {
  const auto& e = policy::catalog_entry(id);
  return {e.status, json_content_type, policy::error_body(e, args), std::string(e.key), std::move(detail)};
}

}  // namespace aikmock::protocol
