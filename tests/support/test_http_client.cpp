#include "tests/support/test_http_client.hpp"

#include <openssl/ssl.h>

#include <array>

namespace aikmock::test {

namespace {
bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}
}  // namespace

ssl::context client_tls_context(const std::filesystem::path& trusted_root) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(trusted_root.string());
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

std::string host_of(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return text + ":" + std::to_string(endpoint.port());
}

http_request make_request(http::verb method, std::string_view target, std::string_view host, std::string body) {
  http_request request{method, target, 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "aikmock-socket-tests");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

bool is_closed_by_peer(const beast::error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::connection_aborted ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

test_connection::test_connection(tcp::endpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {
  plain_.emplace(ioc_);
}

test_connection::test_connection(tcp::endpoint endpoint, ssl::context& tls, std::string host,
                                 std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout), host_(std::move(host)) {
  tls_.emplace(ioc_, tls);
  if (!is_ip_literal(host_)) SSL_set_tlsext_host_name(tls_->native_handle(), host_.c_str());
  tls_->set_verify_mode(ssl::verify_peer);
  tls_->set_verify_callback(ssl::host_name_verification(host_));
}

test_connection::~test_connection() { close(); }

beast::tcp_stream& test_connection::lowest() {
  return tls_ ? beast::get_lowest_layer(*tls_) : *plain_;
}

// Runs one asynchronous operation to completion under the stream's timeout.
// The run_for bound is a second line of defence should the timer not end it.
template <class Initiate>
beast::error_code test_connection::run(Initiate&& initiate) {
  beast::error_code result;
  bool done = false;
  lowest().expires_after(timeout_);
  initiate([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc_.restart();
  ioc_.run_for(timeout_ + std::chrono::seconds(2));
  if (!done) {
    lowest().close();
    ioc_.restart();
    ioc_.run();
    result = beast::error::timeout;
  }
  return result;
}

beast::error_code test_connection::open() {
  auto ec = run([&](auto handler) { lowest().async_connect(endpoint_, std::move(handler)); });
  if (ec || !tls_) return ec;
  return run([&](auto handler) { tls_->async_handshake(ssl::stream_base::client, std::move(handler)); });
}

beast::error_code test_connection::open_from(const net::ip::address& source) {
  beast::error_code ec;
  auto& socket = lowest().socket();
  socket.open(endpoint_.protocol(), ec);
  if (!ec) socket.bind(tcp::endpoint(source, 0), ec);
  if (ec) return ec;
  return open();
}

beast::error_code test_connection::write(http_request request) {
  return run([&](auto handler) {
    if (tls_) http::async_write(*tls_, request, std::move(handler));
    else http::async_write(*plain_, request, std::move(handler));
  });
}

beast::error_code test_connection::write_raw(std::string_view bytes) {
  return run([&](auto handler) {
    if (tls_) net::async_write(*tls_, net::buffer(bytes.data(), bytes.size()), std::move(handler));
    else net::async_write(*plain_, net::buffer(bytes.data(), bytes.size()), std::move(handler));
  });
}

beast::error_code test_connection::read(http_response& response) {
  response = {};
  return run([&](auto handler) {
    if (tls_) http::async_read(*tls_, buffer_, response, std::move(handler));
    else http::async_read(*plain_, buffer_, response, std::move(handler));
  });
}

beast::error_code test_connection::round_trip(http_request request, http_response& response) {
  if (auto ec = write(std::move(request))) return ec;
  return read(response);
}

beast::error_code test_connection::wait_for_close(std::string* received) {
  if (received) *received += beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  const auto saved = timeout_;
  std::array<char, 4096> chunk{};
  beast::error_code ec;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) {
      ec = beast::error::timeout;
      break;
    }
    timeout_ = left;
    std::size_t got = 0;
    ec = run([&](auto handler) {
      auto on_read = [&got, handler = std::move(handler)](beast::error_code e, std::size_t n) mutable {
        got = n;
        handler(e, n);
      };
      if (tls_) tls_->async_read_some(net::buffer(chunk), std::move(on_read));
      else plain_->async_read_some(net::buffer(chunk), std::move(on_read));
    });
    if (received) received->append(chunk.data(), got);
    if (ec) break;
  }
  timeout_ = saved;
  return ec;
}

void test_connection::shutdown_send() {
  beast::error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void test_connection::close() {
  beast::error_code ignored;
  lowest().socket().close(ignored);
}

}  // namespace aikmock::test
