#include "protocol/enrollment/challenge_state.hpp"

#include "tpm/marshal.hpp"

namespace aikmock::protocol::enrollment {

namespace {
// Bounds of each field (a TPM2B_PUBLIC is at most a few hundred bytes; text
// fields come from certificates and validated SCEP attributes).
constexpr std::size_t max_text = 1024;
constexpr std::size_t max_secret = 64;
constexpr std::size_t max_public = 2048;
constexpr std::size_t max_id = 64;

void put(tpm::writer& w, std::string_view field, byte_view value, std::size_t max) {
  tpm::write_tpm2b_bounded(w, "challenge state", value, max, field);
}
void put(tpm::writer& w, std::string_view field, const std::string& text) {
  put(w, field, as_bytes(text), max_text);
}
bool get(tpm::reader& r, std::string_view field, std::size_t max, bytes& out) {
  return tpm::read_tpm2b_into(r, field, max, out);
}
bool get(tpm::reader& r, std::string_view field, std::string& out) {
  auto v = r.tpm2b(field, max_text);
  if (!v) return false;
  out.assign(v->begin(), v->end());
  return true;
}
}  // namespace

bytes encode(const challenge_state& s) {
  tpm::writer w;
  w.u8(challenge_state::current_version);
  put(w, "authority", s.authority_key_id);
  put(w, "transaction", s.transaction_id);
  put(w, "secret", s.secret.view(), max_secret);
  put(w, "aik", s.aik_public, max_public);
  put(w, "manufacturer", s.tpm.manufacturer);
  put(w, "model", s.tpm.model);
  put(w, "version", s.tpm.version);
  put(w, "requester", s.requester_thumbprint, max_id);
  w.u64(static_cast<std::uint64_t>(s.expires_at));
  put(w, "use", s.use_id, max_id);
  put(w, "machine", as_bytes(s.machine), max_machine);
  put(w, "ekTemplate", as_bytes(s.ek_template), max_id);
  put(w, "ekKey", as_bytes(s.ek_key), max_id);
  return std::move(w).take();
}

result<challenge_state> decode_challenge_state(byte_view data) {
  tpm::reader r(data);
  challenge_state s;
  auto version = r.u8("version");
  if (!version) return fail(r.error());
  if (*version != challenge_state::current_version)
    return fail("challenge state version " + std::to_string(*version) + " is not " +
                std::to_string(challenge_state::current_version));
  bytes secret;
  const bool ok = get(r, "authority", s.authority_key_id) && get(r, "transaction", s.transaction_id) &&
                  get(r, "secret", max_secret, secret) && get(r, "aik", max_public, s.aik_public) &&
                  get(r, "manufacturer", s.tpm.manufacturer) && get(r, "model", s.tpm.model) &&
                  get(r, "version", s.tpm.version) && get(r, "requester", max_id, s.requester_thumbprint);
  s.secret = tpm::secret_bytes(std::move(secret));
  if (!ok) return fail(r.error());
  auto expires = r.u64("expires");
  if (!expires) return fail(r.error());
  s.expires_at = static_cast<std::int64_t>(*expires);
  bytes machine, ek_template, ek_key;
  if (!get(r, "use", max_id, s.use_id) || !get(r, "machine", max_machine, machine) ||
      !get(r, "ekTemplate", max_id, ek_template) || !get(r, "ekKey", max_id, ek_key) || !r.expect_end("challenge state"))
    return fail(r.error());
  s.machine.assign(machine.begin(), machine.end());
  s.ek_template.assign(ek_template.begin(), ek_template.end());
  s.ek_key.assign(ek_key.begin(), ek_key.end());
  return s;
}

}  // namespace aikmock::protocol::enrollment
