#pragma once
// The two addresses the reference client deals with: the service URL (whose
// host names the authority, goes into TLS SNI, certificate name checks and
// Host) and, optionally, where to connect instead (`--connect-to`, as curl's:
// the URL is unchanged, only the TCP peer differs). Pure string work.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include "common/result.hpp"

namespace aikmock::client {

struct service_url {
  std::string scheme;  // "https" or "http"
  std::string host;    // a DNS name or an IP address (IPv6 without brackets)
  std::uint16_t port = 443;
  std::string path;  // "/templates/Aik/scep"

  bool is_tls() const { return scheme == "https"; }
  bool has_default_port() const { return port == (is_tls() ? 443 : 80); }
  // host[:port] as the Host header carries it (IPv6 in brackets; no port when it is the scheme's).
  std::string authority() const;
  std::string text() const;  // scheme://authority/path
};

// "https://host[:port]/path": http or https, no user info, no query or fragment
// (the client adds ?operation=…), a path that starts with '/'.
result<service_url> parse_service_url(std::string_view text);

struct connect_target {
  std::string host;  // an IP address or a name (IPv6 without brackets)
  std::uint16_t port = 0;

  std::string text() const;  // host:port, [v6]:port
};

// "ADDR:PORT" or "[v6]:PORT", port 1..65535; nullopt otherwise.
std::optional<connect_target> parse_connect_to(std::string_view text);

// True for an IPv4 or IPv6 literal (no SNI for those, and no name lookup).
bool is_ip_literal(std::string_view host);

}  // namespace aikmock::client
