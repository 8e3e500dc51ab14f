#pragma once
// How an EK-bound challenge is made. `tcg`: every parameter from the EK public,
// as TPM 2.0 Library Part 1 §24 defines MakeCredential (what a correct service
// does); `microsoft`: limited like Microsoft's published activation code
// (TSS.MSR GenerateActivation20: SHA-256, AES-128, RSA only), which cannot
// serve H-6 and ECC EKs. The policy picks one; tpm/credential.hpp applies it.
#include <optional>
#include <string_view>

namespace aikmock::tpm {

enum class credential_profile { tcg, microsoft };

constexpr std::string_view to_string(credential_profile profile) {
  return profile == credential_profile::tcg ? "tcg" : "microsoft";
}
// "tcg" or "microsoft"; nullopt otherwise.
constexpr std::optional<credential_profile> parse_credential_profile(std::string_view text) {
  if (text == "tcg") return credential_profile::tcg;
  if (text == "microsoft") return credential_profile::microsoft;
  return std::nullopt;
}

}  // namespace aikmock::tpm
