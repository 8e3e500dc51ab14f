// base64 and hex from untrusted text (query parameters, JSON fields).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/encoding.hpp"
#include "fuzz/seeds.hpp"

using namespace aikmock;

namespace {
bool seeded = [] {
  fuzz::write_seed("b64", as_bytes(std::string_view("Zm9vYmFy\r\nZm8=")));
  fuzz::write_seed("hex", as_bytes(std::string_view("0001abFF")));
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto b = from_base64(text)) {
    // Decoding what we encode gives the bytes back.
    auto again = from_base64(to_base64(*b));
    if (!again || *again != *b) __builtin_trap();
  }
  if (auto h = from_hex(text)) {
    if (to_hex(*h) != to_hex(*from_hex(to_hex(*h)))) __builtin_trap();
  }
  return 0;
}
