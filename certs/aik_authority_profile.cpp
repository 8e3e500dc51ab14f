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

// BasicConstraints with nothing in it: not a CA, the RA certificates' form.
bytes empty_basic_constraints() { return der::sequence({}); }

std::string subject_cn(X509* cert) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}
}  // namespace

std::string publication::certificate_url(const std::string& name) const { return base + "/aia/" + name + ".crt"; }
std::string publication::crl_url(const std::string& name) const { return base + "/crl/" + name + ".crl"; }

issuer_links publication::links_to(X509* issuer) const {
  const std::string name = published_name(issuer);
  return {certificate_url(name), crl_url(name)};
}

std::string published_name(std::string_view common_name) {
  std::string out;
  for (char c : common_name) out += (c == ' ' || c == '/' || c == '\\' || c == '"') ? '-' : c;
  return to_lower(out);
}

std::string published_name(X509* ca) { return published_name(subject_cn(ca)); }

std::string authority_name(const std::string& vendor, const std::string& key_id_hex) {
  return to_upper(vendor) + "-KeyId-" + to_lower(key_id_hex);
}

std::string issuing_ca_common_name(const std::string& vendor, const std::string& key_id_hex) {
  return "EUS-" + to_upper(vendor) + "-KEYID-" + to_upper(key_id_hex);
}

x509_ptr make_aik_root(EVP_PKEY* key, const publication& urls) {
  return certificate_builder(key)
      .subject({{"C", "US"}, {"O", "aikmock lab"}, {"CN", aik_root_common_name}})
      .validity(since_yesterday(), since_yesterday() + 25 * year)
      .extension(NID_key_usage, "digitalSignature,keyCertSign,cRLSign")
      .extension(NID_basic_constraints, "critical,CA:TRUE")
      .extension(NID_subject_key_identifier, "hash")
      .extension_der(oids::certsrv_ca_version, false, der::integer(0))
      .extension(NID_crl_distribution_points, "URI:" + urls.crl_url(published_name(aik_root_common_name)))
      .sign(nullptr, key, EVP_sha256());
}

minted_authority mint_authority(X509* aik_root, EVP_PKEY* aik_root_key, const std::string& vendor,
                                const std::string& key_id_hex, const publication& urls) {
  minted_authority a;
  const auto not_before = since_yesterday();
  const auto not_after = not_before + 10 * year;
  const std::string eku = std::string(oids::kp_privacy_ca) + "," + oids::kp_aik_certificate;
  const std::string root_name = published_name(aik_root);

  // The real issuing CA's eight extensions, in their order; cRLSign added, so
  // that the CRL it signs for the RA and AIK certificates is one a chain
  // engine accepts (docs/windows-lab.md).
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
                     .extension(NID_crl_distribution_points, "URI:" + urls.crl_url(root_name))
                     .extension(NID_info_access, "caIssuers;URI:" + urls.certificate_url(root_name))
                     .sign(aik_root, aik_root_key, EVP_sha256());

  // The RA certificates: picked by CN, an empty critical basicConstraints, and
  // (for the exchange certificate) the privacy-CA EKU; AIA to their issuing CA,
  // and (not on the real ones) a CRL distribution point before it.
  const std::string ca_name = published_name(a.issuing_ca.get());
  const std::string ca_url = urls.certificate_url(ca_name);
  a.ra_signing_key = generate_rsa_key(2048);
  a.ra_signing = certificate_builder(a.ra_signing_key.get())
                     .subject({{"CN", ra_signing_common_name}})
                     .validity(not_before, not_after)
                     .extension(NID_key_usage, "critical,digitalSignature")
                     .extension_der("2.5.29.19", true, empty_basic_constraints())
                     .extension(NID_authority_key_identifier, "keyid:always")
                     .extension(NID_subject_key_identifier, "hash")
                     .extension(NID_crl_distribution_points, "URI:" + urls.crl_url(ca_name))
                     .extension(NID_info_access, "caIssuers;URI:" + ca_url)
                     .sign(a.issuing_ca.get(), a.issuing_ca_key.get(), EVP_sha256());

  a.ra_encryption_key = generate_rsa_key(2048);
  a.ra_encryption = certificate_builder(a.ra_encryption_key.get())
                        .subject({{"CN", ra_encryption_common_name}})
                        .validity(not_before, not_after)
                        .extension(NID_key_usage, "critical,keyEncipherment")
                        .extension_der("2.5.29.19", true, empty_basic_constraints())
                        .extension(NID_ext_key_usage, oids::kp_privacy_ca)
                        .extension(NID_authority_key_identifier, "keyid:always")
                        .extension(NID_subject_key_identifier, "hash")
                        .extension(NID_crl_distribution_points, "URI:" + urls.crl_url(ca_name))
                        .extension(NID_info_access, "caIssuers;URI:" + ca_url)
                        .sign(a.issuing_ca.get(), a.issuing_ca_key.get(), EVP_sha256());
  return a;
}

}  // namespace aikmock::certs
