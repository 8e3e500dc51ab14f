#pragma once
// The one error model for untrusted input: a fallible operation returns
// result<T> — its value, or an error saying what broke (by default a message
// naming the field). Exceptions are for bugs and broken labs, never for what a
// client sent. The shape is C++23's std::expected, which neither of this
// project's compilers (GCC 12, clang 14 with libstdc++ 12) offers in C++20.
//
//   result<ek_certificate> parse(byte_view der);
//   auto ek = parse(der);
//   if (!ek) return fail("EK certificate: " + ek.error());
//   use(*ek);
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <optional>
#include <variant>

namespace aikmock {

// The error side, as a value to return: `return fail("too short");`.
template <class E>
struct failure {
  E error;
};
template <class E>
failure<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}
inline failure<std::string> fail(const char* message) { return {std::string(message)}; }

// Asking a result for the side it does not hold is a bug in the caller.
class bad_result_access : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

template <class T, class E = std::string>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = E;

  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit, as std::expected
  template <class F, std::enable_if_t<std::is_constructible_v<E, F>, int> = 0>
  result(failure<F> f) : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return const_cast<result*>(this)->checked(); }
  T&& operator*() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<result*>(this)->checked(); }

  const E& error() const& {
    if (has_value()) throw bad_result_access("result::error() on a value");
    return std::get<1>(v_);
  }
  E&& error() && {
    if (has_value()) throw bad_result_access("result::error() on a value");
    return std::get<1>(std::move(v_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  T& checked() {
    if (!has_value()) throw bad_result_access("result::value() on an error");
    return std::get<0>(v_);
  }
  std::variant<T, E> v_;
};

// Success carries nothing: `return {};`, or `return fail(...)`.
template <class E>
class [[nodiscard]] result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  result() = default;
  template <class F, std::enable_if_t<std::is_constructible_v<E, F>, int> = 0>
  result(failure<F> f) : error_(std::in_place, std::move(f.error)) {}  // NOLINT

  bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  const E& error() const& {
    if (has_value()) throw bad_result_access("result::error() on a success");
    return *error_;
  }

 private:
  std::optional<E> error_;
};

}  // namespace aikmock
