#include "certs/aik_certificate_profile.hpp"

#include <chrono>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/oids.hpp"

namespace aikmock::certs {

namespace {
constexpr const char* id_qt_unotice = "1.3.6.1.5.5.7.2.2";

bytes aik_certificate_policies() {
  auto notice = der::sequence({der::bmp_string(aik_policy_notice)});
  auto qualifier = der::sequence({der::oid(id_qt_unotice), notice});
  return der::sequence({der::sequence({der::oid(oids::enroll_ekverifycert), der::sequence({qualifier})})});
}

std::chrono::system_clock::time_point not_after_of(X509* ca) {
  std::tm tm{};
  openssl_check(ASN1_TIME_to_tm(X509_get0_notAfter(ca), &tm) == 1, "ASN1_TIME_to_tm");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}
}  // namespace

x509_ptr issue_aik_certificate(EVP_PKEY* aik_public_key, const tpm_identity& tpm, X509* issuing_ca,
                               EVP_PKEY* issuing_ca_key, const issuer_links& links) {
  using namespace std::chrono_literals;
  // Backdated a little, for clients whose clock runs behind (a known Autopilot failure).
  const auto not_before = std::chrono::system_clock::now() - 1h;
  return certificate_builder(aik_public_key)
      .subject({})
      .validity(not_before, not_after_of(issuing_ca))
      .extension(NID_key_usage, "critical,digitalSignature")
      .extension(NID_basic_constraints, "critical,CA:FALSE")
      .extension_der("2.5.29.32", true, aik_certificate_policies())
      .extension(NID_ext_key_usage, oids::kp_aik_certificate)
      .subject_alt_dirname({{oids::tpm_manufacturer, tpm.manufacturer},
                            {oids::tpm_model, tpm.model},
                            {oids::tpm_version, tpm.version}},
                           true)
      .extension(NID_authority_key_identifier, "keyid:always")
      .extension(NID_subject_key_identifier, "hash")
      .links(links)
      .sign(issuing_ca, issuing_ca_key, EVP_sha256());
}

}  // namespace aikmock::certs
