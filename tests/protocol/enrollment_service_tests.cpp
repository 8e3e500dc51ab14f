// The enrollment service owns the order: the policy's front end before any
// evidence, the decision on the evidence, the challenge; and in round 2 the
// front end before the state is opened — so a policy refusal never uses a
// challenge up. Proven here for every kind of fault on ChallengeAnswer, over
// SCEP and over the JSON API, with the client's retry after the fault.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "client/wire/cert_rep_reader.hpp"
#include "client/wire/windows_request.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tests/support/protocol_world.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/marshal.hpp"
#include "tpm/signature.hpp"

using namespace aikmock;
using namespace aikmock::protocol;
using nlohmann::json;
using test::world;
namespace fs = std::filesystem;

namespace {

// A service whose only rule is `then` for `operation` (and a shared replay record).
std::shared_ptr<const enrollment::enrollment_service> service_with(const std::string& operation, const std::string& then,
                                                                   std::shared_ptr<enrollment::replay_cache> replays) {
  const fs::path file = fs::path(AIKMOCK_TEST_LAB_DIR).parent_path() / "enrollment_service_tests-policy.json";
  write_file(file, as_bytes(R"({"name":"fault","credentialProfile":"tcg","rules":[{"name":"fault","when":{"operation":")" +
                            operation + R"("},"then":)" + then + "}]}"));
  auto s = world().service(file.string(), 0.5, std::move(replays));
  fs::remove(file);
  return s;
}

// Each kind of policy refusal, and what the client sees of it.
struct fault_kind {
  const char* then;
  unsigned status;  // 0: the connection is closed unanswered
};
const fault_kind fault_kinds[] = {
    {R"({"throttle":{"retryAfterSeconds":3}})", 429},
    {R"({"fault":500})", 500},
    {R"({"fault":503})", 503},
    {R"({"reject":"challenge-state-invalid"})", 400},
    {R"({"close":true})", 0},
};

void check_refused(const response& r, const fault_kind& k) {
  if (k.status == 0) {
    CHECK(r.drop);
  } else {
    CHECK(r.status == k.status);
    CHECK(r.policy_rule == "fault");
  }
}

}  // namespace

TEST_CASE("a policy refusal of the challenge answer never uses the challenge up: SCEP (messageType 41)") {
  const auto& ek = world().ek("L-1");
  const auto& a = world().authority(ek.authority);
  for (const auto& kind : fault_kinds) {
    CAPTURE(kind.then);
    auto replays = std::make_shared<enrollment::replay_cache>();
    scep::scep_codec healthy(world().service("tcg-complete", 0.5, replays));
    scep::scep_codec faulty(service_with("ChallengeAnswer", kind.then, replays));
    auto tpm = world().tpm(ek);
    auto me = client::scep_identity::make();
    auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, client::client_description::make(), {});
    auto first = healthy.handle(a, {"POST", "PKIOperation", "", r1.message, "h"});
    REQUIRE(first.status == 200);
    auto rep = client::parse_cert_rep(as_bytes(first.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
    REQUIRE(rep);
    auto challenge = *scep::parse_challenge_reply(rep->content);
    auto secret = *tpm.activate(challenge.credential);

    auto answer = client::build_answer(challenge, secret, r1.transaction_id, a.ra_encryption.get(), me);
    check_refused(faulty.handle(a, {"POST", "PKIOperation", "", answer.message, "h"}), kind);
    // The client tries again (after its Retry-After): the challenge is still there, once.
    auto retry = client::build_answer(challenge, secret, r1.transaction_id, a.ra_encryption.get(), me);
    CHECK(healthy.handle(a, {"POST", "PKIOperation", "", retry.message, "h"}).status == 200);
    CHECK(healthy.handle(a, {"POST", "PKIOperation", "", retry.message, "h"}).error_key == "challenge-replayed");
  }
}

TEST_CASE("a policy refusal of the challenge answer never uses the challenge up: JSON API") {
  const auto& ek = world().ek("L-1");
  for (const auto& kind : fault_kinds) {
    CAPTURE(kind.then);
    auto replays = std::make_shared<enrollment::replay_cache>();
    json_api healthy(world().service("tcg-complete", 0.5, replays));
    json_api faulty(service_with("ChallengeAnswer", kind.then, replays));
    auto tpm = world().tpm(ek);
    auto proof = tpm.create_aik({});
    bytes creation2b{static_cast<std::uint8_t>(proof.creation_data.size() >> 8),
                     static_cast<std::uint8_t>(proof.creation_data.size() & 0xff)};
    creation2b.insert(creation2b.end(), proof.creation_data.begin(), proof.creation_data.end());
    const json body{{"ekCertificate", to_base64(tpm.ek_certificate())},
                    {"aikPublic", to_base64(tpm::marshal_public2b(proof.aik_public))},
                    {"aikCreation",
                     {{"creationData", to_base64(creation2b)},
                      {"attest", to_base64(proof.attest)},
                      {"signature", to_base64(tpm::marshal_signature(proof.signature))}}}};
    std::string served_by;
    const authority_source plain{nullptr, world().authorities};
    auto r1 = healthy.handle("POST", "/aik/v1/challenge", body.dump(), plain, "h", served_by);
    REQUIRE_MESSAGE(r1.status == 200, r1.body << r1.detail);
    auto c = json::parse(r1.body);
    auto blob = tpm::parse_tpm2_tools_credential_file(*from_base64(c["credentialBlob"].get<std::string>()));
    auto secret = *tpm.activate(*blob);
    const json answer{{"state", c["state"]}, {"secret", to_base64(secret)}};

    check_refused(faulty.handle("POST", "/aik/v1/certificate", answer.dump(), plain, "h", served_by), kind);
    CHECK(healthy.handle("POST", "/aik/v1/certificate", answer.dump(), plain, "h", served_by).status == 200);
    CHECK(healthy.handle("POST", "/aik/v1/certificate", answer.dump(), plain, "h", served_by).error_key ==
          "challenge-replayed");
  }
}

TEST_CASE("the front end speaks before the evidence is read; the decision after it") {
  const auto& ek = world().ek("H-6");
  const auto& a = world().authority(ek.authority);
  auto replays = std::make_shared<enrollment::replay_cache>();
  // A fault for everyone at PKIOperation: the request is not even parsed (a garbage body gets it too).
  scep::scep_codec down(service_with("PKIOperation", R"({"fault":503})", replays));
  CHECK(down.handle(a, {"POST", "PKIOperation", "", as_bytes(std::string_view("junk")), "h"}).status == 503);

  // A rule on the EK's template is judged once the evidence is read.
  const fs::path file = fs::path(AIKMOCK_TEST_LAB_DIR).parent_path() / "enrollment_service_tests-h6.json";
  write_file(file, as_bytes(R"({"name":"h6","credentialProfile":"tcg","rules":[
    {"name":"no-h6","when":{"operation":"PKIOperation","template":"H-6"},"then":{"throttle":{"retryAfterSeconds":9}}}]})"));
  scep::scep_codec picky(world().service(file.string()));
  fs::remove(file);
  auto tpm = world().tpm(ek);
  auto me = client::scep_identity::make();
  auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, client::client_description::make(), {});
  auto r = picky.handle(a, {"POST", "PKIOperation", "", r1.message, "h"});
  CHECK(r.status == 429);
  CHECK(r.policy_rule == "no-h6");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].second == "9");
}

TEST_CASE("explain: the service's answer to an EK without a transport") {
  auto service = world().service("microsoft-2025");
  enrollment::evidence ev;
  ev.ek_certificate = *read_file(world().lab.path_of(world().ek("H-6").certificate));
  auto x = service->explain(ev);
  CHECK(x.decision.what == policy::decision::kind::reject);
  CHECK(x.decision.error == policy::error_id::encrypt_secret_failed);
  REQUIRE(x.facts);
  CHECK(x.facts->tpl == "H-6");
  auto fixed = world().service("tcg-complete")->explain(ev);
  CHECK(fixed.decision.what == policy::decision::kind::accept);
  REQUIRE(fixed.challenge);
  CHECK(fixed.challenge->aes_key_bits == 256);
  enrollment::evidence none;
  CHECK(service->explain(none).decision.error == policy::error_id::no_ek_certificate);
}
