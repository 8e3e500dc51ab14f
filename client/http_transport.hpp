#pragma once
// One HTTP exchange as the enrollment flow sees it, whatever carries it: the
// Beast client (http_client.hpp) or, in tests, a scripted one. A transport
// failure is a value, never an exception: the flow decides what it means
// (retry, and which Windows code the user sees).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/url.hpp"

namespace aikmock::client {

enum class transport_failure {
  none,
  resolve,       // the host name did not resolve
  connect,       // TCP connect refused or unreachable
  tls,           // TLS handshake refused: untrusted certificate, wrong name, no common protocol
  timeout,       // the per-request deadline passed (connect, handshake, send or receive)
  closed,        // the peer closed or reset the connection before a whole answer
  bad_response,  // not HTTP/1.x, or beyond the client's header or body limits
};

std::string_view to_string(transport_failure f);

struct http_call {
  std::string method;  // "GET" or "POST"
  service_url url;
  std::string query;  // without '?', e.g. "operation=GetCACaps"
  std::string content_type;  // POST only
  std::string body;
  // More request headers (Windows' own: PlatformType, Cache-Control…); they
  // replace the transport's defaults of the same name.
  std::vector<std::pair<std::string, std::string>> headers;

  std::string target() const { return query.empty() ? url.path : url.path + "?" + query; }
};

struct http_reply {
  transport_failure failure = transport_failure::none;
  std::string failure_text;  // what failed, for a human (empty without a failure)
  unsigned status = 0;       // the HTTP status, when there is no failure
  std::string reason;        // "Bad Request", as the server sent it
  unsigned version = 11;     // 11 for HTTP/1.1
  std::string content_type;
  std::string request_id;         // x-ms-request-id
  std::string client_request_id;  // x-ms-client-request-id the client sent
  std::optional<std::string> retry_after;  // the Retry-After header, verbatim
  std::string body;
  std::chrono::milliseconds elapsed{0};

  bool answered() const { return failure == transport_failure::none; }
  // "HTTP/1.1 400 Bad Request"
  std::string status_line() const;
};

class http_transport {
 public:
  virtual ~http_transport() = default;
  virtual http_reply exchange(const http_call& call) = 0;
};

}  // namespace aikmock::client
