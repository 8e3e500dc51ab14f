#pragma once
// The JSON API for scripts and CI: the same enrollment service, policy and
// errors as the SCEP endpoint, without SCEP (docs/protocol.md).
//   POST /aik/v1/challenge   {"ekCertificate": b64 DER, "ekIntermediates": [b64 DER],
//                             "ekPublic": b64 TPM2B_PUBLIC, "aikPublic": b64 TPM2B_PUBLIC,
//                             "aikCreation": {"creationData": b64 TPM2B_CREATION_DATA,
//                                             "attest": b64 TPMS_ATTEST, "signature": b64 TPMT_SIGNATURE}}
//     -> 200 {"credentialBlob": b64 tpm2-tools credential file, "activationBlob": b64 Windows blob,
//             "state": "...", "expiresAt": RFC 3339, "credentialProfile": "tcg"|"microsoft"}
//   POST /aik/v1/certificate {"state": "...", "secret": b64}
//     -> 200 {"certificate": PEM, "chain": [PEM, ...]}
// (the formats are those tpm2-tools reads and writes: tpm2_create -u/--creation-data,
// tpm2_certifycreation --attestation/-o -f tss, tpm2_activatecredential -i).
// Bodies are bounded (max_body) and parsed with bounded depth and element count.
#include <memory>
#include <string_view>

#include "certs/authority.hpp"
#include "protocol/enrollment/enrollment_service.hpp"
#include "protocol/response.hpp"

namespace aikmock::protocol {

inline constexpr std::string_view json_api_prefix = "/aik/v1/";
// A challenge request with three intermediates is under 16 KiB.
inline constexpr std::size_t json_api_max_body = 64 * 1024;

// How the JSON API found its authority: from the Host, or — on a plain host —
// from the EK certificate's issuer (challenge) or the state (certificate).
struct authority_source {
  const certs::authority* from_host = nullptr;
  std::shared_ptr<const certs::authority_directory> directory;
};

class json_api {
 public:
  explicit json_api(std::shared_ptr<const enrollment::enrollment_service> service);

  // `authority_name` is set to the authority that served the request.
  response handle(std::string_view method, std::string_view path, std::string_view body,
                  const authority_source& authorities, std::string_view host, std::string& authority_name) const;

 private:
  response challenge(std::string_view body, const authority_source& authorities, std::string_view host,
                     std::string& authority_name) const;
  response certificate(std::string_view body, const authority_source& authorities, std::string_view host,
                       std::string& authority_name) const;

  std::shared_ptr<const enrollment::enrollment_service> service_;
};

}  // namespace aikmock::protocol
