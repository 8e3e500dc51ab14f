#pragma once
// What the protocol layer answers, independent of any HTTP library: the
// transport turns it into a wire response (or into silence, or a late answer).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/error_catalog.hpp"
#include "protocol/enrollment/enrollment_service.hpp"

namespace aikmock::protocol {

// What an answer tells the log, the metrics and the lab console about the exchange.
struct exchange_note {
  std::string operation;  // GetCACaps … PKIOperation, or ChallengeAnswer for an answer to a challenge
  int round = 0;          // 1: a request for a challenge, 2: an answer to one, 0: neither
  std::shared_ptr<const policy::request_facts> facts;  // what the policy judged; null before any judgement
  std::optional<enrollment::device_note> device;
  std::string credential_profile;  // of the challenge made
};

// The round of an enrollment an operation is: 1, 2, or 0 for none.
int round_of(std::string_view operation);

struct response {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  // The catalogue key when this is an error answer (for the access log).
  std::string error_key;
  // Why, for the access log only (never sent: it may name internals).
  std::string detail;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
  std::chrono::milliseconds delay{0};  // answer only after this long (a stalled service)
  bool drop = false;                   // close the connection without answering
  std::string policy_rule;             // the policy rule that decided, or "default"
  std::vector<policy::trace_step> policy_trace;
  exchange_note exchange;
};

inline constexpr const char* json_content_type = "application/json; charset=utf-8";

// A catalogue error, as the service sends it.
response error_response(policy::error_id id, const policy::message_args& args = {}, std::string detail = {});

// An answer of `content_type`, with the policy's record (its delay and trace).
response answer(std::string content_type, std::string body, const enrollment::policy_record& policy);
// A refusal of the enrollment service, with the policy's record.
response refusal_response(const enrollment::refusal& refusal, const enrollment::policy_record& policy);

}  // namespace aikmock::protocol
