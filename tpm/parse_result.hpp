#pragma once
// What a parser of untrusted TPM bytes returns: the structure, or an error
// message naming the field that broke. Parsers never throw.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tpm/marshal.hpp"

namespace aikmock::tpm {

template <class T>
struct parse_result {
  std::optional<T> value;
  std::string error;          // empty on success
  std::size_t consumed = 0;   // input bytes the structure occupied, on success

  explicit operator bool() const noexcept { return value.has_value(); }
  const T& operator*() const& { return *value; }
  const T* operator->() const { return &*value; }
};

// Completes a parse from the reader's state: its error if it failed (or if the
// parser returned nothing without recording why), else the value.
template <class T>
parse_result<T> finish_parse(const reader& r, std::optional<T> value, std::string_view structure) {
  parse_result<T> result;
  if (!r.ok()) {
    result.error = r.error();
  } else if (!value) {
    result.error = std::string(structure) + ": not parsed";
  } else {
    result.value = std::move(value);
    result.consumed = r.consumed();
  }
  return result;
}

}  // namespace aikmock::tpm
