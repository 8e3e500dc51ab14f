#pragma once
// The SCEP endpoint /templates/Aik/scep as Windows speaks it (docs/protocol.md):
// GetCACaps, GetCACert, GetCACertChain and PKIOperation — messageType 19 (the
// AIK request) answered with the challenge (CertRep, pkiStatus 11), messageType
// 41 (the challenge answer) answered with the AIK certificate (pkiStatus 0).
// A thin codec: it reads and writes the wire; the enrollment service decides.
// Transport-agnostic (the server hands it the operation, method and body).
#include <memory>
#include <string_view>

#include "certs/authority.hpp"
#include "common/bytes.hpp"
#include "protocol/enrollment/enrollment_service.hpp"
#include "protocol/response.hpp"
#include "protocol/scep/ca_answers.hpp"

namespace aikmock::protocol::scep {

inline constexpr std::string_view scep_path = "/templates/Aik/scep";

// The capabilities announced, as the reverse-engineered service announces them
// (google/security-research tpm-carte-blanche; docs/protocol.md), CRLF at the end.
inline constexpr std::string_view ca_caps =
    "SHA-256\nSHA-1\nAES256\nAES128\nDES3\nPOSTPKIOperation\nIdentityKeyAttestation\nGetCaCertChain\r\n";

struct scep_request {
  std::string_view method;     // "GET" or "POST"
  std::string_view operation;  // the `operation` query parameter
  std::string_view message;    // the `message` query parameter (GET PKIOperation), already URL-decoded
  byte_view body;
  std::string_view host;       // the Host, without port (for answers that name it)
};

class scep_codec {
 public:
  explicit scep_codec(std::shared_ptr<const enrollment::enrollment_service> service);

  response handle(const certs::authority& authority, const scep_request& request) const;

 private:
  response pki_operation(const certs::authority& authority, const scep_request& request) const;

  std::shared_ptr<const enrollment::enrollment_service> service_;
  ca_answers ca_answers_;  // GetCACert and GetCACertChain, signed once per authority
};

}  // namespace aikmock::protocol::scep
