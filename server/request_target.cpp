#include "server/request_target.hpp"

#include "common/strings.hpp"

namespace aikmock::server {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}
}  // namespace

std::optional<std::string> request_target::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::optional<request_target> parse_request_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  auto qmark = target.find('?');
  request_target out;
  auto path = decode(target.substr(0, qmark), false);
  if (!path) return std::nullopt;
  out.path = std::move(*path);
  if (qmark == std::string_view::npos) return out;

  std::string_view query = target.substr(qmark + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true);
    auto value = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    out.query.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace aikmock::server
