#include "client/windows_codes.hpp"

#include <cstdio>

#include "policy/error_catalog.hpp"

namespace aikmock::client {

namespace {

struct status_name {
  unsigned status;
  const char* name;
  const char* text;
};

// winerror.h's HTTP_E_STATUS_* constants with their system message texts.
constexpr status_name http_names[] = {
    {400, "HTTP_E_STATUS_BAD_REQUEST", "The request could not be processed by the server due to invalid syntax."},
    {401, "HTTP_E_STATUS_DENIED", "The requested resource requires user authentication."},
    {403, "HTTP_E_STATUS_FORBIDDEN", "The server understood the request, but is refusing to fulfill it."},
    {404, "HTTP_E_STATUS_NOT_FOUND",
     "The server has not found anything matching the requested URI (Uniform Resource Identifier)."},
    {405, "HTTP_E_STATUS_BAD_METHOD", "The HTTP verb used is not allowed."},
    {408, "HTTP_E_STATUS_REQUEST_TIMEOUT", "The server timed out waiting for the request."},
    {413, "HTTP_E_STATUS_REQUEST_TOO_LARGE",
     "The server is refusing to process a request because the request entity is larger than the server is able to "
     "process."},
    {500, "HTTP_E_STATUS_SERVER_ERROR",
     "The server encountered an unexpected condition that prevented it from fulfilling the request."},
    {501, "HTTP_E_STATUS_NOT_SUPPORTED", "The server does not support the functionality required to fulfill the request."},
    {502, "HTTP_E_STATUS_BAD_GATEWAY",
     "The server, while acting as a gateway or proxy, received an invalid response from the upstream server it "
     "accessed in attempting to fulfill the request."},
    {503, "HTTP_E_STATUS_SERVICE_UNAVAIL", "The service is temporarily overloaded."},
    {504, "HTTP_E_STATUS_GATEWAY_TIMEOUT", "The request was timed out waiting for a gateway."},
};

windows_code code(std::uint32_t value, std::string name, std::string text) {
  return {value, std::move(name), std::move(text)};
}

}  // namespace

std::string windows_code::hex() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(value));
  return buf;
}

std::string windows_code::display() const {
  return hex() + " (" + std::to_string(signed_value()) + (name.empty() ? "" : " " + name) + ")";
}

windows_code http_status_code(unsigned status, std::string_view reason) {
  const std::uint32_t value = policy::http_status_hresult(status);
  for (const auto& n : http_names)
    if (n.status == status) return code(value, n.name, n.text);
  // winerror.h has no HTTP_E_STATUS_* name for this status (429 among them).
  std::string text = "HTTP " + std::to_string(status);
  if (!reason.empty()) text += " " + std::string(reason);
  return code(value, {}, text);
}

// WinHTTP errors as HRESULTs (HRESULT_FROM_WIN32 of ERROR_WINHTTP_*), named as
// certutil -error names them; a timeout as the ESP shows it.
windows_code transport_code(transport_failure failure) {
  switch (failure) {
    case transport_failure::timeout:
      return code(0x800705B4, "ERROR_TIMEOUT", "This operation returned because the timeout period expired.");
    case transport_failure::resolve:
      return code(0x80072EE7, "ERROR_WINHTTP_NAME_NOT_RESOLVED", "The server name or address could not be resolved");
    case transport_failure::connect:
      return code(0x80072EFD, "ERROR_WINHTTP_CANNOT_CONNECT", "A connection with the server could not be established");
    case transport_failure::tls:
      return code(0x80072F8F, "ERROR_WINHTTP_SECURE_FAILURE", "A security error occurred");
    case transport_failure::closed:
      return code(0x80072EFE, "ERROR_WINHTTP_CONNECTION_ERROR", "The connection with the server was terminated abnormally");
    case transport_failure::bad_response:
      return code(0x80072F78, "ERROR_WINHTTP_INVALID_SERVER_RESPONSE", "The server returned an invalid or unrecognized response");
    case transport_failure::none: break;
  }
  return local_failure();
}

windows_code autopilot_retries_exceeded() {
  return code(0x81039001, "E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED",
              "TPM attestation failed: attestation retries exhausted");
}

windows_code aik_url_not_found() { return code(0x80070490, "ERROR_NOT_FOUND", "Element not found."); }

windows_code untrusted_ra_certificates() {
  return code(0x800B010A, "CERT_E_CHAINING", "A certificate chain could not be built to a trusted root authority.");
}

windows_code invalid_answer() { return code(0x8007000D, "ERROR_INVALID_DATA", "The data is invalid."); }

windows_code scep_failure() { return code(0x80004005, "E_FAIL", "Unspecified error"); }

windows_code tpm_integrity_failure() { return code(0x8028009F, "TPM_20_E_INTEGRITY", "TPM 2.0: Integrity check failed."); }

windows_code tpm_failure() {
  return code(0x80280101, "TPM_20_E_FAILURE", "TPM 2.0: Commands not being accepted because of a TPM failure.");
}

windows_code local_failure() { return code(0x80004005, "E_FAIL", "Unspecified error"); }

}  // namespace aikmock::client
