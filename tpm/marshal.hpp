#pragma once
// Big-endian TPM 2.0 marshalling: a writer for structures we build and a
// bounds-checked reader for structures a client sends.
//
// Every reader call names the field it reads ("TPMT_PUBLIC.nameAlg"). The first
// failure is recorded as "<field> at offset <n>: <problem>" and makes every later
// read fail too, so a parser can read a whole structure and check ok() once,
// or bail out at the first empty optional; either way the message names the
// field that broke.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/bytes.hpp"

namespace aikmock::tpm {

class writer {
 public:
  writer& u8(std::uint8_t value);
  writer& u16(std::uint16_t value);
  writer& u32(std::uint32_t value);
  writer& u64(std::uint64_t value);
  writer& raw(byte_view data);
  // UINT16 size || data. Throws std::length_error above 65535 bytes: only a
  // programming error can build such a structure.
  writer& tpm2b(byte_view data);

  const bytes& data() const& noexcept { return out_; }
  bytes take() && noexcept { return std::move(out_); }

 private:
  bytes out_;
};

class reader {
 public:
  explicit reader(byte_view data) noexcept : data_(data) {}

  std::optional<std::uint8_t> u8(std::string_view field);
  std::optional<std::uint16_t> u16(std::string_view field);
  std::optional<std::uint32_t> u32(std::string_view field);
  std::optional<std::uint64_t> u64(std::string_view field);
  std::optional<byte_view> raw(std::size_t count, std::string_view field);

  // UINT16 size || bytes, where a size above max_size is an error. The view
  // points into the reader's input.
  std::optional<byte_view> tpm2b(std::string_view field, std::size_t max_size);

  // A TPM2B whose payload is itself a structure (TPM2B_PUBLIC, TPM2B_ATTEST…):
  // returns a reader over exactly the payload, reporting absolute offsets.
  // Parse the payload with it, then hand it back to close_nested().
  std::optional<reader> nested_tpm2b(std::string_view field, std::size_t max_size);
  // Adopts the nested reader's error, or reports payload bytes it left unread
  // as a size mismatch of `field`. Returns whether both readers are fine.
  bool close_nested(const reader& nested, std::string_view field);

  // Records an error at the current offset unless an earlier error exists.
  // Always returns false.
  bool fail(std::string_view field, std::string_view problem);
  // Records that the value just read, though well-formed, is unacceptable
  // (unknown algorithm, bad combination); the message points at its offset.
  bool reject(std::string_view field, std::string_view problem);
  // Fails when unread bytes remain.
  bool expect_end(std::string_view structure);

  bool ok() const noexcept { return error_.empty(); }
  const std::string& error() const noexcept { return error_; }
  std::size_t consumed() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }

 private:
  reader(byte_view data, std::size_t base_offset) noexcept : data_(data), base_(base_offset) {}
  std::optional<byte_view> take(std::size_t count, std::string_view field, std::string_view what);
  bool record(std::string_view field, std::size_t offset, std::string_view problem);
  template <class T>
  std::optional<T> integer(std::string_view field);

  byte_view data_;
  std::size_t pos_ = 0;
  std::size_t base_ = 0;  // offset of data_ within the outermost input, for messages
  std::size_t last_read_ = 0;  // absolute offset where the latest read started
  std::string error_;
};

// A TPM2B of at most `max_size` bytes (the structure's own cap, tighter than
// 65535). Throws std::invalid_argument naming "<structure>: <field>" when larger:
// writing one is a bug of the caller, not bad input.
void write_tpm2b_bounded(writer& out, std::string_view structure, byte_view data, std::size_t max_size,
                         std::string_view field);

// Reads a TPM2B of at most `max_size` bytes into `out`; false (the reader
// records why) when it does not fit or is not there.
bool read_tpm2b_into(reader& in, std::string_view field, std::size_t max_size, bytes& out);

}  // namespace aikmock::tpm
