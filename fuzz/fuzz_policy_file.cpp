// Policy files: JSON a lab writes (and `--policy FILE` loads). Bad input is a
// policy_error by design; any other exception escaping is a bug and crashes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/seeds.hpp"
#include "policy/policy_file.hpp"

using namespace aikmock;

namespace {
// Written before libFuzzer reads the corpus directory, so the seeds are in it.
bool seeded = [] {
  for (auto name : policy::builtin_policy_names()) {
    fuzz::write_seed("builtin-" + std::string(name) + ".json", as_bytes(policy::builtin_policy_text(name)));
  }
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    policy::parse_policy(text, "fuzz.json");
  } catch (const policy::policy_error&) {
    // The documented answer to a bad policy.
  }
  return 0;
}
