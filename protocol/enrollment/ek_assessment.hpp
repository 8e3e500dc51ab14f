#pragma once
// What the EK evidence shows, before any AIK: the facts a policy decides on,
// the EK public MakeCredential needs, and the TPM identity the AIK certificate
// copies; or why the EK is refused outright (no certificate, or one that does
// not parse, or keys that do not match it).
#include <optional>
#include <string>

#include "certs/authority.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/ek_chain.hpp"
#include "certs/trust_store.hpp"
#include "common/result.hpp"
#include "policy/facts.hpp"
#include "protocol/enrollment/evidence.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::protocol::enrollment {

struct ek_assessment {
  policy::ek_facts facts;
  tpm::tpmt_public ek_public;
  certs::tpm_identity tpm;
};

// `authority`, when given, must be the one whose CA issued the EK: a valid chain
// to another vendor CA does not count. Fails with why the EK is refused outright.
result<ek_assessment> assess_ek(const evidence& evidence, const certs::trust_store& trust,
                                const certs::authority* authority, const certs::ek_chain_options& chain_options);

}  // namespace aikmock::protocol::enrollment
