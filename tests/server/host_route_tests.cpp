#include <doctest/doctest.h>

#include "server/host_route.hpp"

using namespace aikmock::server;

TEST_CASE("authority labels in the forms Windows derives") {
  auto a = parse_authority_label("IFX-KeyId-18B1AF70B93F991972F362556A9A3FBF4BB24E0D.microsoftaik.azure.net");
  REQUIRE(a);
  CHECK(a->vendor == "IFX");
  CHECK_FALSE(a->name_id);
  CHECK(a->id == "18b1af70b93f991972f362556a9a3fbf4bb24e0d");
  CHECK(a->label == "IFX-KeyId-18B1AF70B93F991972F362556A9A3FBF4BB24E0D");

  auto b = parse_authority_label("ntc-NAMEID-6ed6e7a6.microsoftaik.azure.net:8443");
  REQUIRE(b);
  CHECK(b->vendor == "ntc");
  CHECK(b->name_id);
  CHECK(b->id == "6ed6e7a6");

  auto c = parse_authority_label("msft-keyid-abc");  // no domain: still the authority form
  REQUIRE(c);
  CHECK(c->id == "abc");
}

TEST_CASE("other hosts go to the default authority") {
  CHECK_FALSE(parse_authority_label("localhost"));
  CHECK_FALSE(parse_authority_label("127.0.0.1:8443"));
  CHECK_FALSE(parse_authority_label("[::1]:8443"));
  CHECK_FALSE(parse_authority_label("www.microsoftaik.azure.net"));
  CHECK_FALSE(parse_authority_label("IFX-Key-abc.microsoftaik.azure.net"));
  CHECK_FALSE(parse_authority_label("-KeyId-abc.example"));
  CHECK_FALSE(parse_authority_label("I_X-KeyId-abc.example"));
  CHECK_FALSE(parse_authority_label(""));
}

TEST_CASE("host without port") {
  CHECK(host_without_port("a.b:80") == "a.b");
  CHECK(host_without_port("a.b") == "a.b");
  CHECK(host_without_port("[::1]:8443") == "::1");
  CHECK(host_without_port("::1") == "::1");
}
