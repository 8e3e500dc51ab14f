#pragma once
// EK certificate chain validation against a trust store, tolerant of what real
// TPM vendors issue (openssl/openssl#7907; Infineon's TPM 1.2 EK in HIRS' test data):
//
// - id-RSAES-OAEP leaves (TPM 1.2 era): OpenSSL's X509_verify_cert gives up on
//   them ("unable to get certs public key"), so the leaf's signature is checked
//   by hand with each candidate issuer's key (X509_verify), and the issuer is
//   then chain-verified by OpenSSL.
// - An Authority Key Identifier whose authorityCertIssuer/serial names a CA
//   other than the published one (Infineon TPM 1.2: the EK names CA 08 with
//   serial 08681E16, the published CA 08 has 7C6A18EA; CA 08 names
//   "IFX TPM EK Root CA" serial 03, the published one is VeriSign-issued).
//   OpenSSL then refuses the issuer (error 20) although its key verifies the
//   signature. Accepted here, with an aki_issuer_serial_mismatch finding, when
//   the name and any keyIdentifier match and the signature verifies: the
//   signature is what proves issuance, the AKI only helps to find the issuer,
//   and Microsoft's service evidently accepts Infineon TPM 1.2 EKs.
//
// Everything else is OpenSSL's verdict: validity periods (at a configurable
// "now", for clock-skew scenarios), signatures, CA flags, path length, and
// unknown critical extensions (which a knob may ignore).
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "certs/ek_ca_identity.hpp"
#include "certs/ek_certificate.hpp"
#include "certs/ek_finding.hpp"
#include "common/openssl.hpp"
#include "certs/trust_store.hpp"

namespace aikmock::certs {

enum class ek_chain_failure {
  none,
  unknown_issuer,               // no path to an anchor (issuer missing, unknown root)
  expired,                      // some certificate's notAfter is before "now"
  not_yet_valid,                // some certificate's notBefore is after "now"
  bad_signature,                // a signature does not verify
  unhandled_critical_extension, // a critical extension OpenSSL does not understand
  other,                        // anything else OpenSSL objects to (CA flag, path length…)
};

// Kebab-case: "unknown-issuer", "expired", …
std::string_view to_string(ek_chain_failure failure) noexcept;

struct ek_chain_options {
  std::optional<std::chrono::sys_seconds> now;  // nullopt: the system clock
  bool ignore_unknown_critical_extensions = false;
};

// The CA that signed the EK certificate: the AIK authority is chosen by its KeyId.
struct ek_issuing_ca {
  x509_ptr cert;
  std::string vendor;  // trust store folder; empty when only the client sent this CA
  ca_identity identity;
};

struct ek_chain_result {
  ek_chain_failure failure = ek_chain_failure::other;
  std::string reason;     // OpenSSL's reason (or ours) with depth and subject; empty when ok
  int error_depth = -1;   // 0 = the EK certificate; -1 when ok
  // Subjects, EK first (usually empty, as the profile wants), anchor last; on
  // failure as far as the path was built.
  std::vector<std::string> chain;
  std::optional<ek_issuing_ca> issuing_ca;  // set when ok
  std::vector<ek_finding> findings;         // deviations tolerated on the way

  bool ok() const noexcept { return failure == ek_chain_failure::none; }
};

// `client_intermediates` are untrusted helpers for path building (what the client
// sent with its request); they are trusted only through an anchor of `store`.
ek_chain_result validate_ek_chain(const ek_certificate& ek, const trust_store& store,
                                  std::span<X509* const> client_intermediates = {},
                                  const ek_chain_options& options = {});

}  // namespace aikmock::certs
