#pragma once
// The SCEP endpoint /templates/Aik/scep: GetCACaps, GetCACert and
// PKIOperation for one authority, under a policy; transport-agnostic (the
// server hands it the operation, method and body; it answers with a
// protocol::response that may also ask the transport to wait or hang up).
#include <memory>
#include <optional>
#include <string_view>

#include "certs/authority.hpp"
#include "common/bytes.hpp"
#include "policy/policy.hpp"
#include "protocol/exchange/enrollment.hpp"
#include "protocol/response.hpp"

namespace aikmock::protocol::scep {

struct scep_request {
  std::string_view method;     // "GET" or "POST"
  std::string_view operation;  // the `operation` query parameter
  std::string_view message;    // the `message` query parameter (GET PKIOperation), already URL-decoded
  byte_view body;
  std::string_view host;       // the Host, without port (for answers that name it)
};

// The capabilities we announce (RFC 8894 §3.5.2). What the real service
// announces is not public; these are the ones Windows' client uses (AES,
// SHA-256, POST); see docs/protocol.md.
inline constexpr std::string_view ca_caps = "POSTPKIOperation\nSHA-256\nSHA-512\nAES\nSCEPStandard\n";

class scep_service {
 public:
  // `random` feeds the policy's probability rules; it must be safe to call from every thread.
  scep_service(std::shared_ptr<const policy::policy> policy, policy::random_source random,
               std::shared_ptr<const exchange::enrollment_engine> engine);

  response handle(const certs::authority& authority, const scep_request& request) const;
  const policy::policy& active_policy() const { return *policy_; }

 private:
  response pki_operation(const certs::authority& authority, const scep_request& request,
                         policy::request_facts& facts, std::optional<policy::decision>& decided) const;
  // Applies the policy's decision to an answer the endpoint would give; the
  // exchange may have taken it already, with the EK's facts.
  response decide(const policy::request_facts& facts, const scep_request& request, response answer,
                  std::optional<policy::decision> decided) const;

  std::shared_ptr<const policy::policy> policy_;
  policy::random_source random_;
  std::shared_ptr<const exchange::enrollment_engine> engine_;
};

// A random source for probability rules: a per-thread generator seeded from the OS.
policy::random_source thread_random();

}  // namespace aikmock::protocol::scep
