#pragma once
// The request-target split into a decoded path and query parameters.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aikmock::server {

struct request_target {
  std::string path;  // percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // The first value of a parameter, matched case-insensitively (as IIS does).
  std::optional<std::string> param(std::string_view name) const;
};

// nullopt when a percent escape is malformed or the target is not origin-form.
std::optional<request_target> parse_request_target(std::string_view target);

}  // namespace aikmock::server
