#pragma once
// `--tpm KIND:ARG`: which TPM the reference client enrolls with.
//   soft:DIR     a lab software EK (DIR holds ek-cert.der, ek.key, ek.pub, as
//                `aikmock pki init` writes them under eks/<id>/) and a software AIK;
//   tcti:STRING  a real TPM through tpm2-tss (client/tss_tpm.hpp): STRING is a
//                TCTI configuration such as device:/dev/tpmrm0 or
//                swtpm:host=127.0.0.1,port=2321 (builds with AIKMOCK_TSS).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/tpm_backend.hpp"
#include "tpm/constants.hpp"

namespace aikmock::client {

struct tpm_backend_options {
  std::optional<std::uint32_t> ek_index;            // tcti: the EK certificate's NV index (--ek-index)
  std::optional<std::chrono::milliseconds> timeout;  // tcti: the bound on each TPM step (--tpm-timeout)
  tpm::alg_id aik_type = tpm::alg::rsa;  // --aik-type: alg::rsa or alg::ecc
};

struct opened_tpm {
  std::unique_ptr<client::tpm_backend> backend;
  std::string description;  // the spec, for the report
};

// Whether this build has the tcti: back end.
bool has_tss_backend() noexcept;

// Throws std::invalid_argument for a spec of no known kind or an option the
// kind does not take, std::runtime_error naming the file of a soft: back end
// that does not load. A tcti: back end connects on first use.
opened_tpm open_tpm_backend(std::string_view spec, const tpm_backend_options& options = {});

}  // namespace aikmock::client
