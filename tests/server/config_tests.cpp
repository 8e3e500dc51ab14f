#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "server/config.hpp"

using namespace aikmock::server;

namespace {
std::filesystem::path write_temp(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("aikmock-config-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << text;
  return path;
}

std::string load_error(const std::string& text) {
  config c;
  auto path = write_temp(text);
  try {
    load_config_file(path, c);
  } catch (const std::exception& e) {
    std::filesystem::remove(path);
    return e.what();
  }
  std::filesystem::remove(path);
  return {};
}
}  // namespace

TEST_CASE("listen addresses") {
  auto a = parse_listen_address("127.0.0.1:8443");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8443);
  auto b = parse_listen_address("[::1]:0");
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(b->port == 0);
  CHECK_FALSE(parse_listen_address("127.0.0.1"));
  CHECK_FALSE(parse_listen_address(":80"));
  CHECK_FALSE(parse_listen_address("h:65536"));
  CHECK_FALSE(parse_listen_address("h:8x"));
  CHECK_FALSE(parse_listen_address("::1:80"));
  CHECK_FALSE(parse_listen_address("[::1]80"));
}

TEST_CASE("a config file sets every key") {
  config c;
  auto path = write_temp(R"({"lab":"/l","https":"","http":"0.0.0.0:1","threads":3,"defaultAuthority":"none",
    "accessLog":"/tmp/a.log","limits":{"headerBytes":1,"bodyBytes":2,"requestTimeoutMs":3,"idleTimeoutMs":4,
    "maxConnections":5,"shutdownGraceMs":6}})");
  load_config_file(path, c);
  std::filesystem::remove(path);
  CHECK(c.lab == "/l");
  CHECK(c.https.empty());
  CHECK(c.http == "0.0.0.0:1");
  CHECK(c.threads == 3);
  CHECK(c.default_authority == "none");
  CHECK(c.access_log == "/tmp/a.log");
  CHECK(c.limits.header_bytes == 1);
  CHECK(c.limits.body_bytes == 2);
  CHECK(c.limits.request_timeout.count() == 3);
  CHECK(c.limits.idle_timeout.count() == 4);
  CHECK(c.limits.max_connections == 5);
  CHECK(c.limits.shutdown_grace.count() == 6);
}

TEST_CASE("config errors name the key") {
  CHECK(load_error("{}").empty());
  CHECK(load_error("{\"lab\": 1}").find("lab has the wrong type") != std::string::npos);
  CHECK(load_error("{\"lbs\": \"x\"}").find("lbs is not a known key") != std::string::npos);
  CHECK(load_error("{\"limits\": {\"bodyBytes\": 0}}").find("limits.bodyBytes must be positive") != std::string::npos);
  CHECK(load_error("{\"limits\": {\"x\": 1}}").find("limits.x is not a known key") != std::string::npos);
  CHECK(load_error("[1]").find("must be a JSON object") != std::string::npos);
  CHECK(load_error("{").find("not valid JSON") != std::string::npos);
}

TEST_CASE("settings: file, then AIKMOCK_* variables, then flags; each value says where it came from") {
  auto path = write_temp(R"({"policy":"tcg-complete","threads":2,"limits":{"bodyBytes":5000},"admin":{"listen":""}})");
  auto c = resolve_config(path,
                          {"AIKMOCK_THREADS=3", "AIKMOCK_LIMITS_BODY_BYTES=6000", "AIKMOCK_TRUST=/a:/b",
                           "AIKMOCK_TYPO=1", "PATH=/usr/bin", "AIKMOCK_CONFIG=/not/read/when/a/flag/names/one"},
                          {{"threads", {"4"}}, {"trust", {"/c"}}});
  std::filesystem::remove(path);
  CHECK(c.values.policy == "tcg-complete");
  CHECK(c.source["policy"] == "file " + path.string());
  CHECK(c.values.threads == 4);
  CHECK(c.source["threads"] == "flag --threads");
  CHECK(c.values.limits.body_bytes == 6000);
  CHECK(c.source["limits.bodyBytes"] == "env AIKMOCK_LIMITS_BODY_BYTES");
  CHECK(c.values.admin.listen.empty());
  CHECK(c.source["admin.listen"] == "file " + path.string());
  // A later source replaces a list.
  REQUIRE(c.values.trust.size() == 1);
  CHECK(c.values.trust[0] == "/c");
  CHECK(c.values.lab == "lab");
  CHECK(c.source["lab"] == "default");
  CHECK(c.ignored_environment == std::vector<std::string>{"AIKMOCK_TYPO"});

  auto described = describe_config(c);
  CHECK(described["settings"]["threads"]["value"] == 4);
  CHECK(described["settings"]["threads"]["from"] == "flag --threads");
  CHECK(described["ignoredEnvironment"][0] == "AIKMOCK_TYPO");
}

TEST_CASE("settings: AIKMOCK_CONFIG names the file when no flag does; bad values name their source") {
  auto path = write_temp(R"({"http":"127.0.0.1:1"})");
  auto c = resolve_config(std::nullopt, {"AIKMOCK_CONFIG=" + path.string(), "AIKMOCK_TRUST=/x::/y"}, {});
  std::filesystem::remove(path);
  CHECK(c.values.http == "127.0.0.1:1");
  CHECK(c.values.trust == std::vector<std::filesystem::path>{"/x", "/y"});

  auto error = [](const std::vector<std::string>& env, const std::map<std::string, std::vector<std::string>>& flags) {
    try {
      resolve_config(std::nullopt, env, flags);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error({"AIKMOCK_THREADS=many"}, {}).find("AIKMOCK_THREADS needs a whole number") != std::string::npos);
  CHECK(error({}, {{"body-limit", {"0"}}}).find("--body-limit must be positive") != std::string::npos);
  CHECK(error({"AIKMOCK_LIMITS_IDLE_TIMEOUT_MS=-5"}, {}).find("must be positive") != std::string::npos);
  CHECK(error({}, {{"threads", {"0"}}}).empty());
}

TEST_CASE("settings: every key has a flag and a variable, and none is named twice") {
  std::set<std::string> keys, flags, variables;
  for (const auto& s : settings()) {
    CHECK(keys.insert(std::string(s.key)).second);
    CHECK(flags.insert(std::string(s.flag)).second);
    CHECK(variables.insert(environment_name(s.key)).second);
  }
  CHECK(environment_name("limits.maxConnectionsPerAddress") == "AIKMOCK_LIMITS_MAX_CONNECTIONS_PER_ADDRESS");
  CHECK(environment_name("admin.tokenFile") == "AIKMOCK_ADMIN_TOKEN_FILE");
  CHECK(is_loopback_listen_address("127.0.0.1:9090"));
  CHECK(is_loopback_listen_address("[::1]:9090"));
  CHECK(is_loopback_listen_address("localhost:0"));
  CHECK_FALSE(is_loopback_listen_address("0.0.0.0:9090"));
  CHECK_FALSE(is_loopback_listen_address("[::]:9090"));
}
