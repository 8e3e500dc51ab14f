#include "tpm/credential_blobs.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace aikmock::tpm {

namespace {
void check_bound(std::size_t size, std::size_t max_size, std::string_view what) {
  if (size > max_size) {
    throw std::invalid_argument(std::string(what) + " of " + std::to_string(size) + " bytes exceeds " +
                                std::to_string(max_size));
  }
}
}  // namespace

void write_id_object2b(writer& out, const tpms_id_object& id_object) {
  check_bound(id_object.integrity_hmac.size(), max_digest_size, "TPMS_ID_OBJECT.integrityHMAC");
  check_bound(id_object.enc_identity.size(), max_enc_identity_size, "TPMS_ID_OBJECT.encIdentity");
  writer body;
  body.tpm2b(id_object.integrity_hmac).raw(id_object.enc_identity);
  out.tpm2b(body.data());
}

void write_encrypted_secret2b(writer& out, byte_view secret) {
  check_bound(secret.size(), max_encrypted_secret_size, "TPM2B_ENCRYPTED_SECRET");
  out.tpm2b(secret);
}

std::optional<tpms_id_object> read_id_object2b(reader& in) {
  auto body = in.nested_tpm2b("TPM2B_ID_OBJECT", max_id_object_size);
  if (!body) return std::nullopt;
  tpms_id_object id_object;
  auto hmac = body->tpm2b("TPMS_ID_OBJECT.integrityHMAC", max_digest_size);
  // Whatever follows the HMAC is encIdentity.
  auto enc_identity = body->raw(body->remaining(), "TPMS_ID_OBJECT.encIdentity");
  if (enc_identity && enc_identity->size() > max_enc_identity_size) {
    body->reject("TPMS_ID_OBJECT.encIdentity", std::to_string(enc_identity->size()) + " bytes exceed the maximum " +
                                                   std::to_string(max_enc_identity_size));
  }
  if (!in.close_nested(*body, "TPM2B_ID_OBJECT") || !hmac || !enc_identity) return std::nullopt;
  id_object.integrity_hmac.assign(hmac->begin(), hmac->end());
  id_object.enc_identity.assign(enc_identity->begin(), enc_identity->end());
  return id_object;
}

std::optional<bytes> read_encrypted_secret2b(reader& in) {
  auto secret = in.tpm2b("TPM2B_ENCRYPTED_SECRET", max_encrypted_secret_size);
  if (!secret) return std::nullopt;
  return bytes(secret->begin(), secret->end());
}

parse_result<tpms_id_object> parse_id_object2b(byte_view data) {
  reader in(data);
  auto id_object = read_id_object2b(in);
  return finish_parse(in, std::move(id_object), "TPM2B_ID_OBJECT");
}

parse_result<bytes> parse_encrypted_secret2b(byte_view data) {
  reader in(data);
  auto secret = read_encrypted_secret2b(in);
  return finish_parse(in, std::move(secret), "TPM2B_ENCRYPTED_SECRET");
}

}  // namespace aikmock::tpm
