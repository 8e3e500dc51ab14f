#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "certs/lab_manifest.hpp"
#include "common/encoding.hpp"
#include "protocol/exchange/replay_cache.hpp"
#include "protocol/exchange/state_sealer.hpp"

using namespace aikmock;
using namespace aikmock::protocol::exchange;

TEST_CASE("sealed state: round trip, and any change or another key is refused") {
  state_sealer a(bytes(32, 1));
  state_sealer b(bytes(32, 2));
  const std::string plain = R"({"secret":"…","authority":"IFX-KeyId-00"})";
  auto token = a.seal(as_bytes(plain));
  CHECK(token.find_first_of("+/=") == std::string::npos);  // URL-safe, unpadded
  auto opened = a.open(token);
  REQUIRE(opened);
  CHECK(std::string(as_chars(*opened)) == plain);
  CHECK(a.seal(as_bytes(plain)) != token);  // a fresh nonce every time

  CHECK_FALSE(b.open(token));
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(a.open(t));
  }
  CHECK_FALSE(a.open(token.substr(0, token.size() - 1)));
  CHECK_FALSE(a.open(""));
  CHECK_FALSE(a.open("!!!"));
  CHECK_FALSE(a.open(std::string(state_sealer::max_token_size + 1, 'A')));
  CHECK_THROWS_AS(state_sealer(bytes(16, 0)), std::invalid_argument);
}

TEST_CASE("the lab's sealing key loads, and two sealers from it agree (replicas)") {
  auto lab = certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  REQUIRE_FALSE(lab.sealing_key.empty());
  auto one = state_sealer::from_file(lab.path_of(lab.sealing_key));
  auto two = state_sealer::from_file(lab.path_of(lab.sealing_key));
  auto opened = two.open(one.seal(as_bytes(std::string_view("state"))));
  REQUIRE(opened);
  CHECK(std::string(as_chars(*opened)) == "state");
}

TEST_CASE("replay cache: once only until expiry, bounded") {
  using clock = replay_cache::clock;
  const auto now = clock::now();
  replay_cache cache(3);
  CHECK(cache.first_use("a", now + std::chrono::minutes(5), now));
  CHECK_FALSE(cache.first_use("a", now + std::chrono::minutes(5), now));
  // After it expires the id is forgotten (the state itself is refused as expired by then).
  CHECK(cache.first_use("a", now + std::chrono::minutes(20), now + std::chrono::minutes(6)));
  CHECK(cache.first_use("b", now + std::chrono::minutes(1), now));
  CHECK(cache.first_use("c", now + std::chrono::minutes(30), now));
  CHECK(cache.size() == 3);
  CHECK(cache.first_use("d", now + std::chrono::minutes(30), now));  // evicts "b", closest to expiry
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.first_use("c", now + std::chrono::minutes(30), now));
  CHECK(cache.first_use("b", now + std::chrono::minutes(30), now));
}

TEST_CASE("replay cache shared by replicas through a directory") {
  using clock = replay_cache::clock;
  const auto dir = std::filesystem::temp_directory_path() / ("aikmock-replays-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto now = clock::now();
  replay_cache one(10, dir), two(10, dir);
  CHECK(one.first_use("00aa", now + std::chrono::minutes(5), now));
  CHECK_FALSE(two.first_use("00aa", now + std::chrono::minutes(5), now));  // the other replica took it
  CHECK(two.first_use("00bb", now + std::chrono::minutes(5), now));
  CHECK_FALSE(one.first_use("00bb", now + std::chrono::minutes(5), now));
  CHECK_FALSE(one.first_use("../x", now + std::chrono::minutes(5), now));  // never a path
  std::filesystem::remove_all(dir);
}
