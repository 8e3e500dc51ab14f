#include "policy/json_lines.hpp"

#include <vector>

namespace aikmock::policy {

namespace {
// JSON Pointer escaping (RFC 6901).
std::string escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

struct frame {
  std::string pointer;
  bool is_array;
  int index = 0;
  std::string pending_key;
};
}  // namespace

json_lines::json_lines(std::string_view text) {
  std::vector<frame> stack;
  int line = 1;
  std::string last_string;
  bool expecting_key = false;

  auto child_pointer = [&]() -> std::string {
    if (stack.empty()) return "";
    auto& top = stack.back();
    if (top.is_array) return top.pointer + "/" + std::to_string(top.index);
    return top.pointer + "/" + escape(top.pending_key);
  };
  auto value_starts = [&] {
    auto p = child_pointer();
    if (!lines_.count(p)) lines_[p] = line;
    return p;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '"') {
      std::string s;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        if (text[i] == '\n') ++line;
        s += text[i];
      }
      if (expecting_key) {
        stack.back().pending_key = s;
        expecting_key = false;
      } else {
        value_starts();
      }
    } else if (c == '{' || c == '[') {
      auto p = value_starts();
      stack.push_back({p, c == '[', 0, {}});
      expecting_key = c == '{';
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      expecting_key = false;
    } else if (c == ',') {
      if (!stack.empty()) {
        if (stack.back().is_array) ++stack.back().index;
        else expecting_key = true;
      }
    } else if (c == ':' || c == ' ' || c == '\t' || c == '\r') {
      // separators and white space
    } else if (!expecting_key) {
      // A number, true, false or null: record where it starts, then skip it.
      value_starts();
      while (i + 1 < text.size() && std::string_view(",]} \t\r\n").find(text[i + 1]) == std::string_view::npos) ++i;
    }
  }
}

int json_lines::line_of(const std::string& pointer) const {
  auto it = lines_.find(pointer);
  return it == lines_.end() ? 0 : it->second;
}

}  // namespace aikmock::policy
