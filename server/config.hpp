#pragma once
// Everything `aikmock serve` can be told, with the embedded lab defaults.
// Sources, later overriding earlier: defaults, --config FILE (JSON), flags.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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
};

// Reads a JSON config file into `into`; throws std::runtime_error naming the
// file and the offending key (unknown keys are errors, so typos do not pass silently).
void load_config_file(const std::filesystem::path& path, config& into);

struct listen_address {
  std::string host;
  unsigned short port = 0;
};
// "127.0.0.1:8443", "[::1]:8443", "localhost:0". nullopt when malformed.
std::optional<listen_address> parse_listen_address(const std::string& text);

}  // namespace aikmock::server
