// A whole PKIOperation through the SCEP codec and the enrollment service, with a
// real lab authority behind it: what a hostile client can reach over the wire.
// The first input byte picks the lab authority that answers (its high bits,
// modulo the number of authorities) and what the rest is (modulo 4):
//   0: the POST body, as sent;
//   1: GET's `message` parameter (the codec base64-decodes it);
//   2, 3: the inner message of a messageType 19 / 41 request, which the harness
//      signs and envelopes as a client would, so the fuzzer reaches the PKCS#10,
//      the EK information, the attestation statement, the policy and the
//      challenge state behind the CMS layers (mutated CMS only fails to verify).
// Whatever the input, the answer is 200 or a 4xx, never an escaped exception.
// The lab is made on first use in AIKMOCK_FUZZ_LAB (or a temporary directory).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "certs/authority.hpp"
#include "certs/lab_pki.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "client/soft/soft_tpm.hpp"
#include "client/wire/cert_rep_reader.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "client/wire/windows_request.hpp"
#include "common/files.hpp"
#include "fuzz/seeds.hpp"
#include "policy/policy_file.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/scep/scep_codec.hpp"

using namespace aikmock;
namespace scep = aikmock::protocol::scep;
namespace enrollment = aikmock::protocol::enrollment;
namespace fs = std::filesystem;
using aikmock::protocol::response;

namespace {
enum selector : std::uint8_t { post_body, get_message, inner_request, inner_answer, count };

struct fixture {
  certs::lab_manifest lab;
  std::shared_ptr<const certs::authority_directory> authorities;
  std::vector<std::shared_ptr<const certs::authority>> authorities_in_order;  // as the first byte picks them
  std::unique_ptr<scep::scep_codec> codec;
  client::scep_identity me = client::scep_identity::make();
};

certs::lab_manifest lab_for_fuzzing() {
  fs::path dir;
  if (const char* given = std::getenv("AIKMOCK_FUZZ_LAB"); given && *given) {
    dir = given;
    if (fs::exists(dir / "manifest.json")) return certs::load_lab_manifest(dir);
    fs::remove_all(dir);  // a lab half made by an interrupted run
  } else {
    dir = make_unique_directory(fs::temp_directory_path(), "aikmock-fuzz-lab-");
  }
  certs::lab_options options;
  options.out = dir;
  return certs::create_lab_pki(options);
}

void seed(selector which, std::size_t authority, const std::string& name, byte_view body) {
  bytes input{static_cast<std::uint8_t>(which + count * authority)};
  input.insert(input.end(), body.begin(), body.end());
  fuzz::write_seed(name, input);
}

response post(const fixture& f, const certs::authority& a, byte_view body) {
  return f.codec->handle(a, {"POST", "PKIOperation", "", body, "fuzz.host"});
}

bytes inner_of(const certs::authority& a, byte_view message) {
  auto parsed = scep::parse_pki_message(message, a.ra_encryption.get(), a.ra_encryption_key.get());
  if (!parsed) throw std::runtime_error("the harness's own request does not parse: " + parsed.error());
  return parsed->content;
}

// Seeds from one real exchange with a lab EK: both requests whole, and their
// inner messages.
void write_seeds(const fixture& f, std::size_t index, const certs::lab_ek& ek) {
  const certs::authority& a = *f.authorities_in_order[index];
  client::soft_tpm tpm(f.lab.path_of(ek.certificate), f.lab.path_of(ek.private_key), f.lab.path_of(ek.public_area));
  auto r1 = client::build_request(tpm, a.ra_encryption.get(), f.me, client::client_description::make(), {});
  seed(post_body, index, "request-" + ek.id, r1.message);
  seed(inner_request, index, "request-inner-" + ek.id, inner_of(a, r1.message));

  const response answered = post(f, a, r1.message);
  if (answered.status != 200) throw std::runtime_error("the lab's " + ek.id + " EK is refused: " + answered.body);
  auto rep = client::parse_cert_rep(as_bytes(answered.body), a.ra_signing.get(), f.me.certificate.get(),
                                    f.me.key.get());
  if (!rep) throw std::runtime_error("the challenge does not parse: " + rep.error());
  auto challenge = scep::parse_challenge_reply(rep->content);
  if (!challenge) throw std::runtime_error("the challenge does not open: " + challenge.error());
  auto secret = tpm.activate(challenge->credential);
  if (!secret) throw std::runtime_error("ActivateCredential failed: " + secret.error().reason);
  auto r2 = client::build_answer(*challenge, *secret, r1.transaction_id, a.ra_encryption.get(), f.me);
  seed(post_body, index, "answer-" + ek.id, r2.message);
  // A transactionID that is not UTF-8: once an abort (docs/security.md).
  client::pki_request hostile;
  hostile.transaction_id = "\xff" "A";
  hostile.sender_nonce = bytes(16, 3);
  seed(post_body, index, "request-tid-not-utf8-" + ek.id,
       client::build_pki_message(hostile, inner_of(a, r1.message), a.ra_encryption.get(), f.me.certificate.get(),
                                 f.me.key.get()));
  seed(inner_answer, index, "answer-inner-" + ek.id, inner_of(a, r2.message));
}

fixture* make_fixture() {
  load_openssl_providers();
  auto* f = new fixture{lab_for_fuzzing(), nullptr, {}, nullptr};
  const std::vector<fs::path> trust_dirs{f->lab.path_of(f->lab.trust_store)};
  auto trust = certs::trust_store::load(trust_dirs).store;
  f->authorities = std::make_shared<const certs::authority_directory>(certs::authority_directory::from_lab(f->lab));
  auto sealer = std::make_shared<const enrollment::state_sealer>(
      enrollment::state_sealer::from_file(f->lab.path_of(f->lab.sealing_key)));
  // tcg-complete accepts every lab template, so inputs reach the whole exchange.
  auto service = std::make_shared<const enrollment::enrollment_service>(
      std::make_shared<const policy::policy>(policy::resolve_policy("tcg-complete")), [] { return 0.5; }, trust,
      sealer, certs::load_certificate(f->lab.path_of(f->lab.aik_root.certificate)),
      std::make_shared<enrollment::replay_cache>());
  f->codec = std::make_unique<scep::scep_codec>(service);

  f->authorities_in_order = f->authorities->all();
  if (f->authorities_in_order.empty() || f->authorities_in_order.size() > 256 / count)
    throw std::runtime_error("the fuzz lab needs 1 to 64 authorities");
  // Seeds from every lab EK, each sent to its own authority.
  for (const auto& ek : f->lab.eks)
    for (std::size_t i = 0; i < f->authorities_in_order.size(); ++i)
      if (f->authorities_in_order[i]->name == ek.authority) write_seeds(*f, i, ek);
  return f;
}

const fixture* the_fixture = nullptr;
}  // namespace

// Before libFuzzer reads the corpus directory, so the seeds are in it; and
// after static initialisation, which the lab's tables need.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  the_fixture = make_fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fixture& f = *the_fixture;
  const byte_view body(data + 1, size - 1);
  const certs::authority& a = *f.authorities_in_order[(data[0] / count) % f.authorities_in_order.size()];
  response answer;
  switch (data[0] % count) {
    case post_body: answer = post(f, a, body); break;
    case get_message: {
      const std::string message(body.begin(), body.end());
      answer = f.codec->handle(a, {"GET", "PKIOperation", message, {}, "fuzz.host"});
      break;
    }
    case inner_request:
    case inner_answer: {
      client::pki_request r;
      r.type = data[0] % count == inner_request ? scep::message_type::pkcs_req
                                                : scep::message_type::claim_challenge_answer;
      r.transaction_id = "fuzz";
      r.sender_nonce = bytes(16, 7);
      answer = post(f, a, client::build_pki_message(r, body, a.ra_encryption.get(), f.me.certificate.get(), f.me.key.get()));
      break;
    }
  }
  if (answer.status != 200 && (answer.status < 400 || answer.status > 499)) __builtin_trap();
  openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
