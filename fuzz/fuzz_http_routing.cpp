// The request target and Host header the router reads before anything else.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/seeds.hpp"
#include "server/host_route.hpp"
#include "server/request_target.hpp"

using namespace aikmock;

namespace {
bool seeded = [] {
  fuzz::write_seed("target", as_bytes(std::string_view("/templates/Aik/scep?operation=PKIOperation&message=AB%2B%3D")));
  fuzz::write_seed("host", as_bytes(std::string_view("IFX-KeyId-18b1af70b93f991972f362556a9a3fbf4bb24e0d.microsoftaik.azure.net:8443")));
  fuzz::write_seed("host6", as_bytes(std::string_view("[::1]:8443")));
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = server::parse_request_target(text)) {
    t->param("operation");
    t->param("message");
  }
  server::parse_authority_label(text);
  server::host_without_port(text);
  return 0;
}
