#pragma once
// The templates a client gives TPM2_CreatePrimary and TPM2_Create for the keys
// of an AIK enrollment besides the EK (whose templates are in ek_template.hpp):
// the storage root key the AIK is created under, and the AIK itself. A
// software AIK (soft_aik.hpp) is shaped by the same template, so both back ends
// of the reference client present the service the same kind of key.
#include <cstdint>

#include "tpm/constants.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// restricted | sign | fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth:
// what tpm2-tools and the Windows PCP give an AIK.
std::uint32_t aik_object_attributes();

// The AIK template: key_type alg::rsa (RSA-2048, RSASSA-SHA256) or alg::ecc
// (P-256, ECDSA-SHA256), nameAlg SHA-256, empty unique. Throws
// std::invalid_argument for another key type.
tpmt_public aik_template(alg_id key_type);

// The SRK of the TCG TPM v2.0 Provisioning Guidance (RSA-2048, AES-128-CFB,
// SHA-256, restricted decryption, noDA), zero-filled unique as tpm2-tools and
// Windows make it.
tpmt_public storage_root_key_template();

}  // namespace aikmock::tpm
