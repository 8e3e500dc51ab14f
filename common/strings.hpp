#pragma once
// Small ASCII helpers for protocol text (host names, query keys, header values).
#include <string>
#include <string_view>

namespace aikmock {

std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

}  // namespace aikmock
