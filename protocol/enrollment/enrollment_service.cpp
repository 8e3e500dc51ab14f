#include "protocol/enrollment/enrollment_service.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <random>

#include "certs/aik_certificate_profile.hpp"
#include "certs/der_io.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "protocol/enrollment/challenge_state.hpp"
#include "protocol/enrollment/ek_assessment.hpp"
#include "tpm/aik_verification.hpp"
#include "tpm/name.hpp"
#include "tpm/public_key.hpp"

namespace aikmock::protocol::enrollment {

namespace {
using policy::error_id;

// 32 bytes fit every EK nameAlg's digest (SHA-256 and larger), the most a credential may be.
constexpr std::size_t secret_size = 32;
constexpr std::size_t use_id_size = 16;

evp_pkey_ptr key_from_spki(const bytes& der) {
  const unsigned char* p = der.data();
  evp_pkey_ptr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  openssl_errors();
  return key;
}

bytes random_bytes(std::size_t n) {
  bytes out(n);
  openssl_check(RAND_bytes(out.data(), static_cast<int>(n)) == 1, "RAND_bytes");
  return out;
}

failure<refusal> refuse(error_id id, std::string detail) { return fail(refusal{id, std::move(detail), {}, {}, false}); }

policy_record record_of(const policy::decision& d, const policy::request_facts& facts,
                        std::optional<device_note> device = {}) {
  return {d.decided_by, d.trace, d.delay, std::make_shared<const policy::request_facts>(facts), std::move(device), {}};
}

device_note device_of(const policy::request_facts& facts, const certs::tpm_identity& tpm) {
  device_note d;
  d.machine = facts.client.machine.substr(0, max_machine);
  d.tpm = tpm;
  if (facts.ek) {
    d.ek_template = facts.ek->tpl;
    d.ek_key = facts.ek->key_type + "-" + std::to_string(facts.ek->key_bits);
  }
  return d;
}

// The policy's refusal as the client gets it.
failure<refusal> refusal_of(const policy::decision& d, const request_context& request) {
  refusal r;
  r.hang_up = d.what == policy::decision::kind::close;
  r.error = d.error.value_or(error_id::internal_error);
  r.detail = "policy rule " + d.decided_by;
  r.message_args = {{"host", request.host}, {"operation", request.operation}};
  r.retry_after = d.retry_after;
  return fail(std::move(r));
}

bool refused(const policy::decision& d) { return d.what != policy::decision::kind::accept; }

// Whether the TPM the request names is the one its EK certificate names.
bool same_tpm(const certs::tpm_identity& a, const certs::tpm_identity& b) {
  return iequals(a.manufacturer, b.manufacturer) && a.model == b.model && iequals(a.version, b.version);
}
}  // namespace

enrollment_service::enrollment_service(std::shared_ptr<const policy::policy> policy, policy::random_source random,
                                       std::shared_ptr<const certs::trust_store> trust,
                                       std::shared_ptr<const state_sealer> sealer, x509_ptr aik_root,
                                       std::shared_ptr<replay_cache> replays, service_settings settings)
    : policy_(std::move(policy)),
      random_(std::move(random)),
      trust_(std::move(trust)),
      sealer_(std::move(sealer)),
      aik_root_(std::move(aik_root)),
      replays_(replays ? std::move(replays) : std::make_shared<replay_cache>()),
      settings_(std::move(settings)) {}

policy::request_facts enrollment_service::facts_of(const request_context& request) const {
  policy::request_facts f;
  f.operation = request.operation;
  if (request.authority) {
    f.authority = request.authority->name;
    f.authority_vendor = request.authority->vendor;
  }
  f.client = request.client;
  return f;
}

std::shared_ptr<policy::request_draws> enrollment_service::draws_for(const request_context& request) const {
  return request.draws ? request.draws : std::make_shared<policy::request_draws>(random_);
}

certs::ek_chain_options enrollment_service::chain_options() const {
  certs::ek_chain_options options;
  options.ignore_unknown_critical_extensions = policy_->ignore_unknown_critical_extensions;
  if (policy_->clock_offset.count() != 0)
    options.now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + policy_->clock_offset;
  return options;
}

outcome<void> enrollment_service::front_door(const request_context& request) const {
  auto draws = draws_for(request);
  const auto facts = facts_of(request);
  const auto d = policy::evaluate(*policy_, facts, *draws);
  if (refused(d)) return {refusal_of(d, request), record_of(d, facts)};
  return {{}, record_of(d, facts)};
}

outcome<challenge> enrollment_service::begin(const request_context& request, const evidence& ev) const {
  if (!request.authority) throw std::logic_error("enrollment_service::begin without an authority");
  const certs::authority& authority = *request.authority;
  auto draws = draws_for(request);
  auto facts = facts_of(request);

  // 1. The front end: what the request is, before its evidence is read.
  const auto front = policy::evaluate(*policy_, facts, *draws);
  if (refused(front)) return {refusal_of(front, request), record_of(front, facts)};
  policy_record exchange_record = record_of(front, facts);
  exchange_record.rule = "exchange";

  // 2. The evidence: the EK...
  auto ek = assess_ek(ev, *trust_, &authority, chain_options());
  if (!ek) return {refuse(error_id::no_ek_certificate, ek.error()), exchange_record};
  facts.ek = ek->facts;
  if (ev.request_tpm) facts.client.request_tpm_matches_ek = same_tpm(*ev.request_tpm, ek->tpm);
  exchange_record.facts = std::make_shared<const policy::request_facts>(facts);
  exchange_record.device = device_of(facts, ek->tpm);

  // ...the AIK and the proof that the TPM made it...
  std::optional<tpm::tpmt_public> aik;
  if (ev.aik_proof) aik = ev.aik_proof->aik_public;
  if (ev.aik_public_area) {
    auto parsed = tpm::parse_public2b(*ev.aik_public_area);
    if (!parsed) return {refuse(error_id::firmware_needs_update, "AIK public: " + parsed.error()), exchange_record};
    if (aik && !(*aik == *parsed))
      return {refuse(error_id::firmware_needs_update, "the AIK public differs from the one in its creation proof"),
              exchange_record};
    aik = *parsed;
  }
  if (!aik)
    return {refuse(error_id::firmware_needs_update,
                   "the request carries no AIK public" + (ev.aik_proof_error.empty() ? "" : ": " + ev.aik_proof_error)),
            exchange_record};
  if (ev.aik_public_key) {
    auto claimed = key_from_spki(*ev.aik_public_key);
    auto actual = tpm::public_key_from_public(*aik);
    if (!claimed || !actual || EVP_PKEY_eq(claimed.get(), actual.get()) != 1)
      return {refuse(error_id::firmware_needs_update, "the request's key is not the attested AIK"), exchange_record};
  }
  if (auto verdict = tpm::check_aik_public(*aik); !verdict) {
    facts.aik_proof_valid = false;
    facts.aik_proof_failure = tpm::describe(verdict);
  } else if (ev.aik_proof) {
    auto proof = tpm::verify_aik_creation(*ev.aik_proof);
    facts.aik_proof_valid = proof.has_value();
    if (!proof) facts.aik_proof_failure = tpm::describe(proof);
  } else {
    facts.aik_proof_valid = false;
    facts.aik_proof_failure = ev.aik_proof_error.empty() ? "no AIK creation proof" : ev.aik_proof_error;
  }
  // ...and the request's own signature, when it has a real one.
  if (ev.request_signature_valid) {
    facts.request_signature_valid = *ev.request_signature_valid;
    facts.request_signature_failure = ev.request_signature_failure;
  } else if (policy_->require_request_signature) {
    facts.request_signature_valid = false;
    facts.request_signature_failure = "the PKCS#10 carries no signature, only the hash of the request";
  }

  // 3. The decision, on everything the request showed.
  const auto decision = policy::evaluate(*policy_, facts, *draws);
  auto record = record_of(decision, facts, device_of(facts, ek->tpm));
  if (refused(decision)) return {refusal_of(decision, request), std::move(record)};

  // 4. The challenge: a fresh secret that only the TPM holding this EK can
  // recover, and only for the key with this AIK's Name.
  auto name = tpm::object_name(*aik);
  if (!name) return {refuse(error_id::firmware_needs_update, "the AIK's nameAlg is not supported"), std::move(record)};
  record.profile = decision.profile;
  challenge_state state;
  state.secret = tpm::secret_bytes(random_bytes(secret_size));
  auto blob = tpm::make_credential(ek->ek_public, *name, state.secret.view(), decision.profile);
  if (!blob) {
    auto r = refuse(error_id::encrypt_secret_failed,
                    std::string(tpm::to_string(decision.profile)) + " credential profile: " + blob.error().reason);
    return {std::move(r), std::move(record)};
  }

  const auto expires = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + settings_.state_lifetime;
  state.authority_key_id = to_lower(authority.key_id);
  state.transaction_id = request.transaction_id;
  state.aik_public = tpm::marshal_public2b(*aik);
  state.tpm = ek->tpm;
  state.requester_thumbprint = request.requester_thumbprint;
  state.machine = record.device->machine;
  state.ek_template = record.device->ek_template;
  state.ek_key = record.device->ek_key;
  state.expires_at = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
  state.use_id = random_bytes(use_id_size);
  bytes plain = encode(state);
  challenge c{std::move(*blob), sealer_->seal(plain), expires, decision.profile};
  OPENSSL_cleanse(plain.data(), plain.size());
  return {std::move(c), std::move(record)};
}

std::optional<std::string> enrollment_service::authority_of_state(std::string_view token) const {
  auto plain = sealer_->open(token);
  if (!plain) return std::nullopt;
  auto state = decode_challenge_state(*plain);
  OPENSSL_cleanse(plain->data(), plain->size());
  if (!state) return std::nullopt;
  return state->authority_key_id;
}

outcome<issued_certificate> enrollment_service::finish(const request_context& request,
                                                       const challenge_answer& answer) const {
  if (!request.authority) throw std::logic_error("enrollment_service::finish without an authority");
  const certs::authority& authority = *request.authority;
  auto draws = draws_for(request);

  // The front end first: a fault or a throttle here must not use the challenge up.
  const auto facts = facts_of(request);
  const auto decision = policy::evaluate(*policy_, facts, *draws);
  if (refused(decision)) return {refusal_of(decision, request), record_of(decision, facts)};
  auto record = record_of(decision, facts);
  auto no = [&](error_id id, std::string detail) { return outcome<issued_certificate>{refuse(id, std::move(detail)), record}; };

  auto plain = sealer_->open(answer.state);
  if (!plain) return no(error_id::challenge_state_invalid, "the state is not one this service sealed");
  auto state = decode_challenge_state(*plain);
  OPENSSL_cleanse(plain->data(), plain->size());
  if (!state) return no(error_id::challenge_state_invalid, "the state does not decode: " + state.error());
  record.device = device_note{state->machine, state->tpm, state->ek_template, state->ek_key};  // as round 1 saw it
  if (!iequals(state->authority_key_id, authority.key_id))
    return no(error_id::challenge_state_invalid, "the state belongs to another authority");
  if (!state->requester_thumbprint.empty() && state->requester_thumbprint != request.requester_thumbprint)
    return no(error_id::challenge_state_invalid, "the answer is signed by another certificate than the request");
  const auto now = std::chrono::system_clock::now();
  const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(state->expires_at));
  if (now >= expires) return no(error_id::challenge_expired, "the challenge expired");

  const bool match = state->secret.size() == answer.secret.size() &&
                     CRYPTO_memcmp(state->secret.data(), answer.secret.data(), answer.secret.size()) == 0;
  state->secret.wipe();
  if (!match) return no(error_id::challenge_response_mismatch, "the secret is not the challenge's");

  auto aik = tpm::parse_public2b(state->aik_public);
  auto aik_key = aik ? tpm::public_key_from_public(*aik) : nullptr;
  if (!aik_key) return no(error_id::challenge_state_invalid, "the state's AIK public does not load");

  // The certificate before the challenge is used up: nothing after this can fail for the client's input.
  issued_certificate issued;
  issued.certificate = certs::issue_aik_certificate(aik_key.get(), state->tpm, authority.issuing_ca.get(),
                                                    authority.issuing_ca_key.get(),
                                                    settings_.urls.links_to(authority.issuing_ca.get()));
  issued.chain.push_back(share(authority.issuing_ca.get()));
  if (aik_root_) issued.chain.push_back(share(aik_root_.get()));

  switch (replays_->first_use(to_hex(state->use_id), expires, now)) {
    case replay_cache::verdict::first: break;
    case replay_cache::verdict::replayed:
      return no(error_id::challenge_replayed, "this challenge was answered already");
    case replay_cache::verdict::unknown:
      return {fail(refusal{error_id::service_unavailable, "the record of used challenges cannot be written", {}, 5, false}),
              record};
  }
  return {std::move(issued), record};
}

explanation enrollment_service::explain(const evidence& ev) const {
  explanation out;
  auto assessed = assess_ek(ev, *trust_, nullptr, chain_options());
  if (!assessed) {
    out.decision.what = policy::decision::kind::reject;
    out.decision.error = error_id::no_ek_certificate;
    out.decision.decided_by = "exchange";
    out.reason = assessed.error();
    return out;
  }
  policy::request_facts facts;
  facts.operation = "PKIOperation";
  facts.ek = assessed->facts;
  facts.aik_proof_valid = true;
  out.facts = assessed->facts;
  policy::request_draws draws(random_);
  out.decision = policy::evaluate(*policy_, facts, draws);
  if (out.decision.what != policy::decision::kind::accept) return out;

  auto protection = tpm::credential_protection_for(assessed->ek_public, out.decision.profile);
  if (!protection) {
    out.decision.what = policy::decision::kind::reject;
    out.decision.error = error_id::encrypt_secret_failed;
    out.reason = protection.error().reason;
    return out;
  }
  out.challenge = *protection;
  return out;
}

policy::random_source thread_random() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

}  // namespace aikmock::protocol::enrollment
