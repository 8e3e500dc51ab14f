#include "certs/der.hpp"

#include <charconv>
#include <stdexcept>
#include <vector>

namespace aikmock::certs::der {

namespace {
void append_length(bytes& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  std::uint8_t buf[sizeof(std::size_t)];
  int len = 0;
  for (std::size_t v = n; v != 0; v >>= 8) buf[len++] = static_cast<std::uint8_t>(v & 0xff);
  out.push_back(static_cast<std::uint8_t>(0x80 | len));
  while (len > 0) out.push_back(buf[--len]);
}

bytes concat(std::uint8_t tag, std::initializer_list<bytes> items) {
  bytes content;
  for (const auto& i : items) content.insert(content.end(), i.begin(), i.end());
  return tlv(tag, content);
}

void append_base128(bytes& out, std::uint64_t v) {
  std::uint8_t buf[10];
  int len = 0;
  do {
    buf[len++] = static_cast<std::uint8_t>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (len > 1) out.push_back(static_cast<std::uint8_t>(buf[--len] | 0x80));
  out.push_back(buf[0]);
}
}  // namespace

bytes tlv(std::uint8_t tag, byte_view content) {
  bytes out{tag};
  append_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

bytes sequence(std::initializer_list<bytes> items) { return concat(0x30, items); }

// DER orders SET OF by encoding; callers here pass one item or already-ordered items.
bytes set(std::initializer_list<bytes> items) { return concat(0x31, items); }

bytes oid(std::string_view dotted) {
  std::vector<std::uint64_t> arcs;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    auto part = dotted.substr(0, dot);
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc{} || p != part.data() + part.size() || part.empty())
      throw std::invalid_argument("malformed OID");
    arcs.push_back(v);
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40))
    throw std::invalid_argument("malformed OID");
  bytes content;
  append_base128(content, arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) append_base128(content, arcs[i]);
  return tlv(0x06, content);
}

bytes integer(std::int64_t value) {
  bytes content;
  for (int shift = 56; shift >= 0; shift -= 8) content.push_back(static_cast<std::uint8_t>(value >> shift));
  // Minimal two's complement: drop leading bytes that only repeat the sign.
  std::size_t start = 0;
  while (start + 1 < content.size() &&
         ((content[start] == 0x00 && !(content[start + 1] & 0x80)) ||
          (content[start] == 0xff && (content[start + 1] & 0x80))))
    ++start;
  return tlv(0x02, byte_view(content).subspan(start));
}

bytes utf8_string(std::string_view text) { return tlv(0x0c, as_bytes(text)); }
bytes printable_string(std::string_view text) { return tlv(0x13, as_bytes(text)); }
bytes ia5_string(std::string_view text) { return tlv(0x16, as_bytes(text)); }

bytes bmp_string(std::string_view ascii_text) {
  bytes content;
  for (char c : ascii_text) {
    content.push_back(0);
    content.push_back(static_cast<std::uint8_t>(c));
  }
  return tlv(0x1e, content);
}

bytes octet_string(byte_view content) { return tlv(0x04, content); }

bytes bit_string(byte_view content) {
  bytes value{0x00};
  value.insert(value.end(), content.begin(), content.end());
  return tlv(0x03, value);
}

bytes constructed(std::uint8_t tag, const std::vector<bytes>& items) {
  bytes content;
  for (const auto& i : items) content.insert(content.end(), i.begin(), i.end());
  return tlv(tag, content);
}
bytes boolean(bool value) { return bytes{0x01, 0x01, static_cast<std::uint8_t>(value ? 0xff : 0x00)}; }
bytes null() { return bytes{0x05, 0x00}; }

bytes context(std::uint8_t number, byte_view content, bool constructed) {
  return tlv(static_cast<std::uint8_t>(0x80 | (constructed ? 0x20 : 0) | number), content);
}

}  // namespace aikmock::certs::der
