#include "app/cli.hpp"

#include <algorithm>

namespace aikmock::app {

args::args(int argc, char** argv, int first, const std::vector<std::string>& value_options,
           const std::vector<std::string>& flag_options) {
  auto known = [](const std::vector<std::string>& list, const std::string& n) {
    return std::find(list.begin(), list.end(), n) != list.end();
  };
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (known(flag_options, name)) {
      if (inline_value) throw usage_error("--" + name + " takes no value");
      flags_[name] = true;
    } else if (known(value_options, name)) {
      if (inline_value) {
        values_[name].push_back(*inline_value);
      } else {
        if (i + 1 >= argc) throw usage_error("--" + name + " needs a value");
        values_[name].push_back(argv[++i]);
      }
    } else {
      throw usage_error("unknown option --" + name);
    }
  }
}

std::optional<std::string> args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool args::flag(const std::string& name) const { return flags_.count(name) != 0; }

}  // namespace aikmock::app
