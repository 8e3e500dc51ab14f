#pragma once
// The AIK enrollment as Windows walks it (docs/protocol.md), against any HTTP
// transport and any TPM back end: read the EK certificate and public; derive
// the authority's URL from the EK certificate (or take the one given);
// GetCACaps; GetCACertChain, checking that the RA certificates chain to the
// issuing CA; Submit(Request) (messageType 19) with a new AIK, its creation
// proof and the EK certificate; TPM2_ActivateCredential on the challenge
// (PkiStatus 11); Submit(ChallengeAnswer) (messageType 41); keep the AIK
// certificate and its chain. Every HTTP stage retries as retry_schedule.hpp says. Nothing here
// throws for what a server or a TPM does: failures end up in the result.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "client/aik_url.hpp"
#include "client/enroll_result.hpp"
#include "client/http_transport.hpp"
#include "client/retry_schedule.hpp"
#include "client/tpm_backend.hpp"

namespace aikmock::client {

struct enroll_settings {
  std::string tpm_description;              // for the report, e.g. "soft:lab/eks/stm-h6"
  std::optional<std::string> url;           // --url; otherwise derived from the EK certificate
  std::optional<std::string> vendor;        // --vendor: the host's vendor prefix
  std::string domain{certs::service_domain};  // of the derived host name
  std::optional<std::string> connect_to;    // for the report (the transport does the connecting)
  retry_policy retry;
  std::optional<std::filesystem::path> out_dir;  // where aik.pem and chain.pem go
  // How the flow waits between attempts; tests replace it.
  std::function<void(std::chrono::seconds)> sleep;
};

// Called as the flow goes, so a caller can print while it runs (a retry can wait a while).
struct enroll_observer {
  std::function<void(const enroll_result&, const stage_result&, const http_attempt&)> attempt_done;
  std::function<void(const enroll_result&, const stage_result&)> stage_done;
};

enroll_result run_enrollment(client::tpm_backend& tpm, http_transport& http, const enroll_settings& settings,
                             const enroll_observer& observer = {});

}  // namespace aikmock::client
