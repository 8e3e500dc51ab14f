#include "app/ek_explanation.hpp"

#include "certs/lab_manifest.hpp"
#include "certs/trust_store.hpp"
#include "policy/error_catalog.hpp"
#include "protocol/enrollment/enrollment_service.hpp"
#include "protocol/facts_json.hpp"
#include "tpm/credential.hpp"

namespace aikmock::app {

std::vector<std::filesystem::path> trust_dirs_of(const std::filesystem::path& lab_dir,
                                                 const std::vector<std::string>& extra) {
  std::vector<std::filesystem::path> dirs;
  if (std::filesystem::exists(lab_dir / "manifest.json")) {
    auto lab = certs::load_lab_manifest(lab_dir);
    dirs.push_back(lab.path_of(lab.trust_store));
  }
  for (const auto& d : extra) dirs.emplace_back(d);
  return dirs;
}

nlohmann::ordered_json explain_ek(const policy::policy& pol, const ek_question& q) {
  auto trust = certs::trust_store::load(q.trust_dirs);
  protocol::enrollment::evidence ev;
  ev.ek_certificate = q.ek_certificate;
  if (q.ek_public) ev.ek_public_area = *q.ek_public;
  // The service as a server would run it, without a transport, a sealing key or a TPM.
  const protocol::enrollment::enrollment_service service(
      std::make_shared<const policy::policy>(pol), protocol::enrollment::thread_random(), trust.store,
      std::make_shared<const protocol::enrollment::state_sealer>(bytes(protocol::enrollment::state_sealer::key_size)),
      nullptr, nullptr);
  auto x = service.explain(ev);

  nlohmann::ordered_json out;
  out["policy"] = pol.name;
  if (x.facts) {
    out["facts"] = protocol::ek_facts_json(*x.facts);
    out["facts"]["aikProof"] = "not evaluated (taken as valid)";
  }
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& step : x.decision.trace) trace.push_back(step.check + ": " + step.result);
  out["trace"] = trace;
  out["decidedBy"] = x.decision.decided_by;
  if (x.decision.delay.count()) out["delayMs"] = x.decision.delay.count();
  switch (x.decision.what) {
    case policy::decision::kind::close: out["decision"] = "close"; break;
    case policy::decision::kind::accept:
      out["decision"] = "accept";
      out["credentialProfile"] = std::string(policy::profile_name(x.decision.profile));
      if (x.challenge)
        out["challenge"] = {{"hash", std::string(tpm::alg_name(x.challenge->hash))},
                            {"aesKeyBits", x.challenge->aes_key_bits},
                            {"seedBytes", x.challenge->seed_size}};
      break;
    case policy::decision::kind::reject: {
      const auto& e = policy::catalog_entry(x.decision.error.value_or(policy::error_id::internal_error));
      out["decision"] = "reject";
      out["status"] = e.status;
      out["message"] = policy::error_message(e);
      out["error"] = e.key;
      if (x.decision.retry_after) out["retryAfter"] = *x.decision.retry_after;
      if (!x.reason.empty()) out["reason"] = x.reason;
      break;
    }
  }
  return out;
}

}  // namespace aikmock::app
