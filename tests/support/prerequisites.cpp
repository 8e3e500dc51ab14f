#include "tests/support/prerequisites.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace aikmock::test {

namespace {
namespace fs = std::filesystem;

bool on_path(std::string_view tool) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string_view rest(path);
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    std::error_code ec;
    if (!dir.empty() && fs::exists(fs::path(dir) / tool, ec)) return true;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

bool ipv6_loopback_bindable() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

std::string real_ek_directory() { return (fs::path(AIKMOCK_SHARED_DIR) / "testdata" / "real-ek").string(); }

bool missing_prerequisite_fails() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

std::vector<std::string> unmet_prerequisites(std::string_view needs) {
  std::vector<std::string> unmet;
  while (!needs.empty()) {
    const auto comma = needs.find(',');
    const auto need = needs.substr(0, comma);
    needs = comma == std::string_view::npos ? std::string_view{} : needs.substr(comma + 1);
    if (need.empty()) continue;
    if (need == "swtpm") {
      for (const char* tool : {"swtpm", "swtpm_setup", "tpm2_createprimary", "tpm2_activatecredential",
                               "tpm2_certifycreation", "tpm2_startauthsession", "tpm2_policysecret",
                               "tpm2_nvdefine", "tpm2_create", "tpm2_load"})
        if (!on_path(tool)) unmet.push_back(std::string(tool) + " is not installed (make deps installs it)");
    } else if (need == "real-ek") {
      if (!fs::exists(fs::path(real_ek_directory()) / "ek"))
        unmet.push_back("the real EK certificates are not at " + real_ek_directory());
    } else if (need == "ipv6") {
      if (!ipv6_loopback_bindable()) unmet.push_back("::1 cannot be bound here");
    } else {
      unmet.push_back("unknown prerequisite \"" + std::string(need) + "\"");
    }
  }
  return unmet;
}

}  // namespace aikmock::test
