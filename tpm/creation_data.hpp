#pragma once
// TPMS_CREATION_DATA / TPM2B_CREATION_DATA: what TPM2_Create and
// TPM2_CreatePrimary record about the circumstances of an object's creation.
// TPM2_CertifyCreation signs H_nameAlg(TPMS_CREATION_DATA) as creationHash,
// which is how an AIK's creation data reaches a verifier intact.
//
//   TPML_PCR_SELECTION pcrSelect | TPM2B_DIGEST pcrDigest | TPMA_LOCALITY locality
//   | TPM_ALG_ID parentNameAlg | TPM2B_NAME parentName | TPM2B_NAME parentQualifiedName
//   | TPM2B_DATA outsideInfo
//
// Every field is kept exactly as sent, so marshalling a parsed structure gives
// back the bytes the TPM hashed.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/marshal.hpp"
#include "tpm/parse_result.hpp"
#include "tpm/pcr_selection.hpp"

namespace aikmock::tpm {

struct tpms_creation_data {
  pcr_selection pcr_select;
  bytes pcr_digest;
  std::uint8_t locality = 0;            // TPMA_LOCALITY bits
  alg_id parent_name_alg = alg::null;   // NULL when the parent is a hierarchy
  bytes parent_name;                    // a Name, or a 4-byte hierarchy handle
  bytes parent_qualified_name;
  bytes outside_info;                   // caller-supplied data, e.g. a nonce
  bool operator==(const tpms_creation_data&) const = default;
};

// Throw std::invalid_argument for buffers above the caps in buffer_limits.hpp:
// only a programming error builds such a structure.
void write_creation_data(writer& out, const tpms_creation_data& data);
bytes marshal_creation_data(const tpms_creation_data& data);    // TPMS_CREATION_DATA
bytes marshal_creation_data2b(const tpms_creation_data& data);  // TPM2B_CREATION_DATA

std::optional<tpms_creation_data> read_creation_data(reader& in);
// The TPM2B size must equal exactly what the TPMS_CREATION_DATA inside consumes.
std::optional<tpms_creation_data> read_creation_data2b(reader& in);

// A bare TPMS_CREATION_DATA; trailing bytes are an error.
parse_result<tpms_creation_data> parse_creation_data(byte_view data);
// A TPM2B_CREATION_DATA at the start of `data` (tpm2_create --creation-data
// writes this); bytes after it are left alone and result.consumed says where
// they start.
parse_result<tpms_creation_data> parse_creation_data2b(byte_view data);

}  // namespace aikmock::tpm
