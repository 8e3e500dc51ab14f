#include "tpm/hash.hpp"

namespace aikmock::tpm {

const EVP_MD* hash_md(alg_id hash_alg) noexcept {
  switch (hash_alg) {
    case alg::sha1: return EVP_sha1();
    case alg::sha256: return EVP_sha256();
    case alg::sha384: return EVP_sha384();
    case alg::sha512: return EVP_sha512();
    default: return nullptr;
  }
}

std::size_t hash_size(alg_id hash_alg) noexcept {
  const EVP_MD* md = hash_md(hash_alg);
  return md ? static_cast<std::size_t>(EVP_MD_get_size(md)) : 0;
}

std::optional<bytes> hash(alg_id hash_alg, byte_view data) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) return std::nullopt;
  bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1) return std::nullopt;
  out.resize(length);
  return out;
}

}  // namespace aikmock::tpm
