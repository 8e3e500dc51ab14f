#include <doctest/doctest.h>

#include "certs/der.hpp"
#include "common/encoding.hpp"

using namespace aikmock;
namespace der = aikmock::certs::der;

TEST_CASE("DER primitives encode as X.690 says") {
  CHECK(to_hex(der::oid("2.23.133.8.1")) == "0605678105080" "1");
  CHECK(to_hex(der::oid("1.3.6.1.4.1.311.21.36")) == "06092b0601040182371524");
  CHECK(to_hex(der::integer(0)) == "020100");
  CHECK(to_hex(der::integer(127)) == "02017f");
  CHECK(to_hex(der::integer(128)) == "02020080");
  CHECK(to_hex(der::integer(164)) == "020200a4");
  CHECK(to_hex(der::integer(-1)) == "0201ff");
  CHECK(to_hex(der::integer(-129)) == "0202ff7f");
  CHECK(to_hex(der::utf8_string("2.0")) == "0c03322e30");
  CHECK(to_hex(der::bmp_string("TC")) == "1e0400540043");
  CHECK(to_hex(der::boolean(true)) == "0101ff");
  CHECK(to_hex(der::null()) == "0500");
  CHECK(to_hex(der::sequence({der::null(), der::integer(1)})) == "30050500020101");
}

TEST_CASE("DER long lengths") {
  bytes big(300, 0xaa);
  auto enc = der::octet_string(big);
  CHECK(enc.size() == 304);
  CHECK(to_hex(byte_view(enc).first(4)) == "0482012c");
}

TEST_CASE("malformed OIDs are refused") {
  CHECK_THROWS(der::oid("1"));
  CHECK_THROWS(der::oid("3.1"));
  CHECK_THROWS(der::oid("1.40"));
  CHECK_THROWS(der::oid("1..2"));
  CHECK_THROWS(der::oid("1.2.x"));
}
