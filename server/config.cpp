#include "server/config.hpp"

#include <charconv>
#include <stdexcept>

#include "common/files.hpp"

namespace aikmock::server {

using nlohmann::json;
using kind = setting::kind;

namespace {
using ms = std::chrono::milliseconds;

std::size_t size_of(const json& j) { return j.get<std::size_t>(); }
ms millis_of(const json& j) { return ms(j.get<std::int64_t>()); }

// In the order --help and --print-config show them.
const setting table[] = {
    {"lab", "lab", "DIR", kind::text, "lab PKI made by `aikmock pki init`",
     [](config& c, const json& v) { c.lab = v.get<std::string>(); }, [](const config& c) { return json(c.lab.string()); }},
    {"https", "https", "ADDR:PORT", kind::text, "HTTPS listener ([::1]:8443 for IPv6; port 0: any free port; empty: off)",
     [](config& c, const json& v) { c.https = v.get<std::string>(); }, [](const config& c) { return json(c.https); }},
    {"http", "http", "ADDR:PORT", kind::text, "plain HTTP listener (the lab's AIA and CRL URLs point here; empty: off)",
     [](config& c, const json& v) { c.http = v.get<std::string>(); }, [](const config& c) { return json(c.http); }},
    {"threads", "threads", "N", kind::count_or_zero, "I/O threads (0: one per core)",
     [](config& c, const json& v) { c.threads = v.get<unsigned>(); }, [](const config& c) { return json(c.threads); }},
    {"defaultAuthority", "default-authority", "NAME", kind::text,
     "authority for hosts that name none: name, KeyId or NameId; \"none\": 404; empty: the lab's first",
     [](config& c, const json& v) { c.default_authority = v.get<std::string>(); },
     [](const config& c) { return json(c.default_authority); }},
    {"accessLog", "access-log", "FILE", kind::text, "JSON access log, one line per request (\"-\": standard output)",
     [](config& c, const json& v) { c.access_log = v.get<std::string>(); }, [](const config& c) { return json(c.access_log); }},
    {"policy", "policy", "NAME|FILE", kind::text,
     "what the service answers: microsoft-2025, tcg-complete, strict, or a policy file",
     [](config& c, const json& v) { c.policy = v.get<std::string>(); }, [](const config& c) { return json(c.policy); }},
    {"trust", "trust", "DIR", kind::list, "TPM vendor CAs trusted besides the lab's (TrustedTPM layout); repeatable",
     [](config& c, const json& v) {
       c.trust.clear();  // a later source replaces the list, it does not add to it
       for (const auto& d : v) c.trust.emplace_back(d.get<std::string>());
     },
     [](const config& c) {
       json out = json::array();
       for (const auto& d : c.trust) out.push_back(d.string());
       return out;
     }},
    {"limits.headerBytes", "header-limit", "BYTES", kind::count, "larger request headers get 431",
     [](config& c, const json& v) { c.limits.header_bytes = size_of(v); },
     [](const config& c) { return json(c.limits.header_bytes); }},
    {"limits.bodyBytes", "body-limit", "BYTES", kind::count, "larger request bodies get 413 (lower on some routes)",
     [](config& c, const json& v) { c.limits.body_bytes = size_of(v); },
     [](const config& c) { return json(c.limits.body_bytes); }},
    {"limits.requestTimeoutMs", "request-timeout", "MS", kind::millis, "time to receive one request once it began",
     [](config& c, const json& v) { c.limits.request_timeout = millis_of(v); },
     [](const config& c) { return json(c.limits.request_timeout.count()); }},
    {"limits.idleTimeoutMs", "idle-timeout", "MS", kind::millis, "keep-alive wait for the next request",
     [](config& c, const json& v) { c.limits.idle_timeout = millis_of(v); },
     [](const config& c) { return json(c.limits.idle_timeout.count()); }},
    {"limits.maxConnections", "max-connections", "N", kind::count,
     "further connections are closed at once (kept below the fd limit)",
     [](config& c, const json& v) { c.limits.max_connections = size_of(v); },
     [](const config& c) { return json(c.limits.max_connections); }},
    {"limits.maxConnectionsPerAddress", "max-connections-per-address", "N", kind::count,
     "the same, for the connections of one client address",
     [](config& c, const json& v) { c.limits.max_connections_per_address = size_of(v); },
     [](const config& c) { return json(c.limits.max_connections_per_address); }},
    {"limits.handshakeTimeoutMs", "handshake-timeout", "MS", kind::millis, "time a TLS client has to finish its handshake",
     [](config& c, const json& v) { c.limits.handshake_timeout = millis_of(v); },
     [](const config& c) { return json(c.limits.handshake_timeout.count()); }},
    {"limits.shutdownGraceMs", "shutdown-grace", "MS", kind::millis, "on SIGTERM/SIGINT, time left for requests in flight",
     [](config& c, const json& v) { c.limits.shutdown_grace = millis_of(v); },
     [](const config& c) { return json(c.limits.shutdown_grace.count()); }},
    {"admin.listen", "admin", "ADDR:PORT", kind::text,
     "admin listener: console, POST /admin/reload, /metrics, health (empty: off; off the loopback it needs a token)",
     [](config& c, const json& v) { c.admin.listen = v.get<std::string>(); },
     [](const config& c) { return json(c.admin.listen); }},
    {"admin.tokenFile", "admin-token-file", "FILE", kind::text,
     "bearer token the admin listener requires (the console asks for it once)",
     [](config& c, const json& v) { c.admin.token_file = v.get<std::string>(); },
     [](const config& c) { return json(c.admin.token_file.string()); }},
};

const setting* find_by_key(std::string_view key) {
  for (const auto& s : table)
    if (s.key == key) return &s;
  return nullptr;
}

// A JSON value checked against the setting's kind; throws naming `where`.
json checked(const setting& s, const json& v, const std::string& where) {
  auto integer = [&](std::int64_t min) {
    if (!v.is_number_integer()) throw std::runtime_error(where + " has the wrong type (a whole number)");
    if (v.get<std::int64_t>() < min) throw std::runtime_error(where + (min ? " must be positive" : " must not be negative"));
    return v;
  };
  switch (s.type) {
    case kind::text:
      if (!v.is_string()) throw std::runtime_error(where + " has the wrong type (a string)");
      return v;
    case kind::count: return integer(1);
    case kind::millis: return integer(1);
    case kind::count_or_zero: return integer(0);
    case kind::list:
      if (!v.is_array()) throw std::runtime_error(where + " has the wrong type (a list of strings)");
      for (const auto& item : v)
        if (!item.is_string()) throw std::runtime_error(where + " has the wrong type (a list of strings)");
      return v;
  }
  return v;
}

// Text from the environment or a flag as the setting's JSON value.
json from_text(const setting& s, const std::vector<std::string>& values, const std::string& where) {
  if (s.type == kind::list) return checked(s, json(values), where);
  const std::string& text = values.back();
  if (s.type == kind::text) return json(text);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw std::runtime_error(where + " needs a whole number, not \"" + text + "\"");
  return checked(s, json(n), where);
}

// The file's nested objects walked to dotted keys ("limits": {"bodyBytes": 1} -> limits.bodyBytes).
void apply_object(const json& object, const std::string& prefix, const std::string& file, config& c,
                  std::map<std::string, std::string>* source) {
  for (const auto& [name, value] : object.items()) {
    const std::string key = prefix + name;
    const std::string where = file + ": " + key;
    if (const setting* s = find_by_key(key)) {
      s->set(c, checked(*s, value, where));
      if (source) (*source)[key] = "file " + file;
      continue;
    }
    bool is_group = false;
    for (const auto& s : table) is_group = is_group || std::string_view(s.key).starts_with(key + ".");
    if (!is_group) throw std::runtime_error(where + " is not a known key");
    if (!value.is_object()) throw std::runtime_error(where + " must be an object");
    apply_object(value, key + ".", file, c, source);
  }
}

void apply_file(const std::filesystem::path& path, config& c, std::map<std::string, std::string>* source) {
  auto data = read_file(path, 1 << 20);
  if (!data) throw std::runtime_error("cannot read config file " + path.string());
  json j = json::parse(data->begin(), data->end(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path.string() + ": not valid JSON");
  if (!j.is_object()) throw std::runtime_error(path.string() + ": must be a JSON object");
  apply_object(j, "", path.string(), c, source);
}
}  // namespace

std::span<const setting> settings() { return table; }

std::string environment_name(std::string_view key) {
  std::string out = "AIKMOCK_";
  for (char ch : key) {
    if (ch == '.') {
      out += '_';
    } else if (ch >= 'A' && ch <= 'Z') {
      out += '_';
      out += ch;
    } else {
      out += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    }
  }
  return out;
}

void load_config_file(const std::filesystem::path& path, config& c) { apply_file(path, c, nullptr); }

resolved_config resolve_config(const std::optional<std::filesystem::path>& file,
                               const std::vector<std::string>& environment,
                               const std::map<std::string, std::vector<std::string>>& flags) {
  resolved_config out;
  for (const auto& s : table) out.source[std::string(s.key)] = "default";

  std::map<std::string, std::string> env;
  for (const auto& entry : environment) {
    auto eq = entry.find('=');
    if (eq != std::string::npos && entry.starts_with("AIKMOCK_")) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  std::optional<std::filesystem::path> config_file = file;
  if (!config_file) {
    if (auto it = env.find(std::string(config_file_variable)); it != env.end() && !it->second.empty())
      config_file = it->second;
  }
  if (config_file) apply_file(*config_file, out.values, &out.source);

  for (const auto& [name, value] : env) {
    const setting* match = nullptr;
    for (const auto& s : table)
      if (environment_name(s.key) == name) match = &s;
    if (!match) {
      if (name != config_file_variable) out.ignored_environment.push_back(name);
      continue;
    }
    // A list in one variable: separated by ':' as PATH is.
    std::vector<std::string> values;
    if (match->type == kind::list) {
      std::size_t start = 0;
      while (start <= value.size()) {
        auto colon = value.find(':', start);
        auto part = value.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!part.empty()) values.push_back(part);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    } else {
      values.push_back(value);
    }
    match->set(out.values, from_text(*match, values, "environment variable " + name));
    out.source[std::string(match->key)] = "env " + name;
  }

  for (const auto& s : table) {
    auto it = flags.find(std::string(s.flag));
    if (it == flags.end() || it->second.empty()) continue;
    s.set(out.values, from_text(s, it->second, "--" + std::string(s.flag)));
    out.source[std::string(s.key)] = "flag --" + std::string(s.flag);
  }
  return out;
}

nlohmann::ordered_json describe_config(const resolved_config& c) {
  nlohmann::ordered_json settings_json = nlohmann::ordered_json::object();
  for (const auto& s : table) {
    const auto it = c.source.find(std::string(s.key));
    settings_json[std::string(s.key)] = {{"value", s.get(c.values)},
                                         {"from", it == c.source.end() ? "default" : it->second}};
  }
  nlohmann::ordered_json out{{"settings", settings_json}};
  if (!c.ignored_environment.empty()) out["ignoredEnvironment"] = c.ignored_environment;
  return out;
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

bool is_loopback_listen_address(const std::string& text) {
  auto a = parse_listen_address(text);
  if (!a) return false;
  return a->host == "localhost" || a->host == "::1" || a->host.starts_with("127.");
}

}  // namespace aikmock::server
