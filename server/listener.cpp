#include "server/listener.hpp"

#include "server/http_session.hpp"

namespace aikmock::server {

listener::listener(net::io_context& ioc, tcp::endpoint endpoint, ssl::context* tls,
                   std::shared_ptr<server_state> state)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), tls_(tls), state_(std::move(state)),
      backoff_(acceptor_.get_executor()) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  if (endpoint.address().is_v6()) acceptor_.set_option(net::ip::v6_only(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  local_ = acceptor_.local_endpoint();
}

void listener::run() { do_accept(); }

void listener::stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_.cancel();
  });
}

void listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors or memory: retrying at once would spin; wait a little.
    state_->log.event("accept-failed", R"({"error":")" + ec.message() + "\"}");
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
    });
    return;
  }
  {
    beast::error_code peer_ec;
    auto peer = socket.remote_endpoint(peer_ec);
    std::string remote = peer_ec ? "?" : peer.address().to_string() + ":" + std::to_string(peer.port());
    auto admit = [&](const auto& session) {
      if (state_->registry.add(session, state_->limits.max_connections)) return session->start();
      state_->log.event("connection-refused", R"({"reason":"connection limit","remote":")" + remote + "\"}");
    };
    if (tls_) admit(std::make_shared<tls_session>(std::move(socket), *tls_, state_, remote));
    else admit(std::make_shared<plain_session>(std::move(socket), state_, remote));
  }
  do_accept();
}

}  // namespace aikmock::server
