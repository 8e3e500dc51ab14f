// The policy's rate limit: a token bucket per client address.
#include <doctest/doctest.h>

#include "policy/policy_file.hpp"
#include "policy/rate_limiter.hpp"

using namespace aikmock::policy;
using namespace std::chrono_literals;

TEST_CASE("rate limiter: a burst, then the sustained rate; addresses are counted apart") {
  rate_limiter limiter({2.0, 3});
  const auto t0 = rate_limiter::clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit("10.0.0.1", t0));
  auto wait = limiter.admit("10.0.0.1", t0);
  REQUIRE(wait);
  CHECK(*wait == 1);  // half a second to the next token, rounded up to Retry-After's whole seconds
  CHECK_FALSE(limiter.admit("10.0.0.2", t0));  // another client is not held back
  CHECK_FALSE(limiter.admit("10.0.0.1", t0 + 500ms));
  CHECK(limiter.admit("10.0.0.1", t0 + 500ms));
  // A quiet client refills up to the burst, not beyond it.
  const auto later = t0 + 1h;
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit("10.0.0.1", later));
  CHECK(limiter.admit("10.0.0.1", later));
}

TEST_CASE("rate limiter: a slow rate says how long to wait") {
  rate_limiter limiter({0.1, 1});
  const auto t0 = rate_limiter::clock::time_point{} + 1h;
  CHECK_FALSE(limiter.admit("a", t0));
  auto wait = limiter.admit("a", t0);
  REQUIRE(wait);
  CHECK(*wait == 10);
  CHECK(*limiter.admit("a", t0 + 4s) == 6);
}

TEST_CASE("rate limiter: the table of addresses stays bounded") {
  rate_limiter limiter({1.0, 1}, 4);
  const auto t0 = rate_limiter::clock::time_point{} + 1h;
  for (int i = 0; i < 100; ++i) limiter.admit("client-" + std::to_string(i), t0 + std::chrono::milliseconds(i));
  CHECK(limiter.tracked() == 4);
  // Addresses whose bucket is full again are forgotten first: they are new clients in all but name.
  rate_limiter refilled({1.0, 1}, 2);
  CHECK_FALSE(refilled.admit("x", t0));
  CHECK_FALSE(refilled.admit("y", t0 + 10s));
  CHECK_FALSE(refilled.admit("z", t0 + 10s));  // x refilled long ago: it makes room
  CHECK(refilled.admit("y", t0 + 10s));        // y kept its empty bucket
}

TEST_CASE("policy file: rateLimit is read, checked, and absent from the built-in policies") {
  auto p = parse_policy(R"({"name":"limited","rateLimit":{"requestsPerSecond":0.5,"burst":4}})", "test");
  REQUIRE(p.client_rate_limit);
  CHECK(p.client_rate_limit->per_second == doctest::Approx(0.5));
  CHECK(p.client_rate_limit->burst == 4);
  CHECK(parse_policy(R"({"name":"x","rateLimit":{"requestsPerSecond":3}})", "t").client_rate_limit->burst == 1);
  CHECK_THROWS_WITH_AS(parse_policy(R"({"name":"x","rateLimit":{"requestsPerSecond":0}})", "t"),
                       doctest::Contains("/rateLimit/requestsPerSecond"), policy_error);
  CHECK_THROWS_WITH_AS(parse_policy(R"({"name":"x","rateLimit":{"requestsPerSecond":1,"burst":0}})", "t"),
                       doctest::Contains("/rateLimit/burst"), policy_error);
  CHECK_THROWS_WITH_AS(parse_policy(R"({"name":"x","rateLimit":{"requestsPerSecond":1,"per":"user"}})", "t"),
                       doctest::Contains("per"), policy_error);
  for (const char* name : {"microsoft-2025", "tcg-complete", "strict"})
    CHECK_FALSE(resolve_policy(name).client_rate_limit);
}
