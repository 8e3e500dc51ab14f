#include "tpm/signature.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "tpm/buffer_limits.hpp"
#include "tpm/describe.hpp"

namespace aikmock::tpm {

namespace {

bool is_rsa_scheme(alg_id scheme) { return scheme == alg::rsassa || scheme == alg::rsapss; }

}  // namespace

void write_signature(writer& out, const tpmt_signature& signature) {
  if (!is_rsa_scheme(signature.sig_alg) && signature.sig_alg != alg::ecdsa) {
    throw std::invalid_argument("TPMT_SIGNATURE: cannot marshal scheme " + describe_alg(signature.sig_alg));
  }
  out.u16(signature.sig_alg).u16(signature.hash);
  if (is_rsa_scheme(signature.sig_alg)) {
    write_tpm2b_bounded(out, "TPMT_SIGNATURE", signature.rsa_signature, max_rsa_signature_size, "signature.rsa.sig");
  } else {
    write_tpm2b_bounded(out, "TPMT_SIGNATURE", signature.ecdsa_r, max_ecc_parameter_size, "signature.ecdsa.signatureR");
    write_tpm2b_bounded(out, "TPMT_SIGNATURE", signature.ecdsa_s, max_ecc_parameter_size, "signature.ecdsa.signatureS");
  }
}

bytes marshal_signature(const tpmt_signature& signature) {
  writer out;
  write_signature(out, signature);
  return std::move(out).take();
}

std::optional<tpmt_signature> read_signature(reader& in) {
  tpmt_signature signature;
  auto sig_alg = in.u16("TPMT_SIGNATURE.sigAlg");
  if (!sig_alg) return std::nullopt;
  if (*sig_alg == alg::null) {
    in.reject("TPMT_SIGNATURE.sigAlg", "NULL: the TPM produced no signature");
    return std::nullopt;
  }
  if (!is_rsa_scheme(*sig_alg) && *sig_alg != alg::ecdsa) {
    in.reject("TPMT_SIGNATURE.sigAlg", "unsupported signature scheme " + describe_alg(*sig_alg));
    return std::nullopt;
  }
  signature.sig_alg = *sig_alg;
  if (is_rsa_scheme(*sig_alg)) {
    auto hash = in.u16("TPMT_SIGNATURE.signature.rsa.hash");
    if (!hash) return std::nullopt;
    signature.hash = *hash;
    if (!read_tpm2b_into(in, "TPMT_SIGNATURE.signature.rsa.sig", max_rsa_signature_size, signature.rsa_signature)) {
      return std::nullopt;
    }
  } else {
    auto hash = in.u16("TPMT_SIGNATURE.signature.ecdsa.hash");
    if (!hash) return std::nullopt;
    signature.hash = *hash;
    if (!read_tpm2b_into(in, "TPMT_SIGNATURE.signature.ecdsa.signatureR", max_ecc_parameter_size, signature.ecdsa_r) ||
        !read_tpm2b_into(in, "TPMT_SIGNATURE.signature.ecdsa.signatureS", max_ecc_parameter_size, signature.ecdsa_s)) {
      return std::nullopt;
    }
  }
  return signature;
}

parse_result<tpmt_signature> parse_signature(byte_view data) {
  reader in(data);
  auto signature = read_signature(in);
  if (signature) in.expect_end("TPMT_SIGNATURE");
  return finish_parse(in, std::move(signature), "TPMT_SIGNATURE");
}

}  // namespace aikmock::tpm
