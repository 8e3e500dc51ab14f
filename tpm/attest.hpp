#pragma once
// TPMS_ATTEST / TPM2B_ATTEST: the structure a TPM signs when it attests
// (TPM2_Certify, TPM2_CertifyCreation, TPM2_Quote).
//
//   UINT32 magic | TPMI_ST_ATTEST type | TPM2B_NAME qualifiedSigner | TPM2B_DATA extraData
//   | TPMS_CLOCK_INFO clockInfo | UINT64 firmwareVersion | TPMU_ATTEST attested
//
// The parser is structural: it reads any magic (a verifier judges it) but only
// the attested bodies this project uses, CERTIFY, CREATION and QUOTE; other
// types are rejected: aikmock reads no other layout. Every
// field is kept exactly as sent, so marshalling a parsed structure gives back
// the bytes the TPM signed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/marshal.hpp"
#include "tpm/parse_result.hpp"
#include "tpm/pcr_selection.hpp"

namespace aikmock::tpm {

struct tpms_clock_info {
  std::uint64_t clock = 0;
  std::uint32_t reset_count = 0;
  std::uint32_t restart_count = 0;
  std::uint8_t safe = 0;  // TPMI_YES_NO as sent; not judged here
  bool operator==(const tpms_clock_info&) const = default;
};

// TPM_ST_ATTEST_CERTIFY (TPM2_Certify): the certified object's Names.
struct tpms_certify_info {
  bytes name;
  bytes qualified_name;
  bool operator==(const tpms_certify_info&) const = default;
};

// TPM_ST_ATTEST_CREATION (TPM2_CertifyCreation).
struct tpms_creation_info {
  bytes object_name;
  bytes creation_hash;  // H_nameAlg(TPMS_CREATION_DATA) of the object
  bool operator==(const tpms_creation_info&) const = default;
};

// TPM_ST_ATTEST_QUOTE (TPM2_Quote).
struct tpms_quote_info {
  pcr_selection pcr_select;
  bytes pcr_digest;
  bool operator==(const tpms_quote_info&) const = default;
};

using tpmu_attest = std::variant<tpms_certify_info, tpms_creation_info, tpms_quote_info>;

struct tpms_attest {
  std::uint32_t magic = generated_value;
  bytes qualified_signer;
  bytes extra_data;
  tpms_clock_info clock_info;
  std::uint64_t firmware_version = 0;
  tpmu_attest attested;  // its alternative decides the type on the wire
  bool operator==(const tpms_attest&) const = default;
};

// The TPM_ST_ATTEST_* tag of the attested body.
std::uint16_t attest_type(const tpms_attest& attest) noexcept;
// "CERTIFY", "CREATION"…; empty for a tag that is not an attestation type.
std::string_view attest_type_name(std::uint16_t type) noexcept;
// For messages: "0x801A (CREATION)", or just the hex value when unknown.
std::string describe_attest_type(std::uint16_t type);

// Throw std::invalid_argument for buffers above the caps in buffer_limits.hpp.
void write_attest(writer& out, const tpms_attest& attest);
bytes marshal_attest(const tpms_attest& attest);    // TPMS_ATTEST, the signed bytes
bytes marshal_attest2b(const tpms_attest& attest);  // TPM2B_ATTEST

std::optional<tpms_attest> read_attest(reader& in);
// The TPM2B size must equal exactly what the TPMS_ATTEST inside consumes.
std::optional<tpms_attest> read_attest2b(reader& in);

// A bare TPMS_ATTEST (tpm2_certifycreation --attestation writes this);
// trailing bytes are an error.
parse_result<tpms_attest> parse_attest(byte_view data);
// A TPM2B_ATTEST at the start of `data`; bytes after it are left alone and
// result.consumed says where they start.
parse_result<tpms_attest> parse_attest2b(byte_view data);

}  // namespace aikmock::tpm
