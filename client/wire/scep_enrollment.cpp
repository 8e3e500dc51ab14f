#include "client/wire/scep_enrollment.hpp"

#include <openssl/rand.h>

#include <chrono>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "certs/oids.hpp"
#include "common/encoding.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "protocol/wcce/kast.hpp"
#include "tpm/public_key.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/key_info.hpp"

namespace aikmock::client {

namespace scep = protocol::scep;
namespace wcce = protocol::wcce;

namespace {
bytes random_bytes(std::size_t n) {
  bytes b(n);
  openssl_check(RAND_bytes(b.data(), static_cast<int>(n)) == 1, "RAND_bytes");
  return b;
}

}  // namespace

scep_identity scep_identity::make() {
  scep_identity id;
  id.key = certs::generate_rsa_key(2048);
  const auto now = std::chrono::system_clock::now();
  id.certificate = certs::certificate_builder(id.key.get())
                       .subject({{"CN", "aikmock enroll"}})
                       .validity(now - std::chrono::hours(1), now + std::chrono::hours(24))
                       .sign(nullptr, id.key.get(), EVP_sha256());
  return id;
}

round1_request build_round1(tpm_backend& tpm, X509* ra_encryption, const scep_identity& me, bool send_ek_public) {
  auto proof = tpm.create_aik({});
  auto aik_key = tpm::public_key_from_public(proof.aik_public);
  openssl_check(aik_key != nullptr, "the AIK public does not load");
  auto ek_key = tpm::public_key_from_public(tpm.ek_public());
  openssl_check(ek_key != nullptr, "the EK public does not load");

  protocol::wcce::key_attestation_statement kast;
  kast.platform = 2;  // TPM 2.0
  kast.id_binding = tpm::marshal_creation_proof(proof);

  wcce::identity_request_parts parts;
  parts.aik_public = aik_key.get();
  parts.sign = [&tpm](byte_view to_be_signed) { return tpm.sign_with_aik(to_be_signed); };
  // EK_INFO carries at most three certificates besides the EK's (MS-WCCE).
  auto chain = tpm.ek_chain();
  if (chain.size() > 3) chain.resize(3);
  parts.ek_info =
      wcce::seal_ek_info({certs::public_key_der(ek_key.get()), tpm.ek_certificate(), std::move(chain)}, ra_encryption);
  parts.aik_info = wcce::seal_aik_info({certs::public_key_der(aik_key.get()), std::nullopt}, ra_encryption);
  parts.attestation_statement = protocol::wcce::marshal_kast(kast);
  if (send_ek_public) parts.ek_public_area = tpm::marshal_public2b(tpm.ek_public());
  bytes csr = wcce::build_identity_request(parts);

  round1_request out;
  out.transaction_id = to_hex(random_bytes(20));
  out.sender_nonce = random_bytes(16);
  scep::pki_request r;
  r.type = scep::message_type::pkcs_req;
  r.transaction_id = out.transaction_id;
  r.sender_nonce = out.sender_nonce;
  out.message = scep::build_pki_message(r, csr, ra_encryption, me.certificate.get(), me.key.get());
  return out;
}

std::optional<pending_challenge> challenge_of(const scep::parsed_cert_rep& rep) {
  if (rep.status != scep::pki_status::pending) return std::nullopt;
  const bytes* blob = rep.attribute(certs::oids::enroll_attestation_challenge);
  const bytes* state = rep.attribute(certs::oids::enroll_scep_server_state);
  if (!blob || !state) return std::nullopt;
  auto parsed = tpm::parse_windows_activation_blob(*blob);
  if (!parsed) return std::nullopt;
  return pending_challenge{*parsed, std::string(state->begin(), state->end())};
}

bytes build_round2(const pending_challenge& challenge, byte_view secret, const std::string& transaction_id,
                   X509* ra_encryption, const scep_identity& me) {
  scep::pki_request r;
  r.type = scep::message_type::cert_poll;
  r.transaction_id = transaction_id;
  r.sender_nonce = random_bytes(16);
  r.attributes.push_back({certs::oids::enroll_scep_server_state, bytes(challenge.state.begin(), challenge.state.end())});
  return scep::build_pki_message(r, secret, ra_encryption, me.certificate.get(), me.key.get());
}

}  // namespace aikmock::client
