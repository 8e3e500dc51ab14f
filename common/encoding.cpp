#include "common/encoding.hpp"

#include <array>

namespace aikmock {

std::string to_hex(byte_view data, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}
}  // namespace

std::optional<bytes> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  bytes out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string to_base64(byte_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    out.push_back(base64_alphabet[v >> 18 & 63]);
    out.push_back(base64_alphabet[v >> 12 & 63]);
    out.push_back(base64_alphabet[v >> 6 & 63]);
    out.push_back(base64_alphabet[v & 63]);
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = data[i] << 16 | (rest == 2 ? data[i + 1] << 8 : 0);
    out.push_back(base64_alphabet[v >> 18 & 63]);
    out.push_back(base64_alphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? base64_alphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<bytes> from_base64(std::string_view text) {
  bytes out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = acc << 6 | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits & 0xff));
    }
  }
  // A lone leftover sextet cannot encode a byte; leftover bits must be zero.
  if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || padding > 2) return std::nullopt;
  return out;
}

}  // namespace aikmock
