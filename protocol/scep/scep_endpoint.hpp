#pragma once
// The SCEP endpoint /templates/Aik/scep of one authority: GetCACaps, GetCACert
// and PKIOperation, transport-agnostic (the server hands it the operation,
// method and body; it answers with a protocol::response).
#include <string_view>

#include "certs/authority.hpp"
#include "common/bytes.hpp"
#include "protocol/response.hpp"

namespace aikmock::protocol::scep {

struct scep_request {
  std::string_view method;     // "GET" or "POST"
  std::string_view operation;  // the `operation` query parameter
  std::string_view message;    // the `message` query parameter (GET PKIOperation), already URL-decoded
  byte_view body;
};

// The capabilities we announce (RFC 8894 §3.5.2). What the real service
// announces is not public; these are the ones Windows' client uses (AES,
// SHA-256, POST); see docs/protocol.md.
inline constexpr std::string_view ca_caps = "POSTPKIOperation\nSHA-256\nSHA-512\nAES\nSCEPStandard\n";

response handle_scep(const certs::authority& authority, const scep_request& request);

}  // namespace aikmock::protocol::scep
