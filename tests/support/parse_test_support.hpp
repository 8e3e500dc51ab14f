#pragma once
// Checks shared by the parser tests: that cutting a valid structure short
// anywhere fails with a message naming the field the cut falls into.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.hpp"

namespace aikmock::tpm::test {

inline bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }
inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// [end offset, field name], in wire order; the last end is the structure's size.
using field_layout = std::vector<std::pair<std::size_t, std::string_view>>;

// Parses every proper prefix of `wire` with `parse` and requires a failure
// whose message starts with `prefix` + the field the cut falls into.
template <class Parse>
void check_truncations_name_fields(const bytes& wire, const field_layout& fields, Parse parse,
                                   std::string_view prefix = {}) {
  REQUIRE(!fields.empty());
  REQUIRE(fields.back().first == wire.size());
  for (std::size_t length = 0; length < wire.size(); ++length) {
    CAPTURE(length);
    std::string_view field;
    for (const auto& [end, name] : fields) {
      if (length < end) {
        field = name;
        break;
      }
    }
    auto parsed = parse(byte_view(wire).first(length));
    REQUIRE_FALSE(parsed);
    CHECK_MESSAGE(starts_with(parsed.error(), std::string(prefix) + std::string(field) + " at offset "), parsed.error());
    CHECK_MESSAGE(contains(parsed.error(), "truncated"), parsed.error());
  }
}

// How a TPM2B cut to `length` bytes is named: a cut size field at offset 0,
// a cut payload where the payload starts, offset 2.
inline std::string tpm2b_cut_prefix(std::string_view tpm2b, std::size_t length) {
  return std::string(tpm2b) + " at offset " + (length < 2 ? "0" : "2") + ": ";
}

inline bytes set_u16_be(bytes wire, std::size_t offset, std::uint16_t value) {
  wire.at(offset) = static_cast<std::uint8_t>(value >> 8);
  wire.at(offset + 1) = static_cast<std::uint8_t>(value);
  return wire;
}

inline bytes set_u32_le(bytes wire, std::size_t offset, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) wire.at(offset + i) = static_cast<std::uint8_t>(value >> (8 * i));
  return wire;
}

}  // namespace aikmock::tpm::test
