#include "client/tpm_backend_spec.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "protocol/client/soft_tpm.hpp"

namespace aikmock::client {

std::unique_ptr<protocol::client::tpm_backend> open_tpm_backend(std::string_view spec) {
  const auto colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const std::string arg(colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1));
  if (kind == "soft") {
    if (arg.empty()) throw std::invalid_argument("--tpm soft:DIR needs the directory of a lab EK (e.g. lab/eks/ifx-l1)");
    if (!std::filesystem::is_directory(arg)) throw std::runtime_error("not a directory: " + arg);
    return std::make_unique<protocol::client::soft_tpm>(protocol::client::soft_tpm::from_directory(arg));
  }
  if (kind == "tcti")
    throw std::invalid_argument("this build has no real-TPM back end (tcti); use --tpm soft:DIR with a lab EK");
  throw std::invalid_argument("unknown TPM back end \"" + std::string(spec) + "\"; use --tpm soft:DIR");
}

}  // namespace aikmock::client
