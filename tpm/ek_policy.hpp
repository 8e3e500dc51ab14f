#pragma once
// The authPolicy digests of the TCG EK templates (EK Credential Profile 2.x,
// Annex B), as found identically in IBM TSS ekutils.c and tpm2-tools
// tpm2_createek.c.
//
// PolicyA = PolicySecret(TPM_RH_ENDORSEMENT) = H(H(0^n || TPM_CC_PolicySecret ||
// TPM_RH_ENDORSEMENT) || empty policyRef): only the endorsement hierarchy's
// owner can use the key. PolicyB = PolicyOR{PolicyA, PolicyC}, where PolicyC
// is PolicyAuthorizeNV so a platform can delegate through an NV index; the
// high-range templates use it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"

namespace aikmock::tpm {

namespace detail {
consteval std::uint8_t hex_nibble(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  throw "not a lower-case hex digit";  // a compile error, consteval only
}

template <std::size_t N>
consteval std::array<std::uint8_t, (N - 1) / 2> hex_digest(const char (&text)[N]) {
  static_assert(N % 2 == 1, "hex text needs an even number of digits");
  std::array<std::uint8_t, (N - 1) / 2> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(hex_nibble(text[2 * i]) << 4 | hex_nibble(text[2 * i + 1]));
  }
  return out;
}
}  // namespace detail

inline constexpr auto policy_a_sha256 =
    detail::hex_digest("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
inline constexpr auto policy_b_sha256 =
    detail::hex_digest("ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0");
inline constexpr auto policy_b_sha384 = detail::hex_digest(
    "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12");
inline constexpr auto policy_b_sha512 = detail::hex_digest(
    "b8221ca69e8550a4914de3faa6a18c072cc01208073a928d5d66d59ef79e49a4"
    "29c41a6b269571d57edb25fbdb1838425608b413cd616a5f6db5b6071af99bea");
inline constexpr auto policy_b_sm3 =
    detail::hex_digest("167860a35f2c5c3567f9c927ac56c032f3b3a6462f8d037998e7a10f77fa454a");

// "PolicyA-SHA256", "PolicyB-SHA384"… for a known EK policy digest; nullopt otherwise.
std::optional<std::string_view> ek_policy_name(byte_view digest);

// What a policy session must do before an EK with `auth_policy` may be used
// (TPM2_ActivateCredential needs its ADMIN role): a session of `hash`, then
// TPM2_PolicySecret(TPM_RH_ENDORSEMENT), then for a PolicyB TPM2_PolicyOR of
// `policy_or_branches` ({PolicyA, PolicyC} in that hash; empty for a PolicyA).
// The branches are computed from their definitions and their OR checked
// against `auth_policy`. nullopt for any other policy (SM3 included).
struct ek_policy_session {
  alg_id hash = alg::null;
  std::vector<bytes> policy_or_branches;
};
std::optional<ek_policy_session> ek_policy_session_for(byte_view auth_policy);

}  // namespace aikmock::tpm
