#pragma once
// The built-in policies, as JSON: what `--policy NAME` selects and
// `aikmock policy show NAME` prints as a starting point for a lab's own file.
#include <string_view>

namespace aikmock::policy {

struct builtin_policy {
  std::string_view name;
  std::string_view json;
};

inline constexpr builtin_policy builtin_policies[] = {
    {"microsoft-2025", R"json({
  "name": "microsoft-2025",
  "description": "The real service as of 2025. Challenges are made with the limited credential profile of Microsoft's published activation code (SHA-256, AES-128, RSA only), so an RSA-3072/SHA-384 (H-6) EK, or an ECC EK, fails at challenge creation with 400 'Client challenge cannot be created due to failure in EncryptSecret' (the Lenovo X1 Carbon Gen 13 case: symptom confirmed by a field report, cause inferred). EKs whose chain does not validate get 400 'No valid TPM EK/Platform Certificate provided' (confirmed); a failing AIK creation proof gets 'Attestation statement cannot be verified ... TPM firmware needs update.' (message confirmed, trigger assumed).",
  "credentialProfile": "microsoft",
  "requireAikProof": true,
  "requireRequestSignature": false,
  "rules": [
    {
      "name": "roca-vulnerable-ek",
      "basis": "assumed",
      "note": "RSA EKs with the ROCA fingerprint (CVE-2017-15361, Infineon firmware before the 2017 fix): Microsoft tells such devices to update their TPM firmware; that this is the answer they get is our assumption.",
      "when": { "operation": "PKIOperation", "rocaVulnerable": true },
      "then": { "reject": "firmware-needs-update" }
    }
  ]
})json"},
    {"tcg-complete", R"json({
  "name": "tcg-complete",
  "description": "The service as it should be: every valid TCG EK template is accepted and challenged with parameters taken from the EK public (an H-6 EK gets a SHA-384/AES-256 challenge).",
  "credentialProfile": "tcg",
  "requireAikProof": true,
  "requireRequestSignature": false,
  "rules": []
})json"},
    {"strict", R"json({
  "name": "strict",
  "description": "tcg-complete, but an EK certificate that deviates from the TCG EK Credential Profile in any way (any finding of the certificate intake) is refused as not valid.",
  "credentialProfile": "tcg",
  "requireAikProof": true,
  "requireRequestSignature": false,
  "rules": [
    {
      "name": "tcg-profile-violation",
      "basis": "assumed",
      "note": "No public report shows the real service refusing profile deviations; this profile is for testing clients and TPMs against the letter of the profile.",
      "when": { "operation": "PKIOperation", "finding": "*" },
      "then": { "reject": "no-ek-certificate" }
    }
  ]
})json"},
};

}  // namespace aikmock::policy
