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

void listener::log_refusal(const char* reason, const std::string& remote) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_logged_ < std::chrono::seconds(1)) {
    ++refusals_unlogged_;
    return;
  }
  nlohmann::json e{{"reason", reason}, {"remote", remote}};
  if (refusals_unlogged_) e["alsoRefusedSinceLastLine"] = refusals_unlogged_;
  state_->log.event("connection-refused", std::move(e));
  last_refusal_logged_ = now;
  refusals_unlogged_ = 0;
}

void listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors or memory: retrying at once would spin; wait a little.
    state_->log.event("accept-failed", {{"error", ec.message()}});
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
    });
    return;
  }
  {
    beast::error_code peer_ec;
    auto peer = socket.remote_endpoint(peer_ec);
    const std::string address = peer_ec ? "?" : peer.address().to_string();
    std::string remote = peer_ec ? "?" : address + ":" + std::to_string(peer.port());
    auto admit = [&](const auto& session) {
      const auto& l = state_->limits;
      switch (state_->registry.add(session, address, l.max_connections, l.max_connections_per_address)) {
        case admission::admitted: return session->start();
        case admission::server_full: return log_refusal("connection limit", remote);
        case admission::address_full: return log_refusal("per-address connection limit", remote);
      }
    };
    if (tls_) admit(std::make_shared<tls_session>(std::move(socket), *tls_, state_, address, remote));
    else admit(std::make_shared<plain_session>(std::move(socket), state_, address, remote));
  }
  do_accept();
}

}  // namespace aikmock::server
