#pragma once
// The AIK enrollment, whatever carries it (SCEP or the JSON API; docs/protocol.md):
// the one owner of its order. For each operation:
//   1. the policy's front end (faults, throttling, stalls, hang-ups), judged on
//      what the request is before any of its evidence is read;
//   2. the evidence (EK certificate chain, EK public, AIK and its creation proof,
//      what the request claims of itself);
//   3. the policy's decision on all of that;
//   4. the challenge (MakeCredential of a fresh secret to the AIK's Name, bound
//      to the EK) and a sealed state — or, in round 2, the AIK certificate.
// A refusal at any step is a catalogue error and never uses a challenge up.
// Nothing is kept between the rounds but a bounded replay record: the state
// travels sealed, so any replica with the same sealing key can finish.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "certs/aik_authority_profile.hpp"
#include "certs/authority.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/ek_chain.hpp"
#include "certs/trust_store.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "policy/policy.hpp"
#include "protocol/enrollment/evidence.hpp"
#include "protocol/enrollment/replay_cache.hpp"
#include "protocol/enrollment/state_sealer.hpp"
#include "tpm/credential.hpp"
#include "tpm/credential_container.hpp"

namespace aikmock::protocol::enrollment {

// Who is asking, as the transport and the codec saw it.
struct request_context {
  std::string operation;                          // one of policy::operations
  const certs::authority* authority = nullptr;    // required for begin() and finish()
  std::string host;                               // for answers that name it
  policy::client_facts client;                    // what a Windows request says of itself
  std::string transaction_id;                     // round 1: kept in the state
  bytes requester_thumbprint;                     // SCEP: SHA-1 of the signer certificate (binds the rounds)
  // The request's policy draws, when the codec judged it at the front door
  // already: every judgement of one request meets a probability rule with one
  // draw. Null: the service draws afresh.
  std::shared_ptr<policy::request_draws> draws;
};

// A refusal: the catalogue error the client is answered with, and why (for the log only).
struct refusal {
  policy::error_id error = policy::error_id::internal_error;
  std::string detail;
  policy::message_args message_args;  // the message's {placeholders}
  std::optional<std::uint32_t> retry_after;                       // seconds, for a throttle
  bool hang_up = false;                                           // close without answering
};

// The device an exchange is about, for the log and the lab console: from its
// request and EK certificate in round 1, from the sealed state in round 2.
struct device_note {
  std::string machine;       // the request's client info; empty for clients that send none
  certs::tpm_identity tpm;   // from the EK certificate's SAN
  std::string ek_template;   // "H-6"
  std::string ek_key;        // "rsa-3072"
};

// What the policy said, for the answer's timing and the log.
struct policy_record {
  std::string rule = "default";
  std::vector<policy::trace_step> trace;
  std::chrono::milliseconds delay{0};  // answer only after this long
  // What the decision was made on, for the log and the lab console.
  std::shared_ptr<const policy::request_facts> facts;
  std::optional<device_note> device;               // once its EK (or its sealed state) was read
  std::optional<tpm::credential_profile> profile;  // the challenge's, when one was made
};

template <class T>
struct outcome {
  result<T, refusal> value;
  policy_record policy;
};

// Round 1's answer.
struct challenge {
  tpm::credential_blob blob;  // TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, bound to the EK and the AIK's Name
  std::string state;          // sealed (URL-safe base64 text)
  std::chrono::system_clock::time_point expires_at;
  tpm::credential_profile profile;
};

// Round 2's question.
struct challenge_answer {
  std::string_view state;  // as the client echoed it
  byte_view secret;        // what its TPM recovered
};

struct issued_certificate {
  x509_ptr certificate;
  std::vector<x509_ptr> chain;  // issuing CA, then the AIK root
};

// "What would the service say to this TPM?" without a transport: the EK's
// facts, the policy's decision, and for an accepted EK how its challenge would
// be protected. The AIK proof is taken as valid (there is no AIK to judge).
struct explanation {
  policy::decision decision;
  std::optional<policy::ek_facts> facts;               // absent when the EK was refused outright
  std::string reason;                                  // why a refusal, when the evidence or the profile refused
  std::optional<tpm::credential_protection> challenge;  // how the challenge would be made, when accepted
};

struct service_settings {
  std::chrono::seconds state_lifetime{600};
  certs::publication urls;  // the AIA of issued AIK certificates
};

class enrollment_service {
 public:
  // `replays` may be shared with the service this one replaces (a reload must not
  // reopen the door to answers already used). `random` feeds probability rules;
  // it must be safe to call from every thread.
  enrollment_service(std::shared_ptr<const policy::policy> policy, policy::random_source random,
                     std::shared_ptr<const certs::trust_store> trust, std::shared_ptr<const state_sealer> sealer,
                     x509_ptr aik_root, std::shared_ptr<replay_cache> replays, service_settings settings = {});

  // GetCACaps, GetCACert, GetCACertChain: only the policy's front end speaks.
  outcome<void> front_door(const request_context& request) const;
  // Round 1: evidence in, a challenge out.
  outcome<challenge> begin(const request_context& request, const evidence& evidence) const;
  // Round 2: the answer in, the AIK certificate out. The answer is checked in
  // constant time; a challenge is used up only by the certificate it yields.
  outcome<issued_certificate> finish(const request_context& request, const challenge_answer& answer) const;
  explanation explain(const evidence& evidence) const;

  // The KeyId of the authority a sealed state belongs to; nullopt when it does not open.
  std::optional<std::string> authority_of_state(std::string_view state) const;
  const policy::policy& active_policy() const { return *policy_; }
  const policy::random_source& random_source() const { return random_; }
  const certs::trust_store& trust() const { return *trust_; }
  X509* aik_root() const { return aik_root_.get(); }

 private:
  policy::request_facts facts_of(const request_context& request) const;
  std::shared_ptr<policy::request_draws> draws_for(const request_context& request) const;
  certs::ek_chain_options chain_options() const;

  std::shared_ptr<const policy::policy> policy_;
  policy::random_source random_;
  std::shared_ptr<const certs::trust_store> trust_;
  std::shared_ptr<const state_sealer> sealer_;
  x509_ptr aik_root_;
  std::shared_ptr<replay_cache> replays_;
  service_settings settings_;
};

// A random source for probability rules: a per-thread generator seeded from the OS.
policy::random_source thread_random();

}  // namespace aikmock::protocol::enrollment
