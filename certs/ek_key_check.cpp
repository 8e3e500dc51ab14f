#include "certs/ek_key_check.hpp"

#include <openssl/err.h>

#include "tpm/public_key.hpp"

namespace aikmock::certs {

namespace {

// The certificate-side name of a template's curve, as ek_key_info::curve spells it.
std::string_view curve_name(tpm::ecc_curve_id curve) {
  switch (curve) {
    case tpm::curve::nist_p256: return "P-256";
    case tpm::curve::nist_p384: return "P-384";
    case tpm::curve::nist_p521: return "P-521";
    case tpm::curve::sm2_p256: return "SM2";
    default: return "unknown curve";
  }
}

std::string describe(const ek_key_info& key) {
  if (key.algorithm == ek_key_algorithm::rsa) return "RSA " + std::to_string(key.bits);
  return "ECC " + key.curve;
}

std::string describe(const tpm::ek_template& t) {
  if (t.key_type == tpm::ek_key_type::rsa) return "RSA " + std::to_string(t.rsa_key_bits);
  return "ECC " + std::string(curve_name(t.curve));
}

bool key_fits(const ek_key_info& key, const tpm::ek_template& t) {
  if (t.key_type == tpm::ek_key_type::rsa) return key.algorithm == ek_key_algorithm::rsa && key.bits == t.rsa_key_bits;
  return key.algorithm == ek_key_algorithm::ecc && key.curve == curve_name(t.curve);
}

void note(std::string& reason, const std::string& text) {
  if (reason.empty()) reason = text;
}

}  // namespace

ek_key_check check_ek_key(const ek_certificate& cert, const tpm::tpmt_public& ek_public,
                          const tpm::ek_template* claimed) noexcept try {
  ek_key_check out;
  auto area_key = tpm::public_key_from_public(ek_public);
  if (!area_key) {
    note(out.reason, "the EK public area holds no usable RSA or NIST ECC key");
  } else if (!cert.public_key || EVP_PKEY_eq(cert.public_key.get(), area_key.get()) != 1) {
    note(out.reason, "the EK public key is not the key in the EK certificate");
  } else {
    out.key_matches = true;
  }

  out.classification = tpm::classify_ek_public(ek_public);
  const tpm::ek_template* tmpl = claimed ? claimed : out.classification.match;
  if (!tmpl) {
    note(out.reason, "the EK public matches no TCG EK template: " + out.classification.reason);
  } else if (claimed && out.classification.match != claimed) {
    note(out.reason, "the EK public is " + std::string(out.classification.label()) + ", not the claimed template " +
                         std::string(claimed->id) +
                         (out.classification.reason.empty() ? "" : " (" + out.classification.reason + ")"));
  } else if (!key_fits(cert.key, *tmpl)) {
    note(out.reason, "the EK certificate holds " + describe(cert.key) + ", template " + std::string(tmpl->id) +
                         " makes " + describe(*tmpl));
  } else {
    out.fits_template = true;
  }
  ERR_clear_error();
  return out;
} catch (const std::exception& e) {
  ek_key_check failed;
  failed.reason = std::string("checking the EK key failed: ") + e.what();
  return failed;
}

}  // namespace aikmock::certs
