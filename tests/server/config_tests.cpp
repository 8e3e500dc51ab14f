#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

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
