#pragma once
// The HRESULTs a Windows client shows for what can go wrong in an AIK
// enrollment, so a Windows engineer recognises the failure (winerror.h;
// Autopilot known issues, Microsoft Learn): HTTP_E_STATUS_* for HTTP errors,
// ERROR_TIMEOUT for a service that does not answer, WinHTTP codes for the
// connection, and the Autopilot code the ESP shows once retries run out.
#include <cstdint>
#include <string>
#include <string_view>

#include "client/http_transport.hpp"

namespace aikmock::client {

struct windows_code {
  std::uint32_t value = 0;
  std::string name;  // symbolic name from winerror.h; empty where there is none
  std::string text;  // the system message text, or what the code stands for

  std::int32_t signed_value() const { return static_cast<std::int32_t>(value); }
  // "0x80190190 (-2145844848 HTTP_E_STATUS_BAD_REQUEST)", as certreq prints it.
  std::string display() const;
  std::string hex() const;  // "0x80190190"
};

// 0x80190000 + status (HTTP_E_STATUS_*), e.g. 400 -> 0x80190190. `reason`
// describes statuses winerror.h has no constant for (429 -> 0x801901AD).
windows_code http_status_code(unsigned status, std::string_view reason = {});
// What Windows' WinHTTP-based client reports for a transport failure; a timeout is
// 0x800705B4 ERROR_TIMEOUT, as the ESP shows it.
windows_code transport_code(transport_failure failure);

// E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED: what the Autopilot ESP
// ("Securing your hardware") shows when attestation retries are exhausted.
windows_code autopilot_retries_exceeded();
// The AIK URL cannot be built from the EK certificate (certreq on 24H2 fails so,
// at once, before any request: failure-catalog.md S10).
windows_code aik_url_not_found();
// The RA certificates GetCACertChain returned do not chain to its CA.
windows_code untrusted_ra_certificates();
// An answer the client cannot use (a CertRep that does not verify or parse,
// a pending answer without the challenge, GetCACertChain without both RA certificates).
windows_code invalid_answer();
// A SCEP FAILURE CertRep (the mock answers refusals as HTTP 4xx, like the real
// service; this is for other servers).
windows_code scep_failure();
// TPM2_ActivateCredential failed: integrity (the challenge was not made for
// this EK and AIK) or any other TPM failure.
windows_code tpm_integrity_failure();
windows_code tpm_failure();
// Anything else local (a file that cannot be written, an OpenSSL failure).
windows_code local_failure();

}  // namespace aikmock::client
