#pragma once
// The facts a policy judged, as JSON: for `policy explain`, `lab windows
// --ek-cert` and the lab console's decision trace. Field names are the policy
// file's (docs/policy.md), so what an engineer reads is what a rule can match.
#include <nlohmann/json.hpp>

#include "policy/facts.hpp"

namespace aikmock::protocol {

nlohmann::ordered_json ek_facts_json(const policy::ek_facts& ek);
// Only what the exchange established: absent parts are left out.
nlohmann::ordered_json request_facts_json(const policy::request_facts& facts);

// The TCG vendor code of a tpmManufacturer value ("id:53544D20" -> "STM"); empty when it is not printable ASCII.
std::string tpm_vendor_code(std::string_view manufacturer);

}  // namespace aikmock::protocol
