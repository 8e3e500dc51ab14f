#include "policy/error_catalog.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace aikmock::policy {

namespace {
using enum confidence;

constexpr std::array catalog{
    error_entry{error_id::no_ek_certificate, "no-ek-certificate", 400,
                "No valid TPM EK/Platform Certificate provided in the TPM identity request message", confirmed,
                "call4cloud.nl, TPM attestation 0x80190190 / 0x81039001 (2023)"},
    error_entry{error_id::scep_parse_failed, "scep-parse-failed", 400, "Failed to parse SCEP request.", reported,
                "Test-AutopilotAttestation script output (R. Ooms)"},
    error_entry{error_id::unknown_authority, "unknown-authority", 404, "The authority \"{host}\" does not exist.",
                confirmed,
                "CertEnroll event 86 captures (2023): body with the host lower-cased, headers nosniff and HSTS"},
    error_entry{error_id::encrypt_secret_failed, "encrypt-secret-failed", 400,
                "Client challenge cannot be created due to failure in EncryptSecret", confirmed,
                "Lenovo X1 Carbon Gen 13 field report, RSA-3072/SHA-384 EK (April 2025)"},
    error_entry{error_id::firmware_needs_update, "firmware-needs-update", 400,
                "Attestation statement cannot be verified, rejecting request. TPM firmware needs update.", confirmed,
                "rockenroll.tech, Autopilot white glove 0x801c0003 (2020); status 400 is our choice"},
    error_entry{error_id::too_many_requests, "too-many-requests", 429, "Too Many Requests", reported,
                "certreq output matched by community tools; body text is our choice"},
    error_entry{error_id::unsupported_operation, "unsupported-operation", 400,
                "The SCEP operation \"{operation}\" is not supported.", assumed,
                "no public capture; RFC 8894 leaves it to the server"},
    error_entry{error_id::bad_request, "bad-request", 400, "The request is invalid.", assumed,
                "the ASP.NET Web API answer to a malformed request"},
    error_entry{error_id::route_not_found, "route-not-found", 404,
                "No HTTP resource was found that matches the request URI '{uri}'.", assumed,
                "the ASP.NET Web API answer, whose {\"Message\"} body shape the service shares"},
    error_entry{error_id::method_not_allowed, "method-not-allowed", 405,
                "The requested resource does not support http method '{method}'.", assumed,
                "the ASP.NET Web API answer"},
    error_entry{error_id::body_too_large, "body-too-large", 413, "The request body is too large.", assumed,
                "limit of this mock (configurable)"},
    error_entry{error_id::headers_too_large, "headers-too-large", 431, "The request headers are too large.",
                assumed, "limit of this mock (configurable)"},
    error_entry{error_id::internal_error, "internal-error", 500, "An error has occurred.", assumed,
                "the ASP.NET Web API answer to an unhandled error; injected as a fault"},
    error_entry{error_id::service_unavailable, "service-unavailable", 503, "The service is unavailable.", assumed,
                "injected as a fault (outage scenarios)"},
    error_entry{error_id::challenge_state_invalid, "challenge-state-invalid", 400,
                "The challenge answer cannot be matched to a challenge of this authority.", assumed,
                "no public capture of the challenge answer; sealed state tampered with, foreign or unreadable"},
    error_entry{error_id::challenge_expired, "challenge-expired", 400, "The challenge has expired.", assumed,
                "no public capture; the state lifetime is this mock's (configurable)"},
    error_entry{error_id::challenge_response_mismatch, "challenge-response-mismatch", 400,
                "The challenge answer does not match the challenge.", assumed,
                "no public capture; the TPM recovered a different secret (wrong TPM, wrong AIK)"},
    error_entry{error_id::challenge_replayed, "challenge-replayed", 400, "The challenge has already been answered.",
                assumed, "no public capture; one answer per challenge"},
};

}  // namespace

std::span<const error_entry> error_catalog() { return catalog; }

const error_entry& catalog_entry(error_id id) {
  for (const auto& e : catalog)
    if (e.id == id) return e;
  throw std::logic_error("error id missing from the catalogue");
}

const error_entry* find_catalog_entry(std::string_view key) {
  for (const auto& e : catalog)
    if (e.key == key) return &e;
  return nullptr;
}

std::string error_message(const error_entry& e, const message_args& args) {
  std::string out;
  std::string_view m = e.message;
  while (!m.empty()) {
    auto open = m.find('{');
    auto close = open == std::string_view::npos ? open : m.find('}', open);
    if (close == std::string_view::npos) {
      out += m;
      break;
    }
    out += m.substr(0, open);
    auto name = m.substr(open + 1, close - open - 1);
    bool filled = false;
    for (const auto& [k, v] : args)
      if (k == name) {
        out += v;
        filled = true;
        break;
      }
    if (!filled) out += m.substr(open, close - open + 1);
    m = m.substr(close + 1);
  }
  return out;
}

std::string error_body(const error_entry& e, const message_args& args) {
  // dump() escapes quotes and control characters; replace invalid UTF-8 from request echoes.
  return nlohmann::json{{"Message", error_message(e, args)}}.dump(-1, ' ', false,
                                                                  nlohmann::json::error_handler_t::replace);
}

std::uint32_t http_status_hresult(unsigned status) { return 0x80190000u + status; }

std::string_view http_status_hresult_name(unsigned status) {
  switch (status) {
    case 400: return "HTTP_E_STATUS_BAD_REQUEST";
    case 404: return "HTTP_E_STATUS_NOT_FOUND";
    case 405: return "HTTP_E_STATUS_BAD_METHOD";
    case 413: return "HTTP_E_STATUS_REQUEST_TOO_LARGE";
    case 500: return "HTTP_E_STATUS_SERVER_ERROR";
    case 503: return "HTTP_E_STATUS_SERVICE_UNAVAIL";
    default: return {};  // winerror.h names no constant for this status
  }
}

std::string_view confidence_tag(confidence c) {
  switch (c) {
    case confirmed: return "confirmed";
    case reported: return "reported";
    case assumed: return "assumed";
  }
  return "assumed";
}

std::string error_table_markdown() {
  std::string out =
      "# Errors\n\n"
      "Every error aikmock answers with. Generated from `policy/error_catalog.cpp` by `aikmock errors --markdown`;\n"
      "a test fails when this file and the code differ. Bodies are `application/json; charset=utf-8`.\n"
      "`{name}` marks a value filled in per request. Confidence: *confirmed* — a cited source shows the real\n"
      "service answering so; *reported* — a single or secondary source; *assumed* — our choice where nothing public\n"
      "shows the real answer (configurable through the policy where it matters).\n\n"
      "| key | HTTP | body | Windows HRESULT | confidence | source |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& e : catalog) {
    char hr[16];
    std::snprintf(hr, sizeof hr, "0x%08X", static_cast<unsigned>(http_status_hresult(e.status)));
    std::string body = error_body(e);
    std::string source(e.source);
    for (std::size_t p = 0; (p = source.find('|', p)) != std::string::npos; p += 2) source.replace(p, 1, "\\|");
    out += "| `" + std::string(e.key) + "` | " + std::to_string(e.status) + " | `" + body + "` | " + hr +
           (http_status_hresult_name(e.status).empty() ? "" : " " + std::string(http_status_hresult_name(e.status))) +
           " | " + std::string(confidence_tag(e.how_known)) +
           " | " + source + " |\n";
  }
  return out;
}

}  // namespace aikmock::policy
