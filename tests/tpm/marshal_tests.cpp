#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/encoding.hpp"
#include "tpm/marshal.hpp"

using namespace aikmock;
using namespace aikmock::tpm;

namespace {
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("writer emits big-endian integers, raw bytes and TPM2Bs") {
  writer w;
  w.u8(0x01).u16(0x0203).u32(0x04050607).u64(0x08090a0b0c0d0e0f).raw(bytes{0xaa}).tpm2b(bytes{0xbb, 0xcc});
  CHECK(to_hex(w.data()) == "0102030405060708090a0b0c0d0e0faa0002bbcc");
}

TEST_CASE("writer refuses a TPM2B that cannot be sized in 16 bits") {
  writer w;
  CHECK_NOTHROW(w.tpm2b(bytes(0xFFFF)));
  CHECK_THROWS_AS(w.tpm2b(bytes(0x10000)), std::length_error);
}

TEST_CASE("reader reads what writer wrote") {
  writer w;
  w.u8(0xfe).u16(0xbeef).u32(0xdeadbeef).u64(0x0123456789abcdef).tpm2b(bytes{1, 2, 3});
  reader r(w.data());
  CHECK(r.u8("a") == 0xfe);
  CHECK(r.u16("b") == 0xbeef);
  CHECK(r.u32("c") == 0xdeadbeef);
  CHECK(r.u64("d") == 0x0123456789abcdefull);
  auto b = r.tpm2b("e", 3);
  REQUIRE(b);
  CHECK(to_hex(*b) == "010203");
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(r.consumed() == w.data().size());
  CHECK(r.expect_end("S"));
}

TEST_CASE("truncated reads fail with the field name and offset, and the first error sticks") {
  const bytes data{0x00, 0x01, 0x02};
  reader r(data);
  CHECK(r.u16("S.first") == 0x0001);
  CHECK_FALSE(r.u16("S.second"));
  CHECK_FALSE(r.ok());
  CHECK(r.error() == "S.second at offset 2: value truncated (needs 2 bytes, 1 left)");
  // Later reads fail too, even ones that would fit, and keep the first message.
  CHECK_FALSE(r.u8("S.third"));
  CHECK(r.error() == "S.second at offset 2: value truncated (needs 2 bytes, 1 left)");
}

TEST_CASE("every integer width fails cleanly on empty input") {
  const bytes none;
  for (int width : {1, 2, 4, 8}) {
    reader r(none);
    bool got = width == 1 ? r.u8("f").has_value()
               : width == 2 ? r.u16("f").has_value()
               : width == 4 ? r.u32("f").has_value()
                            : r.u64("f").has_value();
    CHECK_FALSE(got);
    CHECK(contains(r.error(), "f at offset 0"));
  }
}

TEST_CASE("tpm2b enforces the caller's maximum before reading the payload") {
  const bytes data{0x00, 0x05, 1, 2, 3, 4, 5};
  {
    reader r(data);
    CHECK(r.tpm2b("T.buffer", 5));
  }
  reader r(data);
  CHECK_FALSE(r.tpm2b("T.buffer", 4));
  CHECK(r.error() == "T.buffer at offset 0: size 5 exceeds the maximum 4");
}

TEST_CASE("tpm2b reports a truncated size and a truncated payload separately") {
  const bytes one{0x00};
  reader a(one);
  CHECK_FALSE(a.tpm2b("T.buffer", 10));
  CHECK(contains(a.error(), "T.buffer at offset 0: size truncated"));

  const bytes short_payload{0x00, 0x04, 1, 2};
  reader b(short_payload);
  CHECK_FALSE(b.tpm2b("T.buffer", 10));
  CHECK(b.error() == "T.buffer at offset 2: payload truncated (needs 4 bytes, 2 left)");
}

TEST_CASE("raw never reads past the end, whatever the count") {
  const bytes data{1, 2};
  reader r(data);
  CHECK_FALSE(r.raw(SIZE_MAX, "R.blob"));
  CHECK(contains(r.error(), "R.blob at offset 0"));
}

TEST_CASE("nested TPM2B readers report absolute offsets and size mismatches") {
  // prefix byte, then TPM2B of 4 bytes holding a u16 and a u16
  const bytes data{0x99, 0x00, 0x04, 0x00, 0x01, 0x00, 0x02, 0x77};
  SUBCASE("exact fit") {
    reader r(data);
    r.u8("prefix");
    auto inner = r.nested_tpm2b("OUTER.size", 100);
    REQUIRE(inner);
    CHECK(inner->u16("INNER.a") == 1);
    CHECK(inner->u16("INNER.b") == 2);
    CHECK(r.close_nested(*inner, "OUTER.size"));
    CHECK(r.u8("suffix") == 0x77);
  }
  SUBCASE("inner structure shorter than the declared size") {
    reader r(data);
    r.u8("prefix");
    auto inner = r.nested_tpm2b("OUTER.size", 100);
    REQUIRE(inner);
    inner->u16("INNER.a");
    CHECK_FALSE(r.close_nested(*inner, "OUTER.size"));
    CHECK(r.error() == "OUTER.size at offset 1: size 4 but the structure inside uses 2 bytes");
  }
  SUBCASE("inner structure longer than the declared size") {
    reader r(data);
    r.u8("prefix");
    auto inner = r.nested_tpm2b("OUTER.size", 100);
    REQUIRE(inner);
    inner->u16("INNER.a");
    inner->u16("INNER.b");
    inner->u16("INNER.c");
    CHECK_FALSE(r.close_nested(*inner, "OUTER.size"));
    CHECK(r.error() == "INNER.c at offset 7: value truncated (needs 2 bytes, 0 left)");
  }
}

TEST_CASE("reject points at the value just read, fail at the current position") {
  const bytes data{0x00, 0x01, 0x00, 0x02};
  reader a(data);
  a.u16("S.first");
  a.u16("S.second");
  CHECK_FALSE(a.reject("S.second", "unsupported"));
  CHECK(a.error() == "S.second at offset 2: unsupported");

  reader b(data);
  b.u16("S.first");
  CHECK_FALSE(b.expect_end("S"));
  CHECK(b.error() == "S at offset 2: 2 unexpected trailing bytes");
}
