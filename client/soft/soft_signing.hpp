#pragma once
// TPM2_Sign done in software with an OpenSSL key: the signature in the shape a
// TPM returns it (TPMT_SIGNATURE; ECDSA r and s padded to the curve size).
// For software TPM back ends and tests.
#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/signature.hpp"

namespace aikmock::client {

// sig_alg: alg::rsassa, alg::rsapss or alg::ecdsa. Throws std::runtime_error when OpenSSL fails.
tpm::tpmt_signature sign_like_tpm(EVP_PKEY* key, tpm::alg_id sig_alg, tpm::alg_id hash_alg, byte_view message);

}  // namespace aikmock::client
