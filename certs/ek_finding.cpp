#include "certs/ek_finding.hpp"

#include <algorithm>

namespace aikmock::certs {

std::string_view to_string(ek_finding_kind kind) noexcept {
  switch (kind) {
    case ek_finding_kind::nv_header: return "nv-header";
    case ek_finding_kind::trailing_bytes: return "trailing-bytes";
    case ek_finding_kind::explicit_default_encoding: return "explicit-default-encoding";
    case ek_finding_kind::not_v3: return "not-v3";
    case ek_finding_kind::negative_serial: return "negative-serial";
    case ek_finding_kind::empty_issuer: return "empty-issuer";
    case ek_finding_kind::non_empty_subject: return "non-empty-subject";
    case ek_finding_kind::sha1_signature: return "sha1-signature";
    case ek_finding_kind::rsaes_oaep_spki: return "rsaes-oaep-spki";
    case ek_finding_kind::missing_san: return "missing-san";
    case ek_finding_kind::san_not_critical: return "san-not-critical";
    case ek_finding_kind::missing_tpm_manufacturer: return "missing-tpm-manufacturer";
    case ek_finding_kind::missing_tpm_model: return "missing-tpm-model";
    case ek_finding_kind::missing_tpm_version: return "missing-tpm-version";
    case ek_finding_kind::missing_tpm_specification: return "missing-tpm-specification";
    case ek_finding_kind::missing_ek_eku: return "missing-ek-eku";
    case ek_finding_kind::missing_key_usage: return "missing-key-usage";
    case ek_finding_kind::key_usage_not_critical: return "key-usage-not-critical";
    case ek_finding_kind::rsa_key_usage_mismatch: return "rsa-key-usage-mismatch";
    case ek_finding_kind::ecc_key_usage_mismatch: return "ecc-key-usage-mismatch";
    case ek_finding_kind::missing_basic_constraints: return "missing-basic-constraints";
    case ek_finding_kind::basic_constraints_not_critical: return "basic-constraints-not-critical";
    case ek_finding_kind::basic_constraints_ca: return "basic-constraints-ca";
    case ek_finding_kind::missing_aki: return "missing-aki";
    case ek_finding_kind::extension_should_not_be_critical: return "extension-should-not-be-critical";
    case ek_finding_kind::unknown_critical_extension: return "unknown-critical-extension";
    case ek_finding_kind::aki_issuer_serial_mismatch: return "aki-issuer-serial-mismatch";
  }
  return "unknown-finding";
}

bool has_finding(const std::vector<ek_finding>& findings, ek_finding_kind kind) noexcept {
  return std::any_of(findings.begin(), findings.end(), [kind](const ek_finding& f) { return f.kind == kind; });
}

std::string describe(const std::vector<ek_finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    if (!out.empty()) out += "; ";
    out += to_string(f.kind);
    if (!f.text.empty()) {
      out += ": ";
      out += f.text;
    }
  }
  return out;
}

}  // namespace aikmock::certs
