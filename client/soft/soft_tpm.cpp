#include "client/soft/soft_tpm.hpp"

#include <openssl/pem.h>

#include <stdexcept>

#include "common/files.hpp"
#include "tpm/credential_activation.hpp"
#include "tpm/name.hpp"
#include "common/openssl.hpp"

namespace aikmock::client {

soft_tpm::soft_tpm(const std::filesystem::path& cert, const std::filesystem::path& key,
                   const std::filesystem::path& pub, tpm::alg_id aik_type)
    : aik_type_(aik_type) {
  auto c = read_file(cert);
  if (!c) throw std::runtime_error("cannot read the EK certificate " + cert.string());
  ek_certificate_ = std::move(*c);
  ek_certificate_file_ = cert.string();
  auto k = read_file(key);
  if (!k) throw std::runtime_error("cannot read the EK key " + key.string());
  BIO* bio = BIO_new_mem_buf(k->data(), static_cast<int>(k->size()));
  ek_key_.reset(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  OPENSSL_cleanse(k->data(), k->size());
  if (!ek_key_) throw std::runtime_error("not a private key: " + key.string());
  auto p = read_file(pub);
  if (!p) throw std::runtime_error("cannot read the EK public " + pub.string());
  auto parsed = tpm::parse_public2b(*p);
  if (!parsed) throw std::runtime_error(pub.string() + ": " + parsed.error());
  ek_public_ = *parsed;
}

soft_tpm soft_tpm::from_directory(const std::filesystem::path& dir, tpm::alg_id aik_type) {
  return soft_tpm(dir / "ek-cert.der", dir / "ek.key", dir / "ek.pub", aik_type);
}

tpm::aik_creation_proof soft_tpm::create_aik(byte_view nonce) {
  aik_ = create_soft_aik(aik_type_);
  return certify_creation(*aik_, nonce);
}

tpm::credential_result<bytes> soft_tpm::activate(const tpm::credential_blob& challenge) {
  if (!aik_) return fail(tpm::credential_error{tpm::credential_error_kind::invalid_object_name, "no AIK was created"});
  auto name = tpm::object_name(aik_->public_area);
  if (!name) return fail(tpm::credential_error{tpm::credential_error_kind::invalid_object_name, "the AIK has no Name"});
  return tpm::activate_credential(ek_key_.get(), ek_public_, *name, challenge);
}

}  // namespace aikmock::client
