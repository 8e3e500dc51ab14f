#include "certs/ek_der_reader.hpp"

#include <algorithm>

namespace aikmock::certs {

std::optional<der_tlv> read_der_tlv(byte_view data) {
  if (data.size() < 2) return std::nullopt;
  const std::uint8_t tag = data[0];
  if ((tag & 0x1f) == 0x1f) return std::nullopt;  // multi-byte tag
  std::size_t header = 2;
  std::size_t length = data[1];
  if (length & 0x80) {
    const std::size_t octets = length & 0x7f;
    if (octets == 0 || octets > 4) return std::nullopt;  // indefinite, or absurdly long
    if (data.size() < 2 + octets) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | data[2 + i];
    header += octets;
  }
  if (length > data.size() - header) return std::nullopt;
  der_tlv tlv;
  tlv.tag = tag;
  tlv.content = data.subspan(header, length);
  tlv.encoding = data.subspan(0, header + length);
  return tlv;
}

std::optional<std::vector<der_tlv>> read_der_children(byte_view content, std::size_t max_children) {
  std::vector<der_tlv> out;
  while (!content.empty()) {
    if (out.size() == max_children) return std::nullopt;
    auto tlv = read_der_tlv(content);
    if (!tlv) return std::nullopt;
    content = content.subspan(tlv->encoding.size());
    out.push_back(*tlv);
  }
  return out;
}

bool der_equals(const der_tlv& tlv, std::uint8_t tag, byte_view value) {
  return tlv.tag == tag && std::equal(tlv.content.begin(), tlv.content.end(), value.begin(), value.end());
}

}  // namespace aikmock::certs
