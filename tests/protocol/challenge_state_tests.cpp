// The state carried between the two rounds (a versioned binary record, sealed),
// and the record of answers already used (fail closed).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "certs/lab_manifest.hpp"
#include "common/encoding.hpp"
#include "protocol/enrollment/challenge_state.hpp"
#include "protocol/enrollment/replay_cache.hpp"
#include "protocol/enrollment/state_sealer.hpp"

using namespace aikmock;
using namespace aikmock::protocol::enrollment;
using verdict = replay_cache::verdict;

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
  CHECK(cache.first_use("a", now + std::chrono::minutes(5), now) == verdict::first);
  CHECK(cache.first_use("a", now + std::chrono::minutes(5), now) != verdict::first);
  // After it expires the id is forgotten (the state itself is refused as expired by then).
  CHECK(cache.first_use("a", now + std::chrono::minutes(20), now + std::chrono::minutes(6)) == verdict::first);
  CHECK(cache.first_use("b", now + std::chrono::minutes(1), now) == verdict::first);
  CHECK(cache.first_use("c", now + std::chrono::minutes(30), now) == verdict::first);
  CHECK(cache.size() == 3);
  CHECK(cache.first_use("d", now + std::chrono::minutes(30), now) == verdict::first);  // evicts "b", closest to expiry
  CHECK(cache.size() == 3);
  CHECK(cache.first_use("c", now + std::chrono::minutes(30), now) != verdict::first);
  CHECK(cache.first_use("b", now + std::chrono::minutes(30), now) == verdict::first);
}

TEST_CASE("replay cache shared by replicas through a directory") {
  using clock = replay_cache::clock;
  const auto dir = std::filesystem::temp_directory_path() / ("aikmock-replays-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto now = clock::now();
  replay_cache one(10, dir), two(10, dir);
  CHECK(one.first_use("00aa", now + std::chrono::minutes(5), now) == verdict::first);
  CHECK(two.first_use("00aa", now + std::chrono::minutes(5), now) != verdict::first);  // the other replica took it
  CHECK(two.first_use("00bb", now + std::chrono::minutes(5), now) == verdict::first);
  CHECK(one.first_use("00bb", now + std::chrono::minutes(5), now) != verdict::first);
  CHECK(one.first_use("../x", now + std::chrono::minutes(5), now) == verdict::unknown);  // never a path
  std::filesystem::remove_all(dir);
}

TEST_CASE("the challenge state: every field survives, the version is checked, hostile bytes are refused") {
  challenge_state s;
  s.authority_key_id = "b7312aa24013cd17b64943d5b78143b61f21ad7f";
  s.transaction_id = "0123456789abcdef0123456789abcdef01234567";
  s.secret = tpm::secret_bytes(bytes(32, 0x11));
  s.aik_public = bytes(280, 0x22);
  s.tpm = {"id:49465800", "SLB9672", "id:000F0017"};
  s.requester_thumbprint = bytes(20, 0x33);
  s.expires_at = 1'800'000'000;
  s.use_id = bytes(16, 0x44);
  s.machine = "DESKTOP-1A2B3C4";
  s.ek_template = "H-6";
  s.ek_key = "rsa-3072";
  const bytes encoded = encode(s);
  CHECK(encoded[0] == challenge_state::current_version);
  auto back = decode_challenge_state(encoded);
  REQUIRE_MESSAGE(back, back.error());
  CHECK(back->authority_key_id == s.authority_key_id);
  CHECK(back->transaction_id == s.transaction_id);
  CHECK(back->secret.copy() == bytes(32, 0x11));
  CHECK(back->aik_public == s.aik_public);
  CHECK(back->tpm.model == "SLB9672");
  CHECK(back->requester_thumbprint == s.requester_thumbprint);
  CHECK(back->expires_at == s.expires_at);
  CHECK(back->use_id == s.use_id);
  CHECK(back->machine == "DESKTOP-1A2B3C4");
  CHECK(back->ek_template == "H-6");
  CHECK(back->ek_key == "rsa-3072");

  auto other_version = encoded;
  other_version[0] = 1;
  CHECK(decode_challenge_state(other_version).error().find("version") != std::string::npos);
  for (std::size_t n = 0; n < encoded.size(); ++n) CHECK_FALSE(decode_challenge_state(byte_view(encoded).first(n)));
  auto trailing = encoded;
  trailing.push_back(0);
  CHECK_FALSE(decode_challenge_state(trailing));
  // Wire bytes that are not UTF-8 are carried as bytes: no JSON, nothing to throw.
  s.transaction_id = std::string("\xff\xfe");
  CHECK(decode_challenge_state(encode(s)));
}

TEST_CASE("the shared replay record fails closed: when it cannot be written, no answer is taken") {
  using clock = replay_cache::clock;
  const auto now = clock::now();
  // A "directory" that is a file: nothing can be created in it.
  const auto file = std::filesystem::temp_directory_path() / ("aikmock-replays-file-" + std::to_string(::getpid()));
  { std::ofstream(file) << "x"; }
  replay_cache blocked(10, file);
  CHECK(blocked.first_use("00aa", now + std::chrono::minutes(5), now) == verdict::unknown);
  CHECK(blocked.size() == 0);  // not remembered either: a later answer is judged afresh
  std::filesystem::remove(file);
}
