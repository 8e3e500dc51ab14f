#pragma once
// A buffer of key material (a seed, a derived key, a decrypted credential)
// that is wiped with OPENSSL_cleanse when it goes away, on every path out of
// a function, including early error returns.
#include <openssl/crypto.h>

#include <cstddef>
#include <utility>

#include "common/bytes.hpp"

namespace aikmock::tpm {

class secret_bytes {
 public:
  secret_bytes() = default;
  explicit secret_bytes(std::size_t size) : value_(size) {}
  explicit secret_bytes(bytes value) noexcept : value_(std::move(value)) {}
  secret_bytes(const secret_bytes&) = delete;
  secret_bytes& operator=(const secret_bytes&) = delete;
  // Moving a vector hands over its buffer; nothing is left behind to wipe.
  secret_bytes(secret_bytes&& other) noexcept : value_(std::move(other.value_)) { other.value_.clear(); }
  secret_bytes& operator=(secret_bytes&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.value_.clear();
    }
    return *this;
  }
  ~secret_bytes() { wipe(); }

  byte_view view() const noexcept { return value_; }
  std::uint8_t* data() noexcept { return value_.data(); }
  std::size_t size() const noexcept { return value_.size(); }
  bool empty() const noexcept { return value_.empty(); }

  // A copy for a caller that takes ownership of wiping it.
  bytes copy() const { return value_; }

  void wipe() noexcept {
    if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
    value_.clear();
  }

 private:
  bytes value_;
};

}  // namespace aikmock::tpm
