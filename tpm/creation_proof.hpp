#pragma once
// The proof that a key was created inside a TPM, as TPM2_Create and
// TPM2_CertifyCreation (of the key by itself) leave it: the key's public area,
// its creation data, the TPMS_ATTEST of type CREATION and the signature over
// it. Windows sends exactly this as the TPM 2.0 idBinding of a
// KeyAttestationStatement, concatenated:
//
//   TPM2B_PUBLIC | TPM2B_CREATION_DATA | TPM2B_ATTEST | TPMT_SIGNATURE
//
// Creation data and attestation are kept as the bytes the TPM hashed and
// signed; verify_aik_creation (aik_verification.hpp) parses them again and
// judges them.
#include <optional>

#include "common/bytes.hpp"
#include "tpm/marshal.hpp"
#include "tpm/parse_result.hpp"
#include "tpm/public_area.hpp"
#include "tpm/signature.hpp"

namespace aikmock::tpm {

struct aik_creation_proof {
  tpmt_public aik_public;
  bytes creation_data;  // TPMS_CREATION_DATA, without the TPM2B size
  bytes attest;         // TPMS_ATTEST, without the TPM2B size
  tpmt_signature signature;
  bool operator==(const aik_creation_proof&) const = default;
};

// The four parts concatenated, as in the idBinding. Throws what the part
// writers throw for an oversized part.
bytes marshal_creation_proof(const aik_creation_proof& proof);

// Reads the four parts; creation data and attestation must parse as their
// structures (so a bad one is named at its own field) and fill their TPM2B
// exactly.
std::optional<aik_creation_proof> read_creation_proof(reader& in);
// The whole of `data` must be the four parts: bytes after the signature are an
// error.
parse_result<aik_creation_proof> parse_creation_proof(byte_view data);

}  // namespace aikmock::tpm
