#pragma once
// What an enrolling client needs from its TPM, whatever the TPM is: the EK
// certificate and public, an AIK with its creation proof, and
// TPM2_ActivateCredential. The reference client has a software back end (a
// lab EK) and a real one (tpm2-tss); the exchange tests use the software one.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "tpm/creation_proof.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/credential_error.hpp"
#include "common/openssl.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::client {

// The TPM holds no EK certificate where the back end looks: Windows then has
// no AIK URL either (ERROR_NOT_FOUND), which is not a TPM failure.
class no_ek_certificate : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// TPM2_GetCapability(TPM_PT_*) values: what Windows puts in its PlatformType header.
struct tpm_properties {
  std::uint32_t manufacturer = 0;  // TPM2_PT_MANUFACTURER, four ASCII bytes ("IFX\0")
  std::uint32_t level = 0;         // TPM2_PT_LEVEL
  std::uint32_t revision = 0;      // TPM2_PT_REVISION: 138 for 1.38
  std::uint32_t firmware_1 = 0;    // TPM2_PT_FIRMWARE_VERSION_1
  std::uint32_t firmware_2 = 0;    // TPM2_PT_FIRMWARE_VERSION_2
};

class tpm_backend {
 public:
  virtual ~tpm_backend() = default;

  // As stored in NV (DER, perhaps padded). Throws no_ek_certificate when there is none.
  virtual bytes ek_certificate() = 0;
  // Where ek_certificate() read it, for the report ("NV 0x01C0001C (H-6)", a
  // file); empty before it was read.
  virtual std::string ek_certificate_source() const = 0;
  // The certificates of the EK certificate's issuers the TPM keeps with it
  // (DER, in the order the TPM keeps them), sent with the request so the
  // service can build the chain; none by default.
  virtual std::vector<bytes> ek_chain() { return {}; }
  // TPM2_PT_MANUFACTURER, the TCG vendor ID the TPM reports, where the back end can ask it.
  virtual std::optional<std::uint32_t> manufacturer() { return std::nullopt; }
  // The properties Windows names in its PlatformType header, where the back end can ask them.
  virtual std::optional<tpm_properties> properties() { return std::nullopt; }
  virtual tpm::tpmt_public ek_public() = 0;
  // Creates the AIK (tpm/key_templates.hpp: a restricted signing key, primary in
  // the owner hierarchy, as Windows' client made it) and certifies its creation by itself.
  virtual tpm::aik_creation_proof create_aik(byte_view nonce) = 0;
  // TPM2_ActivateCredential of the challenge with the EK, for the AIK.
  virtual tpm::credential_result<bytes> activate(const tpm::credential_blob& challenge) = 0;
};

}  // namespace aikmock::client
