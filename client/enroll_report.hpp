#pragma once
// An enrollment as a Windows engineer reads `certreq -enrollaik` output: the
// AIK URL, each stage with method, HTTP status line and x-ms-request-id, the
// service's {"Message":…}, PkiStatus / EnrollStatus, the new certificate, and
// the HRESULT Windows would show (with the Autopilot code it leads to) — or
// the same as one JSON document. The text is printed as the flow goes, so it
// comes in pieces; format_report is all of them in order.
#include <string>

#include "client/enroll_result.hpp"

namespace aikmock::client {

// The lines of one HTTP attempt: status line (or transport failure), error
// body, and the wait before the next attempt. `index` is the attempt's place in the stage.
std::string format_attempt(const enroll_result& result, const stage_result& stage, std::size_t index);
// The lines a finished stage adds after its attempts.
std::string format_stage(const enroll_result& result, const stage_result& stage);
// EnrollStatus, then the certificate or the HRESULT.
std::string format_outcome(const enroll_result& result);
// Everything above, in order.
std::string format_report(const enroll_result& result);

// One JSON document with the same content.
std::string report_json(const enroll_result& result);

}  // namespace aikmock::client
