#pragma once
// `--tpm KIND:ARG`: which TPM the reference client enrolls with.
//   soft:DIR   a lab software EK (DIR holds ek-cert.der, ek.key, ek.pub, as
//              `aikmock pki init` writes them under eks/<id>/) and a software AIK.
// A real TPM (tpm2-tss, a tcti such as device:/dev/tpmrm0 or swtpm) is a
// later back end implementing protocol/client/tpm_backend.hpp; it gets its
// own KIND here.
#include <memory>
#include <string_view>

#include "protocol/client/tpm_backend.hpp"

namespace aikmock::client {

// Throws std::invalid_argument for a spec of no known kind, std::runtime_error
// naming the file for a back end that does not load.
std::unique_ptr<protocol::client::tpm_backend> open_tpm_backend(std::string_view spec);

}  // namespace aikmock::client
