#pragma once
// Small ASCII helpers for protocol text (host names, query keys, header values).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aikmock {

std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);
// A decimal number with nothing else around it; nullopt otherwise (or past 2^64-1).
std::optional<std::uint64_t> parse_unsigned(std::string_view s);

}  // namespace aikmock
