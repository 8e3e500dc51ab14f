#pragma once
// Hex and base64, strict on input: untrusted text yields nullopt, never an exception.
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace aikmock {

std::string to_hex(byte_view data, bool upper = false);
std::optional<bytes> from_hex(std::string_view text);

std::string to_base64(byte_view data);
// Accepts the standard and the URL-safe alphabet, with or without '=' padding;
// ASCII white space (as in wrapped PEM or form data) is skipped.
std::optional<bytes> from_base64(std::string_view text);

}  // namespace aikmock
