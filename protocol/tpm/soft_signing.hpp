#pragma once
// TPM2_Sign done in software with an OpenSSL key: the signature in the shape a
// TPM returns it (TPMT_SIGNATURE; ECDSA r and s padded to the curve size).
// For software TPM back ends and tests.
#include <openssl/evp.h>

#include "common/bytes.hpp"
#include "protocol/tpm/constants.hpp"
#include "protocol/tpm/signature.hpp"

namespace aikmock::protocol::tpm {

// sig_alg: alg::rsassa, alg::rsapss or alg::ecdsa. Throws std::runtime_error when OpenSSL fails.
tpmt_signature sign_like_tpm(EVP_PKEY* key, alg_id sig_alg, alg_id hash_alg, byte_view message);

}  // namespace aikmock::protocol::tpm
