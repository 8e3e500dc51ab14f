#pragma once
// Where credential protection takes its random bytes (the seed of
// MakeCredential): OpenSSL's private CSPRNG in production, fixed bytes in
// known-answer tests. Passed explicitly, never installed globally.
#include <cstdint>
#include <functional>
#include <span>

#include <openssl/rand.h>

namespace aikmock::tpm {

// Fills the whole span; false when no randomness is available.
using random_fill = std::function<bool(std::span<std::uint8_t>)>;

// OpenSSL's private DRBG: its output ends up as key material.
inline bool system_random(std::span<std::uint8_t> out) {
  return out.empty() || RAND_priv_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

}  // namespace aikmock::tpm
