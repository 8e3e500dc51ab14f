#pragma once
// Everything `aikmock serve` can be told, with the embedded lab defaults, and
// the one table of settings (key, flag, environment variable, help) that the
// file reader, the environment, the flags, --help and --print-config all use.
// Sources, later overriding earlier: defaults, the JSON file (--config or
// AIKMOCK_CONFIG), AIKMOCK_* variables, flags.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aikmock::server {

struct limits {
  std::size_t header_bytes = 16 * 1024;        // larger -> 431
  std::size_t body_bytes = 1024 * 1024;        // larger -> 413
  std::chrono::milliseconds request_timeout{30'000};  // to read one request once it began (slow clients)
  std::chrono::milliseconds idle_timeout{60'000};     // a kept-alive connection with no new request
  std::size_t max_connections = 1024;          // beyond: accepted and closed at once (and kept below the fd limit)
  std::size_t max_connections_per_address = 128;  // from one client address; beyond: closed at once
  std::chrono::milliseconds handshake_timeout{10'000};  // a TLS client must finish its handshake in this
  std::chrono::milliseconds shutdown_grace{10'000};   // SIGTERM: time left for in-flight requests
};

// The admin listener (docs/operations.md): console, reload, metrics, health.
struct admin_settings {
  std::string listen = "127.0.0.1:9090";  // empty: no admin listener
  std::filesystem::path token_file;       // a bearer token; required off the loopback
  // Set when `listen` is the default: if another aikmock holds that address the
  // server runs without an admin listener (and logs it) instead of failing.
  bool optional_bind = false;
};

struct config {
  std::filesystem::path lab = "lab";
  std::string https = "127.0.0.1:8443";  // empty: no HTTPS listener
  std::string http = "127.0.0.1:8080";   // empty: no plain HTTP listener
  unsigned threads = 0;                  // 0: hardware concurrency
  // The authority for hosts that name none (localhost, an IP address): a name,
  // KeyId or NameId; empty: the lab's first authority; "none": answer 404.
  std::string default_authority;
  std::string access_log = "-";  // "-": standard output
  std::string policy = "microsoft-2025";  // a built-in policy's name, or a policy file
  // TPM vendor CA directories (TrustedTPM layout) trusted besides the lab's own.
  std::vector<std::filesystem::path> trust;
  struct limits limits;
  admin_settings admin;
};

// One setting, in every form it can be given.
struct setting {
  enum class kind { text, count, count_or_zero, millis, list };
  std::string_view key;      // in the JSON file: "limits.headerBytes"
  std::string_view flag;     // "header-limit" (--header-limit)
  std::string_view meta;     // "BYTES"
  kind type;
  std::string_view help;
  void (*set)(config&, const nlohmann::json&);  // a value already checked against `type`
  nlohmann::json (*get)(const config&);
};
std::span<const setting> settings();
// AIKMOCK_ and the key in upper snake case: limits.headerBytes -> AIKMOCK_LIMITS_HEADER_BYTES.
std::string environment_name(std::string_view key);
inline constexpr std::string_view config_file_variable = "AIKMOCK_CONFIG";

// The effective configuration and where each value came from.
struct resolved_config {
  config values;
  std::map<std::string, std::string> source;  // key -> "default", "file PATH", "env NAME", "flag --NAME"
  // AIKMOCK_* variables that name no setting: not an error (other tools of a
  // container use the prefix too), but --print-config shows them.
  std::vector<std::string> ignored_environment;
};

// `file`: the --config flag's value, if given. `environment`: NAME=VALUE
// entries (environ). `flags`: by flag name, every value given. Throws
// std::runtime_error naming the key, variable or flag of a bad value.
resolved_config resolve_config(const std::optional<std::filesystem::path>& file,
                               const std::vector<std::string>& environment,
                               const std::map<std::string, std::vector<std::string>>& flags);
// Every setting with its value and source, as `serve --print-config` prints it.
nlohmann::ordered_json describe_config(const resolved_config& c);

// Reads a JSON config file into `into`; throws std::runtime_error naming the
// file and the offending key (unknown keys are errors, so typos do not pass silently).
void load_config_file(const std::filesystem::path& path, config& into);

struct listen_address {
  std::string host;
  unsigned short port = 0;
};
// "127.0.0.1:8443", "[::1]:8443", "localhost:0". nullopt when malformed.
std::optional<listen_address> parse_listen_address(const std::string& text);
// Whether a listen address can only be reached from this machine (127.0.0.0/8, ::1, localhost).
bool is_loopback_listen_address(const std::string& text);

}  // namespace aikmock::server
