#pragma once
// What an enrollment did, stage by stage, as data: the flow fills it, the
// report prints it (certreq-like text or JSON). Windows' names are kept where
// a Windows engineer would look for them (the stages, PkiStatus, EnrollStatus).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/http_transport.hpp"
#include "client/windows_codes.hpp"

namespace aikmock::client {

enum class stage_id {
  ek,                       // read the EK certificate and the EK public
  aik_url,                  // derive the authority's URL (or take --url)
  get_ca_caps,              // GET ?operation=GetCACaps
  get_ca_cert_chain,        // GET ?operation=GetCACertChain&message=default, check the RA certificates
  submit_request,           // POST PKIOperation: the AIK request (round 1)
  activate_credential,      // TPM2_ActivateCredential on the challenge
  submit_challenge_answer,  // POST PKIOperation: the answer (round 2)
  store,                    // write the AIK certificate and chain
};

// "EK", "AIK URL", "GetCACaps", "GetCACertChain", "Submit(Request)",
// "TPM2_ActivateCredential", "Submit(ChallengeAnswer)", "Store".
std::string_view stage_name(stage_id id);

// SCEP pkiStatus on the wire, with the X509SCEPDisposition name certreq shows.
struct pki_status_seen {
  int value = 2;
  std::string name;  // "SCEPDispositionSuccess", "SCEPDispositionFailure", "SCEPDispositionPendingChallenge"
};
pki_status_seen pki_status_success();
pki_status_seen pki_status_failure();
pki_status_seen pki_status_pending_challenge();

// Windows' EnrollmentEnrollStatus.
enum class enroll_status : unsigned { enrolled = 0x1, error = 0x10, denied = 0x100 };
std::string_view enroll_status_name(enroll_status s);  // "Enrolled", "EnrollError", "EnrollDenied"

struct http_attempt {
  std::string method;
  std::string url;  // the whole request URL
  http_reply reply;
  std::string service_message;  // the {"Message":…} of an error answer, when it has one
  // Set when another attempt follows: how long the client waited first, and why.
  std::optional<std::chrono::seconds> wait;
  std::string wait_reason;  // "Retry-After: 2", "backoff", "Retry-After: 300, capped at 60 s"
};

struct stage_result {
  stage_id id = stage_id::ek;
  std::vector<http_attempt> attempts;  // empty for local stages
  bool ok = false;
  std::string error;  // why this stage failed, when not an HTTP status says it
  std::optional<pki_status_seen> pki_status;
};

struct ek_summary {
  std::string source;  // where the back end read the certificate: "NV 0x01C0001C (H-6)", a file
  std::string issuer;
  std::string manufacturer;  // "id:53544D20"
  std::string model;
  std::string firmware;
  std::string key;             // "RSA-3072", "ECC P-256"
  std::string signature_hash;  // "SHA384"
  std::string authority_key_id;  // hex
  std::string template_name;    // TCG template of the EK public, e.g. "H-6"; empty when none matches
};

struct ra_summary {
  std::string root;
  std::string ca;
  std::string signing;
  std::string encryption;
};

struct issued_certificate {
  std::string pem;
  std::string serial;      // hex
  std::string thumbprint;  // SHA-1 of the DER, hex (as certutil shows it)
  std::string issuer;
  std::vector<std::string> chain_pem;  // the issuing CA, then up to the root, as the CertRep carried them
  std::vector<std::string> chain_subjects;
};

struct enroll_result {
  std::string tpm;  // the back end, as given (--tpm)
  std::optional<std::string> connect_to;
  std::optional<ek_summary> ek;
  std::string url;
  std::string url_source;  // "derived from the EK certificate (…)", "--url"
  std::vector<std::string> ca_caps;
  std::optional<ra_summary> ra;
  std::optional<std::size_t> challenge_secret_size;
  std::vector<stage_result> stages;
  unsigned retries = 0;  // further attempts each request was allowed

  enroll_status status = enroll_status::error;
  std::optional<windows_code> hresult;    // the failure, as Windows would show it
  std::optional<windows_code> autopilot;  // what the Autopilot ESP shows for it (retries exhausted)
  std::optional<issued_certificate> certificate;
  std::vector<std::string> files;  // written by the store stage

  bool issued() const { return status == enroll_status::enrolled && certificate.has_value(); }
  // The {"Message":…} text of the answer that ended the enrollment, if any.
  std::string final_service_message() const;
};

}  // namespace aikmock::client
