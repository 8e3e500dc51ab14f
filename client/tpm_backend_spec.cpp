#include "client/tpm_backend_spec.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "client/soft/soft_tpm.hpp"
#ifdef AIKMOCK_HAVE_TSS
#include "client/tss_tpm.hpp"
#endif

namespace aikmock::client {

bool has_tss_backend() noexcept {
#ifdef AIKMOCK_HAVE_TSS
  return true;
#else
  return false;
#endif
}

opened_tpm open_tpm_backend(std::string_view spec, const tpm_backend_options& options) {
  const auto colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const std::string arg(colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1));
  if (kind == "soft") {
    if (arg.empty()) throw std::invalid_argument("--tpm soft:DIR needs the directory of a lab EK (e.g. lab/eks/ifx-l1)");
    if (options.ek_index) throw std::invalid_argument("--ek-index is for a real TPM (--tpm tcti:…); soft:DIR has one EK");
    if (options.timeout) throw std::invalid_argument("--tpm-timeout is for a real TPM (--tpm tcti:…)");
    if (!std::filesystem::is_directory(arg)) throw std::runtime_error("not a directory: " + arg);
    return {std::make_unique<client::soft_tpm>(client::soft_tpm::from_directory(arg, options.aik_type)),
            std::string(spec)};
  }
  if (kind == "tcti") {
    if (arg.empty())
      throw std::invalid_argument("--tpm tcti:STRING needs a TCTI, e.g. tcti:device:/dev/tpmrm0 or "
                                  "tcti:swtpm:host=127.0.0.1,port=2321");
#ifdef AIKMOCK_HAVE_TSS
    return {std::make_unique<tss_tpm>(arg, options.ek_index, options.timeout.value_or(tss_tpm::default_timeout),
                                      options.aik_type),
            std::string(spec)};
#else
    throw std::invalid_argument("this aikmock was built without tpm2-tss (AIKMOCK_TSS=OFF): no tcti: back end");
#endif
  }
  throw std::invalid_argument("unknown TPM back end \"" + std::string(spec) + "\"; use --tpm soft:DIR or --tpm tcti:STRING");
}

}  // namespace aikmock::client
