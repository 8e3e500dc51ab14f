#include "client/enroll_result.hpp"

namespace aikmock::client {

std::string_view stage_name(stage_id id) {
  switch (id) {
    case stage_id::ek: return "EK";
    case stage_id::aik_url: return "AIK URL";
    case stage_id::get_ca_caps: return "GetCACaps";
    case stage_id::get_ca_cert_chain: return "GetCACertChain";
    case stage_id::submit_request: return "Submit(Request)";
    case stage_id::activate_credential: return "TPM2_ActivateCredential";
    case stage_id::submit_challenge_answer: return "Submit(ChallengeAnswer)";
    case stage_id::store: return "Store";
  }
  return "?";
}

pki_status_seen pki_status_success() { return {0, "SCEPDispositionSuccess"}; }
pki_status_seen pki_status_failure() { return {2, "SCEPDispositionFailure"}; }
// Wire status 11: Windows' SCEPDispositionPendingChallenge (certpol.h), the
// CertRep that carries the challenge (docs/protocol.md).
pki_status_seen pki_status_pending_challenge() { return {11, "SCEPDispositionPendingChallenge"}; }

std::string_view enroll_status_name(enroll_status s) {
  switch (s) {
    case enroll_status::enrolled: return "Enrolled";
    case enroll_status::error: return "EnrollError";
    case enroll_status::denied: return "EnrollDenied";
  }
  return "EnrollError";
}

std::string enroll_result::final_service_message() const {
  if (stages.empty() || stages.back().attempts.empty()) return {};
  return stages.back().attempts.back().service_message;
}

}  // namespace aikmock::client
