// The JSON API in-process: the same exchange as SCEP, chosen authority from the
// EK on a plain host, and its refusals.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "certs/authority.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "policy/policy_file.hpp"
#include "client/soft/soft_tpm.hpp"
#include "protocol/json_api.hpp"
#include "tests/support/protocol_world.hpp"
#include "tpm/credential_container.hpp"

using namespace aikmock;
using namespace aikmock::protocol;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
using test::world;

// A plain host: the authority comes from the EK certificate or the state.
protocol::authority_source plain_host() { return {nullptr, world().authorities}; }

json challenge_body(client::soft_tpm& tpm, bool with_ek_public) {
  auto proof = tpm.create_aik({});
  bytes creation_data2b{static_cast<std::uint8_t>(proof.creation_data.size() >> 8),
                        static_cast<std::uint8_t>(proof.creation_data.size() & 0xff)};
  creation_data2b.insert(creation_data2b.end(), proof.creation_data.begin(), proof.creation_data.end());
  json j{{"ekCertificate", to_base64(tpm.ek_certificate())},
         {"aikPublic", to_base64(tpm::marshal_public2b(proof.aik_public))},
         {"aikCreation",
          {{"creationData", to_base64(creation_data2b)},
           {"attest", to_base64(proof.attest)},
           {"signature", to_base64(tpm::marshal_signature(proof.signature))}}}};
  if (with_ek_public) j["ekPublic"] = to_base64(tpm::marshal_public2b(tpm.ek_public()));
  return j;
}

response call(const json_api& api, const char* path, const json& body, std::string& served_by) {
  return api.handle("POST", path, body.dump(), plain_host(), "127.0.0.1", served_by);
}
}  // namespace

TEST_CASE("JSON API: challenge, activation, certificate, on a plain host; then replay refused") {
  for (const auto& ek : world().lab.eks) {
    CAPTURE(ek.id);
    auto api = world().json("tcg-complete");
    client::soft_tpm tpm(world().lab.path_of(ek.certificate), world().lab.path_of(ek.private_key),
                         world().lab.path_of(ek.public_area));
    std::string served_by;
    auto r1 = call(api, "/aik/v1/challenge", challenge_body(tpm, ek.tpl == "H-1"), served_by);
    REQUIRE_MESSAGE(r1.status == 200, r1.body << " " << r1.detail);
    CHECK(served_by == ek.authority);
    auto c = json::parse(r1.body);
    CHECK(c["credentialProfile"] == "tcg");
    CHECK(c["expiresAt"].get<std::string>().size() == 20);
    auto blob = tpm::parse_tpm2_tools_credential_file(*from_base64(c["credentialBlob"].get<std::string>()));
    REQUIRE(blob);
    auto secret = tpm.activate(*blob);
    REQUIRE(secret);
    json answer{{"state", c["state"]}, {"secret", to_base64(*secret)}};
    auto r2 = call(api, "/aik/v1/certificate", answer, served_by);
    REQUIRE_MESSAGE(r2.status == 200, r2.body << " " << r2.detail);
    auto cert = json::parse(r2.body);
    auto issued = certs::parse_certificate(as_bytes(cert["certificate"].get<std::string>()));
    REQUIRE(issued);
    CHECK(cert["chain"].size() == 2);
    auto replay = call(api, "/aik/v1/certificate", answer, served_by);
    CHECK(replay.status == 400);
    CHECK(replay.error_key == "challenge-replayed");
  }
}

TEST_CASE("JSON API: the Lenovo case and malformed requests") {
  const certs::lab_ek* h6 = nullptr;
  for (const auto& ek : world().lab.eks)
    if (ek.tpl == "H-6") h6 = &ek;
  REQUIRE(h6);
  client::soft_tpm tpm(world().lab.path_of(h6->certificate), world().lab.path_of(h6->private_key),
                       world().lab.path_of(h6->public_area));
  std::string served_by;
  auto refused = call(world().json("microsoft-2025"), "/aik/v1/challenge", challenge_body(tpm, true), served_by);
  CHECK(refused.status == 400);
  CHECK(refused.body == R"({"Message":"Client challenge cannot be created due to failure in EncryptSecret"})");

  auto api = world().json("tcg-complete");
  auto bad = [&](const std::string& body) { return api.handle("POST", "/aik/v1/challenge", body, plain_host(), "h", served_by); };
  CHECK(bad("not json").error_key == "bad-request");
  CHECK(bad("{}").detail == "\"ekCertificate\" is missing");
  CHECK(bad(R"({"ekCertificate":"!!"})").detail == "\"ekCertificate\" is not base64");
  CHECK(bad(R"({"ekCertificate":"AAAA","aikPublic":"AAAA"})").error_key == "no-ek-certificate");
  auto no_proof = challenge_body(tpm, false);
  no_proof.erase("aikCreation");
  auto r = api.handle("POST", "/aik/v1/challenge", no_proof.dump(), plain_host(), "h", served_by);
  CHECK(r.status == 400);
  CHECK(r.error_key == "firmware-needs-update");  // requireAikProof
  CHECK(api.handle("GET", "/aik/v1/challenge", "", plain_host(), "h", served_by).status == 405);
  CHECK(api.handle("POST", "/aik/v1/nothing", "", plain_host(), "h", served_by).status == 404);
  CHECK(api.handle("POST", "/aik/v1/certificate", R"({"state":"x","secret":"AAAA"})", plain_host(), "h", served_by)
            .error_key == "challenge-state-invalid");
}

TEST_CASE("JSON API bodies are bounded: size, depth, element count") {
  auto api = world().json("tcg-complete");
  std::string served_by;
  auto post = [&](const std::string& body) { return api.handle("POST", "/aik/v1/challenge", body, plain_host(), "h", served_by); };
  CHECK(post(std::string(json_api_max_body + 1, ' ')).status == 413);
  std::string deep(20, '[');
  deep += std::string(20, ']');
  CHECK(post(deep).error_key == "bad-request");
  std::string wide = "[";
  for (int i = 0; i < 10000; ++i) wide += "[],";
  wide += "[]]";
  auto r = post(wide);
  CHECK(r.error_key == "bad-request");
  CHECK(r.detail.find("elements") != std::string::npos);
}
