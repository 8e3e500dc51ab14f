#pragma once
// A TPM in software: a lab EK (key, certificate, TPM2B_PUBLIC, as `pki init`
// writes them) and a software AIK. For labs without a TPM and for tests.
#include <filesystem>

#include "client/tpm_backend.hpp"
#include "client/soft/soft_aik.hpp"

namespace aikmock::client {

class soft_tpm : public tpm_backend {
 public:
  // The three files of a lab EK. Throws std::runtime_error naming a file that does not load.
  soft_tpm(const std::filesystem::path& ek_certificate, const std::filesystem::path& ek_private_key,
           const std::filesystem::path& ek_public, tpm::alg_id aik_type = tpm::alg::rsa);
  // A directory holding ek-cert.der, ek.key and ek.pub (a lab's eks/<id>/).
  static soft_tpm from_directory(const std::filesystem::path& dir, tpm::alg_id aik_type = tpm::alg::rsa);

  bytes ek_certificate() override { return ek_certificate_; }
  std::string ek_certificate_source() const override { return ek_certificate_file_; }
  tpm::tpmt_public ek_public() override { return ek_public_; }
  tpm::aik_creation_proof create_aik(byte_view nonce) override;
  tpm::credential_result<bytes> activate(const tpm::credential_blob& challenge) override;

 private:
  bytes ek_certificate_;
  std::string ek_certificate_file_;
  aikmock::evp_pkey_ptr ek_key_;
  tpm::tpmt_public ek_public_;
  tpm::alg_id aik_type_;
  std::optional<client::soft_aik> aik_;
};

}  // namespace aikmock::client
