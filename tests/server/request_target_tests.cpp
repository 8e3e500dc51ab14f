#include <doctest/doctest.h>

#include "server/request_target.hpp"

using namespace aikmock::server;

TEST_CASE("path and query are split and decoded") {
  auto t = parse_request_target("/templates/Aik/scep?operation=PKIOperation&message=a%2Bb%3D+c");
  REQUIRE(t);
  CHECK(t->path == "/templates/Aik/scep");
  CHECK(t->param("OPERATION") == "PKIOperation");
  CHECK(t->param("message") == "a+b= c");
  CHECK_FALSE(t->param("missing"));
}

TEST_CASE("odd but valid queries") {
  auto t = parse_request_target("/x?&&a&b=&a=2");
  REQUIRE(t);
  CHECK(t->param("a") == "");
  CHECK(t->param("b") == "");
  CHECK(t->query.size() == 3);
  auto p = parse_request_target("/a%20b");
  REQUIRE(p);
  CHECK(p->path == "/a b");
}

TEST_CASE("malformed targets are refused") {
  CHECK_FALSE(parse_request_target(""));
  CHECK_FALSE(parse_request_target("http://host/x"));
  CHECK_FALSE(parse_request_target("*"));
  CHECK_FALSE(parse_request_target("/x?a=%zz"));
  CHECK_FALSE(parse_request_target("/x?a=%2"));
  CHECK_FALSE(parse_request_target("/x%"));
}
