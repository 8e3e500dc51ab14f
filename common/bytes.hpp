#pragma once
// Byte buffers as every layer passes them around.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace aikmock {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

inline byte_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_chars(byte_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace aikmock
