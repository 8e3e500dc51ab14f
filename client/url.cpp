#include "client/url.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "common/strings.hpp"

namespace aikmock::client {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// "host", "host:port", "[v6]", "[v6]:port" -> host and optional port text; nullopt when malformed.
struct host_port {
  std::string host;
  std::optional<std::string_view> port;
  bool bracketed = false;
};

std::optional<host_port> split_host_port(std::string_view text) {
  host_port out;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    out.bracketed = true;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      out.port = rest.substr(1);
    }
    in6_addr ignored{};
    if (inet_pton(AF_INET6, out.host.c_str(), &ignored) != 1) return std::nullopt;
    return out;
  }
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    out.port = text.substr(colon + 1);
    text = text.substr(0, colon);
  }
  if (text.empty() || text.find(':') != std::string_view::npos) return std::nullopt;
  for (char c : text)
    if (!is_host_char(c)) return std::nullopt;
  out.host = std::string(text);
  return out;
}

std::string bracketed(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

}  // namespace

std::string service_url::authority() const {
  std::string out = bracketed(host);
  if (!has_default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string service_url::text() const { return scheme + "://" + authority() + path; }

result<service_url> parse_service_url(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return fail("not a URL (expected https://host/path): " + std::string(text));
  service_url u;
  u.scheme = to_lower(text.substr(0, sep));
  if (u.scheme != "https" && u.scheme != "http") return fail("the scheme must be https or http, not " + u.scheme);
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("the URL must not carry a query or fragment (the client adds ?operation=…)");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) return fail("the URL must not carry user information");
  auto hp = split_host_port(authority);
  if (!hp) return fail("malformed host in URL: " + std::string(authority));
  u.host = hp->host;
  if (hp->port) {
    auto port = parse_port(*hp->port);
    if (!port) return fail("malformed port in URL: " + std::string(*hp->port));
    u.port = *port;
  } else {
    u.port = u.is_tls() ? 443 : 80;
  }
  for (char c : u.path)
    if (c <= 0x20 || c >= 0x7f) return fail("the URL path has a space or a non-ASCII character");
  return u;
}

std::string connect_target::text() const { return bracketed(host) + ":" + std::to_string(port); }

std::optional<connect_target> parse_connect_to(std::string_view text) {
  auto hp = split_host_port(text);
  if (!hp || !hp->port) return std::nullopt;
  auto port = parse_port(*hp->port);
  if (!port) return std::nullopt;
  return connect_target{hp->host, *port};
}

bool is_ip_literal(std::string_view host) {
  const std::string h(host);
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, h.c_str(), &v4) == 1 || inet_pton(AF_INET6, h.c_str(), &v6) == 1;
}

}  // namespace aikmock::client
