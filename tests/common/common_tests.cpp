#include <doctest/doctest.h>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "common/uuid.hpp"

using namespace aikmock;

TEST_CASE("hex round trip and strict decoding") {
  bytes b{0x00, 0x01, 0xab, 0xff};
  CHECK(to_hex(b) == "0001abff");
  CHECK(to_hex(b, true) == "0001ABFF");
  CHECK(from_hex("0001AbfF") == b);
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
}

TEST_CASE("base64: standard and URL-safe alphabets, padding optional, junk rejected") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto enc = to_base64(as_bytes(s));
    auto dec = from_base64(enc);
    REQUIRE(dec.has_value());
    CHECK(std::string(as_chars(*dec)) == s);
  }
  CHECK(to_base64(as_bytes(std::string_view("foobar"))) == "Zm9vYmFy");
  CHECK(to_base64(as_bytes(std::string_view("fo"))) == "Zm8=");
  bytes hi{0xfb, 0xff};
  CHECK(from_base64("-_8") == hi);
  CHECK(from_base64("+/8=") == hi);
  CHECK(from_base64("Zm9v\r\nYmFy") == from_base64("Zm9vYmFy"));
  CHECK_FALSE(from_base64("Zm9v!").has_value());
  CHECK_FALSE(from_base64("Zg=x").has_value());   // data after padding
  CHECK_FALSE(from_base64("Z").has_value());      // a lone sextet
  CHECK_FALSE(from_base64("Zh==").has_value());   // non-zero leftover bits
}

TEST_CASE("ASCII case helpers") {
  CHECK(iequals("KeyId", "keyid"));
  CHECK_FALSE(iequals("KeyId", "keyid-"));
  CHECK(istarts_with("NAMEID-abc", "NameId-"));
  CHECK(to_upper("ab1c") == "AB1C");
  CHECK(to_lower("AB1C") == "ab1c");
}

TEST_CASE("random UUIDs are version 4 and differ") {
  auto a = random_uuid();
  auto b = random_uuid();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[8] == '-');
  CHECK(a[14] == '4');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}
