#pragma once
// Seals the server state carried between the two rounds of an enrollment
// (AES-256-GCM), so the service keeps nothing in memory between them and any
// replica holding the same key can finish an exchange another began.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace aikmock::protocol::enrollment {

class state_sealer {
 public:
  static constexpr std::size_t key_size = 32;

  // Throws std::invalid_argument unless the key is 32 bytes.
  explicit state_sealer(bytes key);
  // The key as `pki init` writes it: 64 hex digits in a file (mode 0600).
  static state_sealer from_file(const std::filesystem::path& path);
  ~state_sealer();
  state_sealer(const state_sealer&) = delete;
  state_sealer& operator=(const state_sealer&) = delete;
  state_sealer(state_sealer&&) noexcept = default;

  // base64url(version ‖ nonce ‖ ciphertext ‖ tag); the version byte is authenticated.
  std::string seal(byte_view plaintext) const;
  // nullopt when the token is malformed, was sealed with another key, or was altered.
  std::optional<bytes> open(std::string_view token) const;

  // Upper bound for a token this sealer accepts (a state is well under it).
  static constexpr std::size_t max_token_size = 16 * 1024;

 private:
  bytes key_;
};

}  // namespace aikmock::protocol::enrollment
