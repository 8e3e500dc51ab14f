#pragma once
// TPMT_PUBLIC / TPM2B_PUBLIC: the public area of a TPM object (EK, AK), its
// wire form, and a strict parser for it.
//
// The parser is structural: it accepts any combination the wire format can
// express for RSA, ECC and KEYEDHASH objects and rejects what it cannot lay
// out (unknown object types, unknown schemes whose size is unknown, oversized
// buffers). Whether the key is acceptable (sizes, attributes, template) is for
// the callers to judge.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/marshal.hpp"
#include "tpm/parse_result.hpp"

namespace aikmock::tpm {

// Size caps, from the largest value any TPM can produce for each buffer.
inline constexpr std::size_t max_digest_size = 64;          // authPolicy, keyedHash unique (SHA-512)
inline constexpr std::size_t max_rsa_modulus_size = 512;    // RSA-4096
inline constexpr std::size_t max_ecc_coordinate_size = 66;  // P-521

// TPMT_SYM_DEF_OBJECT; key_bits and mode are on the wire only when algorithm != NULL.
struct sym_def_object {
  alg_id algorithm = alg::null;
  std::uint16_t key_bits = 0;
  alg_id mode = alg::null;
  bool operator==(const sym_def_object&) const = default;
};

// TPMT_RSA_SCHEME / TPMT_ECC_SCHEME. hash is on the wire for every scheme but
// NULL and RSAES; count only for ECDAA.
struct asym_scheme {
  alg_id scheme = alg::null;
  alg_id hash = alg::null;
  std::uint16_t count = 0;
  bool operator==(const asym_scheme&) const = default;
};

// TPMT_KDF_SCHEME; hash is on the wire only when scheme != NULL.
struct kdf_scheme {
  alg_id scheme = alg::null;
  alg_id hash = alg::null;
  bool operator==(const kdf_scheme&) const = default;
};

struct rsa_public {
  std::uint16_t key_bits = 0;
  std::uint32_t exponent = 0;  // 0 means 65537, and is how TPMs write 65537
  bytes modulus;               // unique.rsa
  bool operator==(const rsa_public&) const = default;
};

struct ecc_public {
  ecc_curve_id curve = 0;
  kdf_scheme kdf;
  bytes x;  // unique.ecc.x
  bytes y;  // unique.ecc.y
  bool operator==(const ecc_public&) const = default;
};

// TPMS_KEYEDHASH_PARMS (a TPMT_KEYEDHASH_SCHEME) and unique.keyedHash.
// HMAC carries hash; XOR carries hash and kdf; NULL carries nothing.
struct keyedhash_public {
  alg_id scheme = alg::null;
  alg_id hash = alg::null;
  alg_id kdf = alg::null;
  bytes unique;
  bool operator==(const keyedhash_public&) const = default;
};

struct tpmt_public {
  alg_id type = alg::null;  // alg::rsa, alg::ecc or alg::keyedhash
  alg_id name_alg = alg::null;
  std::uint32_t object_attributes = 0;
  bytes auth_policy;
  sym_def_object symmetric;  // RSA and ECC only
  asym_scheme scheme;        // RSA and ECC only
  rsa_public rsa;            // meaningful when type == alg::rsa
  ecc_public ecc;            // meaningful when type == alg::ecc
  keyedhash_public keyedhash;  // meaningful when type == alg::keyedhash
  bool operator==(const tpmt_public&) const = default;
};

// Marshalling throws std::invalid_argument for a structure the wire format
// cannot express (unknown type or scheme, oversized buffer): such a structure
// can only come from a programming error, never from parse_public*.
void write_public(writer& out, const tpmt_public& area);
bytes marshal_public(const tpmt_public& area);    // TPMT_PUBLIC
bytes marshal_public2b(const tpmt_public& area);  // TPM2B_PUBLIC = UINT16 size || TPMT_PUBLIC

// For parsers of larger structures (the Windows idBinding, TPM2B_CREATION_DATA…):
// read from a shared reader, recording errors in it.
std::optional<tpmt_public> read_public(reader& in);
// The TPM2B size must equal exactly what the TPMT_PUBLIC inside consumes.
std::optional<tpmt_public> read_public2b(reader& in);

// A bare TPMT_PUBLIC; trailing bytes are an error.
parse_result<tpmt_public> parse_public(byte_view data);
// A TPM2B_PUBLIC at the start of `data`; bytes after it are left alone and
// result.consumed says where they start.
parse_result<tpmt_public> parse_public2b(byte_view data);

}  // namespace aikmock::tpm
