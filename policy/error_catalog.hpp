#pragma once
// Every error the service answers with, in one table: the responses are built
// from it and docs/errors.md is generated from it (a test keeps them equal).
#include <cstdint>
#include <vector>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace aikmock::policy {

enum class error_id {
  no_ek_certificate,
  scep_parse_failed,
  unknown_authority,
  encrypt_secret_failed,
  firmware_needs_update,
  too_many_requests,
  unsupported_operation,
  bad_request,
  route_not_found,
  method_not_allowed,
  body_too_large,
  headers_too_large,
  internal_error,
  service_unavailable,
  challenge_state_invalid,
  challenge_expired,
  challenge_response_mismatch,
  challenge_replayed,
};

// How sure we are that the real service answers exactly so (research tags).
enum class confidence {
  confirmed,  // [C] a cited source shows this answer
  reported,   // [S] a single or secondary source
  assumed,    // [I] our choice where nothing public shows the real answer
};

struct error_entry {
  error_id id;
  std::string_view key;       // stable name used in policy files and logs
  unsigned status;            // HTTP status
  std::string_view message;   // the "Message" text; {name} marks a value filled per request
  confidence how_known;
  std::string_view source;    // where the answer was seen, or why we chose it
};

std::span<const error_entry> error_catalog();
const error_entry& catalog_entry(error_id id);
// nullptr when no entry has that key.
const error_entry* find_catalog_entry(std::string_view key);

// Values for a message's {placeholders}, by name.
using message_args = std::vector<std::pair<std::string, std::string>>;

// The message with its {placeholders} filled in.
std::string error_message(const error_entry& e, const message_args& args = {});
// The body as the service sends it: {"Message":"..."}.
std::string error_body(const error_entry& e, const message_args& args = {});

// The HRESULT a Windows client shows for an HTTP status (HTTP_E_STATUS_*:
// 0x80190000 + status), e.g. 400 -> 0x80190190.
std::uint32_t http_status_hresult(unsigned status);
std::string_view http_status_hresult_name(unsigned status);
std::string_view confidence_tag(confidence c);

// docs/errors.md, generated from the table.
std::string error_table_markdown();

}  // namespace aikmock::policy
