#include "protocol/tpm/ek_policy.hpp"

#include <algorithm>

namespace aikmock::protocol::tpm {

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

}  // namespace aikmock::protocol::tpm
