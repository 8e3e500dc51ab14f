#pragma once
// The TPM hash algorithms this project can compute (SHA-1, SHA-256, SHA-384,
// SHA-512), by TPM_ALG_ID.
#include <cstddef>
#include <optional>

#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"

namespace aikmock::tpm {

// Digest size in bytes; 0 for an algorithm this project cannot compute.
std::size_t hash_size(alg_id hash_alg) noexcept;
// OpenSSL's implementation; nullptr for an algorithm this project cannot compute.
const EVP_MD* hash_md(alg_id hash_alg) noexcept;
// H(data); nullopt for an algorithm this project cannot compute.
std::optional<bytes> hash(alg_id hash_alg, byte_view data);

}  // namespace aikmock::tpm
