#pragma once
// What a parser of untrusted TPM bytes returns: the project's result<T> (the
// structure, or an error naming the field that broke) and, on success, how
// many input bytes the structure occupied. Parsers never throw.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "tpm/marshal.hpp"

namespace aikmock::tpm {

template <class T>
class parse_result : public result<T> {
 public:
  using result<T>::result;
  parse_result(T value, std::size_t consumed_bytes) : result<T>(std::move(value)), consumed(consumed_bytes) {}

  std::size_t consumed = 0;  // input bytes the structure occupied, on success
};

// Completes a parse from the reader's state: its error if it failed (or if the
// parser returned nothing without recording why), else the value.
template <class T>
parse_result<T> finish_parse(const reader& r, std::optional<T> value, std::string_view structure) {
  if (!r.ok()) return fail(r.error());
  if (!value) return fail(std::string(structure) + ": not parsed");
  return parse_result<T>(std::move(*value), r.consumed());
}

}  // namespace aikmock::tpm
