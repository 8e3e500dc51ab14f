#pragma once
// A bounds-checked reader of DER TLVs, for the few places where the EK intake
// must see the encoding itself rather than OpenSSL's decoded view: where the
// certificate ends inside an NV blob, and which DEFAULT values a vendor
// encoded explicitly (OpenSSL decodes both forms to the same value).
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.hpp"

namespace aikmock::certs {

namespace der_tag {
inline constexpr std::uint8_t boolean = 0x01;
inline constexpr std::uint8_t integer = 0x02;
inline constexpr std::uint8_t bit_string = 0x03;
inline constexpr std::uint8_t octet_string = 0x04;
inline constexpr std::uint8_t oid = 0x06;
inline constexpr std::uint8_t sequence = 0x30;
inline constexpr std::uint8_t set = 0x31;
// Constructed context-specific [n].
constexpr std::uint8_t context(std::uint8_t n) { return static_cast<std::uint8_t>(0xa0 | n); }
}  // namespace der_tag

struct der_tlv {
  std::uint8_t tag = 0;  // the identifier octet
  byte_view content;
  byte_view encoding;  // identifier, length and content
};

// The TLV at the start of `data` (bytes after it are not looked at). nullopt
// when it is truncated, has a multi-byte tag, an indefinite length or a length
// of more than four octets: none of which a certificate can have.
std::optional<der_tlv> read_der_tlv(byte_view data);

// The TLVs that make up `content` exactly, in order; nullopt when it is not a
// whole number of TLVs. At most `max_children` are read (bounds the work on
// hostile input); more is an error.
std::optional<std::vector<der_tlv>> read_der_children(byte_view content, std::size_t max_children = 256);

// True when the TLV is `tag` and its content is exactly `value`.
bool der_equals(const der_tlv& tlv, std::uint8_t tag, byte_view value);

}  // namespace aikmock::certs
