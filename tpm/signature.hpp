#pragma once
// TPMT_SIGNATURE: a TPM's signature, as TPM2_Certify, TPM2_CertifyCreation
// and TPM2_Quote return it (tpm2-tools writes it with --format=tss, the
// default).
//
//   TPMI_ALG_SIG_SCHEME sigAlg | RSASSA, RSAPSS: TPMI_ALG_HASH hash | TPM2B_PUBLIC_KEY_RSA sig
//                              | ECDSA:         TPMI_ALG_HASH hash | TPM2B_ECC_PARAMETER r | s
//
// Only the schemes an AIK may sign with are parsed. NULL (a TPM's "no
// signature") and every other scheme are rejected: nothing here could verify
// them.
#include <optional>

#include "common/bytes.hpp"
#include "tpm/constants.hpp"
#include "tpm/marshal.hpp"
#include "tpm/parse_result.hpp"

namespace aikmock::tpm {

struct tpmt_signature {
  alg_id sig_alg = alg::null;  // alg::rsassa, alg::rsapss or alg::ecdsa
  alg_id hash = alg::null;     // as sent; whether it is acceptable is the verifier's call
  bytes rsa_signature;         // RSASSA / RSAPSS
  bytes ecdsa_r;               // ECDSA, big-endian, possibly without leading zeros
  bytes ecdsa_s;
  bool operator==(const tpmt_signature&) const = default;
};

// Throws std::invalid_argument for a scheme other than RSASSA, RSAPSS and
// ECDSA or a buffer above its cap: only a programming error builds such a
// signature.
void write_signature(writer& out, const tpmt_signature& signature);
bytes marshal_signature(const tpmt_signature& signature);

std::optional<tpmt_signature> read_signature(reader& in);
// A bare TPMT_SIGNATURE; trailing bytes are an error.
parse_result<tpmt_signature> parse_signature(byte_view data);

}  // namespace aikmock::tpm
