#pragma once
// A policy: ordered rules that match request facts and say what the service
// does — accept (with which credential profile), reject with a catalogue error,
// throttle, fail, stall, or drop the connection. Loaded from JSON (see
// docs/policy.md) or one of the built-in profiles.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "policy/error_catalog.hpp"
#include "policy/facts.hpp"
#include "policy/rate_limiter.hpp"
#include "tpm/credential_profile.hpp"

namespace aikmock::policy {

// How the EK-bound challenge is made (tpm/credential_profile.hpp).
using tpm::credential_profile;

// One condition of a rule: absent fields match anything; a list matches any of its values.
struct rule_match {
  std::vector<std::string> operations;
  std::vector<std::string> authorities;   // authority name or KeyId
  std::vector<std::string> vendors;       // authority vendor ("IFX") or EK manufacturer ("id:49465800")
  std::vector<std::string> models;
  std::vector<std::string> firmware;
  std::vector<std::string> templates;     // "H-6", "non-standard"
  std::vector<std::string> key_types;     // "rsa", "ecc"
  std::vector<unsigned> key_bits;
  std::vector<std::string> signature_hashes;
  std::vector<std::string> issuer_key_ids;
  std::vector<std::string> devices;
  std::vector<std::string> findings;      // any of these present
  std::optional<bool> chain_valid;
  std::optional<bool> aik_proof_valid;
  std::optional<bool> roca_vulnerable;
  // What the Windows request says of itself (SCEP only): client info, OS, and
  // whether its claims agree with the rest of the request.
  std::vector<std::string> machines;      // client info machine name
  std::vector<std::string> users;
  std::vector<std::string> processes;
  std::vector<std::string> os_versions;
  std::optional<bool> signer_hash_matches;   // szOID_ENROLL_SCEP_SIGNER_HASH vs the outer signer
  std::optional<bool> request_tpm_matches_ek;  // the request's TPM SAN vs the EK certificate's
  std::optional<bool> request_signed;     // a real PKCS#10 signature (not Windows' bare hash)
  std::optional<double> probability;      // 0..1, drawn per request
};

struct rule_action {
  enum class kind { accept, reject, throttle, fault, close, delay };
  kind what = kind::accept;
  std::optional<credential_profile> profile;  // accept
  error_id error = error_id::internal_error;  // reject, fault (500/503 entries)
  std::uint32_t retry_after_seconds = 0;      // throttle
  std::chrono::milliseconds delay{0};         // delay: wait, then go on with the next rules
};

// Where a rule's behaviour comes from, as the research tags it.
enum class basis { confirmed, reported, assumed };

struct rule {
  std::string name;
  rule_match when;
  rule_action then;
  basis why = basis::assumed;
  std::string note;
};

// Revocation as the lab's CRLs publish it (docs/windows-lab.md): serials listed
// on every lab CA's CRL.
struct revoked_serial {
  std::vector<std::uint8_t> serial;  // big-endian, as in the certificate
  int reason = 0;                    // RFC 5280 CRLReason: 0 unspecified, 1 keyCompromise, …
};
struct revocation {
  std::vector<revoked_serial> revoked;
};

struct policy {
  std::string name;
  std::string description;
  credential_profile default_profile = credential_profile::microsoft;
  bool require_aik_proof = true;
  // Refuse a PKCS#10 that is not signed by the attested AIK. Windows sends the
  // bare SHA-256 of the request in the signature field (the AIK is a restricted
  // key) and the real service accepts that, so this is an opt-in strictness.
  bool require_request_signature = false;
  bool ignore_unknown_critical_extensions = false;
  // Certificates are judged at now + this (clock-skew scenarios: a service whose
  // clock runs ahead sees an EK certificate expire early, one behind sees it not yet valid).
  std::chrono::seconds clock_offset{0};
  // Requests per client address before any rule is judged (a token bucket,
  // policy/rate_limiter.hpp); none unless the policy file sets rateLimit.
  std::optional<rate_limit> client_rate_limit;
  struct revocation revocation;
  std::vector<rule> rules;
};

struct trace_step {
  std::string check;   // "rule:<name>", "chain", "aik-proof", "default"
  std::string result;  // "matched", "skipped", "passed", "failed: …"
};

struct decision {
  enum class kind { accept, reject, close };
  kind what = kind::accept;
  credential_profile profile = credential_profile::microsoft;
  std::optional<error_id> error;              // reject
  std::optional<std::uint32_t> retry_after;   // a throttling reject
  std::chrono::milliseconds delay{0};         // wait this long before answering
  std::string decided_by;                     // rule name, or "default"
  std::vector<trace_step> trace;
};

// Draws a number in [0,1) for `probability` rules; injectable for tests.
using random_source = std::function<double()>;

// The draws of one request, one per probability rule, made when the rule is
// first judged and kept: a request judged twice (before and after its evidence
// is read) meets every probability rule with the same draw.
class request_draws {
 public:
  explicit request_draws(random_source source) : source_(std::move(source)) {}
  double draw(std::size_t rule_index);

 private:
  random_source source_;
  std::vector<std::optional<double>> drawn_;
};

// Evaluates the rules in order; `delay` rules add up and evaluation goes on;
// the first other matching rule decides. Without a deciding rule, the
// defaults: an EK whose chain does not validate gets no-ek-certificate, an AIK
// proof that fails (when required) gets firmware-needs-update, anything else is
// accepted with the policy's default credential profile. A rule that names a
// fact the request has not shown yet (its EK, before the evidence is read) does
// not match.
decision evaluate(const policy& p, const request_facts& facts, request_draws& draws);

std::string_view profile_name(credential_profile p);
std::optional<credential_profile> parse_profile_name(std::string_view name);
std::string_view basis_name(basis b);

}  // namespace aikmock::policy
