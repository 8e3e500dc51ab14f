#pragma once
// A real TPM behind tpm2-tss ESAPI (`--tpm tcti:STRING`), doing what Windows
// does for an AIK enrollment:
//   - the EK certificate from its NV index (ek_nv_index.hpp), the EK created
//     from the template that index belongs to (or the low-range template and
//     nonce a TPM maker left in NV) and checked against the certificate;
//   - the AIK created as Windows creates it: a primary key in the owner
//     hierarchy from the Windows AIK template (tpm/key_templates.hpp), with
//     its creation data, certified by itself (TPM2_CertifyCreation); the
//     PKCS#10 carries the bare hash of its request info, as Windows' does;
//   - TPM2_ActivateCredential with the EK under the policy session its
//     template needs (PolicyA, or PolicyB: PolicySecret then PolicyOR).
// Owner and endorsement authorizations are expected empty, as on a TPM
// Windows manages and on swtpm. Every object is flushed when no longer needed;
// the AIK when the back end goes away.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/tss_context.hpp"
#include "client/tpm_backend.hpp"
#include "tpm/ek_template.hpp"

namespace aikmock::client {

class tss_tpm final : public client::tpm_backend {
 public:
  // A discrete TPM may take tens of seconds for an RSA-3072 primary key.
  static constexpr std::chrono::seconds default_timeout{180};

  // Nothing happens until the first call, so that a TPM that cannot be
  // reached or has no EK certificate is reported as the enrollment's first
  // stage. The EK certificate comes from `ek_index` when given, else from the
  // first index present in the default order. Methods throw tss_error or
  // std::runtime_error naming what is missing. Each method is bounded by
  // `timeout` (a tpm_deadline: past it, the process ends).
  // `aik_type`: alg::rsa (RSA-2048 RSASSA-SHA1, Windows' AIK) or alg::ecc (P-256 ECDSA-SHA256).
  tss_tpm(std::string tcti, std::optional<std::uint32_t> ek_index,
          std::chrono::milliseconds timeout = default_timeout, tpm::alg_id aik_type = tpm::alg::rsa);
  ~tss_tpm() override;
  tss_tpm(const tss_tpm&) = delete;
  tss_tpm& operator=(const tss_tpm&) = delete;

  bytes ek_certificate() override;
  std::string ek_certificate_source() const override;
  std::vector<bytes> ek_chain() override;
  std::optional<std::uint32_t> manufacturer() override;
  std::optional<tpm_properties> properties() override;
  tpm::tpmt_public ek_public() override;
  tpm::aik_creation_proof create_aik(byte_view nonce) override;
  tpm::credential_result<bytes> activate(const tpm::credential_blob& challenge) override;

  // The EK certificate's NV index, once read.
  std::optional<std::uint32_t> ek_index() const noexcept { return ek_template_ ? std::optional(ek_index_) : std::nullopt; }

 private:
  ESYS_CONTEXT* open();  // connects and reads the EK certificate, once
  tss_handle create_ek();
  tpm::tpmt_public ek_template_from_nv();

  std::string tcti_;
  std::optional<std::uint32_t> wanted_ek_index_;
  std::chrono::milliseconds timeout_;
  tpm::alg_id aik_type_;
  std::unique_ptr<tss_context> tpm_;
  std::vector<std::uint32_t> nv_indices_;  // every NV index the TPM has defined
  std::uint16_t nv_chunk_ = 0;             // TPM2_PT_NV_BUFFER_MAX
  std::uint32_t ek_index_ = 0;
  const tpm::ek_template* ek_template_ = nullptr;
  bytes ek_certificate_;
  std::optional<tpm::tpmt_public> ek_public_;
  tss_handle aik_;
};

}  // namespace aikmock::client
