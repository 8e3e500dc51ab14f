// The server over real sockets on the loopback: routing by Host over HTTPS and
// HTTP, error answers, the limits (413, 431, slow clients, idle connections,
// the connection limit), graceful stop, IPv6 and the access log. Each test runs
// its own in-process server on port 0; every client wait is bounded, so a
// broken server fails a test instead of hanging it.
#include <doctest/doctest.h>
#include <openssl/x509.h>

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "certs/authority.hpp"
#include "certs/lab_manifest.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"
#include "protocol/json_api.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/scep/scep_codec.hpp"
#include "server/http_server.hpp"
#include "tests/support/test_http_client.hpp"

using namespace aikmock;
using namespace std::chrono_literals;
namespace srv = aikmock::server;
namespace http = test::http;
using test::http_request;
using test::http_response;
using test::is_closed_by_peer;
using test::make_request;
using test::tcp;
using test::test_connection;

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";
constexpr const char* scep_path = "/templates/Aik/scep";

// ---------------------------------------------------------------- the lab

struct lab_data {
  certs::lab_manifest manifest;
  certs::authority_directory authorities;
};

const lab_data& lab() {
  static const lab_data data = [] {
    aikmock::load_openssl_providers();
    auto manifest = certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
    auto authorities = certs::authority_directory::from_lab(manifest).all();
    return lab_data{std::move(manifest), certs::authority_directory(std::move(authorities))};
  }();
  return data;
}

const certs::authority& first_authority() {
  REQUIRE(!lab().authorities.all().empty());
  return *lab().authorities.all().front();
}

test::ssl::context& client_tls() {
  static test::ssl::context ctx = test::client_tls_context(lab().manifest.path_of(lab().manifest.tls_root));
  return ctx;
}

// "<VENDOR>-KeyId-<hex>.microsoftaik.azure.net"
std::string key_id_host(const certs::authority& a) { return a.vendor + "-KeyId-" + a.key_id + "." + lab().manifest.domain; }
std::string name_id_host(const certs::authority& a) {
  return a.vendor + "-NameId-" + a.name_id + "." + lab().manifest.domain;
}

std::string der_of(X509* cert) {
  unsigned char* out = nullptr;
  int n = i2d_X509(cert, &out);
  REQUIRE(n > 0);
  std::string der(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

// What GetCACert must carry for `a`: its issuing CA, then the RA signing and encryption certificates.
std::vector<std::string> expected_ca_certs(const certs::authority& a) {
  return {der_of(a.issuing_ca.get()), der_of(a.ra_signing.get()), der_of(a.ra_encryption.get())};
}

std::vector<std::string> certs_in_pkcs7(const std::string& body) {
  std::vector<std::string> out;
  for (auto& c : protocol::scep::certificates_of_pkcs7(as_bytes(body))) out.push_back(der_of(c.get()));
  return out;
}

// ---------------------------------------------------------------- the server

srv::config test_config() {
  srv::config c;
  c.lab = AIKMOCK_TEST_LAB_DIR;
  c.https = "127.0.0.1:0";
  c.http = "127.0.0.1:0";
  c.admin.listen = "127.0.0.1:0";
  c.threads = 2;
  c.limits.request_timeout = 5s;
  c.limits.idle_timeout = 10s;
  c.limits.shutdown_grace = 4s;
  return c;
}

// How long run() may take to return once stop() was called: the shutdown
// grace of test_config() plus a margin. Past it the test fails.
constexpr auto stop_bound = 6s;

// An in-process server running run() on its own thread; stopped and joined
// when it goes out of scope (declare it before the connections, so they close first).
class running_server {
 public:
  explicit running_server(const srv::config& cfg) : server_(cfg, log_) {
    thread_ = std::thread([this] {
      try {
        server_.run();
      } catch (const std::exception& e) {
        failure_ = e.what();
      } catch (...) {
        failure_ = "unknown exception";
      }
      returned_.set_value();
    });
  }
  ~running_server() { stop(); }
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;

  tcp::endpoint https() const { return server_.https_endpoint().value(); }
  tcp::endpoint http() const { return server_.http_endpoint().value(); }
  tcp::endpoint admin() const { return server_.admin_endpoint().value(); }

  // Asks the server to stop without waiting (stop() is for any thread).
  void request_stop() { server_.stop("test"); }

  // Stops the server and joins its thread; false, and a failed check, when
  // run() did not return within `bound`.
  bool stop(std::chrono::milliseconds bound = stop_bound) {
    if (joined_) return in_time_;
    server_.stop("test");
    in_time_ = done_.wait_for(bound) == std::future_status::ready;
    if (!in_time_) {
      FAIL_CHECK("http_server::run() did not return within " << bound.count() << " ms of stop()");
      // Joining a thread that never returns would hang the whole run.
      if (done_.wait_for(30s) != std::future_status::ready) {
        std::fprintf(stderr, "http_server::run() never returned after stop(); aborting the test binary\n");
        std::_Exit(3);
      }
    }
    thread_.join();
    joined_ = true;
    CHECK_MESSAGE(failure_.empty(), "run() threw: " << failure_);
    return in_time_;
  }

  // The access log, one JSON value per line. Only once stopped: the server's
  // threads write to it until run() returns.
  std::vector<nlohmann::json> log_lines() const {
    REQUIRE(joined_);
    std::vector<nlohmann::json> lines;
    std::istringstream in(log_.str());
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      CHECK_MESSAGE(j.is_object(), "access log line is not a JSON object: " << line);
      if (j.is_object()) lines.push_back(std::move(j));
    }
    return lines;
  }
  // The per-request lines (server events carry an "event" key instead).
  std::vector<nlohmann::json> request_lines() const {
    std::vector<nlohmann::json> out;
    for (auto& j : log_lines())
      if (!j.contains("event")) out.push_back(j);
    return out;
  }
  bool has_event(const std::string& name) const {
    for (auto& j : log_lines())
      if (j.value("event", "") == name) return true;
    return false;
  }
  srv::http_server& server() { return server_; }

  std::string raw_log() const {
    REQUIRE(joined_);
    return log_.str();
  }

 private:
  std::ostringstream log_;  // before server_: it outlives the server
  srv::http_server server_;
  std::promise<void> returned_;
  std::future<void> done_ = returned_.get_future();
  std::string failure_;
  bool joined_ = false;
  bool in_time_ = false;
  std::thread thread_;
};

// ---------------------------------------------------------------- the client side

std::unique_ptr<test_connection> connect_https(const tcp::endpoint& at, const std::string& host) {
  auto c = std::make_unique<test_connection>(at, client_tls(), host);
  auto ec = c->open();
  REQUIRE_MESSAGE(!ec, "TLS connection to " << test::host_of(at) << " as " << host << ": " << ec.message());
  return c;
}

std::unique_ptr<test_connection> connect_http(const tcp::endpoint& at) {
  auto c = std::make_unique<test_connection>(at);
  auto ec = c->open();
  REQUIRE_MESSAGE(!ec, "connection to " << test::host_of(at) << ": " << ec.message());
  return c;
}

http_response fetch(test_connection& c, http_request request) {
  http_response r;
  auto ec = c.round_trip(std::move(request), r);
  REQUIRE_MESSAGE(!ec, "request failed: " << ec.message());
  return r;
}

// One request on a fresh HTTPS connection made for `hostname` (SNI, verification and Host).
http_response https_get(const running_server& s, const std::string& hostname, const std::string& target) {
  auto c = connect_https(s.https(), hostname);
  return fetch(*c, make_request(http::verb::get, target, hostname + ":" + std::to_string(s.https().port())));
}

// One request on a fresh plain connection; Host defaults to the listener's address.
http_response http_send(const running_server& s, http::verb method, const std::string& target,
                        std::string host = {}, std::string body = {}) {
  if (host.empty()) host = test::host_of(s.http());
  auto c = connect_http(s.http());
  return fetch(*c, make_request(method, target, host, std::move(body)));
}

std::string scep(const std::string& operation) { return std::string(scep_path) + "?operation=" + operation; }

std::string header(const http_response& r, std::string_view name) { return std::string(r[name]); }

// The headers every answer carries.
void check_common_headers(const http_response& r) {
  static const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  CHECK_MESSAGE(std::regex_match(header(r, "x-ms-request-id"), uuid_v4),
                "x-ms-request-id: \"" << header(r, "x-ms-request-id") << "\"");
  CHECK_FALSE(header(r, "Date").empty());
  CHECK(header(r, "X-Content-Type-Options") == "nosniff");
}

void check_caps(const http_response& r) {
  CHECK(r.result_int() == 200);
  CHECK(header(r, "Content-Type") == "text/plain");
  CHECK(r.body() == protocol::scep::ca_caps);
  check_common_headers(r);
}

void check_ca_cert(const http_response& r, const certs::authority& a) {
  CHECK(r.result_int() == 200);
  CHECK(header(r, "Content-Type") == "application/x-x509-ca-ra-cert");
  auto got = certs_in_pkcs7(r.body());
  REQUIRE(got.size() == 3);
  CHECK_MESSAGE(got == expected_ca_certs(a), "GetCACert certificates are not those of " << a.name);
  check_common_headers(r);
}

void check_error(const http_response& r, unsigned status, const std::string& body) {
  CHECK(r.result_int() == status);
  CHECK(r.body() == body);
  CHECK(header(r, "Content-Type") == json_type);
  check_common_headers(r);
}

// As captured: the host lower-cased, a sentence ending in a period.
std::string unknown_authority_body(const std::string& host) {
  std::string lower = host;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return R"({"Message":"The authority \")" + lower + R"(\" does not exist."})";
}

// Until `attempt` returns true, or `bound` passes.
template <class F>
bool eventually(F attempt, std::chrono::milliseconds bound = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (attempt()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// True once a TCP connection to `at` is refused (the listener was closed).
bool connection_refused(const tcp::endpoint& at) {
  test_connection probe(at, 1s);
  auto ec = probe.open();
  return ec == test::net::error::connection_refused;
}

}  // namespace

// ---------------------------------------------------------------- routing

TEST_CASE("HTTPS: the Host's authority label picks the authority") {
  running_server s(test_config());
  const auto& first = first_authority();

  // KeyId host, SNI and Host alike.
  check_caps(https_get(s, key_id_host(first), scep("GetCACaps")));
  check_ca_cert(https_get(s, key_id_host(first), scep("GetCACert")), first);

  // Case-insensitive: lower-case vendor, upper-case marker and hex, and the path.
  std::string upper_id = first.key_id;
  for (auto& ch : upper_id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string vendor_lower = first.vendor;
  for (auto& ch : vendor_lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  check_caps(https_get(s, vendor_lower + "-KEYID-" + upper_id + "." + lab().manifest.domain, scep("GetCACaps")));
  check_caps(https_get(s, key_id_host(first), "/TEMPLATES/aik/SCEP?operation=GetCACaps"));

  // NameId host.
  check_caps(https_get(s, name_id_host(first), scep("GetCACaps")));
  check_ca_cert(https_get(s, name_id_host(first), scep("GetCACert")), first);

  // An unknown KeyId: the catalogue's 404, naming the host without its port.
  const std::string unknown = first.vendor + "-KeyId-" + std::string(40, '0') + "." + lab().manifest.domain;
  check_error(https_get(s, unknown, scep("GetCACaps")), 404, unknown_authority_body(unknown));
  const std::string unknown_name = first.vendor + "-NameId-" + std::string(40, 'f') + "." + lab().manifest.domain;
  check_error(https_get(s, unknown_name, scep("GetCACert")), 404, unknown_authority_body(unknown_name));

  // A plain address goes to the default authority: the lab's first.
  check_ca_cert(https_get(s, "127.0.0.1", scep("GetCACert")), first);
  check_ca_cert(https_get(s, "localhost", scep("GetCACert")), first);
}

TEST_CASE("HTTPS: every authority answers GetCACert with its own CA and RA certificates") {
  REQUIRE(lab().authorities.all().size() >= 2);
  running_server s(test_config());
  for (const auto& a : lab().authorities.all()) {
    CAPTURE(a->name);
    check_ca_cert(https_get(s, key_id_host(*a), scep("GetCACert")), *a);
    check_ca_cert(https_get(s, name_id_host(*a), scep("GetCACert")), *a);
  }
}

TEST_CASE("default_authority: \"none\" answers 404 for plain hosts; a name picks that authority") {
  SUBCASE("none") {
    auto cfg = test_config();
    cfg.default_authority = "none";
    running_server s(cfg);
    check_error(https_get(s, "127.0.0.1", scep("GetCACaps")), 404, unknown_authority_body("127.0.0.1"));
    check_error(https_get(s, "localhost", scep("GetCACert")), 404, unknown_authority_body("localhost"));
    check_error(http_send(s, http::verb::get, scep("GetCACaps")), 404, unknown_authority_body("127.0.0.1"));
    // Named authorities still answer.
    check_caps(https_get(s, key_id_host(first_authority()), scep("GetCACaps")));
  }
  SUBCASE("the second authority by name") {
    REQUIRE(lab().authorities.all().size() >= 2);
    const auto& second = *lab().authorities.all()[1];
    auto cfg = test_config();
    cfg.default_authority = second.name;
    running_server s(cfg);
    check_ca_cert(https_get(s, "127.0.0.1", scep("GetCACert")), second);
    check_ca_cert(http_send(s, http::verb::get, scep("GetCACert")), second);
  }
}

TEST_CASE("plain HTTP listener answers as the HTTPS one does") {
  running_server s(test_config());
  const auto& first = first_authority();
  const std::string port = ":" + std::to_string(s.http().port());

  check_caps(http_send(s, http::verb::get, scep("GetCACaps"), key_id_host(first) + port));
  check_caps(http_send(s, http::verb::get, scep("GetCACaps"), name_id_host(first) + port));
  check_caps(http_send(s, http::verb::get, scep("GetCACaps")));
  check_ca_cert(http_send(s, http::verb::get, scep("GetCACert")), first);
  for (const auto& a : lab().authorities.all()) {
    CAPTURE(a->name);
    check_ca_cert(http_send(s, http::verb::get, scep("GetCACert"), key_id_host(*a) + port), *a);
  }
  const std::string unknown = "IFX-KeyId-" + std::string(40, '1') + "." + lab().manifest.domain;
  check_error(http_send(s, http::verb::get, scep("GetCACaps"), unknown + port), 404, unknown_authority_body(unknown));
  // Host without a port, as clients send it for the default port.
  check_error(http_send(s, http::verb::get, scep("GetCACaps"), unknown), 404, unknown_authority_body(unknown));
}

// ---------------------------------------------------------------- error answers

TEST_CASE("error answers: unknown path, wrong method, garbage PKIOperation, unknown operation") {
  running_server s(test_config());

  check_error(http_send(s, http::verb::get, "/nothing/here"), 404,
              R"({"Message":"No HTTP resource was found that matches the request URI 'http://127.0.0.1/nothing/here'."})");
  check_error(https_get(s, "127.0.0.1", "/nothing/here?operation=GetCACaps"), 404,
              R"({"Message":"No HTTP resource was found that matches the request URI 'https://127.0.0.1/nothing/here'."})");

  check_error(http_send(s, http::verb::put, scep("GetCACaps"), {}, "x"), 405,
              R"({"Message":"The requested resource does not support http method 'PUT'."})");
  check_error(http_send(s, http::verb::delete_, scep_path), 405,
              R"({"Message":"The requested resource does not support http method 'DELETE'."})");
  check_error(http_send(s, http::verb::post, scep("GetCACaps")), 405,
              R"({"Message":"The requested resource does not support http method 'POST'."})");

  check_error(http_send(s, http::verb::post, scep("PKIOperation"), {}, "this is not a PKCS#7 message"), 400,
              R"({"Message":"Failed to parse SCEP request."})");
  check_error(http_send(s, http::verb::get, scep("PKIOperation") + "&message=%%%"), 400,
              R"({"Message":"The request is invalid."})");

  check_error(http_send(s, http::verb::get, scep("Frobnicate")), 400,
              R"({"Message":"The SCEP operation \"Frobnicate\" is not supported."})");
  check_error(http_send(s, http::verb::get, scep_path), 400,
              R"({"Message":"The SCEP operation \"\" is not supported."})");

  // A request line that does not parse.
  auto c = connect_http(s.http());
  REQUIRE_FALSE(c->write_raw("NOT AN HTTP REQUEST\r\n\r\n"));
  http_response r;
  REQUIRE_FALSE(c->read(r));
  check_error(r, 400, R"({"Message":"The request is invalid."})");
}

TEST_CASE("x-ms-request-id is a fresh UUID v4; x-ms-client-request-id is echoed") {
  running_server s(test_config());
  auto c = connect_https(s.https(), "127.0.0.1");
  const std::string host = "127.0.0.1:" + std::to_string(s.https().port());

  auto req = make_request(http::verb::get, scep("GetCACaps"), host);
  req.set("x-ms-client-request-id", "3f0d9a40-client-id-1");
  auto first = fetch(*c, req);
  auto second = fetch(*c, make_request(http::verb::get, scep("GetCACaps"), host));
  check_caps(first);
  check_caps(second);
  CHECK(header(first, "x-ms-request-id") != header(second, "x-ms-request-id"));
  CHECK(header(first, "x-ms-client-request-id") == "3f0d9a40-client-id-1");
  CHECK(second.find("x-ms-client-request-id") == second.end());

  // Echoed on error answers too.
  auto bad = make_request(http::verb::get, "/nope", host);
  bad.set("x-ms-client-request-id", "client-id-2");
  auto error = fetch(*c, bad);
  CHECK(error.result_int() == 404);
  CHECK(header(error, "x-ms-client-request-id") == "client-id-2");
  check_common_headers(error);
  CHECK(header(error, "x-ms-request-id") != header(first, "x-ms-request-id"));
}

// ---------------------------------------------------------------- limits

TEST_CASE("413: a body larger than limits.body_bytes") {
  auto cfg = test_config();
  cfg.limits.body_bytes = 1024;
  running_server s(cfg);

  // At the limit: read and parsed (and rejected as SCEP).
  check_error(http_send(s, http::verb::post, scep("PKIOperation"), {}, std::string(1024, 'a')), 400,
              R"({"Message":"Failed to parse SCEP request."})");

  for (bool tls : {false, true}) {
    CAPTURE(tls);
    auto c = tls ? connect_https(s.https(), "127.0.0.1") : connect_http(s.http());
    auto at = tls ? s.https() : s.http();
    auto req = make_request(http::verb::post, scep("PKIOperation"), test::host_of(at), std::string(4096, 'a'));
    http_response r;
    REQUIRE_FALSE(c->round_trip(req, r));
    check_error(r, 413, R"({"Message":"The request body is too large."})");
    CHECK_FALSE(r.keep_alive());
    auto ec = c->wait_for_close();
    CHECK_MESSAGE(is_closed_by_peer(ec), "after a 413 the server should close; got " << ec.message());
  }

  // A chunked body that grows past the limit.
  auto c = connect_http(s.http());
  const std::string chunk(2000, 'c');
  char size_line[16];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  REQUIRE_FALSE(c->write_raw("POST /templates/Aik/scep?operation=PKIOperation HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n" + std::string(size_line) + chunk + "\r\n0\r\n\r\n"));
  http_response r;
  REQUIRE_FALSE(c->read(r));
  check_error(r, 413, R"({"Message":"The request body is too large."})");
  CHECK(is_closed_by_peer(c->wait_for_close()));
}

TEST_CASE("413 per route: the JSON API takes 64 KiB, a pkiMessage 256 KiB, under a larger configured limit") {
  running_server s(test_config());  // 1 MiB configured
  const std::string json_over(protocol::json_api_max_body + 1, ' ');
  check_error(http_send(s, http::verb::post, "/aik/v1/challenge", {}, json_over), 413,
              R"({"Message":"The request body is too large."})");
  check_error(http_send(s, http::verb::post, scep("PKIOperation"), {},
                        std::string(protocol::scep::max_pki_message_size + 1, 'a')),
              413, R"({"Message":"The request body is too large."})");
  // Under the route's limit the parsers see it (and refuse it as what it is).
  check_error(http_send(s, http::verb::post, "/aik/v1/challenge", {}, std::string(1000, ' ')), 400,
              R"({"Message":"The request is invalid."})");

  // A chunked JSON body that grows past 64 KiB: cut off as it comes.
  auto c = connect_http(s.http());
  const std::string chunk(16 * 1024, '[');
  char size_line[16];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  std::string body;
  for (int i = 0; i < 5; ++i) body += std::string(size_line) + chunk + "\r\n";
  REQUIRE_FALSE(c->write_raw("POST /aik/v1/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n"));
  http_response r;
  REQUIRE_FALSE(c->read(r));
  check_error(r, 413, R"({"Message":"The request body is too large."})");
  CHECK(is_closed_by_peer(c->wait_for_close()));
  // And the server goes on.
  auto next = connect_http(s.http());
  check_caps(fetch(*next, make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.http()))));
}

// For a 413 the whole header has been read: the answer and the log line are
// those of that request (a 431 has no complete header to speak of).
TEST_CASE("413 echoes x-ms-client-request-id and logs the request line") {
  auto cfg = test_config();
  cfg.limits.body_bytes = 1024;
  running_server s(cfg);
  auto c = connect_http(s.http());
  auto req = make_request(http::verb::post, scep("PKIOperation"), test::host_of(s.http()), std::string(2048, 'a'));
  req.set("x-ms-client-request-id", "too-large-1");
  http_response r;
  REQUIRE_FALSE(c->round_trip(req, r));
  CHECK(r.result_int() == 413);
  CHECK(header(r, "x-ms-client-request-id") == "too-large-1");
  c.reset();
  s.stop();
  auto lines = s.request_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].value("method", "") == "POST");
  CHECK(lines[0].value("target", "") == scep("PKIOperation"));
}

TEST_CASE("431: a header block larger than limits.header_bytes") {
  auto cfg = test_config();
  cfg.limits.header_bytes = 2048;
  running_server s(cfg);

  for (bool tls : {false, true}) {
    CAPTURE(tls);
    auto c = tls ? connect_https(s.https(), "127.0.0.1") : connect_http(s.http());
    auto at = tls ? s.https() : s.http();
    auto req = make_request(http::verb::get, scep("GetCACaps"), test::host_of(at));
    req.set("x-filler", std::string(4096, 'h'));
    http_response r;
    REQUIRE_FALSE(c->round_trip(req, r));
    check_error(r, 431, R"({"Message":"The request headers are too large."})");
    CHECK_FALSE(r.keep_alive());
    auto ec = c->wait_for_close();
    CHECK_MESSAGE(is_closed_by_peer(ec), "after a 431 the server should close; got " << ec.message());
  }

  // Headers under the limit still pass.
  auto req = make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.http()));
  req.set("x-filler", std::string(1024, 'h'));
  auto c = connect_http(s.http());
  check_caps(fetch(*c, req));
}

TEST_CASE("a client that does not finish its request in request_timeout is cut off unanswered") {
  auto cfg = test_config();
  cfg.limits.request_timeout = 300ms;
  running_server s(cfg);

  for (bool tls : {false, true}) {
    CAPTURE(tls);
    auto c = tls ? connect_https(s.https(), "127.0.0.1") : connect_http(s.http());
    REQUIRE_FALSE(c->write_raw("GET /templates/Aik/scep?oper"));
    std::string received;
    auto ec = c->wait_for_close(&received);  // bounded by the client's 5 s timeout
    CHECK_MESSAGE(is_closed_by_peer(ec), "the server should have closed the connection; got " << ec.message());
    CHECK_MESSAGE(received.empty(), "the server answered a request it never received whole: " << received);
  }

  // Also with the headers complete and the body short.
  auto c = connect_http(s.http());
  REQUIRE_FALSE(c->write_raw("POST /templates/Aik/scep?operation=PKIOperation HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Length: 100\r\n\r\nonly part"));
  std::string received;
  auto ec = c->wait_for_close(&received);
  CHECK(is_closed_by_peer(ec));
  CHECK(received.empty());

  s.stop();
  int timeouts = 0;
  for (auto& j : s.request_lines()) {
    CHECK_MESSAGE(j.value("status", 0) == 0, "an answer was logged: " << j.dump());
    if (j.value("error", "") == "request-timeout") ++timeouts;
  }
  CHECK(timeouts == 3);
}

TEST_CASE("keep-alive: several requests on one connection; idle ones closed after idle_timeout") {
  auto cfg = test_config();
  cfg.limits.idle_timeout = 300ms;
  running_server s(cfg);

  for (bool tls : {false, true}) {
    CAPTURE(tls);
    auto c = tls ? connect_https(s.https(), "127.0.0.1") : connect_http(s.http());
    auto host = test::host_of(tls ? s.https() : s.http());
    auto first = fetch(*c, make_request(http::verb::get, scep("GetCACaps"), host));
    auto second = fetch(*c, make_request(http::verb::get, scep("GetCACert"), host));
    check_caps(first);
    check_ca_cert(second, first_authority());
    CHECK(first.keep_alive());
    CHECK(second.keep_alive());

    std::string received;
    auto ec = c->wait_for_close(&received);  // bounded by the client's 5 s timeout
    CHECK_MESSAGE(is_closed_by_peer(ec), "an idle connection should be closed; got " << ec.message());
    CHECK(received.empty());
  }

  // Pipelined: two requests in one write, two answers in order.
  {
    auto c = connect_http(s.http());
    const std::string host = test::host_of(s.http());
    std::string both = "GET " + scep("GetCACaps") + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n" + "GET " +
                       scep("Frobnicate") + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    REQUIRE_FALSE(c->write_raw(both));
    http_response r1, r2;
    REQUIRE_FALSE(c->read(r1));
    REQUIRE_FALSE(c->read(r2));
    check_caps(r1);
    check_error(r2, 400, R"({"Message":"The SCEP operation \"Frobnicate\" is not supported."})");
  }

  // Connection: close from the client is honoured.
  auto c = connect_http(s.http());
  auto req = make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.http()));
  req.keep_alive(false);
  auto r = fetch(*c, req);
  check_caps(r);
  CHECK_FALSE(r.keep_alive());
  CHECK(is_closed_by_peer(c->wait_for_close()));
}

// ---------------------------------------------------------------- graceful stop

TEST_CASE("graceful stop: a request in flight is answered, then run() returns") {
  running_server s(test_config());
  auto c = connect_http(s.http());

  const std::string body(64, 'z');
  const std::string head = "POST /templates/Aik/scep?operation=PKIOperation HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  REQUIRE_FALSE(c->write_raw(head + body.substr(0, 10)));
  // Let the server read the first bytes: until then the connection is idle,
  // and an idle connection is rightly closed at stop.
  std::this_thread::sleep_for(200ms);

  s.request_stop();
  // Stop accepting: once the listener is closed, new connections are refused.
  CHECK(eventually([&] { return connection_refused(s.http()); }));
  CHECK(eventually([&] { return connection_refused(s.https()); }));

  REQUIRE_FALSE(c->write_raw(body.substr(10)));
  http_response r;
  auto ec = c->read(r);
  REQUIRE_MESSAGE(!ec, "the request in flight at stop() was not answered: " << ec.message());
  check_error(r, 400, R"({"Message":"Failed to parse SCEP request."})");
  CHECK_FALSE(r.keep_alive());  // the server is stopping: Connection: close
  ec = c->wait_for_close();
  CHECK_MESSAGE(is_closed_by_peer(ec), "after its answer the connection should close; got " << ec.message());
  c->close();

  CHECK(s.stop());
  CHECK_FALSE(s.has_event("stop-forced"));
  CHECK(s.has_event("stopped"));
  CHECK(s.request_lines().size() == 1);
}

TEST_CASE("graceful stop: idle keep-alive connections are closed and do not hold the stop") {
  running_server s(test_config());
  auto plain = connect_http(s.http());
  auto tls = connect_https(s.https(), "127.0.0.1");
  auto never_sent = connect_http(s.http());  // connected, never sent a byte
  check_caps(fetch(*plain, make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.http()))));
  check_caps(fetch(*tls, make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.https()))));

  s.request_stop();
  for (auto* c : {plain.get(), tls.get(), never_sent.get()}) {
    CAPTURE(c->is_tls());
    std::string received;
    auto ec = c->wait_for_close(&received);
    CHECK_MESSAGE(is_closed_by_peer(ec), "an idle connection was not closed at stop: " << ec.message());
    CHECK(received.empty());
  }
  // The clients keep their sockets open: the server must not wait for them past its bound.
  CHECK(s.stop());
  CHECK_FALSE(s.has_event("stop-forced"));
}

// A TLS session still waiting for its handshake counts as idle: a stop ends it
// rather than waiting for request_timeout or shutdown_grace ("stop-forced").
TEST_CASE("graceful stop: a connection still in its TLS handshake does not hold the stop") {
  auto cfg = test_config();
  cfg.limits.shutdown_grace = 2s;  // the session waits for its handshake until then
  running_server s(cfg);
  // TCP-connected to the HTTPS listener, no ClientHello: no request is in flight.
  auto silent = connect_http(s.https());
  std::this_thread::sleep_for(100ms);  // let the server accept it
  s.request_stop();
  // The client keeps its socket open; the server must end the connection itself.
  CHECK(s.stop());
  CHECK_FALSE(s.has_event("stop-forced"));
  silent->set_timeout(1s);
  auto ec = silent->wait_for_close();
  CHECK_MESSAGE(is_closed_by_peer(ec), "a connection without a request was not closed at stop: " << ec.message());
}

// ---------------------------------------------------------------- connection limit

TEST_CASE("max_connections: beyond the limit a connection is closed at once") {
  auto cfg = test_config();
  cfg.limits.max_connections = 2;
  running_server s(cfg);
  const auto host = test::host_of(s.http());

  auto c1 = connect_http(s.http());
  auto c2 = connect_https(s.https(), "127.0.0.1");  // the limit spans both listeners
  check_caps(fetch(*c1, make_request(http::verb::get, scep("GetCACaps"), host)));
  check_caps(fetch(*c2, make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.https()))));

  {
    test_connection c3(s.http());
    REQUIRE_FALSE(c3.open());  // the kernel accepts it; the server closes it
    http_response r;
    auto ec = c3.round_trip(make_request(http::verb::get, scep("GetCACaps"), host), r);
    CHECK_MESSAGE(is_closed_by_peer(ec), "a connection over the limit got: " << (ec ? ec.message() : "an answer"));
  }
  {
    test_connection c3(s.https(), client_tls(), "127.0.0.1");
    auto ec = c3.open();
    CHECK_MESSAGE(is_closed_by_peer(ec),
                  "a TLS connection over the limit got: " << (ec ? ec.message() : "a completed handshake"));
  }

  // The first two still work.
  check_caps(fetch(*c1, make_request(http::verb::get, scep("GetCACaps"), host)));

  // Once one of them closes, a new connection gets in (as soon as the server has seen the close).
  c1->close();
  bool admitted = eventually([&] {
    test_connection c4(s.http());
    if (c4.open()) return false;
    http_response r;
    auto ec = c4.round_trip(make_request(http::verb::get, scep("GetCACaps"), host), r);
    if (ec) {
      CHECK_MESSAGE(is_closed_by_peer(ec), "refused connection: " << ec.message());
      return false;
    }
    check_caps(r);
    return true;
  });
  CHECK(admitted);

  c2.reset();
  s.stop();
  CHECK(s.has_event("connection-refused"));
}

TEST_CASE("max_connections_per_address: one client address cannot hold every slot") {
  auto cfg = test_config();
  cfg.limits.max_connections = 10;
  cfg.limits.max_connections_per_address = 2;
  running_server s(cfg);
  const auto host = test::host_of(s.http());
  const auto local = test::net::ip::make_address("127.0.0.1");
  const auto other = test::net::ip::make_address("127.0.0.2");

  test_connection a1(s.http()), a2(s.http());
  REQUIRE_FALSE(a1.open_from(local));
  REQUIRE_FALSE(a2.open_from(local));
  http_response r;
  REQUIRE_FALSE(a1.round_trip(make_request(http::verb::get, scep("GetCACaps"), host), r));
  check_caps(r);
  {
    test_connection a3(s.http());
    REQUIRE_FALSE(a3.open_from(local));
    auto ec = a3.round_trip(make_request(http::verb::get, scep("GetCACaps"), host), r);
    CHECK_MESSAGE(is_closed_by_peer(ec), "a third connection from one address got: " << (ec ? ec.message() : "an answer"));
  }
  // Another address is served, over TLS too.
  test_connection b1(s.http());
  REQUIRE_FALSE(b1.open_from(other));
  REQUIRE_FALSE(b1.round_trip(make_request(http::verb::get, scep("GetCACaps"), host), r));
  check_caps(r);
  test_connection b2(s.https(), client_tls(), "127.0.0.1");
  REQUIRE_FALSE(b2.open_from(other));
  s.stop();
  CHECK(s.has_event("connection-refused"));
}

TEST_CASE("handshake_timeout: a TLS connection that never says hello is closed in time") {
  auto cfg = test_config();
  cfg.limits.handshake_timeout = 300ms;
  cfg.limits.request_timeout = 30s;
  running_server s(cfg);
  test_connection silent(s.https(), 5s);  // plain TCP to the TLS port: no ClientHello ever
  REQUIRE_FALSE(silent.open());
  const auto t0 = std::chrono::steady_clock::now();
  auto ec = silent.wait_for_close();
  CHECK_MESSAGE(is_closed_by_peer(ec), "the silent connection ended with " << ec.message());
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);  // the handshake timeout, not the request timeout
}

// ---------------------------------------------------------------- IPv6

TEST_CASE("IPv6: a server on [::1]:0 answers") {
  {
    test::net::io_context io;
    tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(tcp::v6(), ec);
    if (!ec) probe.bind(tcp::endpoint(test::net::ip::address_v6::loopback(), 0), ec);
    if (ec) {
      MESSAGE("skipped: ::1 is not bindable here (" << ec.message() << ")");
      return;
    }
  }
  auto cfg = test_config();
  cfg.https = "[::1]:0";
  cfg.http = "[::1]:0";
  running_server s(cfg);
  REQUIRE(s.http().address().is_v6());
  REQUIRE(s.https().address().is_v6());

  check_caps(http_send(s, http::verb::get, scep("GetCACaps")));  // Host: [::1]:port
  auto c = connect_https(s.https(), "::1");
  check_caps(fetch(*c, make_request(http::verb::get, scep("GetCACaps"), test::host_of(s.https()))));
  check_caps(https_get(s, key_id_host(first_authority()), scep("GetCACaps")));
  // The unknown-authority message names the address without brackets or port.
  auto cfg_none = cfg;
  c.reset();
  s.stop();
  cfg_none.default_authority = "none";
  running_server none(cfg_none);
  check_error(http_send(none, http::verb::get, scep("GetCACaps")), 404, unknown_authority_body("::1"));
}

// ---------------------------------------------------------------- access log

TEST_CASE("access log: one JSON line per answered request") {
  running_server s(test_config());
  const auto& first = first_authority();
  struct sent {
    std::string request_id, authority, method, target, scheme;
    unsigned status;
    std::size_t body_size;
  };
  std::vector<sent> expected;

  auto tls = connect_https(s.https(), key_id_host(first));
  auto req = make_request(http::verb::get, scep("GetCACaps"),
                          key_id_host(first) + ":" + std::to_string(s.https().port()));
  req.set("x-ms-client-request-id", "log-client-id");
  auto r1 = fetch(*tls, req);
  check_caps(r1);
  expected.push_back({header(r1, "x-ms-request-id"), first.name, "GET", scep("GetCACaps"), "https", 200,
                      r1.body().size()});

  auto r2 = fetch(*tls, make_request(http::verb::put, scep("GetCACert"), key_id_host(first), "x"));
  CHECK(r2.result_int() == 405);
  expected.push_back({header(r2, "x-ms-request-id"), first.name, "PUT", scep("GetCACert"), "https", 405,
                      r2.body().size()});

  const std::string unknown = "IFX-KeyId-" + std::string(40, '2') + "." + lab().manifest.domain;
  auto r3 = http_send(s, http::verb::get, scep("GetCACaps"), unknown);
  CHECK(r3.result_int() == 404);
  expected.push_back({header(r3, "x-ms-request-id"), "", "GET", scep("GetCACaps"), "http", 404, r3.body().size()});
  tls.reset();

  REQUIRE(s.stop());
  auto lines = s.request_lines();
  CHECK(lines.size() == expected.size());
  for (const auto& e : expected) {
    CAPTURE(e.request_id);
    const nlohmann::json* found = nullptr;
    for (const auto& j : lines)
      if (j.value("requestId", "") == e.request_id) found = &j;
    REQUIRE_MESSAGE(found, "no access log line for " << e.request_id << "; log:\n" << s.raw_log());
    const auto& j = *found;
    CAPTURE(j.dump());
    CHECK(j.value("authority", "?") == e.authority);
    CHECK(j.value("method", "") == e.method);
    CHECK(j.value("target", "") == e.target);
    CHECK(j.value("scheme", "") == e.scheme);
    CHECK(j.value("status", 0u) == e.status);
    REQUIRE(j.contains("bytes"));
    REQUIRE(j["bytes"].is_number_unsigned());
    CHECK(j["bytes"].get<std::size_t>() > e.body_size);  // headers and body as written
    REQUIRE(j.contains("durationMs"));
    REQUIRE(j["durationMs"].is_number());
    CHECK(j["durationMs"].get<double>() >= 0.0);
    REQUIRE(j.contains("time"));
  }
  for (const auto& j : lines)
    if (j.value("requestId", "") == expected[0].request_id) CHECK(j.value("clientRequestId", "") == "log-client-id");
}

// ---------------------------------------------------------------- policy faults on the wire

namespace {
std::string write_policy_file(const std::string& rules) {
  auto path = std::filesystem::temp_directory_path() / ("aikmock-policy-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"name":"wire-faults","rules":)" << rules << "}";
  return path.string();
}
}  // namespace

TEST_CASE("policy faults reach the wire: Retry-After, a stalled answer, a hang-up, a stall cut short by stop") {
  auto cfg = test_config();
  cfg.policy = write_policy_file(R"([
    {"name":"slow-caps","when":{"operation":"GetCACaps"},"then":{"delayMs":400}},
    {"name":"hang-up","when":{"operation":"GetCACert"},"then":{"close":true}},
    {"name":"busy","when":{"operation":"PKIOperation"},"then":{"throttle":{"retryAfterSeconds":7}}}
  ])");
  running_server s(cfg);
  const std::string host = key_id_host(first_authority());

  auto c = connect_http(s.http());
  http_response r;
  auto started = std::chrono::steady_clock::now();
  REQUIRE_FALSE(c->round_trip(make_request(http::verb::get, std::string(scep_path) + "?operation=GetCACaps", host), r));
  CHECK(r.result_int() == 200);
  CHECK(std::chrono::steady_clock::now() - started >= 400ms);  // the stall happened (a lower bound only)

  REQUIRE_FALSE(c->round_trip(make_request(http::verb::post, std::string(scep_path) + "?operation=PKIOperation", host, "x"), r));
  check_error(r, 429, R"({"Message":"Too Many Requests"})");
  CHECK(r["Retry-After"] == "7");

  REQUIRE_FALSE(c->write(make_request(http::verb::get, std::string(scep_path) + "?operation=GetCACert", host)));
  auto ec = c->read(r);
  CHECK_MESSAGE(is_closed_by_peer(ec), "expected a hang-up, got " << ec.message());

  // A stalled answer is sent at once when the server stops.
  cfg.policy = write_policy_file(R"([{"name":"stall","then":{"delayMs":60000}}])");
  {
    running_server stalled(cfg);
    auto d = connect_http(stalled.http());
    REQUIRE_FALSE(d->write(make_request(http::verb::get, std::string(scep_path) + "?operation=GetCACaps", host)));
    std::this_thread::sleep_for(200ms);
    stalled.request_stop();
    http_response late;
    REQUIRE_FALSE(d->read(late));
    CHECK(late.result_int() == 200);
    d->close();
    CHECK(stalled.stop());
    CHECK_FALSE(stalled.has_event("stop-forced"));
  }

  c->close();
  CHECK(s.stop());
  bool dropped_logged = false, policy_logged = false;
  for (const auto& line : s.request_lines()) {
    if (line.value("error", "") == "dropped") dropped_logged = true;
    if (line.contains("policy") && line["policy"].value("rule", "") == "busy") policy_logged = true;
  }
  CHECK(dropped_logged);
  CHECK(policy_logged);
  std::filesystem::remove(cfg.policy);
}

TEST_CASE("reload (SIGHUP): a new policy takes effect, a broken one changes nothing, connections stay") {
  auto cfg = test_config();
  const std::string path = write_policy_file(R"([])");
  cfg.policy = path;
  running_server s(cfg);
  const std::string host = key_id_host(first_authority());
  const std::string caps = std::string(scep_path) + "?operation=GetCACaps";

  auto c = connect_http(s.http());  // kept alive across the reloads
  http_response r;
  REQUIRE_FALSE(c->round_trip(make_request(http::verb::get, caps, host), r));
  CHECK(r.result_int() == 200);

  std::ofstream(path) << R"({"name":"busy","rules":[{"name":"busy","then":{"throttle":{"retryAfterSeconds":3}}}]})";
  CHECK(s.server().reload());
  REQUIRE_FALSE(c->round_trip(make_request(http::verb::get, caps, host), r));
  CHECK(r.result_int() == 429);

  std::ofstream(path) << R"({"name":"broken","rules":[{"name":"x","then":{"reject":"no-such-error"}}]})";
  CHECK_FALSE(s.server().reload());
  REQUIRE_FALSE(c->round_trip(make_request(http::verb::get, caps, host), r));
  CHECK(r.result_int() == 429);  // the last good policy still rules

  c->close();
  CHECK(s.stop());
  bool refused_policy = false;
  for (const auto& line : s.log_lines())
    if (line.value("event", "") == "reload-refused" &&
        line.value("reason", "").find("no-such-error") != std::string::npos)
      refused_policy = true;
  CHECK(refused_policy);

  // A trust directory that gains a file that is not a certificate: refused by name, nothing changes.
  const auto trust = std::filesystem::temp_directory_path() / ("aikmock-trust-reload-" + std::to_string(::getpid()));
  std::filesystem::create_directories(trust / "BAD" / "RootCA");
  auto with_trust = test_config();
  with_trust.trust.push_back(trust);
  running_server t(with_trust);
  CHECK(t.server().reload());
  std::ofstream(trust / "BAD" / "RootCA" / "broken.pem") << "-----BEGIN CERTIFICATE-----\nnot base64\n";
  CHECK_FALSE(t.server().reload());
  auto d = connect_http(t.http());
  REQUIRE_FALSE(d->round_trip(make_request(http::verb::get, caps, host), r));
  CHECK(r.result_int() == 200);
  d->close();
  CHECK(t.stop());
  bool named = false;
  for (const auto& line : t.log_lines())
    if (line.value("event", "") == "reload-refused" && line.value("path", "").find("broken.pem") != std::string::npos)
      named = true;
  CHECK(named);
  std::filesystem::remove_all(trust);
  std::filesystem::remove(path);
}

TEST_CASE("every answer says nosniff; HTTPS answers add HSTS, as the real service's do") {
  running_server s(test_config());
  const auto& first = first_authority();
  auto secure = https_get(s, key_id_host(first), scep("GetCACaps"));
  CHECK(header(secure, "X-Content-Type-Options") == "nosniff");
  CHECK(header(secure, "Strict-Transport-Security") == "max-age=31536000;includeSubDomains");
  auto refused = https_get(s, "IFX-KeyId-" + std::string(40, '2') + "." + lab().manifest.domain, scep("GetCACaps"));
  CHECK(refused.result_int() == 404);
  CHECK(header(refused, "Strict-Transport-Security") == "max-age=31536000;includeSubDomains");
  auto plain = http_send(s, http::verb::get, scep("GetCACaps"));
  CHECK(header(plain, "X-Content-Type-Options") == "nosniff");
  CHECK(header(plain, "Strict-Transport-Security").empty());
}

TEST_CASE("health: /healthz always, /readyz until the server drains, on every listener and host") {
  running_server s(test_config());
  auto healthy = http_send(s, http::verb::get, "/healthz");
  CHECK(healthy.result_int() == 200);
  CHECK(healthy.body() == R"({"status":"ok"})");
  auto ready = https_get(s, "localhost", "/readyz");
  CHECK(ready.result_int() == 200);
  auto doc = nlohmann::json::parse(ready.body());
  CHECK(doc["status"] == "ready");
  CHECK(doc["authorities"].get<std::size_t>() >= lab().authorities.all().size());
}

TEST_CASE("admin listener: /metrics counts what the service answered; a kept-alive admin connection does not hold the stop") {
  running_server s(test_config());
  CHECK(http_send(s, http::verb::get, scep("GetCACaps")).result_int() == 200);
  auto admin = connect_http(s.admin());
  auto m = fetch(*admin, make_request(http::verb::get, "/metrics", test::host_of(s.admin())));
  CHECK(m.result_int() == 200);
  CHECK(m.body().find("aikmock_http_requests_total{route=\"scep\",operation=\"GetCACaps\",status=\"200\"} 1") !=
        std::string::npos);
  // The admin listener's own answers are counted too, under route "admin".
  auto again = fetch(*admin, make_request(http::verb::get, "/metrics", test::host_of(s.admin())));
  CHECK(again.body().find("route=\"admin\"") != std::string::npos);
  CHECK(s.stop());  // within the bound, the admin connection still open
}

TEST_CASE("the exception barrier: a handler that throws (a broken lab) gets a logged 500, and the server goes on") {
  namespace fs = std::filesystem;
  // A copy of the lab whose first authority's RA signing key is another key: signing with it throws.
  const fs::path broken = fs::path(AIKMOCK_TEST_LAB_DIR).parent_path() / ("broken-lab-" + std::to_string(::getpid()));
  fs::remove_all(broken);
  fs::copy(AIKMOCK_TEST_LAB_DIR, broken, fs::copy_options::recursive);
  auto manifest = certs::load_lab_manifest(broken);
  const auto& victim = manifest.authorities.front();
  fs::copy_file(broken / manifest.authorities.back().ra_encryption.private_key, broken / victim.ra_signing.private_key,
                fs::copy_options::overwrite_existing);
  auto cfg = test_config();
  cfg.lab = broken;
  {
    running_server s(cfg);
    const std::string host = victim.name + "." + manifest.domain;
    auto c = connect_https(s.https(), host);
    auto r = fetch(*c, make_request(http::verb::get, scep("GetCACertChain"), host));
    CHECK(r.result_int() == 500);
    CHECK(r.body() == R"({"Message":"An error has occurred."})");
    CHECK_FALSE(r.keep_alive());
    // The server keeps serving: the same authority's other operations, and the others.
    check_caps(https_get(s, host, scep("GetCACaps")));
    CHECK(https_get(s, host, scep("GetCACertChain")).result_int() == 500);
    const std::string other = manifest.authorities.back().name + "." + manifest.domain;
    CHECK(https_get(s, other, scep("GetCACertChain")).result_int() == 200);
    s.stop();
    CHECK(s.raw_log().find("unhandled exception") != std::string::npos);
    CHECK(s.raw_log().find("\"error\":\"internal-error\"") != std::string::npos);
  }
  fs::remove_all(broken);
}
