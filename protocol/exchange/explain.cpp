#include "protocol/exchange/explain.hpp"

namespace aikmock::protocol::exchange {

explanation explain_enrollment(const policy::policy& pol, const evidence& ev, const certs::trust_store& trust) {
  explanation out;
  certs::ek_chain_options options;
  options.ignore_unknown_critical_extensions = pol.ignore_unknown_critical_extensions;
  if (pol.clock_offset.count() != 0)
    options.now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + pol.clock_offset;
  auto assessed = assess_ek(ev, trust, nullptr, options);
  if (assessed.refusal) {
    out.decision.what = policy::decision::kind::reject;
    out.decision.error = policy::error_id::no_ek_certificate;
    out.decision.decided_by = "exchange";
    out.reason = assessed.refusal->detail;
    return out;
  }
  policy::request_facts facts;
  facts.operation = "PKIOperation";
  facts.ek = assessed.facts;
  facts.aik_proof_valid = true;
  out.facts = assessed.facts;
  out.decision = policy::evaluate(pol, facts, [] { return 0.5; });
  if (out.decision.what != policy::decision::kind::accept) return out;

  const auto profile = out.decision.profile == policy::credential_profile::tcg ? tpm::credential_profile::tcg
                                                                               : tpm::credential_profile::microsoft;
  auto protection = tpm::credential_protection_for(*assessed.ek_public, profile);
  if (!protection) {
    out.decision.what = policy::decision::kind::reject;
    out.decision.error = policy::error_id::encrypt_secret_failed;
    out.reason = protection.error().reason;
    return out;
  }
  out.challenge = *protection;
  return out;
}

}  // namespace aikmock::protocol::exchange
