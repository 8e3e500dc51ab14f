#pragma once
// An AIK made in software, with the creation proof a TPM would give for it
// (TPM2_Create's creation data, TPM2_CertifyCreation of the key by itself):
// the reference client's `soft:` back end and the exchange tests use it where
// no TPM is at hand.
#include "common/bytes.hpp"
#include "tpm/creation_proof.hpp"
#include "common/openssl.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::client {

struct soft_aik {
  evp_pkey_ptr key;
  tpm::tpmt_public public_area;  // aik_template (key_templates.hpp) with the key filled in
};

// key_type: alg::rsa (2048 bits) or alg::ecc (P-256). Throws std::runtime_error on OpenSSL failures.
soft_aik create_soft_aik(tpm::alg_id key_type);

// The idBinding a TPM would return, with `nonce` in the attestation's extraData.
tpm::aik_creation_proof certify_creation(const soft_aik& aik, byte_view nonce = {});

}  // namespace aikmock::client
