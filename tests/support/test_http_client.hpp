#pragma once
// A small synchronous HTTP/1.1 client for socket tests, plain or TLS. Every
// call runs an asynchronous Beast operation to completion on the connection's
// own io_context under beast::tcp_stream's timeout (expires_after), so a
// server that stays silent fails the call with beast::error::timeout instead
// of hanging the test. (tcp_stream timeouts only apply to asynchronous
// operations, hence the async-run-to-completion shape.) A timed-out call
// leaves the connection closed: tcp_stream closes its socket on a timeout.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace aikmock::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

inline constexpr std::chrono::milliseconds default_io_timeout{5000};

// A TLS client context that trusts only `trusted_root` (PEM) and verifies the peer.
ssl::context client_tls_context(const std::filesystem::path& trusted_root);

// "127.0.0.1:8443", "[::1]:8443": what a client puts in Host for an address.
std::string host_of(const tcp::endpoint& endpoint);

// A request with Host, User-Agent and (when there is a body) Content-Length set.
http_request make_request(http::verb method, std::string_view target, std::string_view host,
                          std::string body = {});

// The peer ended the connection: EOF, reset, TLS truncation or close_notify.
bool is_closed_by_peer(const beast::error_code& ec);

class test_connection {
 public:
  // A plain HTTP connection to `endpoint` (not yet connected: call open()).
  explicit test_connection(tcp::endpoint endpoint, std::chrono::milliseconds timeout = default_io_timeout);
  // A TLS connection verifying the server as `host` (SNI too, unless `host` is an IP literal).
  test_connection(tcp::endpoint endpoint, ssl::context& tls, std::string host,
                  std::chrono::milliseconds timeout = default_io_timeout);
  ~test_connection();
  test_connection(const test_connection&) = delete;
  test_connection& operator=(const test_connection&) = delete;

  // TCP connect, then the TLS handshake for a TLS connection.
  beast::error_code open();
  // The same from a given local address (127.0.0.2: another client on the loopback).
  beast::error_code open_from(const net::ip::address& source);

  beast::error_code write(http_request request);
  beast::error_code write_raw(std::string_view bytes);
  beast::error_code read(http_response& response);
  // write then read; the error of whichever failed.
  beast::error_code round_trip(http_request request, http_response& response);

  // Reads until the peer closes the connection or the timeout passes; returns
  // the error that ended it (is_closed_by_peer(ec) when the server closed it,
  // beast::error::timeout when it did not). Whatever arrived meanwhile is
  // appended to `received` (bytes already buffered by read() included).
  beast::error_code wait_for_close(std::string* received = nullptr);

  // Half-close (plain connections only): the server sees EOF.
  void shutdown_send();
  void close();

  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  bool is_tls() const { return tls_.has_value(); }

 private:
  beast::tcp_stream& lowest();
  template <class Initiate>
  beast::error_code run(Initiate&& initiate);

  net::io_context ioc_;
  tcp::endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::string host_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

}  // namespace aikmock::test
