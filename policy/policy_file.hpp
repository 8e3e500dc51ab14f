#pragma once
// Policies from JSON: files a lab writes, and the built-in profiles (which are
// JSON too, so `aikmock policy show NAME` prints a starting point).
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.hpp"

namespace aikmock::policy {

// "<source>:<line>: <json pointer>: <problem>"
class policy_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

policy parse_policy(std::string_view json_text, const std::string& source);
policy load_policy_file(const std::filesystem::path& path);

// microsoft-2025 (the default), tcg-complete, strict.
std::vector<std::string_view> builtin_policy_names();
// The JSON text of a built-in; empty when there is no such built-in.
std::string_view builtin_policy_text(std::string_view name);
// A built-in by name, else a file by path.
policy resolve_policy(const std::string& name_or_path);

inline constexpr std::string_view default_policy_name = "microsoft-2025";

}  // namespace aikmock::policy
