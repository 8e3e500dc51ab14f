#pragma once
// "What would the service answer this TPM?" without a server: the enrollment
// service's explain() on an EK certificate, under a policy and a trust store,
// as JSON. Shared by `policy explain` and `lab windows --ek-cert`.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "policy/policy.hpp"

namespace aikmock::app {

struct ek_question {
  bytes ek_certificate;               // as read from the file (DER, PEM, or an NV blob)
  std::optional<bytes> ek_public;     // TPM2B_PUBLIC, when given
  std::vector<std::filesystem::path> trust_dirs;
};

// {"policy", "facts", "trace", "decidedBy", "decision", and for a refusal
// "status", "message", "error"; for an acceptance "credentialProfile", "challenge"}.
nlohmann::ordered_json explain_ek(const policy::policy& policy, const ek_question& question);

// The trust directories `policy explain` and `lab windows` use: the lab's, when
// `lab_dir` holds one, then every --trust DIR.
std::vector<std::filesystem::path> trust_dirs_of(const std::filesystem::path& lab_dir,
                                                 const std::vector<std::string>& extra);

}  // namespace aikmock::app
