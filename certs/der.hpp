#pragma once
// A minimal DER encoder for the few structures OpenSSL has no builder for
// (TCG subjectDirectoryAttributes, policy notices, MS-WCCE attributes).
#include <cstdint>
#include <initializer_list>
#include <vector>
#include <string_view>

#include "common/bytes.hpp"

namespace aikmock::certs::der {

bytes tlv(std::uint8_t tag, byte_view content);
bytes sequence(std::initializer_list<bytes> items);
bytes set(std::initializer_list<bytes> items);
// A SEQUENCE (or SET, or [n]) of encodings given at run time, in the order given.
bytes constructed(std::uint8_t tag, const std::vector<bytes>& items);
bytes bit_string(byte_view content);  // no unused bits
bytes oid(std::string_view dotted);  // throws std::invalid_argument on a malformed OID
bytes integer(std::int64_t value);
bytes utf8_string(std::string_view text);
bytes printable_string(std::string_view text);
bytes ia5_string(std::string_view text);
bytes bmp_string(std::string_view ascii_text);  // UCS-2 big-endian; ASCII input only
bytes octet_string(byte_view content);
bytes boolean(bool value);
bytes null();
bytes context(std::uint8_t number, byte_view content, bool constructed = true);

}  // namespace aikmock::certs::der
