#include "tpm/marshal.hpp"

#include <stdexcept>

namespace aikmock::tpm {

namespace {
template <class T>
void put_big_endian(bytes& out, T value) {
  for (int shift = static_cast<int>(sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}
}  // namespace

writer& writer::u8(std::uint8_t value) {
  out_.push_back(value);
  return *this;
}

writer& writer::u16(std::uint16_t value) {
  put_big_endian(out_, value);
  return *this;
}

writer& writer::u32(std::uint32_t value) {
  put_big_endian(out_, value);
  return *this;
}

writer& writer::u64(std::uint64_t value) {
  put_big_endian(out_, value);
  return *this;
}

writer& writer::raw(byte_view data) {
  out_.insert(out_.end(), data.begin(), data.end());
  return *this;
}

writer& writer::tpm2b(byte_view data) {
  if (data.size() > 0xFFFF) {
    throw std::length_error("TPM2B payload of " + std::to_string(data.size()) + " bytes exceeds 65535");
  }
  u16(static_cast<std::uint16_t>(data.size()));
  return raw(data);
}

bool reader::record(std::string_view field, std::size_t offset, std::string_view problem) {
  if (error_.empty()) {
    error_.append(field).append(" at offset ").append(std::to_string(offset)).append(": ").append(problem);
  }
  return false;
}

bool reader::fail(std::string_view field, std::string_view problem) { return record(field, base_ + pos_, problem); }

bool reader::reject(std::string_view field, std::string_view problem) { return record(field, last_read_, problem); }

std::optional<byte_view> reader::take(std::size_t count, std::string_view field, std::string_view what) {
  if (!ok()) return std::nullopt;
  if (count > remaining()) {
    fail(field, std::string(what) + " truncated (needs " + std::to_string(count) + " bytes, " +
                    std::to_string(remaining()) + " left)");
    return std::nullopt;
  }
  last_read_ = base_ + pos_;
  auto out = data_.subspan(pos_, count);
  pos_ += count;
  return out;
}

template <class T>
std::optional<T> reader::integer(std::string_view field) {
  auto raw_bytes = take(sizeof(T), field, "value");
  if (!raw_bytes) return std::nullopt;
  T value = 0;
  for (auto b : *raw_bytes) value = static_cast<T>(value << 8 | b);
  return value;
}

std::optional<std::uint8_t> reader::u8(std::string_view field) { return integer<std::uint8_t>(field); }
std::optional<std::uint16_t> reader::u16(std::string_view field) { return integer<std::uint16_t>(field); }
std::optional<std::uint32_t> reader::u32(std::string_view field) { return integer<std::uint32_t>(field); }
std::optional<std::uint64_t> reader::u64(std::string_view field) { return integer<std::uint64_t>(field); }

std::optional<byte_view> reader::raw(std::size_t count, std::string_view field) {
  return take(count, field, "value");
}

std::optional<byte_view> reader::tpm2b(std::string_view field, std::size_t max_size) {
  auto size_bytes = take(2, field, "size");
  if (!size_bytes) return std::nullopt;
  std::size_t size = std::size_t{(*size_bytes)[0]} << 8 | (*size_bytes)[1];
  if (size > max_size) {
    reject(field, "size " + std::to_string(size) + " exceeds the maximum " + std::to_string(max_size));
    return std::nullopt;
  }
  return take(size, field, "payload");
}

std::optional<reader> reader::nested_tpm2b(std::string_view field, std::size_t max_size) {
  std::size_t payload_offset = base_ + pos_ + 2;
  auto payload = tpm2b(field, max_size);
  if (!payload) return std::nullopt;
  return reader(*payload, payload_offset);
}

bool reader::close_nested(const reader& nested, std::string_view field) {
  if (!ok()) return false;
  if (!nested.ok()) {
    error_ = nested.error_;
    return false;
  }
  if (nested.remaining() != 0) {
    return record(field, nested.base_ - 2,
                  "size " + std::to_string(nested.data_.size()) + " but the structure inside uses " +
                      std::to_string(nested.consumed()) + " bytes");
  }
  return true;
}

bool reader::expect_end(std::string_view structure) {
  if (!ok()) return false;
  if (remaining() == 0) return true;
  return fail(structure, std::to_string(remaining()) + " unexpected trailing bytes");
}

void write_tpm2b_bounded(writer& out, std::string_view structure, byte_view data, std::size_t max_size,
                         std::string_view field) {
  if (data.size() > max_size) {
    throw std::invalid_argument(std::string(structure) + ": " + std::string(field) + " of " +
                                std::to_string(data.size()) + " bytes exceeds " + std::to_string(max_size));
  }
  out.tpm2b(data);
}

bool read_tpm2b_into(reader& in, std::string_view field, std::size_t max_size, bytes& out) {
  auto data = in.tpm2b(field, max_size);
  if (!data) return false;
  out.assign(data->begin(), data->end());
  return true;
}

}  // namespace aikmock::tpm
