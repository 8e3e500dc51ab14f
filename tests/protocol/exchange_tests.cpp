// The whole SCEP exchange in-process, with the lab's software EKs: round 1
// (challenge), TPM2_ActivateCredential in software, round 2 (certificate),
// for every lab template under every built-in policy; and every way round 2
// is refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "certs/authority.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "common/files.hpp"
#include "policy/policy_file.hpp"
#include "client/wire/scep_enrollment.hpp"
#include "client/soft/soft_tpm.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/scep/pki_message.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "protocol/scep/scep_endpoint.hpp"
#include "tpm/public_key.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/key_info.hpp"

using namespace aikmock;
using namespace aikmock::protocol;
namespace fs = std::filesystem;

namespace {

struct world {
  certs::lab_manifest lab = (aikmock::load_openssl_providers(), certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR));
  std::shared_ptr<const certs::trust_store> trust = [this] {
    const std::vector<fs::path> dirs{lab.path_of(lab.trust_store)};
    return certs::trust_store::load(dirs).store;
  }();
  certs::authority_directory authorities{certs::authority_directory::from_lab(lab).all()};
  std::shared_ptr<const exchange::enrollment_engine> engine = std::make_shared<const exchange::enrollment_engine>(
      trust,
      std::make_shared<const exchange::state_sealer>(exchange::state_sealer::from_file(lab.path_of(lab.sealing_key))),
      certs::load_certificate(lab.path_of(lab.aik_root.certificate)));

  scep::scep_service service(const std::string& policy_name) const {
    return scep::scep_service(std::make_shared<const policy::policy>(policy::resolve_policy(policy_name)),
                              [] { return 0.5; }, engine);
  }
  const certs::authority& authority(const std::string& name) const { return *authorities.find(name); }
  client::soft_tpm tpm(const certs::lab_ek& ek) const {
    return client::soft_tpm(lab.path_of(ek.certificate), lab.path_of(ek.private_key), lab.path_of(ek.public_area));
  }
};

const world& w() {
  static const world instance;
  return instance;
}

response post(const scep::scep_service& s, const certs::authority& a, const bytes& message) {
  return s.handle(a, {"POST", "PKIOperation", "", message, "test.host"});
}

struct outcome {
  response round1;
  std::optional<response> round2;
  std::optional<scep::parsed_cert_rep> issued;
};

// Walks the Windows flow against the service: request, activate, answer.
outcome enroll(const scep::scep_service& s, const certs::authority& a, client::tpm_backend& tpm,
               bool send_ek_public = false) {
  auto me = client::scep_identity::make();
  auto r1 = client::build_round1(tpm, a.ra_encryption.get(), me, send_ek_public);
  outcome out{post(s, a, r1.message), std::nullopt, std::nullopt};
  if (out.round1.status != 200) return out;
  REQUIRE(out.round1.content_type == "application/x-pki-message");
  auto rep = scep::parse_cert_rep(as_bytes(out.round1.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE_MESSAGE(rep, rep.error());
  CHECK(rep->transaction_id == r1.transaction_id);
  CHECK(rep->recipient_nonce == r1.sender_nonce);
  auto challenge = client::challenge_of(*rep);
  REQUIRE(challenge);
  auto secret = tpm.activate(challenge->blob);
  REQUIRE_MESSAGE(secret, secret.error().reason);
  out.round2 = post(s, a, client::build_round2(*challenge, *secret, r1.transaction_id, a.ra_encryption.get(), me));
  if (out.round2->status != 200) return out;
  auto done = scep::parse_cert_rep(as_bytes(out.round2->body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE_MESSAGE(done, done.error());
  out.issued = std::move(*done);
  return out;
}

const std::string encrypt_secret_body =
    R"({"Message":"Client challenge cannot be created due to failure in EncryptSecret"})";

}  // namespace

TEST_CASE("every lab template under every built-in policy: the policy matrix") {
  // What the Microsoft-limited credential profile can serve: RSA EKs with SHA-256 (L-1, H-1).
  const std::map<std::string, bool> microsoft_serves{{"L-1", true},  {"H-1", true},  {"L-2", false}, {"H-2", false},
                                                      {"H-3", false}, {"H-6", false}, {"H-7", false}};
  for (const std::string policy : {"microsoft-2025", "tcg-complete", "strict"}) {
    auto s = w().service(policy);
    for (const auto& ek : w().lab.eks) {
      CAPTURE(policy);
      CAPTURE(ek.id);
      auto tpm = w().tpm(ek);
      const auto& a = w().authority(ek.authority);
      auto o = enroll(s, a, tpm);
      const bool expect_certificate = policy != "microsoft-2025" || microsoft_serves.at(ek.tpl);
      if (!expect_certificate) {
        CHECK(o.round1.status == 400);
        CHECK(o.round1.body == encrypt_secret_body);
        CHECK(o.round1.content_type == "application/json; charset=utf-8");
        continue;
      }
      REQUIRE(o.issued);
      CHECK(o.issued->status == scep::pki_status::success);
      REQUIRE(o.issued->certificates.size() == 3);
      X509* aik_cert = o.issued->certificates[0].get();
      CHECK(X509_cmp(o.issued->certificates[1].get(), a.issuing_ca.get()) == 0);
      CHECK(X509_NAME_entry_count(X509_get_subject_name(aik_cert)) == 0);
      CHECK(X509_check_issued(a.issuing_ca.get(), aik_cert) == X509_V_OK);
    }
  }
}

TEST_CASE("the Lenovo X1 Carbon Gen 13 case: RSA-3072/SHA-384 EK (H-6)") {
  const certs::lab_ek* h6 = nullptr;
  for (const auto& ek : w().lab.eks)
    if (ek.tpl == "H-6") h6 = &ek;
  REQUIRE(h6);
  const auto& a = w().authority(h6->authority);

  auto tpm = w().tpm(*h6);
  auto refused = enroll(w().service("microsoft-2025"), a, tpm);
  CHECK(refused.round1.status == 400);
  CHECK(refused.round1.body == encrypt_secret_body);
  CHECK(refused.round1.detail.find("microsoft credential profile") != std::string::npos);

  // Fixed: challenged with SHA-384 / AES-256, activated, certified. With the EK public sent too.
  auto fixed = enroll(w().service("tcg-complete"), a, tpm, true);
  REQUIRE(fixed.issued);
  CHECK(fixed.round1.detail.find("tcg credential profile") != std::string::npos);
  // The certificate is for the AIK, with the TPM's identity copied from the EK certificate.
  auto aik_key = X509_get0_pubkey(fixed.issued->certificates[0].get());
  REQUIRE(aik_key);
  GENERAL_NAMES* san = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(fixed.issued->certificates[0].get(), NID_subject_alt_name, nullptr, nullptr));
  REQUIRE(san);
  char text[256] = {};
  X509_NAME_oneline(sk_GENERAL_NAME_value(san, 0)->d.directoryName, text, sizeof text);
  CHECK(std::string(text).find("ST33KTPM2X") != std::string::npos);
  GENERAL_NAMES_free(san);
}

TEST_CASE("round 2 refusals: wrong secret, replay, tampered state, another authority, expiry") {
  auto s = w().service("tcg-complete");
  const auto& ek = w().lab.eks.front();
  const auto& a = w().authority(ek.authority);
  auto tpm = w().tpm(ek);
  auto me = client::scep_identity::make();
  auto r1 = client::build_round1(tpm, a.ra_encryption.get(), me);
  auto first = post(s, a, r1.message);
  REQUIRE(first.status == 200);
  auto rep = scep::parse_cert_rep(as_bytes(first.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE(rep);
  auto challenge = *client::challenge_of(*rep);
  auto secret = *tpm.activate(challenge.blob);
  auto answer = [&](const client::pending_challenge& c, const bytes& sec, const certs::authority& to) {
    return post(s, to, client::build_round2(c, sec, r1.transaction_id, to.ra_encryption.get(), me));
  };

  auto wrong = secret;
  wrong[0] ^= 1;
  auto r = answer(challenge, wrong, a);
  CHECK(r.status == 400);
  CHECK(r.error_key == "challenge-response-mismatch");

  auto tampered = challenge;
  tampered.state[tampered.state.size() / 2] = tampered.state[tampered.state.size() / 2] == 'A' ? 'B' : 'A';
  CHECK(answer(tampered, secret, a).error_key == "challenge-state-invalid");

  const certs::authority* other = nullptr;
  for (const auto& x : w().authorities.all())
    if (x->key_id != a.key_id) other = x.get();
  REQUIRE(other);
  CHECK(answer(challenge, secret, *other).error_key == "challenge-state-invalid");

  auto late = w().engine->finish(a, challenge.state, secret, std::chrono::system_clock::now() + std::chrono::hours(2));
  REQUIRE(late.refusal);
  CHECK(late.refusal->error_key == "challenge-expired");

  // The right answer after wrong ones still works, once.
  CHECK(answer(challenge, secret, a).status == 200);
  auto again = answer(challenge, secret, a);
  CHECK(again.status == 400);
  CHECK(again.error_key == "challenge-replayed");
  CHECK(again.body == R"({"Message":"The challenge has already been answered."})");
}

TEST_CASE("round 1 refusals: an EK of another authority, an EK public that is not the certificate's") {
  auto s = w().service("tcg-complete");
  const auto& ifx = w().lab.eks.front();
  const certs::lab_ek* other_vendor = nullptr;
  for (const auto& ek : w().lab.eks)
    if (ek.authority != ifx.authority) other_vendor = &ek;
  REQUIRE(other_vendor);

  // An STM EK sent to the IFX authority: its chain is valid, but not to this authority's CA.
  auto tpm = w().tpm(*other_vendor);
  auto o = enroll(s, w().authority(ifx.authority), tpm);
  CHECK(o.round1.status == 400);
  CHECK(o.round1.error_key == "no-ek-certificate");

  // A certificate with another EK's public.
  client::soft_tpm mixed(w().lab.path_of(ifx.certificate), w().lab.path_of(ifx.private_key),
                         w().lab.path_of(other_vendor->public_area));
  auto m = enroll(s, w().authority(ifx.authority), mixed, true);
  CHECK(m.round1.status == 400);
  CHECK(m.round1.error_key == "no-ek-certificate");
  CHECK(m.round1.detail.find("not the EK certificate's key") != std::string::npos);
}

TEST_CASE("round 1 carries the TPM's EK certificate chain in EK_INFO, at most three certificates") {
  const auto& ek = w().lab.eks.front();
  const auto& a = w().authority(ek.authority);
  // A TPM that keeps its EK certificate's issuers in NV, as Intel PTT does.
  struct chained_tpm : client::soft_tpm {
    using client::soft_tpm::soft_tpm;
    std::vector<bytes> chain;
    std::vector<bytes> ek_chain() override { return chain; }
  } tpm(w().lab.path_of(ek.certificate), w().lab.path_of(ek.private_key), w().lab.path_of(ek.public_area));
  for (const auto& other : w().lab.eks) tpm.chain.push_back(*read_file(w().lab.path_of(other.certificate)));
  REQUIRE(tpm.chain.size() > 3);

  auto me = client::scep_identity::make();
  auto r1 = client::build_round1(tpm, a.ra_encryption.get(), me);
  auto msg = scep::parse_pki_message(r1.message, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(msg, msg.error());
  auto request = wcce::parse_identity_request(msg->content);
  REQUIRE_MESSAGE(request, request.error());
  REQUIRE(request->ek_info);
  auto info = wcce::open_ek_info(*request->ek_info, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(info, info.error());
  CHECK(info->other_certificates == std::vector<bytes>(tpm.chain.begin(), tpm.chain.begin() + 3));

  // The service takes them as helpers for the chain and still serves the request.
  auto s = w().service("tcg-complete");
  CHECK(post(s, a, r1.message).status == 200);
}

TEST_CASE("round 1: a PKCS#10 not signed by the attested AIK is refused, unless the policy waives it") {
  const auto& ek = w().lab.eks.front();
  const auto& a = w().authority(ek.authority);
  auto tpm = w().tpm(ek);
  auto me = client::scep_identity::make();
  auto r1 = client::build_round1(tpm, a.ra_encryption.get(), me);
  auto msg = scep::parse_pki_message(r1.message, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(msg, msg.error());

  // The same request around another PKCS#10, as a client would send it.
  auto rewrapped = [&](const bytes& csr) {
    scep::pki_request r;
    r.transaction_id = r1.transaction_id;
    r.sender_nonce = r1.sender_nonce;
    return scep::build_pki_message(r, csr, a.ra_encryption.get(), me.certificate.get(), me.key.get());
  };
  bytes bad_signature = msg->content;
  bad_signature.back() ^= 0x01;  // the last byte of the signature BIT STRING
  auto other_signer = [&] {
    const unsigned char* p = msg->content.data();
    aikmock::x509_req_ptr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(msg->content.size())));
    REQUIRE(req);
    auto other = certs::generate_rsa_key(2048);
    REQUIRE(X509_REQ_set_pubkey(req.get(), other.get()) == 1);
    REQUIRE(X509_REQ_sign(req.get(), other.get(), EVP_sha256()) > 0);
    return certs::checked_der_of(req.get(), i2d_X509_REQ, "i2d_X509_REQ");
  }();

  auto strict = w().service("tcg-complete");
  for (const auto& [csr, why] : {std::pair<bytes, std::string>{bad_signature, "the PKCS#10 signature does not verify with its own key"},
                                 std::pair<bytes, std::string>{other_signer, "the PKCS#10 is signed by another key than the attested AIK"}}) {
    CAPTURE(why);
    auto refused = post(strict, a, rewrapped(csr));
    CHECK(refused.status == 400);
    CHECK(refused.error_key == "firmware-needs-update");
    std::string trace;
    for (const auto& step : refused.policy_trace) trace += step + "\n";
    CHECK_MESSAGE(trace.find("request-signature: failed: " + why) != std::string::npos, trace);
  }
  CHECK(post(strict, a, rewrapped(msg->content)).status == 200);  // the original still passes

  const fs::path waived = fs::path(AIKMOCK_TEST_LAB_DIR).parent_path() / "exchange_tests-waived-policy.json";
  write_file(waived, as_bytes(R"({"name":"waived","credentialProfile":"tcg","requireRequestSignature":false})"));
  auto lenient = w().service(waived.string());
  CHECK(post(lenient, a, rewrapped(bad_signature)).status == 200);
  fs::remove(waived);
}
