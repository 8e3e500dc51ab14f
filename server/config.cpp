#include "server/config.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/files.hpp"

namespace aikmock::server {

using nlohmann::json;

namespace {
template <class T>
T get(const json& j, const std::string& where) {
  try {
    return j.get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(where + " has the wrong type");
  }
}

std::chrono::milliseconds millis(const json& j, const std::string& where) {
  auto v = get<std::int64_t>(j, where);
  if (v <= 0) throw std::runtime_error(where + " must be positive");
  return std::chrono::milliseconds(v);
}

std::size_t positive_size(const json& j, const std::string& where) {
  auto v = get<std::int64_t>(j, where);
  if (v <= 0) throw std::runtime_error(where + " must be positive");
  return static_cast<std::size_t>(v);
}

void load_limits(const json& j, limits& l, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + " must be an object");
  for (const auto& [key, value] : j.items()) {
    const std::string w = where + "." + key;
    if (key == "headerBytes") l.header_bytes = positive_size(value, w);
    else if (key == "bodyBytes") l.body_bytes = positive_size(value, w);
    else if (key == "requestTimeoutMs") l.request_timeout = millis(value, w);
    else if (key == "idleTimeoutMs") l.idle_timeout = millis(value, w);
    else if (key == "maxConnections") l.max_connections = positive_size(value, w);
    else if (key == "maxConnectionsPerAddress") l.max_connections_per_address = positive_size(value, w);
    else if (key == "handshakeTimeoutMs") l.handshake_timeout = millis(value, w);
    else if (key == "shutdownGraceMs") l.shutdown_grace = millis(value, w);
    else throw std::runtime_error(w + " is not a known key");
  }
}
}  // namespace

void load_config_file(const std::filesystem::path& path, config& c) {
  auto data = read_file(path, 1 << 20);
  if (!data) throw std::runtime_error("cannot read config file " + path.string());
  json j = json::parse(data->begin(), data->end(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path.string() + ": not valid JSON");
  if (!j.is_object()) throw std::runtime_error(path.string() + ": must be a JSON object");
  const std::string file = path.string() + ": ";
  for (const auto& [key, value] : j.items()) {
    const std::string w = file + key;
    if (key == "lab") c.lab = get<std::string>(value, w);
    else if (key == "https") c.https = get<std::string>(value, w);
    else if (key == "http") c.http = get<std::string>(value, w);
    else if (key == "threads") c.threads = get<unsigned>(value, w);
    else if (key == "defaultAuthority") c.default_authority = get<std::string>(value, w);
    else if (key == "accessLog") c.access_log = get<std::string>(value, w);
    else if (key == "policy") c.policy = get<std::string>(value, w);
    else if (key == "trust") {
      for (const auto& d : get<std::vector<std::string>>(value, w)) c.trust.emplace_back(d);
    }
    else if (key == "limits") load_limits(value, c.limits, w);
    else throw std::runtime_error(w + " is not a known key");
  }
}

std::optional<listen_address> parse_listen_address(const std::string& text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port_text = std::string_view(text).substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port_text = std::string_view(text).substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535)
    return std::nullopt;
  return listen_address{host, static_cast<unsigned short>(port)};
}

}  // namespace aikmock::server
