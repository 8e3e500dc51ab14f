#include "protocol/enrollment/state_sealer.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "common/encoding.hpp"
#include "common/files.hpp"

namespace aikmock::protocol::enrollment {

namespace {
constexpr std::uint8_t version = 1;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

std::string base64url(byte_view data) {
  std::string s = to_base64(data);
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}
}  // namespace

state_sealer::state_sealer(bytes key) : key_(std::move(key)) {
  if (key_.size() != key_size) throw std::invalid_argument("the sealing key must be 32 bytes");
}

state_sealer state_sealer::from_file(const std::filesystem::path& path) {
  auto data = read_file(path, 1024);
  if (!data) throw std::runtime_error("cannot read the sealing key " + path.string());
  std::string text(data->begin(), data->end());
  OPENSSL_cleanse(data->data(), data->size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto key = from_hex(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key || key->size() != key_size) throw std::runtime_error(path.string() + ": not 64 hex digits");
  return state_sealer(std::move(*key));
}

state_sealer::~state_sealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string state_sealer::seal(byte_view plaintext) const {
  bytes out(1 + nonce_size + plaintext.size() + tag_size);
  out[0] = version;
  if (RAND_bytes(out.data() + 1, nonce_size) != 1) throw std::runtime_error("RAND_bytes failed");
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), out.data() + 1) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &n, out.data(), 1) == 1 &&  // the version byte as AAD
            EVP_EncryptUpdate(ctx.get(), out.data() + 1 + nonce_size, &n, plaintext.data(),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), out.data() + 1 + nonce_size + n, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size,
                                out.data() + 1 + nonce_size + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("sealing the server state failed");
  return base64url(out);
}

std::optional<bytes> state_sealer::open(std::string_view token) const {
  if (token.size() > max_token_size) return std::nullopt;
  for (char c : token)
    if (c == '+' || c == '/' || c == '=') return std::nullopt;  // only the unpadded URL-safe form is ours
  auto raw = from_base64(token);
  if (!raw || raw->size() < 1 + nonce_size + tag_size || (*raw)[0] != version) return std::nullopt;
  const std::size_t text_size = raw->size() - 1 - nonce_size - tag_size;
  bytes plain(text_size);
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), raw->data() + 1) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &n, raw->data(), 1) == 1 &&
            EVP_DecryptUpdate(ctx.get(), plain.data(), &n, raw->data() + 1 + nonce_size,
                              static_cast<int>(text_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size,
                                raw->data() + 1 + nonce_size + text_size) == 1;
  // The tag check happens here; a forged or altered token fails it.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &n) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

}  // namespace aikmock::protocol::enrollment
