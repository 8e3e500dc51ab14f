#pragma once
// A small command-line reader: --name VALUE / --name=VALUE options and flags.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace aikmock::app {

class args {
 public:
  // `value_options` take a value; `flag_options` do not. Anything else is an error.
  args(int argc, char** argv, int first, const std::vector<std::string>& value_options,
       const std::vector<std::string>& flag_options);

  // The last value given for an option.
  std::optional<std::string> value(const std::string& name) const;
  // Every value given for a repeatable option, in order.
  std::vector<std::string> values(const std::string& name) const;
  bool flag(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, bool> flags_;
  std::vector<std::string> positional_;
};

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace aikmock::app
