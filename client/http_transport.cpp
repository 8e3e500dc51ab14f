#include "client/http_transport.hpp"

namespace aikmock::client {

std::string_view to_string(transport_failure f) {
  switch (f) {
    case transport_failure::none: return "none";
    case transport_failure::resolve: return "resolve";
    case transport_failure::connect: return "connect";
    case transport_failure::tls: return "tls";
    case transport_failure::timeout: return "timeout";
    case transport_failure::closed: return "closed";
    case transport_failure::bad_response: return "bad-response";
  }
  return "none";
}

std::string http_reply::status_line() const {
  return "HTTP/" + std::to_string(version / 10) + "." + std::to_string(version % 10) + " " + std::to_string(status) +
         (reason.empty() ? "" : " " + reason);
}

}  // namespace aikmock::client
