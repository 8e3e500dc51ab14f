#pragma once
// TPM 2.0 numeric identifiers (TPM 2.0 Library Part 2), as they appear on the wire.
// Kept as plain integers rather than enums because parsed structures must be
// able to carry values this project does not know.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aikmock::tpm {

using alg_id = std::uint16_t;
using ecc_curve_id = std::uint16_t;

namespace alg {
inline constexpr alg_id rsa = 0x0001;
inline constexpr alg_id sha1 = 0x0004;
inline constexpr alg_id hmac = 0x0005;
inline constexpr alg_id aes = 0x0006;
inline constexpr alg_id mgf1 = 0x0007;
inline constexpr alg_id keyedhash = 0x0008;
inline constexpr alg_id xor_ = 0x000A;
inline constexpr alg_id sha256 = 0x000B;
inline constexpr alg_id sha384 = 0x000C;
inline constexpr alg_id sha512 = 0x000D;
inline constexpr alg_id null = 0x0010;
inline constexpr alg_id sm3_256 = 0x0012;
inline constexpr alg_id sm4 = 0x0013;
inline constexpr alg_id rsassa = 0x0014;
inline constexpr alg_id rsaes = 0x0015;
inline constexpr alg_id rsapss = 0x0016;
inline constexpr alg_id oaep = 0x0017;
inline constexpr alg_id ecdsa = 0x0018;
inline constexpr alg_id ecdh = 0x0019;
inline constexpr alg_id ecdaa = 0x001A;
inline constexpr alg_id sm2 = 0x001B;
inline constexpr alg_id ecschnorr = 0x001C;
inline constexpr alg_id ecmqv = 0x001D;
inline constexpr alg_id kdf1_sp800_56a = 0x0020;
inline constexpr alg_id kdf2 = 0x0021;
inline constexpr alg_id kdf1_sp800_108 = 0x0022;
inline constexpr alg_id ecc = 0x0023;
inline constexpr alg_id symcipher = 0x0025;
inline constexpr alg_id camellia = 0x0026;
inline constexpr alg_id cfb = 0x0043;
}  // namespace alg

namespace curve {
inline constexpr ecc_curve_id nist_p256 = 0x0003;
inline constexpr ecc_curve_id nist_p384 = 0x0004;
inline constexpr ecc_curve_id nist_p521 = 0x0005;
inline constexpr ecc_curve_id sm2_p256 = 0x0020;
}  // namespace curve

// TPMA_OBJECT bits.
namespace object_attr {
inline constexpr std::uint32_t fixed_tpm = 1u << 1;
inline constexpr std::uint32_t st_clear = 1u << 2;
inline constexpr std::uint32_t fixed_parent = 1u << 4;
inline constexpr std::uint32_t sensitive_data_origin = 1u << 5;
inline constexpr std::uint32_t user_with_auth = 1u << 6;
inline constexpr std::uint32_t admin_with_policy = 1u << 7;
inline constexpr std::uint32_t no_da = 1u << 10;
inline constexpr std::uint32_t encrypted_duplication = 1u << 11;
inline constexpr std::uint32_t restricted = 1u << 16;
inline constexpr std::uint32_t decrypt = 1u << 17;
inline constexpr std::uint32_t sign_encrypt = 1u << 18;
}  // namespace object_attr

// TPMS_ATTEST.magic: marks a structure the TPM itself produced.
inline constexpr std::uint32_t generated_value = 0xFF544347;

// TPM_ST attestation structure tags.
namespace st {
inline constexpr std::uint16_t attest_nv = 0x8014;
inline constexpr std::uint16_t attest_certify = 0x8017;
inline constexpr std::uint16_t attest_quote = 0x8018;
inline constexpr std::uint16_t attest_time = 0x8019;
inline constexpr std::uint16_t attest_creation = 0x801A;
}  // namespace st

inline constexpr std::uint32_t rh_endorsement = 0x4000000B;

// Command codes that appear inside policy digests.
namespace cc {
inline constexpr std::uint32_t policy_secret = 0x00000151;
inline constexpr std::uint32_t policy_or = 0x00000171;
inline constexpr std::uint32_t policy_authorize_nv = 0x00000192;
}  // namespace cc

// Spec spelling of an algorithm ("SHA256", "ECC"), for messages; empty when unknown.
constexpr std::string_view alg_name(alg_id id) {
  switch (id) {
    case alg::rsa: return "RSA";
    case alg::sha1: return "SHA1";
    case alg::hmac: return "HMAC";
    case alg::aes: return "AES";
    case alg::mgf1: return "MGF1";
    case alg::keyedhash: return "KEYEDHASH";
    case alg::xor_: return "XOR";
    case alg::sha256: return "SHA256";
    case alg::sha384: return "SHA384";
    case alg::sha512: return "SHA512";
    case alg::null: return "NULL";
    case alg::sm3_256: return "SM3_256";
    case alg::sm4: return "SM4";
    case alg::rsassa: return "RSASSA";
    case alg::rsaes: return "RSAES";
    case alg::rsapss: return "RSAPSS";
    case alg::oaep: return "OAEP";
    case alg::ecdsa: return "ECDSA";
    case alg::ecdh: return "ECDH";
    case alg::ecdaa: return "ECDAA";
    case alg::sm2: return "SM2";
    case alg::ecschnorr: return "ECSCHNORR";
    case alg::ecmqv: return "ECMQV";
    case alg::kdf1_sp800_56a: return "KDF1_SP800_56A";
    case alg::kdf2: return "KDF2";
    case alg::kdf1_sp800_108: return "KDF1_SP800_108";
    case alg::ecc: return "ECC";
    case alg::symcipher: return "SYMCIPHER";
    case alg::camellia: return "CAMELLIA";
    case alg::cfb: return "CFB";
    default: return {};
  }
}

constexpr std::string_view curve_name(ecc_curve_id id) {
  switch (id) {
    case curve::nist_p256: return "NIST P-256";
    case curve::nist_p384: return "NIST P-384";
    case curve::nist_p521: return "NIST P-521";
    case curve::sm2_p256: return "SM2 P-256";
    default: return {};
  }
}

// Size in bytes of one coordinate on the curve; 0 when unknown.
constexpr std::size_t curve_coordinate_size(ecc_curve_id id) {
  switch (id) {
    case curve::nist_p256: return 32;
    case curve::nist_p384: return 48;
    case curve::nist_p521: return 66;
    case curve::sm2_p256: return 32;
    default: return 0;
  }
}

}  // namespace aikmock::tpm
