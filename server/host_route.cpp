#include "server/host_route.hpp"

#include "common/strings.hpp"

namespace aikmock::server {

namespace {
bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  auto colon = host.rfind(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon != std::string_view::npos && host.find(':') == colon) return host.substr(0, colon);
  return host;
}

std::optional<authority_label> parse_authority_label(std::string_view host) {
  std::string_view name = host_without_port(host);
  std::string_view label = name.substr(0, name.find('.'));

  auto dash = label.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 16) return std::nullopt;
  std::string_view vendor = label.substr(0, dash);
  for (char c : vendor)
    if (!is_alnum(c)) return std::nullopt;

  std::string_view rest = label.substr(dash + 1);
  authority_label out;
  if (istarts_with(rest, "KeyId-")) {
    rest.remove_prefix(6);
  } else if (istarts_with(rest, "NameId-")) {
    rest.remove_prefix(7);
    out.name_id = true;
  } else {
    return std::nullopt;
  }
  // Anything after the marker is the id; a malformed one is simply an unknown
  // authority (404), as a mistyped host would be for the real service.
  out.label = std::string(label);
  out.vendor = std::string(vendor);
  out.id = to_lower(rest);
  return out;
}

}  // namespace aikmock::server
