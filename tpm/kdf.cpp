#include "tpm/kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <functional>
#include <memory>

#include "tpm/hash.hpp"
#include "common/openssl.hpp"

namespace aikmock::tpm {

namespace {

using evp_mac_ptr = std::unique_ptr<EVP_MAC, openssl_deleter<EVP_MAC_free>>;
using evp_mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, openssl_deleter<EVP_MAC_CTX_free>>;

std::array<std::uint8_t, 4> be32(std::uint32_t value) {
  return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
          static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

constexpr std::uint8_t nul = 0;

// One keyed HMAC context, re-initialised per block so the key stays inside
// OpenSSL (which wipes it when the context is freed).
class hmac_context {
 public:
  hmac_context(const EVP_MD* md, byte_view key) : md_(md) {
    evp_mac_ptr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) return;
    ctx_.reset(EVP_MAC_CTX_new(mac.get()));
    if (!ctx_) return;
    // HMAC treats a null key pointer as "keep the previous key", so an empty
    // key needs a valid pointer.
    static constexpr std::uint8_t empty_key = 0;
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(EVP_MD_get0_name(md_)), 0),
        OSSL_PARAM_construct_end()};
    key_ok_ = EVP_MAC_init(ctx_.get(), key.empty() ? &empty_key : key.data(), key.size(), params.data()) == 1;
  }

  bool ok() const noexcept { return key_ok_; }

  // One MAC over the concatenation of `parts`, appended to `out`.
  bool mac(std::initializer_list<byte_view> parts, bytes& out) {
    if (!key_ok_) return false;
    // Re-initialising without a key restarts the MAC with the same key.
    if (!first_use_ && EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) return false;
    first_use_ = false;
    for (auto part : parts) {
      if (!part.empty() && EVP_MAC_update(ctx_.get(), part.data(), part.size()) != 1) return false;
    }
    const std::size_t offset = out.size();
    const std::size_t size = static_cast<std::size_t>(EVP_MD_get_size(md_));
    out.resize(offset + size);
    std::size_t written = 0;
    if (EVP_MAC_final(ctx_.get(), out.data() + offset, &written, size) != 1 || written != size) return false;
    return true;
  }

 private:
  const EVP_MD* md_;
  evp_mac_ctx_ptr ctx_;
  bool key_ok_ = false;
  bool first_use_ = true;
};

// Runs `block(counter, out)` for counter = 1, 2, … until `bits` are produced,
// then trims and masks. Each block appends one digest to `out`.
std::optional<bytes> counter_mode(std::uint32_t bits, std::size_t block_size,
                                  const std::function<bool(std::uint32_t, bytes&)>& block) {
  if (bits > max_kdf_bits) return std::nullopt;
  const std::size_t size = (static_cast<std::size_t>(bits) + 7) / 8;
  bytes out;
  // All blocks fit without reallocating, so no copy of key material is left behind unwiped.
  out.reserve((size + block_size - 1) / block_size * block_size);
  std::uint32_t counter = 0;
  while (out.size() < size) {
    if (!block(++counter, out)) {
      OPENSSL_cleanse(out.data(), out.size());
      ERR_clear_error();
      return std::nullopt;
    }
  }
  OPENSSL_cleanse(out.data() + size, out.size() - size);
  out.resize(size);
  if (bits % 8 != 0) out[0] &= static_cast<std::uint8_t>((1u << (bits % 8)) - 1);
  return out;
}

}  // namespace

std::optional<bytes> hmac(alg_id hash_alg, byte_view key, std::initializer_list<byte_view> parts) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) return std::nullopt;
  hmac_context context(md, key);
  bytes out;
  if (!context.ok() || !context.mac(parts, out)) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::optional<bytes> kdfa(alg_id hash_alg, byte_view key, std::string_view label, byte_view context_u,
                          byte_view context_v, std::uint32_t bits) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) return std::nullopt;
  hmac_context context(md, key);
  if (!context.ok()) {
    ERR_clear_error();
    return std::nullopt;
  }
  const auto length_field = be32(bits);
  return counter_mode(bits, static_cast<std::size_t>(EVP_MD_get_size(md)), [&](std::uint32_t counter, bytes& out) {
    const auto counter_field = be32(counter);
    return context.mac({counter_field, as_bytes(label), {&nul, 1}, context_u, context_v, length_field}, out);
  });
}

std::optional<bytes> kdfe(alg_id hash_alg, byte_view z, std::string_view use, byte_view party_u_info,
                          byte_view party_v_info, std::uint32_t bits) {
  const EVP_MD* md = hash_md(hash_alg);
  if (!md) return std::nullopt;
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return std::nullopt;
  return counter_mode(bits, static_cast<std::size_t>(EVP_MD_get_size(md)), [&](std::uint32_t counter, bytes& out) {
    const auto counter_field = be32(counter);
    if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return false;
    for (byte_view part :
         {byte_view(counter_field), z, as_bytes(use), byte_view(&nul, 1), party_u_info, party_v_info}) {
      if (!part.empty() && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return false;
    }
    const std::size_t offset = out.size();
    out.resize(offset + static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int written = 0;
    return EVP_DigestFinal_ex(ctx.get(), out.data() + offset, &written) == 1 &&
           written == static_cast<std::size_t>(EVP_MD_get_size(md));
  });
}

}  // namespace aikmock::tpm
