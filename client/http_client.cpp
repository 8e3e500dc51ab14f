#include "client/http_client.hpp"

#include "common/uuid.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace aikmock::client {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using steady = std::chrono::steady_clock;

// Should a timer fail to end an operation, the io_context stops this long after the deadline anyway.
constexpr std::chrono::seconds deadline_slack{2};


bool is_closed_by_peer(const beast::error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::connection_aborted ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

// Runs one asynchronous operation to completion. The operation's own timer
// (tcp_stream::expires_at, or the lookup's deadline timer) ends it at the
// deadline; `abort` ends it should that timer not, at the deadline plus slack.
// Beast's timeouts only apply to asynchronous operations, hence this shape.
template <class Initiate, class Abort>
beast::error_code run_to_completion(net::io_context& ioc, steady::time_point deadline, Initiate&& initiate,
                                    Abort&& abort) {
  beast::error_code result;
  bool done = false;
  initiate([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  const auto hard_stop = deadline + deadline_slack;
  while (!done && steady::now() < hard_stop)
    if (ioc.run_one_until(hard_stop) == 0 && ioc.stopped()) break;
  if (!done) {
    abort();
    ioc.restart();
    while (!done && ioc.run_one() != 0) {
    }
    result = beast::error::timeout;
  }
  return result;
}

http_reply failed(transport_failure f, std::string text) {
  http_reply r;
  r.failure = f;
  r.failure_text = std::move(text);
  return r;
}

std::string timeout_text(std::chrono::milliseconds timeout, const char* during) {
  return "no answer within " + std::to_string(timeout.count()) + " ms (" + during + ")";
}

// The whole exchange on one connection. `Stream` is a tcp_stream or an ssl_stream over one.
class exchange_run {
 public:
  exchange_run(const http_client_options& options, const http_call& call, net::io_context& ioc)
      : options_(options), call_(call), ioc_(ioc), deadline_(steady::now() + options.timeout) {}

  std::optional<std::vector<tcp::endpoint>> resolve(http_reply& error) {
    const std::string host = options_.connect_to ? options_.connect_to->host : call_.url.host;
    const std::uint16_t port = options_.connect_to ? options_.connect_to->port : call_.url.port;
    const std::string port_text = std::to_string(port);
    if (is_ip_literal(host)) return std::vector<tcp::endpoint>{tcp::endpoint(net::ip::make_address(host), port)};
    // The lookup runs on Asio's resolver thread; a deadline timer cancels it. A
    // lookup already inside getaddrinfo() ends within the system resolver's own timeout.
    tcp::resolver resolver(ioc_);
    net::steady_timer timer(ioc_);
    bool timed_out = false;
    timer.expires_at(deadline_);
    timer.async_wait([&](beast::error_code ec) {
      if (ec) return;
      timed_out = true;
      resolver.cancel();
    });
    tcp::resolver::results_type results;
    auto ec = run_to_completion(
        ioc_, deadline_,
        [&](auto handler) {
          resolver.async_resolve(host, port_text,
                                 [&, handler = std::move(handler)](beast::error_code e, tcp::resolver::results_type r) mutable {
                                   results = std::move(r);
                                   timer.cancel();
                                   handler(e);
                                 });
        },
        [&] { resolver.cancel(); });
    drain_pending();
    if (timed_out || ec == beast::error::timeout) {
      error = failed(transport_failure::timeout, timeout_text(options_.timeout, ("resolving " + host).c_str()));
      return std::nullopt;
    }
    if (ec || results.empty()) {
      error = failed(transport_failure::resolve, "cannot resolve " + host + ": " + (ec ? ec.message() : "no address"));
      return std::nullopt;
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    return endpoints;
  }

  http_reply connect_and_talk(beast::tcp_stream& stream, const std::vector<tcp::endpoint>& endpoints) {
    stream.expires_at(deadline_);
    auto ec = run_to_completion(
        ioc_, deadline_, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); },
        [&] { stream.close(); });
    if (ec) return connect_failure(ec);
    return talk(stream, stream);
  }

  http_reply connect_and_talk(beast::ssl_stream<beast::tcp_stream>& tls, const std::vector<tcp::endpoint>& endpoints) {
    auto& low = beast::get_lowest_layer(tls);
    low.expires_at(deadline_);
    auto ec = run_to_completion(
        ioc_, deadline_, [&](auto handler) { low.async_connect(endpoints, std::move(handler)); }, [&] { low.close(); });
    if (ec) return connect_failure(ec);
    low.expires_at(deadline_);
    ec = run_to_completion(
        ioc_, deadline_, [&](auto handler) { tls.async_handshake(ssl::stream_base::client, std::move(handler)); },
        [&] { low.close(); });
    if (ec) {
      const long verify = SSL_get_verify_result(tls.native_handle());
      if (ec == beast::error::timeout) return failed(transport_failure::timeout, timeout_text(options_.timeout, "TLS handshake"));
      if (verify != X509_V_OK)
        return failed(transport_failure::tls, std::string("the server's certificate is not trusted for ") + call_.url.host +
                                                  ": " + X509_verify_cert_error_string(verify));
      if (is_closed_by_peer(ec))
        return failed(transport_failure::closed, "the server closed the connection during the TLS handshake");
      return failed(transport_failure::tls, "TLS handshake failed: " + ec.message());
    }
    return talk(tls, low);
  }

 private:
  http_reply connect_failure(const beast::error_code& ec) {
    const std::string peer =
        options_.connect_to ? options_.connect_to->text() : connect_target{call_.url.host, call_.url.port}.text();
    if (ec == beast::error::timeout) return failed(transport_failure::timeout, timeout_text(options_.timeout, ("connecting to " + peer).c_str()));
    return failed(transport_failure::connect, "cannot connect to " + peer + ": " + ec.message());
  }

  template <class Stream>
  http_reply talk(Stream& stream, beast::tcp_stream& low) {
    const auto verb = http::string_to_verb(call_.method);
    http::request<http::string_body> request{verb, call_.target(), 11};
    request.set(http::field::host, call_.url.authority());
    request.set(http::field::user_agent, options_.user_agent);
    request.set(http::field::accept, "*/*");
    request.set("x-ms-client-request-id", random_uuid());  // unless the call names its own
    // One exchange per connection (closed once the answer is read); a call may
    // still say Keep-Alive, as Windows does.
    request.set(http::field::connection, "close");
    if (!call_.content_type.empty()) request.set(http::field::content_type, call_.content_type);
    for (const auto& [name, value] : call_.headers) request.set(name, value);
    request.body() = call_.body;
    request.prepare_payload();

    low.expires_at(deadline_);
    auto ec = run_to_completion(
        ioc_, deadline_, [&](auto handler) { http::async_write(stream, request, std::move(handler)); },
        [&] { low.close(); });
    if (ec == beast::error::timeout) return failed(transport_failure::timeout, timeout_text(options_.timeout, "sending the request"));
    if (ec) return failed(transport_failure::closed, "sending the request: " + ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
    parser.body_limit(static_cast<std::uint64_t>(options_.body_limit));
    low.expires_at(deadline_);
    ec = run_to_completion(
        ioc_, deadline_, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); },
        [&] { low.close(); });
    beast::error_code ignored;
    low.socket().shutdown(tcp::socket::shutdown_both, ignored);
    low.close();
    if (ec == beast::error::timeout) return failed(transport_failure::timeout, timeout_text(options_.timeout, "waiting for the answer"));
    if (ec == http::error::body_limit)
      return failed(transport_failure::bad_response, "the answer's body exceeds " + std::to_string(options_.body_limit) + " bytes");
    if (ec == http::error::header_limit)
      return failed(transport_failure::bad_response, "the answer's header exceeds " + std::to_string(options_.header_limit) + " bytes");
    if (ec && is_closed_by_peer(ec)) return failed(transport_failure::closed, "the server closed the connection without an answer (" + ec.message() + ")");
    if (ec) return failed(transport_failure::bad_response, "not an HTTP answer: " + ec.message());

    const auto& response = parser.get();
    http_reply r;
    r.status = response.result_int();
    r.reason = std::string(response.reason());
    r.version = response.version();
    r.client_request_id = std::string(request["x-ms-client-request-id"]);
    if (auto it = response.find(http::field::content_type); it != response.end()) r.content_type = std::string(it->value());
    if (auto it = response.find("x-ms-request-id"); it != response.end()) r.request_id = std::string(it->value());
    if (auto it = response.find(http::field::retry_after); it != response.end()) r.retry_after = std::string(it->value());
    r.body = response.body();
    return r;
  }

  // Handlers still queued (a cancelled timer) run now, while what they touch is alive.
  void drain_pending() {
    ioc_.restart();
    ioc_.poll();
  }

  const http_client_options& options_;
  const http_call& call_;
  net::io_context& ioc_;
  steady::time_point deadline_;
};

}  // namespace

struct http_client::state {
  http_client_options options;
  ssl::context tls{ssl::context::tls_client};
};

http_client::http_client(http_client_options options) : state_(std::make_unique<state>()) {
  state_->options = std::move(options);
  auto& tls = state_->tls;
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (state_->options.ca_file) {
    tls.load_verify_file(state_->options.ca_file->string(), ec);
    if (ec) throw std::runtime_error("cannot load the CA file " + state_->options.ca_file->string() + ": " + ec.message());
  } else {
    tls.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system's trusted roots: " + ec.message());
  }
}

http_client::~http_client() = default;

http_reply http_client::exchange(const http_call& call) {
  const auto start = steady::now();
  net::io_context ioc;
  exchange_run run(state_->options, call, ioc);
  http_reply reply;
  if (auto endpoints = run.resolve(reply)) {
    if (call.url.is_tls()) {
      beast::ssl_stream<beast::tcp_stream> tls(ioc, state_->tls);
      const std::string& name = call.url.host;
      SSL* ssl_handle = tls.native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      if (is_ip_literal(name)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        // SNI and the name checked in the certificate are the URL's host, wherever we connect.
        SSL_set_tlsext_host_name(ssl_handle, name.c_str());
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      }
      reply = run.connect_and_talk(tls, *endpoints);
    } else {
      beast::tcp_stream plain(ioc);
      reply = run.connect_and_talk(plain, *endpoints);
    }
  }
  reply.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
  return reply;
}

}  // namespace aikmock::client
