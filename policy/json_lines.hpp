#pragma once
// Line numbers for the values of a JSON text, by JSON Pointer ("/rules/2/then"),
// so that errors in a hand-written file can say where to look. A light scanner:
// the text has already been parsed (and so is known to be valid JSON).
#include <map>
#include <string>
#include <string_view>

namespace aikmock::policy {

class json_lines {
 public:
  explicit json_lines(std::string_view text);
  // The line (1-based) where the value at `pointer` starts; 0 when unknown.
  int line_of(const std::string& pointer) const;

 private:
  std::map<std::string, int> lines_;
};

}  // namespace aikmock::policy
