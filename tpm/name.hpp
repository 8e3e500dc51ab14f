#pragma once
// TPM object Names: UINT16 nameAlg || H_nameAlg(TPMT_PUBLIC). A Name binds a
// credential to one key (MakeCredential) and identifies the key inside
// attestation structures, so it must be computed over the exact wire bytes.
#include <optional>

#include "common/bytes.hpp"
#include "tpm/hash.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

// nullopt when nameAlg is not a hash this project can compute. Marshals the
// area first, so it throws what marshal_public throws (never for a parsed area).
std::optional<bytes> object_name(const tpmt_public& area);

}  // namespace aikmock::tpm
