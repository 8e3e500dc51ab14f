#pragma once
// "What would the service say to this TPM?" without a server or a TPM: the
// exchange's EK assessment, the policy's decision, and — for an accepted EK —
// whether the chosen credential profile can make its challenge. The AIK proof
// is taken as valid (there is no AIK to judge).
#include <optional>
#include <string>
#include <vector>

#include "certs/trust_store.hpp"
#include "policy/policy.hpp"
#include "protocol/exchange/enrollment.hpp"
#include "tpm/credential.hpp"

namespace aikmock::protocol::exchange {

struct explanation {
  policy::decision decision;                    // after the credential profile's verdict
  std::optional<policy::ek_facts> facts;        // absent when the EK was refused outright
  std::string reason;                           // why a refusal, when the exchange or the profile refused
  std::optional<tpm::credential_protection> challenge;  // how the challenge would be made, when accepted
};

explanation explain_enrollment(const policy::policy& policy, const evidence& evidence,
                               const certs::trust_store& trust);

}  // namespace aikmock::protocol::exchange
