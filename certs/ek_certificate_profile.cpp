#include "certs/ek_certificate_profile.hpp"

#include <chrono>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/oids.hpp"

namespace aikmock::certs {

namespace {
// subjectDirectoryAttributes { tcg-at-tpmSpecification { family "2.0", level 0, revision 164 } }
bytes tpm_specification_attributes() {
  auto spec = der::sequence({der::utf8_string("2.0"), der::integer(0), der::integer(164)});
  return der::sequence({der::sequence({der::oid(oids::tpm_specification), der::set({spec})})});
}
}  // namespace

x509_ptr make_ek_certificate(EVP_PKEY* ek_key, X509* ca, EVP_PKEY* ca_key, const tpm_identity& tpm,
                             const EVP_MD* digest, const std::optional<issuer_links>& links) {
  using namespace std::chrono_literals;
  const bool rsa = EVP_PKEY_get_base_id(ek_key) == EVP_PKEY_RSA;
  const auto not_before = std::chrono::system_clock::now() - 24h;
  // EK certificates live as long as the TPM; vendors use decades.
  const auto not_after = not_before + std::chrono::hours(24 * 365 * 20);

  certificate_builder b(ek_key);
  b.subject({})
      .validity(not_before, not_after)
      .extension(NID_authority_key_identifier, "keyid:always")
      .extension(NID_basic_constraints, "critical,CA:FALSE")
      .extension(NID_key_usage, rsa ? "critical,keyEncipherment" : "critical,keyAgreement")
      .extension(NID_ext_key_usage, oids::kp_ek_certificate)
      .subject_alt_dirname({{oids::tpm_manufacturer, tpm.manufacturer},
                            {oids::tpm_model, tpm.model},
                            {oids::tpm_version, tpm.version}},
                           true)
      .extension_der("2.5.29.9", false, tpm_specification_attributes());
  if (links) b.links(*links);
  return b.sign(ca, ca_key, digest);
}

}  // namespace aikmock::certs
