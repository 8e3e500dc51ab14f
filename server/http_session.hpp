#pragma once
// One HTTP/1.1 connection, plain or TLS (CRTP, after Beast's server-flex):
// wait for a request under the idle timeout, read it under the request
// timeout and the size limits, answer it through the router, keep alive or close.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "server/beast.hpp"
#include "server/answer_record.hpp"
#include "server/server_state.hpp"

namespace aikmock::server {

template <class Derived>
class http_session : public stoppable {
 public:
  http_session(std::shared_ptr<server_state> state, std::string address, std::string remote, std::string scheme)
      : state_(std::move(state)), address_(std::move(address)), remote_(std::move(remote)), scheme_(std::move(scheme)) {}

  ~http_session() override { state_->registry.remove(this); }

  // Any thread: an idle connection closes now, a busy one after its answer.
  void stop() override {
    net::dispatch(derived().stream().get_executor(),
                  [self = derived().shared_from_this()] { self->on_stop(); });
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }
  auto& lowest_layer() { return beast::get_lowest_layer(derived().stream()); }

  void do_read() {
    if (stop_requested_ || state_->stopping) return derived().do_close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits.header_bytes));
    parser_->body_limit(state_->limits.body_bytes);
    if (buffer_.size() > 0) return do_read_request();
    idle_ = true;
    lowest_layer().expires_after(state_->limits.idle_timeout);
    derived().stream().async_read_some(
        buffer_.prepare(4096), beast::bind_front_handler(&http_session::on_first_bytes, derived().shared_from_this()));
  }

  beast::flat_buffer buffer_;
  std::shared_ptr<server_state> state_;
  // Waiting for the peer to begin (a request, or a TLS handshake): stop() may end it at once.
  bool idle_ = false;
  // Answered before the body was read (413): the client may still be sending it.
  bool unread_body_ = false;

 private:
  void on_stop() {
    stop_requested_ = true;
    if (idle_) lowest_layer().cancel();
    if (delay_timer_) delay_timer_->cancel();  // a stalled answer goes out now
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    idle_ = false;
    if (ec) return derived().do_close();  // idle timeout, peer closed, or stopping
    buffer_.commit(n);
    do_read_request();
  }

  // The header first: how much body a request may carry depends on where it goes.
  void do_read_request() {
    started_ = std::chrono::steady_clock::now();
    started_wall_ = std::chrono::system_clock::now();
    lowest_layer().expires_after(state_->limits.request_timeout);
    http::async_read_header(derived().stream(), buffer_, *parser_,
                            beast::bind_front_handler(&http_session::on_header, derived().shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t n) {
    if (ec) return on_read(ec, n);
    const std::size_t limit = body_limit_for(parser_->get().target(), state_->limits.body_bytes);
    // A declared length is checked against the limit the parser had when it read the header: check it here.
    if (auto declared = parser_->content_length(); declared && *declared > limit) {
      unread_body_ = true;
      return send(make_error_response(policy::error_id::body_too_large, &parser_->get(), scheme_,
                                      "Content-Length " + std::to_string(*declared) + " is over this route's " +
                                          std::to_string(limit) + " bytes"),
                  &parser_->get());
    }
    parser_->body_limit(limit);  // and a chunked body is counted against it as it comes
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, derived().shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return derived().do_close();
    if (ec == beast::error::timeout) {
      log_unanswered("request-timeout", "the client did not send a whole request in time");
      return derived().do_close();
    }
    if (ec == http::error::header_limit)
      return send(make_error_response(policy::error_id::headers_too_large, nullptr, scheme_, ec.message()), nullptr);
    // Past the body limit the header was read whole: answer as to that request.
    if (ec == http::error::body_limit) {
      unread_body_ = true;
      return send(make_error_response(policy::error_id::body_too_large, &parser_->get(), scheme_, ec.message()),
                  &parser_->get());
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category())
      return send(make_error_response(policy::error_id::bad_request, nullptr, scheme_, ec.message()), nullptr);
    if (ec) return derived().do_close();

    request_.emplace(parser_->release());
    send(state_->handler.handle(*request_, scheme_, address_), &*request_);
  }

  void send(routed_response routed, const request_t* request) {
    entry_ = {};
    entry_.time = started_wall_;
    entry_.request_id = routed.request_id;
    entry_.client_request_id = routed.client_request_id;
    entry_.remote = remote_;
    entry_.scheme = scheme_;
    entry_.authority = routed.authority;
    entry_.status = routed.response.result_int();
    entry_.error = routed.error;
    entry_.detail = routed.detail;
    if (request) {
      entry_.host = std::string((*request)[http::field::host]);
      entry_.method = std::string(request->method_string());
      entry_.target = std::string(request->target());
    }
    entry_.policy_rule = routed.policy_rule;
    for (const auto& step : routed.policy_trace) entry_.policy_trace.push_back(step.check + ": " + step.result);
    if (routed.drop) {
      entry_.status = 0;
      entry_.error = "dropped";
      entry_.detail = "the policy closed the connection without answering";
      entry_.duration = elapsed();
      state_->log.request(entry_);
      record_answer(*state_, entry_, routed);
      return hang_up();
    }
    keep_alive_ = routed.response.keep_alive() && !stop_requested_ && !state_->stopping;
    const auto delay = routed.delay;
    routed_.emplace(std::move(routed));
    routed_->response.keep_alive(keep_alive_);
    if (delay.count() > 0 && !stop_requested_) {
      if (!delay_timer_) delay_timer_.emplace(derived().stream().get_executor());
      delay_timer_->expires_after(delay);
      delay_timer_->async_wait([self = derived().shared_from_this()](beast::error_code) { self->do_write(); });
      return;
    }
    do_write();
  }

  void do_write() {
    lowest_layer().expires_after(state_->limits.request_timeout);
    http::async_write(derived().stream(), routed_->response,
                      beast::bind_front_handler(&http_session::on_write, derived().shared_from_this()));
  }

  // As a failing front end does: no answer, no TLS close_notify.
  void hang_up() {
    beast::error_code ignored;
    lowest_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest_layer().socket().close(ignored);
  }

  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
  }

  void on_write(beast::error_code ec, std::size_t n) {
    entry_.bytes = n;
    entry_.duration = elapsed();
    if (ec) entry_.detail += (entry_.detail.empty() ? "" : "; ") + std::string("write failed: ") + ec.message();
    state_->log.request(entry_);
    record_answer(*state_, entry_, *routed_);
    routed_.reset();
    request_.reset();
    if (ec || !keep_alive_) return derived().do_close();
    do_read();
  }

  void log_unanswered(const char* error, const char* detail) {
    access_entry e;
    e.time = started_wall_;
    e.remote = remote_;
    e.scheme = scheme_;
    e.error = error;
    e.detail = detail;
    e.duration = elapsed();
    state_->log.request(e);
  }

  std::string address_;  // the peer's IP address
  std::string remote_;   // address:port, for the log
  std::string scheme_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<request_t> request_;
  std::optional<routed_response> routed_;  // the answer being written, with what the metrics want of it
  std::optional<net::steady_timer> delay_timer_;
  access_entry entry_;
  bool stop_requested_ = false;
  bool keep_alive_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
};

class plain_session : public http_session<plain_session>, public std::enable_shared_from_this<plain_session> {
 public:
  plain_session(tcp::socket&& socket, std::shared_ptr<server_state> state, std::string address, std::string remote)
      : http_session(std::move(state), std::move(address), std::move(remote), "http"), stream_(std::move(socket)) {}

  beast::tcp_stream& stream() { return stream_; }
  void start() { net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); }); }

  // Half-close, then drain what the client still sends for a moment, so an
  // early answer (413, 431) is not lost to a reset.
  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    do_drain();
  }

 private:
  void do_drain() {
    stream_.async_read_some(net::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        beast::error_code ignored;
        self->stream_.socket().close(ignored);
        return;
      }
      self->do_drain();
    });
  }

  beast::tcp_stream stream_;
  char drain_[4096];
};

class tls_session : public http_session<tls_session>, public std::enable_shared_from_this<tls_session> {
 public:
  tls_session(tcp::socket&& socket, ssl::context& tls, std::shared_ptr<server_state> state, std::string address,
              std::string remote)
      : http_session(std::move(state), std::move(address), std::move(remote), "https"), stream_(std::move(socket), tls) {}

  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      // Until the client's hello arrives the connection is idle: a stop ends it.
      self->idle_ = true;
      beast::get_lowest_layer(self->stream_).expires_after(self->state_->limits.handshake_timeout);
      self->stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&tls_session::on_handshake, self));
    });
  }

  // After an early answer (413) the client is likely still sending its body:
  // read and discard it for a moment (as the plain session does), or closing
  // with unread data would reset the connection and lose the answer.
  void do_close() {
    if (unread_body_) {
      unread_body_ = false;
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      return do_drain(0);
    }
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      // Peers often close without close_notify (stream_truncated): nothing to do either way.
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().close(ignored);
    });
  }

 private:
  void on_handshake(beast::error_code ec) {
    idle_ = false;
    if (ec) {
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().close(ignored);
      return;
    }
    do_read();
  }

  void do_drain(std::size_t drained) {
    stream_.async_read_some(net::buffer(drain_), [self = shared_from_this(), drained](beast::error_code ec, std::size_t n) {
      // Past this much the client is not merely finishing a request: close.
      constexpr std::size_t max_drained = 4 * 1024 * 1024;
      if (ec || drained + n > max_drained) return self->do_close();
      self->do_drain(drained + n);
    });
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  char drain_[4096];
};

}  // namespace aikmock::server
