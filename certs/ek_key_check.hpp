#pragma once
// Does the EK a client presents (its TPMT_PUBLIC) belong to its EK certificate,
// and is it the key a TCG EK template makes? (The cross-checks of keylime's
// registrar, _check_key_against_cert; IBM's ACS picks the template
// from the key size.) MakeCredential is computed from the TPMT_PUBLIC, so a
// mismatch would have the TPM refuse, or worse, another key answer.
#include <string>

#include "certs/ek_certificate.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::certs {

struct ek_key_check {
  bool key_matches = false;    // the certificate's key is the TPMT_PUBLIC's key
  bool fits_template = false;  // the certificate's key type and size/curve are the template's
  tpm::classification classification;  // the template the TPMT_PUBLIC was made from
  std::string reason;          // the first problem; empty when both hold

  bool ok() const noexcept { return key_matches && fits_template; }
};

// `claimed`: a template the caller was told about; nullptr to use whatever
// template `ek_public` classifies as. Never throws for any `ek_public`.
ek_key_check check_ek_key(const ek_certificate& cert, const tpm::tpmt_public& ek_public,
                          const tpm::ek_template* claimed = nullptr) noexcept;

}  // namespace aikmock::certs
