#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "policy/json_lines.hpp"
#include "policy/policy_file.hpp"

using namespace aikmock::policy;

namespace {
request_facts pki(std::string tpl = "L-1", std::string key_type = "rsa", unsigned bits = 2048) {
  request_facts f;
  f.operation = "PKIOperation";
  f.authority = "STM-KeyId-e040d8b4c8d8b78502fbc33aac234358db49487e";
  f.authority_vendor = "STM";
  ek_facts e;
  e.manufacturer = "id:53544D20";
  e.model = "ST33KTPM2X";
  e.firmware = "id:00090100";
  e.tpl = std::move(tpl);
  e.key_type = std::move(key_type);
  e.key_bits = bits;
  e.signature_hash = "sha384";
  e.issuer_key_id = "e040d8b4c8d8b78502fbc33aac234358db49487e";
  e.device = "ab";
  e.chain_valid = true;
  f.ek = e;
  f.aik_proof_valid = true;
  return f;
}

double never() { return 0.999; }
double always() { return 0.0; }

decision judge(const policy& p, const request_facts& f, random_source random) {
  request_draws draws(std::move(random));
  return evaluate(p, f, draws);
}

std::string load_error(const std::string& text) {
  try {
    parse_policy(text, "p.json");
  } catch (const policy_error& e) {
    return e.what();
  }
  return {};
}
}  // namespace

TEST_CASE("every built-in policy loads, and the default is microsoft-2025") {
  CHECK(builtin_policy_names().size() == 3);
  for (auto name : builtin_policy_names()) {
    CAPTURE(name);
    auto p = resolve_policy(std::string(name));
    CHECK(p.name == name);
  }
  CHECK(resolve_policy(std::string(default_policy_name)).default_profile == credential_profile::microsoft);
  CHECK(resolve_policy("tcg-complete").default_profile == credential_profile::tcg);
}

TEST_CASE("built-in decisions for a valid EK: the credential profile decides the Lenovo case") {
  auto ms = resolve_policy("microsoft-2025");
  auto tcg = resolve_policy("tcg-complete");
  auto h6 = pki("H-6", "rsa", 3072);
  auto d1 = judge(ms, h6, never);
  CHECK(d1.what == decision::kind::accept);
  CHECK(d1.profile == credential_profile::microsoft);  // whose challenge cannot be made for H-6
  CHECK(d1.decided_by == "default");
  auto d2 = judge(tcg, h6, never);
  CHECK(d2.what == decision::kind::accept);
  CHECK(d2.profile == credential_profile::tcg);
}

TEST_CASE("defaults: invalid chain, failing AIK proof") {
  auto p = resolve_policy("tcg-complete");
  auto f = pki();
  f.ek->chain_valid = false;
  f.ek->chain_failure = "unknown-issuer";
  auto d = judge(p, f, never);
  CHECK(d.what == decision::kind::reject);
  CHECK(d.error == error_id::no_ek_certificate);
  CHECK(d.trace.back().result == "failed: unknown-issuer");

  auto g = pki();
  g.aik_proof_valid = false;
  CHECK(judge(p, g, never).error == error_id::firmware_needs_update);
  p.require_aik_proof = false;
  CHECK(judge(p, g, never).what == decision::kind::accept);

  // A PKCS#10 not signed by the attested AIK: refused like a failing proof, unless the policy waives it.
  auto h = pki();
  h.request_signature_valid = false;
  h.request_signature_failure = "the PKCS#10 is signed by another key than the attested AIK";
  p.require_request_signature = true;  // opt-in: no built-in policy requires it
  auto refused = judge(p, h, never);
  CHECK(refused.error == error_id::firmware_needs_update);
  CHECK(refused.trace.back().check == "request-signature");
  p.require_request_signature = false;
  CHECK(judge(p, h, never).what == decision::kind::accept);
  CHECK(judge(p, h, never).trace[judge(p, h, never).trace.size() - 2].result == "failed, not required");
  h.request_signature_valid = true;
  p.require_request_signature = true;
  CHECK(judge(p, h, never).what == decision::kind::accept);
}

TEST_CASE("strict refuses any certificate finding; ROCA under microsoft-2025") {
  auto f = pki();
  f.ek->findings = {"trailing-bytes"};
  auto d = judge(resolve_policy("strict"), f, never);
  CHECK(d.error == error_id::no_ek_certificate);
  CHECK(d.decided_by == "tcg-profile-violation");
  CHECK(judge(resolve_policy("tcg-complete"), f, never).what == decision::kind::accept);

  auto r = pki();
  r.ek->roca_vulnerable = true;
  CHECK(judge(resolve_policy("microsoft-2025"), r, never).error == error_id::firmware_needs_update);
}

TEST_CASE("rules: order, delays, throttling, faults, close, probability, stages") {
  auto p = parse_policy(R"({
    "name": "faults",
    "rules": [
      { "name": "slow", "then": { "delayMs": 1500 } },
      { "name": "slower", "when": { "operation": "GetCACaps" }, "then": { "delayMs": 500 } },
      { "name": "flaky", "when": { "probability": 0.25 }, "then": { "fault": 503 } },
      { "name": "busy", "when": { "vendor": "IFX" }, "then": { "throttle": { "retryAfterSeconds": 30 } } },
      { "name": "hang-up", "when": { "authority": "e040d8b4c8d8b78502fbc33aac234358db49487e", "operation": "GetCACert" }, "then": { "close": true } },
      { "name": "h6", "when": { "template": ["H-6", "H-7"], "keyBits": 3072 }, "then": { "reject": "encrypt-secret-failed" } },
      { "name": "stm-ok", "when": { "vendor": "id:53544D20" }, "then": { "accept": { "credentialProfile": "tcg" } } }
    ]
  })", "t");

  request_facts caps;
  caps.operation = "GetCACaps";
  caps.authority = "STM-KeyId-e040d8b4c8d8b78502fbc33aac234358db49487e";
  caps.authority_vendor = "STM";
  auto d = judge(p, caps, never);
  CHECK(d.delay == std::chrono::milliseconds(2000));
  CHECK(d.what == decision::kind::accept);  // no EK facts yet: EK rules do not match
  CHECK(d.decided_by == "default");

  CHECK(judge(p, caps, always).error == error_id::service_unavailable);

  request_facts cert = caps;
  cert.operation = "GetCACert";
  CHECK(judge(p, cert, never).what == decision::kind::close);

  request_facts ifx = caps;
  ifx.authority_vendor = "IFX";
  auto t = judge(p, ifx, never);
  CHECK(t.error == error_id::too_many_requests);
  CHECK(t.retry_after == 30u);

  auto h6 = judge(p, pki("H-6", "rsa", 3072), never);
  CHECK(h6.error == error_id::encrypt_secret_failed);
  CHECK(h6.decided_by == "h6");
  auto l1 = judge(p, pki(), never);
  CHECK(l1.decided_by == "stm-ok");
  CHECK(l1.profile == credential_profile::tcg);
  CHECK(l1.delay == std::chrono::milliseconds(1500));
}

TEST_CASE("policy file errors name the key and the line") {
  CHECK(load_error(R"({"name":"x"})").empty());
  CHECK(load_error("{\n  \"name\": \"x\",\n  \"rulez\": []\n}") == "p.json:3: /rulez: is not a known key");
  CHECK(load_error("{\n \"name\": 5\n}") == "p.json:2: /name: must be a string");
  CHECK(load_error(R"({"description":"no name"})") == "p.json:1: (top): needs a name");
  CHECK(load_error("{\"name\":\"x\",\n\"rules\":[\n{\"name\":\"a\",\"then\":{\"accept\":true}},\n{\"name\":\"b\",\n\"then\":{\"reject\":\"nope\"}}]}") ==
        "p.json:5: /rules/1/then/reject: unknown error \"nope\" (see docs/errors.md)");
  CHECK(load_error(R"({"name":"x","rules":[{"name":"a","then":{"accept":true}},{"name":"a","then":{"close":true}}]})")
            .find("/rules/1/name: another rule is already named \"a\"") != std::string::npos);
  CHECK(load_error(R"({"name":"x","rules":[{"name":"a","when":{"operation":["GetCACaps","Enroll"]},"then":{"close":true}}]})")
            .find("/rules/0/when/operation/1: unknown operation \"Enroll\"") != std::string::npos);
  CHECK(load_error(R"({"name":"x","rules":[{"name":"a","when":{"probability":2},"then":{"close":true}}]})")
            .find("/rules/0/when/probability: must be a number from 0 to 1") != std::string::npos);
  CHECK(load_error(R"({"name":"x","rules":[{"name":"a","then":{"fault":502}}]})")
            .find("/rules/0/then/fault: must be an HTTP status: 500 or 503") != std::string::npos);
  CHECK(load_error(R"({"name":"x","rules":[{"name":"a","then":{"close":true,"accept":true}}]})")
            .find("/rules/0/then: must hold exactly one of") != std::string::npos);
  CHECK(load_error(R"({"name":"x","credentialProfile":"fast"})").find("unknown credential profile \"fast\"") !=
        std::string::npos);
  CHECK(load_error("{\n\"name\": \"x\",\n\"rules\": [,]\n}") == "p.json:3: not valid JSON");
  CHECK(load_error(R"({"name":"x","requireRequestSignature":"no"})").find("/requireRequestSignature") !=
        std::string::npos);
  CHECK_FALSE(parse_policy(R"({"name":"x","requireRequestSignature":false})", "p.json").require_request_signature);
  CHECK_FALSE(parse_policy(R"({"name":"x"})", "p.json").require_request_signature);
  CHECK_THROWS_AS(resolve_policy("/no/such/policy.json"), policy_error);
}

TEST_CASE("json_lines maps JSON pointers to lines") {
  json_lines l("{\n\"a\": 1,\n\"b\": [\n  {\"c\": true},\n  \"d\"\n],\n\"e/f\": null\n}");
  CHECK(l.line_of("") == 1);
  CHECK(l.line_of("/a") == 2);
  CHECK(l.line_of("/b") == 3);
  CHECK(l.line_of("/b/0") == 4);
  CHECK(l.line_of("/b/0/c") == 4);
  CHECK(l.line_of("/b/1") == 5);
  CHECK(l.line_of("/e~1f") == 7);
  CHECK(l.line_of("/zz") == 0);
}

TEST_CASE("every complete policy in docs/policy.md loads") {
  std::ifstream in(AIKMOCK_SOURCE_DIR "/docs/policy.md");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  int examples = 0;
  for (std::size_t at = 0; (at = doc.find("```json\n{ \"name\"", at)) != std::string::npos;) {
    auto begin = at + 8;
    auto end = doc.find("```", begin);
    REQUIRE(end != std::string::npos);
    CAPTURE(doc.substr(begin, end - begin));
    CHECK_NOTHROW(parse_policy(doc.substr(begin, end - begin), "docs/policy.md"));
    ++examples;
    at = end;
  }
  CHECK(examples >= 8);
}

TEST_CASE("policy text that is JSON in form but not in range is a policy error, not a crash") {
  CHECK(load_error("1e999") == "p.json: not valid JSON");
  CHECK(load_error("{\"name\":\"x\",\"rules\":[{\"name\":\"a\",\"when\":{\"keyBits\":1e999},\"then\":{\"close\":true}}]}")
            .find("not valid JSON") != std::string::npos);
}

TEST_CASE("no built-in policy requires a real PKCS#10 signature: Windows sends the bare hash") {
  for (auto name : builtin_policy_names()) {
    CAPTURE(name);
    CHECK_FALSE(resolve_policy(std::string(name)).require_request_signature);
  }
}

TEST_CASE("a request meets every probability rule with one draw, however often it is judged") {
  auto p = parse_policy(R"({"name": "p", "rules": [
    {"name": "coin", "when": {"operation": "PKIOperation", "probability": 0.5}, "then": {"fault": 503}}]})",
                        "p.json");
  int calls = 0;
  double next = 0.25;
  request_draws draws([&] {
    ++calls;
    return next;
  });
  auto before_evidence = pki();
  before_evidence.ek.reset();
  before_evidence.aik_proof_valid.reset();
  CHECK(evaluate(p, before_evidence, draws).error == error_id::service_unavailable);
  next = 0.75;  // a second draw would accept: there is none
  CHECK(evaluate(p, pki(), draws).error == error_id::service_unavailable);
  CHECK(calls == 1);
}

TEST_CASE("rules on what a Windows request says of itself") {
  auto p = parse_policy(R"({"name": "p", "rules": [
    {"name": "foreign-signer", "when": {"operation": "PKIOperation", "signerHashMatches": false},
     "then": {"reject": "scep-parse-failed"}},
    {"name": "lab-machine", "when": {"machine": "DESKTOP-LAB0001", "osVersion": "10.0.26100.1"},
     "then": {"throttle": {"retryAfterSeconds": 30}}},
    {"name": "other-tpm", "when": {"requestTpmMatchesEk": false}, "then": {"reject": "no-ek-certificate"}}]})",
                        "p.json");
  auto f = pki();
  CHECK(judge(p, f, never).what == decision::kind::accept);  // a client that says nothing matches none of them
  f.client.signer_hash_matches = false;
  CHECK(judge(p, f, never).decided_by == "foreign-signer");
  f.client.signer_hash_matches = true;
  f.client.machine = "DESKTOP-LAB0001";
  f.client.os_version = "10.0.26100.1";
  CHECK(judge(p, f, never).retry_after == 30u);
  f.client.machine = "DESKTOP-OTHER01";
  f.client.request_tpm_matches_ek = false;
  CHECK(judge(p, f, never).error == error_id::no_ek_certificate);
  CHECK(load_error(R"({"name": "p", "rules": [{"name": "x", "when": {"signerHashMatches": "yes"}, "then": {"close": true}}]})")
            .find("signerHashMatches") != std::string::npos);
}

TEST_CASE("GetCACertChain is an operation rules can name") {
  auto p = parse_policy(R"({"name": "p", "rules": [
    {"name": "down", "when": {"operation": "GetCACertChain"}, "then": {"fault": 503}}]})", "p.json");
  request_facts chain;
  chain.operation = "GetCACertChain";
  CHECK(judge(p, chain, never).error == error_id::service_unavailable);
  CHECK(load_error(R"({"name": "p", "rules": [{"name": "x", "when": {"operation": "GetCACertChains"}, "then": {"close": true}}]})")
            .find("GetCACertChain, PKIOperation") != std::string::npos);
}
