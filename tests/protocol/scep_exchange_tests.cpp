// The whole Windows exchange in-process, with the lab's software EKs: round 1
// (messageType 19, answered pkiStatus 11 with the challenge),
// TPM2_ActivateCredential in software, round 2 (messageType 41, answered with
// the AIK certificate), for every lab template under every built-in policy;
// and every way either round is refused.
#include <doctest/doctest.h>

#include <map>

#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "client/wire/cert_rep_reader.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "client/wire/windows_request.hpp"
#include "common/files.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/kast.hpp"
#include "protocol/wcce/key_info.hpp"
#include "tests/support/protocol_world.hpp"
#include "tpm/public_key.hpp"

using namespace aikmock;
using namespace aikmock::protocol;
using test::world;
namespace fs = std::filesystem;

namespace {

response post(const scep::scep_codec& s, const certs::authority& a, const bytes& message) {
  return s.handle(a, {"POST", "PKIOperation", "", message, "test.host"});
}

struct exchange {
  response round1;
  std::optional<response> round2;
  std::vector<x509_ptr> delivered;
};

// Walks the Windows flow against the codec: request, activate, answer.
exchange enroll(const scep::scep_codec& s, const certs::authority& a, client::tpm_backend& tpm) {
  auto me = client::scep_identity::make();
  auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, client::client_description::make(), {});
  exchange out{post(s, a, r1.message), std::nullopt, {}};
  if (out.round1.status != 200) return out;
  REQUIRE(out.round1.content_type == "application/x-pki-message");
  auto rep = client::parse_cert_rep(as_bytes(out.round1.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE_MESSAGE(rep, rep.error());
  CHECK(rep->status == scep::pki_status::pending_challenge);
  CHECK(rep->transaction_id == r1.transaction_id);
  CHECK(rep->recipient_nonce == r1.sender_nonce);
  CHECK(rep->sender_nonce.size() == 16);
  CHECK(rep->sender_nonce != r1.sender_nonce);
  auto challenge = scep::parse_challenge_reply(rep->content);
  REQUIRE_MESSAGE(challenge, challenge.error());
  auto secret = tpm.activate(challenge->credential);
  REQUIRE_MESSAGE(secret, secret.error().reason);
  auto r2 = client::build_answer(*challenge, *secret, r1.transaction_id, a.ra_encryption.get(), me);
  out.round2 = post(s, a, r2.message);
  if (out.round2->status != 200) return out;
  auto done = client::parse_cert_rep(as_bytes(out.round2->body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE_MESSAGE(done, done.error());
  CHECK(done->status == scep::pki_status::success);
  CHECK(done->recipient_nonce == r2.sender_nonce);
  auto delivered = client::delivered_certificates(*done, a.ra_signing.get());
  REQUIRE_MESSAGE(delivered, delivered.error());
  out.delivered = std::move(*delivered);
  return out;
}

// The delivered AIK certificate: the one for `aik`.
X509* aik_certificate(const exchange& e, const tpm::tpmt_public& aik) {
  auto key = tpm::public_key_from_public(aik);
  for (const auto& c : e.delivered)
    if (EVP_PKEY_eq(X509_get0_pubkey(c.get()), key.get()) == 1) return c.get();
  return nullptr;
}

const std::string encrypt_secret_body =
    R"({"Message":"Client challenge cannot be created due to failure in EncryptSecret"})";

// A software TPM that remembers its AIK.
struct recording_tpm : client::soft_tpm {
  using client::soft_tpm::soft_tpm;
  tpm::tpmt_public aik;
  tpm::aik_creation_proof create_aik(byte_view nonce) override {
    auto proof = client::soft_tpm::create_aik(nonce);
    aik = proof.aik_public;
    return proof;
  }
};
recording_tpm recording(const certs::lab_ek& e) {
  const auto& lab = world().lab;
  return recording_tpm(lab.path_of(e.certificate), lab.path_of(e.private_key), lab.path_of(e.public_area));
}

}  // namespace

TEST_CASE("every lab template under every built-in policy: the policy matrix") {
  // What the Microsoft-limited credential profile can serve: RSA EKs with SHA-256 (L-1, H-1).
  const std::map<std::string, bool> microsoft_serves{{"L-1", true},  {"H-1", true},  {"L-2", false}, {"H-2", false},
                                                      {"H-3", false}, {"H-6", false}, {"H-7", false}};
  for (const std::string policy : {"microsoft-2025", "tcg-complete", "strict"}) {
    auto s = world().scep(policy);
    for (const auto& ek : world().lab.eks) {
      CAPTURE(policy);
      CAPTURE(ek.id);
      auto tpm = recording(ek);
      const auto& a = world().authority(ek.authority);
      auto o = enroll(s, a, tpm);
      const bool expect_certificate = policy != "microsoft-2025" || microsoft_serves.at(ek.tpl);
      if (!expect_certificate) {
        CHECK(o.round1.status == 400);
        CHECK(o.round1.body == encrypt_secret_body);
        CHECK(o.round1.content_type == "application/json; charset=utf-8");
        continue;
      }
      REQUIRE(o.delivered.size() == 2);  // the AIK certificate and its issuing CA
      X509* aik_cert = aik_certificate(o, tpm.aik);
      REQUIRE(aik_cert);
      CHECK(X509_NAME_entry_count(X509_get_subject_name(aik_cert)) == 0);
      CHECK(X509_check_issued(a.issuing_ca.get(), aik_cert) == X509_V_OK);
      CHECK(std::any_of(o.delivered.begin(), o.delivered.end(),
                        [&](const x509_ptr& c) { return X509_cmp(c.get(), a.issuing_ca.get()) == 0; }));
    }
  }
}

TEST_CASE("the Lenovo X1 Carbon Gen 13 case: RSA-3072/SHA-384 EK (H-6)") {
  const auto& h6 = world().ek("H-6");
  const auto& a = world().authority(h6.authority);

  auto tpm = recording(h6);
  auto refused = enroll(world().scep("microsoft-2025"), a, tpm);
  CHECK(refused.round1.status == 400);
  CHECK(refused.round1.body == encrypt_secret_body);
  CHECK(refused.round1.detail.find("microsoft credential profile") != std::string::npos);

  // Fixed: challenged with SHA-384 / AES-256, activated, certified.
  auto fixed = enroll(world().scep("tcg-complete"), a, tpm);
  REQUIRE(fixed.round2);
  CHECK(fixed.round1.detail.find("tcg credential profile") != std::string::npos);
  // The certificate is for the AIK, with the TPM's identity copied from the EK certificate.
  X509* aik_cert = aik_certificate(fixed, tpm.aik);
  REQUIRE(aik_cert);
  GENERAL_NAMES* san = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(aik_cert, NID_subject_alt_name, nullptr, nullptr));
  REQUIRE(san);
  char text[256] = {};
  X509_NAME_oneline(sk_GENERAL_NAME_value(san, 0)->d.directoryName, text, sizeof text);
  CHECK(std::string(text).find("ST33KTPM2X") != std::string::npos);
  GENERAL_NAMES_free(san);
}

TEST_CASE("round 2 refusals: wrong secret, replay, tampered state, another authority, another signer, expiry") {
  auto service = world().service("tcg-complete");
  scep::scep_codec s(service);
  const auto& ek = world().ek("L-1");
  const auto& a = world().authority(ek.authority);
  auto tpm = world().tpm(ek);
  auto me = client::scep_identity::make();
  auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, client::client_description::make(), {});
  auto first = post(s, a, r1.message);
  REQUIRE(first.status == 200);
  auto rep = client::parse_cert_rep(as_bytes(first.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE(rep);
  auto challenge = *scep::parse_challenge_reply(rep->content);
  auto secret = *tpm.activate(challenge.credential);
  auto answer = [&](const scep::challenge_reply& c, const bytes& sec, const certs::authority& to,
                    const client::scep_identity& signer) {
    return post(s, to, client::build_answer(c, sec, r1.transaction_id, to.ra_encryption.get(), signer).message);
  };

  auto wrong = secret;
  wrong[0] ^= 1;
  auto r = answer(challenge, wrong, a, me);
  CHECK(r.status == 400);
  CHECK(r.error_key == "challenge-response-mismatch");

  // The state inside the server context, one character changed.
  auto tampered = challenge;
  auto& ctx = tampered.server_context;
  ctx[ctx.size() - 3] = ctx[ctx.size() - 3] == 'A' ? 'B' : 'A';
  CHECK(answer(tampered, secret, a, me).error_key == "challenge-state-invalid");

  const certs::authority* other = nullptr;
  for (const auto& x : world().authorities->all())
    if (x->key_id != a.key_id) other = x.get();
  REQUIRE(other);
  CHECK(answer(challenge, secret, *other, me).error_key == "challenge-state-invalid");

  // Another SCEP Protocol Certificate than the one that signed round 1: the rounds are bound.
  auto stranger = client::scep_identity::make();
  auto foreign = answer(challenge, secret, a, stranger);
  CHECK(foreign.error_key == "challenge-state-invalid");
  CHECK(foreign.detail.find("signed by another certificate") != std::string::npos);

  // The right answer after wrong ones still works, once.
  CHECK(answer(challenge, secret, a, me).status == 200);
  auto again = answer(challenge, secret, a, me);
  CHECK(again.status == 400);
  CHECK(again.error_key == "challenge-replayed");
  CHECK(again.body == R"({"Message":"The challenge has already been answered."})");
}

TEST_CASE("round 2 after the state's lifetime: challenge-expired") {
  const auto& ek = world().ek("L-1");
  const auto& a = world().authority(ek.authority);
  const auto& lab = world().lab;
  protocol::enrollment::service_settings short_lived;
  short_lived.state_lifetime = std::chrono::seconds(-1);  // expired as it is made
  auto service = std::make_shared<const protocol::enrollment::enrollment_service>(
      std::make_shared<const policy::policy>(policy::resolve_policy("tcg-complete")), [] { return 0.5; }, world().trust,
      world().sealer, certs::load_certificate(lab.path_of(lab.aik_root.certificate)), nullptr, short_lived);
  auto tpm = world().tpm(ek);
  auto o = enroll(scep::scep_codec(service), a, tpm);
  REQUIRE(o.round2);
  CHECK(o.round2->status == 400);
  CHECK(o.round2->error_key == "challenge-expired");
}

TEST_CASE("round 1 refusals: an EK of another authority, a request without EK info or attestation") {
  auto s = world().scep("tcg-complete");
  const auto& ifx = world().ek("L-1");
  const certs::lab_ek* other_vendor = nullptr;
  for (const auto& ek : world().lab.eks)
    if (ek.authority != ifx.authority) other_vendor = &ek;
  REQUIRE(other_vendor);

  // An STM EK sent to the IFX authority: its chain is valid, but not to this authority's CA.
  auto tpm = world().tpm(*other_vendor);
  auto o = enroll(s, world().authority(ifx.authority), tpm);
  CHECK(o.round1.status == 400);
  CHECK(o.round1.error_key == "no-ek-certificate");

  // The Windows request without its EK info, or without its attestation statement.
  const auto& a = world().authority(ifx.authority);
  auto ifx_tpm = world().tpm(ifx);
  auto me = client::scep_identity::make();
  auto proof = ifx_tpm.create_aik({});
  auto aik_key = tpm::public_key_from_public(proof.aik_public);
  client::windows_request_parts parts;
  parts.aik_public_key = certs::public_key_der(aik_key.get());
  parts.aik_key_id = bytes(20, 1);
  parts.who = client::client_description::make();
  parts.signer_hash = me.thumbprint;
  parts.tpm = {"id:49465800", "SLB9672", "id:000F0017"};
  auto send = [&](const client::windows_request_parts& p) {
    client::pki_request r;
    r.transaction_id = "0123456789abcdef0123456789abcdef01234567";
    r.sender_nonce = bytes(16, 7);
    return post(s, a, client::build_pki_message(r, client::build_windows_pkcs10(p), a.ra_encryption.get(),
                                                me.certificate.get(), me.key.get()));
  };
  auto no_ek = send(parts);
  CHECK(no_ek.status == 400);
  CHECK(no_ek.error_key == "no-ek-certificate");
  CHECK(no_ek.detail.find("szOID_ENROLL_EK_INFO") != std::string::npos);

  parts.ek_info = certs::envelope_to(
      wcce::encode_ek_info({certs::public_key_der(tpm::public_key_from_public(ifx_tpm.ek_public()).get()),
                            ifx_tpm.ek_certificate(),
                            {}}),
      a.ra_encryption.get(), EVP_aes_128_cbc());
  auto no_proof = send(parts);
  CHECK(no_proof.status == 400);
  CHECK(no_proof.error_key == "firmware-needs-update");
  CHECK_MESSAGE(no_proof.detail.find("no attestation statement") != std::string::npos, no_proof.detail);
}

TEST_CASE("round 1 takes the EK certificate's CA chain from the SignedData's certificate set, root-most first") {
  const auto& ek = world().ek("L-1");
  const auto& a = world().authority(ek.authority);
  auto tpm = world().tpm(ek);
  auto me = client::scep_identity::make();
  bytes root, issuer;
  for (const auto& v : world().lab.vendors)
    if (v.vendor == a.vendor) {
      root = certs::der_of(certs::load_certificate(world().lab.path_of(v.root_ca.certificate)).get(), i2d_X509);
      issuer = certs::der_of(certs::load_certificate(world().lab.path_of(v.ek_issuing_ca.certificate)).get(), i2d_X509);
    }
  REQUIRE_FALSE(root.empty());
  // Given issuer first (as a TPM may keep them), sent as Windows sends them: root-most first.
  auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, client::client_description::make(), {issuer, root});
  auto msg = scep::parse_pki_message(r1.message, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(msg, msg.error());
  CHECK(msg->other_certificates == std::vector<bytes>{root, issuer});
  CHECK(post(world().scep("tcg-complete"), a, r1.message).status == 200);
}

TEST_CASE("the PKCS#10's signature: Windows' bare hash is accepted; a real one must be the AIK's when the policy asks") {
  const auto& ek = world().ek("L-1");
  const auto& a = world().authority(ek.authority);
  auto tpm = world().tpm(ek);
  auto me = client::scep_identity::make();
  auto aik = client::create_soft_aik(tpm::alg::rsa);
  auto proof = client::certify_creation(aik);
  protocol::wcce::key_attestation_statement kast;
  kast.id_binding = tpm::marshal_creation_proof(proof);
  client::windows_request_parts parts;
  parts.aik_public_key = certs::public_key_der(aik.key.get());
  parts.aik_key_id = bytes(20, 2);
  parts.who = client::client_description::make();
  parts.signer_hash = me.thumbprint;
  parts.tpm = {"id:49465800", "SLB9672", "id:000F0017"};
  parts.attestation_statement = protocol::wcce::marshal_kast(kast);
  parts.ek_info = certs::envelope_to(
      wcce::encode_ek_info({certs::public_key_der(tpm::public_key_from_public(tpm.ek_public()).get()),
                            tpm.ek_certificate(),
                            {}}),
      a.ra_encryption.get(), EVP_aes_128_cbc());
  auto send = [&](const scep::scep_codec& s, const client::windows_request_parts& p) {
    client::pki_request r;
    r.transaction_id = "0123456789abcdef0123456789abcdef01234567";
    r.sender_nonce = bytes(16, 7);
    return post(s, a, client::build_pki_message(r, client::build_windows_pkcs10(p), a.ra_encryption.get(),
                                                me.certificate.get(), me.key.get()));
  };
  auto sign_with = [](EVP_PKEY* key) {
    return [key](byte_view info) {
      evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
      REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1);
      std::size_t n = 0;
      REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &n, info.data(), info.size()) == 1);
      bytes sig(n);
      REQUIRE(EVP_DigestSign(ctx.get(), sig.data(), &n, info.data(), info.size()) == 1);
      sig.resize(n);
      return sig;
    };
  };

  auto microsoft = world().scep("microsoft-2025");
  CHECK(send(microsoft, parts).status == 200);  // the bare hash, as Windows sends it
  auto signed_parts = parts;
  signed_parts.sign = sign_with(aik.key.get());
  CHECK(send(microsoft, signed_parts).status == 200);  // a real signature stays accepted

  const fs::path strict_file = fs::path(AIKMOCK_TEST_LAB_DIR).parent_path() / "scep_exchange_tests-signature.json";
  write_file(strict_file, as_bytes(R"({"name":"signed","credentialProfile":"tcg","requireRequestSignature":true})"));
  auto strict = world().scep(strict_file.string());
  fs::remove(strict_file);
  CHECK(send(strict, signed_parts).status == 200);
  auto bare = send(strict, parts);
  CHECK(bare.error_key == "firmware-needs-update");
  auto other = certs::generate_rsa_key(2048);
  auto forged = parts;
  forged.sign = sign_with(other.get());
  auto refused = send(strict, forged);
  CHECK(refused.error_key == "firmware-needs-update");
  std::string trace;
  for (const auto& step : refused.policy_trace) trace += step.check + ": " + step.result + "\n";
  CHECK_MESSAGE(trace.find("request-signature: failed") != std::string::npos, trace);
}
