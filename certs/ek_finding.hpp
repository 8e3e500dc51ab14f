#pragma once
// A deviation of an EK certificate (or of its chain) from the TCG EK Credential
// Profile (§3.2; go-attestation's x509/ekcert.go). Real EK certificates have
// many; none of them stops the intake. The validator and the caller decide
// what to accept, and the findings say why a certificate looked odd.
#include <string>
#include <string_view>
#include <vector>

namespace aikmock::certs {

enum class ek_finding_kind {
  // How the certificate was stored.
  nv_header,                // TCG PC Client NV header before the DER
  trailing_bytes,           // bytes after the certificate (0xFF / zero / fill padding)
  // Encoding.
  explicit_default_encoding,  // a DEFAULT value encoded explicitly (DER forbids it)
  // Fields.
  not_v3,
  negative_serial,          // zero or negative serialNumber
  empty_issuer,
  non_empty_subject,
  sha1_signature,
  // Subject public key.
  rsaes_oaep_spki,          // id-RSAES-OAEP algorithm (TPM 1.2 era); OpenSSL cannot decode it
  // Subject alternative name.
  missing_san,
  san_not_critical,         // with an empty subject the SAN must be critical
  missing_tpm_manufacturer,
  missing_tpm_model,
  missing_tpm_version,
  missing_tpm_specification,  // subjectDirectoryAttributes without tcg-at-tpmSpecification
  // Extensions.
  missing_ek_eku,           // no extendedKeyUsage tcg-kp-EKCertificate
  missing_key_usage,
  key_usage_not_critical,
  rsa_key_usage_mismatch,   // RSA EK without keyEncipherment
  ecc_key_usage_mismatch,   // ECC EK without keyAgreement (keyEncipherment instead)
  missing_basic_constraints,
  basic_constraints_not_critical,
  basic_constraints_ca,
  missing_aki,
  extension_should_not_be_critical,  // e.g. a critical certificatePolicies or EKU
  unknown_critical_extension,        // critical and unknown to OpenSSL
  // Chain (found by the validator, not the intake).
  aki_issuer_serial_mismatch,  // AKI names another issuer/serial; the signature proves the issuer
};

struct ek_finding {
  ek_finding_kind kind;
  std::string text;  // what exactly, for logs and error messages
};

// Kebab-case name of the kind, e.g. "nv-header", "rsaes-oaep-spki".
std::string_view to_string(ek_finding_kind kind) noexcept;

bool has_finding(const std::vector<ek_finding>& findings, ek_finding_kind kind) noexcept;

// "kind: text; kind: text" for logs.
std::string describe(const std::vector<ek_finding>& findings);

}  // namespace aikmock::certs
