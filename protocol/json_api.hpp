#pragma once
// The JSON API for scripts and CI: the same exchange, policy and errors as the
// SCEP endpoint, without SCEP.
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
#include <memory>
#include <string_view>

#include "certs/authority.hpp"
#include "policy/policy.hpp"
#include "protocol/exchange/enrollment.hpp"
#include "protocol/response.hpp"

namespace aikmock::protocol {

inline constexpr std::string_view json_api_prefix = "/aik/v1/";

class json_api {
 public:
  json_api(std::shared_ptr<const policy::policy> policy, policy::random_source random,
           std::shared_ptr<const exchange::enrollment_engine> engine,
           std::shared_ptr<const certs::authority_directory> authorities);

  // `from_host`: the authority the Host named, or nullptr for a plain host: then
  // the EK certificate's issuer KeyId (challenge) or the state (certificate) picks it.
  // `authority_name` is set to the authority that served the request.
  response handle(std::string_view method, std::string_view path, std::string_view body,
                  const certs::authority* from_host, std::string_view host, std::string& authority_name) const;

 private:
  response challenge(std::string_view body, const certs::authority* from_host, std::string_view host,
                     std::string& authority_name) const;
  response certificate(std::string_view body, const certs::authority* from_host, std::string_view host,
                       std::string& authority_name) const;

  std::shared_ptr<const policy::policy> policy_;
  policy::random_source random_;
  std::shared_ptr<const exchange::enrollment_engine> engine_;
  std::shared_ptr<const certs::authority_directory> authorities_;
};

}  // namespace aikmock::protocol
