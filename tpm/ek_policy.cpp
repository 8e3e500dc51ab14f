#include "tpm/ek_policy.hpp"

#include <algorithm>
#include <initializer_list>

#include "tpm/hash.hpp"
#include "tpm/marshal.hpp"

namespace aikmock::tpm {

std::optional<std::string_view> ek_policy_name(byte_view digest) {
  struct named {
    std::string_view name;
    byte_view value;
  };
  const named known[] = {
      {"PolicyA-SHA256", policy_a_sha256}, {"PolicyB-SHA256", policy_b_sha256}, {"PolicyB-SHA384", policy_b_sha384},
      {"PolicyB-SHA512", policy_b_sha512}, {"PolicyB-SM3", policy_b_sm3},
  };
  for (const auto& k : known) {
    if (std::ranges::equal(k.value, digest)) return k.name;
  }
  return std::nullopt;
}

namespace {

// TPM2_PolicySecret, TPM2_PolicyOR and TPM2_PolicyAuthorizeNV extend a policy
// digest as H(digest || TPM_CC || data); PolicySecret then hashes in its
// (empty) policyRef. Every EK policy starts from the all-zero digest.
bytes extend(alg_id alg, byte_view digest, std::uint32_t command, std::initializer_list<byte_view> data) {
  writer w;
  w.raw(digest).u32(command);
  for (auto d : data) w.raw(d);
  return *hash(alg, w.data());
}

bytes policy_a(alg_id alg, std::size_t size) {
  writer endorsement;
  endorsement.u32(rh_endorsement);
  const bytes zeros(size, 0);
  const bytes secret = extend(alg, zeros, cc::policy_secret, {endorsement.data()});
  return *hash(alg, secret);  // || empty policyRef
}

// The Names of the EK Credential Profile's policy NV indices (0x01C07F01,
// 0x01C07F02, 0x01C07F03: nameAlg || H(TPMS_NV_PUBLIC)), as IBM TSS and
// tpm2-tools carry them.
constexpr auto policy_nv_name_sha256 =
    detail::hex_digest("000b0c9d717e9c3fe69fda41769450bb145957f8b3610e084dbf65591a5d11ecd83f");
constexpr auto policy_nv_name_sha384 = detail::hex_digest(
    "000cdb62fca346612c976732ff4e8621fb4e858be82586486504f7d02e621f8d7d61ae32cfc60c4d120609ed6768afcf090c");
constexpr auto policy_nv_name_sha512 = detail::hex_digest(
    "000d1c47c0bbcbd3cf7d7cae6987d31937c171015dde3b7f0d3c869bca1f7e8a223b9acfadb49b7c9cf14d450f41e9327de34d9291"
    "eece2c58ab1dc10e9059cce560");

}  // namespace

std::optional<ek_policy_session> ek_policy_session_for(byte_view auth_policy) {
  struct candidate {
    alg_id alg;
    byte_view nv_name;
  };
  const candidate candidates[] = {
      {alg::sha256, policy_nv_name_sha256}, {alg::sha384, policy_nv_name_sha384}, {alg::sha512, policy_nv_name_sha512}};
  for (const auto& c : candidates) {
    const auto size = hash_size(c.alg);
    if (size != auth_policy.size()) continue;
    const bytes zeros(size, 0);
    bytes a = policy_a(c.alg, size);
    if (std::ranges::equal(a, auth_policy)) return ek_policy_session{c.alg, {}};
    bytes policy_c = extend(c.alg, zeros, cc::policy_authorize_nv, {c.nv_name});
    if (std::ranges::equal(extend(c.alg, zeros, cc::policy_or, {a, policy_c}), auth_policy))
      return ek_policy_session{c.alg, {std::move(a), std::move(policy_c)}};
  }
  return std::nullopt;
}

}  // namespace aikmock::tpm
