#include "certs/aik_authority_profile.hpp"

#include <chrono>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/keys.hpp"
#include "certs/oids.hpp"
#include "common/strings.hpp"

namespace aikmock::certs {

namespace {
using namespace std::chrono_literals;
constexpr auto year = std::chrono::hours(24 * 365);

// Backdated a day so that a client whose clock is a little behind still accepts them.
auto since_yesterday() { return std::chrono::system_clock::now() - 24h; }

bytes aik_policy_extension() {
  // certificatePolicies: { policyIdentifier szOID_ENROLL_EKVERIFYCERT }, as on the real issuing CA.
  return der::sequence({der::sequence({der::oid(oids::enroll_ekverifycert)})});
}
}  // namespace

std::string authority_name(const std::string& vendor, const std::string& key_id_hex) {
  return to_upper(vendor) + "-KeyId-" + to_lower(key_id_hex);
}

std::string issuing_ca_common_name(const std::string& vendor, const std::string& key_id_hex) {
  return "EUS-" + to_upper(vendor) + "-KEYID-" + to_upper(key_id_hex);
}

x509_ptr make_aik_root(EVP_PKEY* key) {
  return certificate_builder(key)
      .subject({{"C", "US"}, {"O", "aikmock lab"}, {"CN", "aikmock TPM Root Certificate Authority"}})
      .validity(since_yesterday(), since_yesterday() + 25 * year)
      .extension(NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign")
      .extension(NID_basic_constraints, "critical,CA:TRUE")
      .extension(NID_subject_key_identifier, "hash")
      .sign(nullptr, key, EVP_sha384());
}

minted_authority mint_authority(X509* aik_root, EVP_PKEY* aik_root_key, const std::string& vendor,
                                const std::string& key_id_hex) {
  minted_authority a;
  const auto not_before = since_yesterday();
  const auto not_after = not_before + 10 * year;
  const std::string eku = std::string(oids::kp_privacy_ca) + "," + oids::kp_aik_certificate;

  a.issuing_ca_key = generate_rsa_key(4096);
  a.issuing_ca = certificate_builder(a.issuing_ca_key.get())
                     .subject({{"CN", issuing_ca_common_name(vendor, key_id_hex)}})
                     .validity(not_before, not_after)
                     .extension(NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign")
                     .extension(NID_ext_key_usage, eku)
                     .extension_der("2.5.29.32", false, aik_policy_extension())
                     .extension(NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
                     .extension(NID_subject_key_identifier, "hash")
                     .extension(NID_authority_key_identifier, "keyid:always")
                     .sign(aik_root, aik_root_key, EVP_sha256());

  // The RA certificates carry only the privacy-CA EKU, which MS-WCCE accepts for the
  // exchange certificate and which stays inside the issuing CA's EKU set.
  const std::string name = authority_name(vendor, key_id_hex);
  a.ra_signing_key = generate_rsa_key(2048);
  a.ra_signing = certificate_builder(a.ra_signing_key.get())
                     .subject({{"O", "aikmock lab"}, {"CN", name + " SCEP RA Signing"}})
                     .validity(not_before, not_after)
                     .extension(NID_key_usage, "critical,digitalSignature")
                     .extension(NID_ext_key_usage, oids::kp_privacy_ca)
                     .extension(NID_basic_constraints, "critical,CA:FALSE")
                     .extension(NID_subject_key_identifier, "hash")
                     .extension(NID_authority_key_identifier, "keyid:always")
                     .sign(a.issuing_ca.get(), a.issuing_ca_key.get(), EVP_sha256());

  a.ra_encryption_key = generate_rsa_key(2048);
  a.ra_encryption = certificate_builder(a.ra_encryption_key.get())
                        .subject({{"O", "aikmock lab"}, {"CN", name + " SCEP RA Encryption"}})
                        .validity(not_before, not_after)
                        .extension(NID_key_usage, "critical,keyEncipherment,dataEncipherment")
                        .extension(NID_ext_key_usage, oids::kp_privacy_ca)
                        .extension(NID_basic_constraints, "critical,CA:FALSE")
                        .extension(NID_subject_key_identifier, "hash")
                        .extension(NID_authority_key_identifier, "keyid:always")
                        .sign(a.issuing_ca.get(), a.issuing_ca_key.get(), EVP_sha256());
  return a;
}

}  // namespace aikmock::certs
