#pragma once
// EK certificate intake: from untrusted bytes to a decoded certificate with
// everything the service needs (the TPM it names, its key, its issuer) and
// every deviation from the TCG profile as a finding.
//
// Tolerant as real EK certificates of several TPM vendors require (keylime's,
// HIRS' and go-attestation's test data): a TCG NV header, padding after the DER, PEM, the
// id-RSAES-OAEP key of TPM 1.2-era certificates, non-DER SET order (Nuvoton),
// explicit DEFAULT values (Intel). What it cannot decode is an error value;
// nothing here throws for any input.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "certs/ek_certificate_blob.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/ek_finding.hpp"
#include "certs/ek_public_key.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::certs {

struct ek_certificate {
  x509_ptr x509;          // OpenSSL's view; X509_get0_pubkey is NULL for id-RSAES-OAEP keys
  bytes der;              // the certificate's own DER, without NV header or padding
  evp_pkey_ptr public_key;  // the EK public key, also for id-RSAES-OAEP SPKIs
  ek_key_info key;
  tpm_identity tpm;       // from the SAN; empty fields when absent (see findings)
  std::string subject;    // RFC 2253; empty for a profile-conformant EK
  std::string issuer;     // RFC 2253
  std::string serial_hex;  // uppercase hex of the magnitude, '-' in front when negative
  std::string signature_algorithm;  // e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA384"
  std::string signature_hash;       // e.g. "SHA1", "SHA256"; empty when the algorithm has none
  bytes authority_key_id;           // AKI keyIdentifier; empty when absent
  // Seconds precision: vendors use 9999-12-31 as "no expiry", beyond system_clock's range.
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  std::vector<ek_finding> findings;

  bool has(ek_finding_kind kind) const noexcept { return has_finding(findings, kind); }
};

// Bytes as a client or a TPM NV index gives them: DER (optionally NV-wrapped and
// padded) or PEM; at most max_ek_certificate_input bytes.
result<ek_certificate> parse_ek_certificate(byte_view input) noexcept;

}  // namespace aikmock::certs
