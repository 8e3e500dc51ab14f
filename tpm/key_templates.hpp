#pragma once
// The template a client gives TPM2_CreatePrimary for the AIK of an enrollment
// (the EK's templates are in ek_template.hpp), as Windows makes it. A
// software AIK (soft_aik.hpp) is shaped by the same template, so both back ends
// of the reference client present the service the same kind of key.
#include <cstdint>

#include "tpm/constants.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// restricted | sign | fixedTPM | fixedParent | sensitiveDataOrigin |
// userWithAuth | noDA: the AIK the real service certified for the client of
// google/security-research's tpm-carte-blanche (a primary key in the owner
// hierarchy; docs/tpm.md).
std::uint32_t aik_object_attributes();

// Its authPolicy, as that client sent it.
bytes aik_auth_policy();

// The AIK template: key_type alg::rsa (RSA-2048, RSASSA with SHA-1, as the
// certified AIK) or alg::ecc (P-256, ECDSA-SHA256), nameAlg SHA-256; `unique`
// (20 random bytes for a primary key, so that each AIK is new) in the unique
// field. Throws std::invalid_argument for another key type.
tpmt_public aik_template(alg_id key_type, byte_view unique = {});

}  // namespace aikmock::tpm
