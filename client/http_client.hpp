#pragma once
// The reference client's HTTP/1.1 transport over Beast: one connection per
// exchange, TLS 1.2+ verified against `--ca-file` (or the system store) with
// the URL's host as SNI and certificate name, an optional `--connect-to` peer,
// one deadline for the whole exchange (name lookup, connect, handshake, send,
// receive) and bounded answers. Beast stays behind this header.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "client/http_transport.hpp"
#include "client/url.hpp"

namespace aikmock::client {

struct http_client_options {
  std::optional<std::filesystem::path> ca_file;  // trust only these roots (PEM); none: the system store
  std::optional<connect_target> connect_to;      // connect here instead of the URL's host
  std::chrono::milliseconds timeout{30000};      // per exchange, from name lookup to the last body byte
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;
  // Windows' NDES client, as certreq -enrollaik sends it.
  std::string user_agent = "Mozilla/4.0 (compatible; Win32; NDES client 10.0.19041.746/vb_release_svc_prod1)";
};

class http_client final : public http_transport {
 public:
  // Throws std::runtime_error when the CA file does not load.
  explicit http_client(http_client_options options);
  ~http_client() override;
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  http_reply exchange(const http_call& call) override;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace aikmock::client
