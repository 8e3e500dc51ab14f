#include <algorithm>

#include "common/strings.hpp"
#include "policy/policy.hpp"

namespace aikmock::policy {

namespace {

bool any_of_text(const std::vector<std::string>& wanted, std::string_view value) {
  return wanted.empty() ||
         std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) { return iequals(w, value); });
}

// A default check of the AIK (its creation proof, the request's signature):
// traced when the exchange got that far, refused with firmware-needs-update
// when it failed and the policy requires it.
bool refused_by_default_check(decision& d, const char* check, const std::optional<bool>& passed,
                              const std::string& failure, bool required) {
  if (!passed) return false;
  if (!*passed && required) {
    d.trace.push_back({check, "failed: " + failure});
    d.what = decision::kind::reject;
    d.error = error_id::firmware_needs_update;
    return true;
  }
  d.trace.push_back({check, *passed ? "passed" : "failed, not required"});
  return false;
}

// A yes/no condition against a fact the request may not have shown (yet).
std::string flag_mismatch(const std::optional<bool>& wanted, const std::optional<bool>& fact, const char* what) {
  if (!wanted) return {};
  if (!fact) return std::string("no ") + what + " at this stage";
  if (*wanted != *fact) return std::string(what) + (*fact ? " matches" : " differs");
  return {};
}

// Why a rule does not match, or empty when it does. A rule that names an EK
// property does not match a request whose EK is not known yet.
std::string mismatch(const rule_match& m, const request_facts& f, std::size_t rule_index, request_draws& draws) {
  if (!any_of_text(m.operations, f.operation)) return "operation " + f.operation;
  if (!m.authorities.empty()) {
    bool hit = false;
    for (const auto& a : m.authorities)
      hit = hit || iequals(a, f.authority) ||
            (f.authority.size() > a.size() && iequals(f.authority.substr(f.authority.size() - a.size()), a));
    if (!hit) return "authority " + f.authority;
  }
  const bool needs_ek = !m.models.empty() || !m.firmware.empty() || !m.templates.empty() || !m.key_types.empty() ||
                        !m.key_bits.empty() || !m.signature_hashes.empty() || !m.issuer_key_ids.empty() ||
                        !m.devices.empty() || !m.findings.empty() || m.chain_valid || m.roca_vulnerable;
  if (!m.vendors.empty()) {
    bool hit = any_of_text(m.vendors, f.authority_vendor) && !f.authority_vendor.empty();
    if (f.ek) hit = hit || any_of_text(m.vendors, f.ek->manufacturer);
    if (!hit) return "vendor";
  }
  if (needs_ek) {
    if (!f.ek) return "no EK known at this stage";
    const ek_facts& e = *f.ek;
    if (!any_of_text(m.models, e.model)) return "model " + e.model;
    if (!any_of_text(m.firmware, e.firmware)) return "firmware " + e.firmware;
    if (!any_of_text(m.templates, e.tpl)) return "template " + e.tpl;
    if (!any_of_text(m.key_types, e.key_type)) return "key type " + e.key_type;
    if (!m.key_bits.empty() && std::find(m.key_bits.begin(), m.key_bits.end(), e.key_bits) == m.key_bits.end())
      return "key size " + std::to_string(e.key_bits);
    if (!any_of_text(m.signature_hashes, e.signature_hash)) return "signature hash " + e.signature_hash;
    if (!any_of_text(m.issuer_key_ids, e.issuer_key_id)) return "issuer KeyId " + e.issuer_key_id;
    if (!any_of_text(m.devices, e.device)) return "device " + e.device;
    // "*" stands for any finding at all.
    const bool any = std::find(m.findings.begin(), m.findings.end(), "*") != m.findings.end();
    if (!m.findings.empty() && std::none_of(e.findings.begin(), e.findings.end(), [&](const std::string& x) {
          return any || any_of_text(m.findings, x);
        }))
      return "no listed finding";
    if (m.chain_valid && *m.chain_valid != e.chain_valid) return e.chain_valid ? "chain valid" : "chain invalid";
    if (m.roca_vulnerable && *m.roca_vulnerable != e.roca_vulnerable) return "ROCA fingerprint";
  }
  if (m.aik_proof_valid) {
    if (!f.aik_proof_valid) return "no AIK proof checked at this stage";
    if (*m.aik_proof_valid != *f.aik_proof_valid) return "AIK proof";
  }
  if (!any_of_text(m.machines, f.client.machine)) return "machine " + f.client.machine;
  if (!any_of_text(m.users, f.client.user)) return "user " + f.client.user;
  if (!any_of_text(m.processes, f.client.process)) return "process " + f.client.process;
  if (!any_of_text(m.os_versions, f.client.os_version)) return "OS version " + f.client.os_version;
  if (auto why = flag_mismatch(m.signer_hash_matches, f.client.signer_hash_matches, "signer hash"); !why.empty())
    return why;
  if (auto why = flag_mismatch(m.request_tpm_matches_ek, f.client.request_tpm_matches_ek, "request TPM");
      !why.empty())
    return why;
  if (auto why = flag_mismatch(m.request_signed, f.client.request_signed, "request signature"); !why.empty())
    return why;
  // Drawn last, so that a rule that cannot match never consumes a draw.
  if (m.probability && !(draws.draw(rule_index) < *m.probability)) return "probability draw";
  return {};
}

}  // namespace

decision evaluate(const policy& p, const request_facts& f, request_draws& draws) {
  decision d;
  d.profile = p.default_profile;

  for (std::size_t i = 0; i < p.rules.size(); ++i) {
    const auto& r = p.rules[i];
    std::string why = mismatch(r.when, f, i, draws);
    if (!why.empty()) {
      d.trace.push_back({"rule:" + r.name, "skipped (" + why + ")"});
      continue;
    }
    d.trace.push_back({"rule:" + r.name, "matched"});
    const auto& a = r.then;
    switch (a.what) {
      case rule_action::kind::delay:
        d.delay += a.delay;
        continue;
      case rule_action::kind::accept:
        if (a.profile) d.profile = *a.profile;
        break;
      case rule_action::kind::reject:
      case rule_action::kind::fault:
        d.what = decision::kind::reject;
        d.error = a.error;
        break;
      case rule_action::kind::throttle:
        d.what = decision::kind::reject;
        d.error = error_id::too_many_requests;
        d.retry_after = a.retry_after_seconds;
        break;
      case rule_action::kind::close:
        d.what = decision::kind::close;
        break;
    }
    d.decided_by = r.name;
    return d;
  }

  d.decided_by = "default";
  if (f.ek) {
    if (!f.ek->chain_valid) {
      d.trace.push_back({"chain", "failed: " + f.ek->chain_failure});
      d.what = decision::kind::reject;
      d.error = error_id::no_ek_certificate;
      return d;
    }
    d.trace.push_back({"chain", "passed"});
  }
  if (refused_by_default_check(d, "aik-proof", f.aik_proof_valid, f.aik_proof_failure, p.require_aik_proof) ||
      refused_by_default_check(d, "request-signature", f.request_signature_valid, f.request_signature_failure,
                               p.require_request_signature))
    return d;
  d.trace.push_back({"default", "accept with credential profile " + std::string(profile_name(d.profile))});
  return d;
}

std::string_view profile_name(credential_profile p) { return tpm::to_string(p); }

std::optional<credential_profile> parse_profile_name(std::string_view name) { return tpm::parse_credential_profile(name); }

double request_draws::draw(std::size_t rule_index) {
  if (drawn_.size() <= rule_index) drawn_.resize(rule_index + 1);
  if (!drawn_[rule_index]) drawn_[rule_index] = source_();
  return *drawn_[rule_index];
}

std::string_view basis_name(basis b) {
  switch (b) {
    case basis::confirmed: return "confirmed";
    case basis::reported: return "reported";
    case basis::assumed: return "assumed";
  }
  return "assumed";
}

}  // namespace aikmock::policy
