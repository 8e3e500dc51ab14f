#pragma once
// Accepts connections on one address and hands each to a session; at the
// connection limit, or at the limit for its peer's address, a new connection
// is closed at once.
#include <chrono>
#include <memory>
#include <string>

#include "server/beast.hpp"
#include "server/server_state.hpp"

namespace aikmock::server {

class listener : public std::enable_shared_from_this<listener> {
 public:
  // tls == nullptr: plain HTTP. Throws boost::system::system_error when it cannot bind.
  listener(net::io_context& ioc, tcp::endpoint endpoint, ssl::context* tls, std::shared_ptr<server_state> state);

  void run();
  void stop();  // any thread
  tcp::endpoint local_endpoint() const { return local_; }

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  ssl::context* tls_;
  std::shared_ptr<server_state> state_;
  tcp::endpoint local_;
  net::steady_timer backoff_;
  // Refusals are logged at most once a second, with how many were not (a flood
  // of connections must not become a flood of log lines). On the acceptor's strand.
  void log_refusal(const char* reason, const std::string& remote);
  std::chrono::steady_clock::time_point last_refusal_logged_{};
  std::size_t refusals_unlogged_ = 0;
};

}  // namespace aikmock::server
