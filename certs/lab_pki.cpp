#include "certs/lab_pki.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

#include "certs/aik_authority_profile.hpp"
#include "certs/certificate_builder.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/keys.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::certs {

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
constexpr auto year = std::chrono::hours(24 * 365);

// Vendor hierarchies modelled on the real ones (RSA root -> EK-issuing CA), with
// names that say plainly they are lab CAs.
struct vendor_model {
  const char* vendor;
  const char* organisation;
  const char* country;
  unsigned root_bits;
  unsigned issuing_bits;
  tpm_identity tpm;
};

const vendor_model vendor_models[] = {
    {"IFX", "aikmock lab (Infineon-like)", "DE", 4096, 2048, {"id:49465800", "SLB9672", "id:000F0017"}},
    {"STM", "aikmock lab (STMicroelectronics-like)", "CH", 4096, 3072, {"id:53544D20", "ST33KTPM2X", "id:00090100"}},
    {"NTC", "aikmock lab (Nuvoton-like)", "TW", 4096, 2048, {"id:4E544300", "NPCT75x", "id:00070002"}},
    {"INTC", "aikmock lab (Intel-like)", "US", 4096, 2048, {"id:494E5443", "PTT", "id:02F40001"}},
};

// The software EKs: every template the issue names, spread over the vendors; the
// STM H-6 one is the Lenovo X1 Carbon Gen 13 case (RSA-3072 EK, SHA-384 certificate).
struct ek_model {
  const char* id;
  const char* tpl;
  const char* vendor;
};

const ek_model ek_models[] = {
    {"ifx-l1", "L-1", "IFX"}, {"ifx-l2", "L-2", "IFX"}, {"stm-h1", "H-1", "STM"}, {"stm-h6", "H-6", "STM"},
    {"ntc-h2", "H-2", "NTC"}, {"ntc-h3", "H-3", "NTC"}, {"intc-h7", "H-7", "INTC"},
};

auto since_yesterday() { return std::chrono::system_clock::now() - 24h; }

evp_pkey_ptr ek_key_for(const tpm::ek_template& t) {
  if (t.key_type == tpm::ek_key_type::rsa) return generate_rsa_key(t.rsa_key_bits);
  switch (t.curve) {
    case tpm::curve::nist_p256: return generate_ec_key("P-256");
    case tpm::curve::nist_p384: return generate_ec_key("P-384");
    case tpm::curve::nist_p521: return generate_ec_key("P-521");
    default: throw std::invalid_argument(std::string("the lab cannot make an EK for template ") + std::string(t.id));
  }
}

// RSA-3072 and P-384 EK certificates are signed with SHA-384, as on the Lenovo
// case; the others with SHA-256.
const EVP_MD* ek_certificate_digest(const tpm::ek_template& t) {
  bool high = (t.key_type == tpm::ek_key_type::rsa && t.rsa_key_bits == 3072) ||
              (t.key_type == tpm::ek_key_type::ecc && t.curve == tpm::curve::nist_p384);
  return high ? EVP_sha384() : EVP_sha256();
}

class lab_writer;
std::string own_crl_url(const lab_writer& w, const std::string& common_name);

class lab_writer {
 public:
  explicit lab_writer(const lab_options& o) : o_(o) { m_.dir = o.out; m_.domain = o.domain; m_.public_url = o.public_url; }

  key_pair_files save(const std::string& stem, X509* cert, EVP_PKEY* key) {
    key_pair_files f{stem + ".pem", stem + ".key"};
    save_certificate_pem(m_.path_of(f.certificate), cert);
    save_private_key(m_.path_of(f.private_key), key);
    return f;
  }

  void say(const std::string& line) const {
    if (o_.progress) o_.progress(line);
  }

  lab_manifest& manifest() { return m_; }
  const lab_manifest& manifest() const { return m_; }

 private:
  const lab_options& o_;
  lab_manifest m_;
};

// A root's CRL distribution point, to its own CRL: a chain engine that checks
// every certificate of a chain (openssl verify -crl_check_all) checks the root too.
std::string own_crl_url(const lab_writer& w, const std::string& common_name) {
  return publication{w.manifest().public_url}.crl_url(published_name(common_name));
}

void make_tls(lab_writer& w, tls_key_type type) {
  const bool rsa = type == tls_key_type::rsa2048;
  auto root_key = rsa ? generate_rsa_key(4096) : generate_ec_key("P-384");
  const std::string root_cn = "aikmock lab TLS Root CA";
  auto root = certificate_builder(root_key.get())
                  .subject({{"O", "aikmock lab"}, {"CN", root_cn}})
                  .validity(since_yesterday(), since_yesterday() + 25 * year)
                  .extension(NID_key_usage, "critical,keyCertSign,cRLSign")
                  .extension(NID_basic_constraints, "critical,CA:TRUE")
                  .extension(NID_subject_key_identifier, "hash")
                  .extension(NID_crl_distribution_points, "URI:" + own_crl_url(w, root_cn))
                  .sign(nullptr, root_key.get(), EVP_sha384());
  auto root_files = w.save("tls/root", root.get(), root_key.get());

  const std::string& domain = w.manifest().domain;
  auto key = rsa ? generate_rsa_key(2048) : generate_ec_key("P-256");
  auto cert = certificate_builder(key.get())
                  .subject({{"O", "aikmock lab"}, {"CN", "*." + domain}})
                  .validity(since_yesterday(), since_yesterday() + 2 * year)
                  .extension(NID_key_usage, rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature")
                  .extension(NID_ext_key_usage, "serverAuth")
                  .extension(NID_basic_constraints, "critical,CA:FALSE")
                  .extension(NID_subject_alt_name,
                             "DNS:*." + domain + ",DNS:" + domain + ",DNS:localhost,IP:127.0.0.1,IP:::1")
                  .extension(NID_subject_key_identifier, "hash")
                  .extension(NID_authority_key_identifier, "keyid:always")
                  .links(publication{w.manifest().public_url}.links_to(root.get()))
                  .sign(root.get(), root_key.get(), EVP_sha384());
  auto files = w.save("tls/server", cert.get(), key.get());
  w.manifest().tls_root = root_files.certificate;
  w.manifest().tls_server = files;
  w.say(std::string("made TLS root and ") + (rsa ? "RSA-2048" : "P-256") + " server certificate for *." + domain);
}

struct vendor_ca {
  x509_ptr issuing;
  evp_pkey_ptr issuing_key;
};

vendor_ca make_vendor(lab_writer& w, const vendor_model& v) {
  auto& m = w.manifest();
  const std::string vendor = v.vendor;
  auto root_key = generate_rsa_key(v.root_bits);
  const std::string root_cn = "aikmock " + vendor + " TPM EK Root CA";
  auto root = certificate_builder(root_key.get())
                  .subject({{"C", v.country}, {"O", v.organisation}, {"CN", root_cn}})
                  .validity(since_yesterday(), since_yesterday() + 30 * year)
                  .extension(NID_key_usage, "critical,keyCertSign,cRLSign")
                  .extension(NID_basic_constraints, "critical,CA:TRUE")
                  .extension(NID_subject_key_identifier, "hash")
                  .extension(NID_crl_distribution_points, "URI:" + own_crl_url(w, root_cn))
                  .sign(nullptr, root_key.get(), EVP_sha384());

  vendor_ca ca;
  ca.issuing_key = generate_rsa_key(v.issuing_bits);
  ca.issuing = certificate_builder(ca.issuing_key.get())
                   .subject({{"C", v.country},
                             {"O", v.organisation},
                             {"CN", "aikmock " + vendor + " TPM EK Intermediate CA 01"}})
                   .validity(since_yesterday(), since_yesterday() + 25 * year)
                   .extension(NID_key_usage, "critical,keyCertSign,cRLSign")
                   .extension(NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
                   .extension(NID_subject_key_identifier, "hash")
                   .extension(NID_authority_key_identifier, "keyid:always")
                   .links(publication{m.public_url}.links_to(root.get()))
                   .sign(root.get(), root_key.get(), EVP_sha384());

  // Certificates go into the trust store in the TrustedTPM layout; keys beside it.
  const std::string trust = m.trust_store + "/" + vendor;
  lab_vendor lv;
  lv.vendor = vendor;
  lv.manufacturer = v.tpm.manufacturer;
  lv.root_ca = {trust + "/RootCA/" + vendor + "-root-ca.pem", "vendor-keys/" + vendor + "/root-ca.key"};
  lv.ek_issuing_ca = {trust + "/IntermediateCA/" + vendor + "-ek-ca-01.pem", "vendor-keys/" + vendor + "/ek-ca-01.key"};
  save_certificate_pem(m.path_of(lv.root_ca.certificate), root.get());
  save_private_key(m.path_of(lv.root_ca.private_key), root_key.get());
  save_certificate_pem(m.path_of(lv.ek_issuing_ca.certificate), ca.issuing.get());
  save_private_key(m.path_of(lv.ek_issuing_ca.private_key), ca.issuing_key.get());
  m.vendors.push_back(lv);
  w.say("made " + vendor + " TPM vendor root and EK-issuing CA");
  return ca;
}

void make_authority(lab_writer& w, const lab_vendor& v, X509* ek_ca, X509* aik_root, EVP_PKEY* aik_root_key) {
  auto& m = w.manifest();
  const std::string key_id = to_hex(key_identifier(ek_ca));
  auto minted = mint_authority(aik_root, aik_root_key, v.vendor, key_id, publication{m.public_url});

  lab_authority a;
  a.name = authority_name(v.vendor, key_id);
  a.vendor = v.vendor;
  a.key_id = key_id;
  a.name_id = to_hex(subject_name_hash_sha1(ek_ca));
  a.ek_issuing_ca = v.ek_issuing_ca.certificate;
  const std::string dir = "authorities/" + a.name + "/";
  a.issuing_ca = w.save(dir + "issuing-ca", minted.issuing_ca.get(), minted.issuing_ca_key.get());
  a.ra_signing = w.save(dir + "ra-signing", minted.ra_signing.get(), minted.ra_signing_key.get());
  a.ra_encryption = w.save(dir + "ra-encryption", minted.ra_encryption.get(), minted.ra_encryption_key.get());
  m.authorities.push_back(a);
  w.say("made authority " + a.name + " (" + issuing_ca_common_name(v.vendor, key_id) + ")");
}

void make_ek(lab_writer& w, const ek_model& e, const vendor_model& vm, const vendor_ca& ca) {
  auto& m = w.manifest();
  const tpm::ek_template* t = tpm::find_ek_template(e.tpl);
  if (!t) throw std::logic_error(std::string("no EK template ") + e.tpl);
  auto key = ek_key_for(*t);
  auto cert = make_ek_certificate(key.get(), ca.issuing.get(), ca.issuing_key.get(), vm.tpm, ek_certificate_digest(*t),
                                  publication{m.public_url}.links_to(ca.issuing.get()));
  auto public_area = tpm::marshal_public2b(tpm::ek_public_from_key(*t, key.get()));

  lab_ek ek;
  ek.id = e.id;
  ek.tpl = t->id;
  ek.vendor = e.vendor;
  for (const auto& a : m.authorities)
    if (a.vendor == ek.vendor) ek.authority = a.name;
  char nv[16];
  std::snprintf(nv, sizeof nv, "0x%08x", t->cert_nv_index);
  ek.nv_index = nv;
  const std::string dir = "eks/" + ek.id + "/";
  ek.certificate = dir + "ek-cert.der";
  ek.private_key = dir + "ek.key";
  ek.public_area = dir + "ek.pub";
  save_certificate_der(m.path_of(ek.certificate), cert.get());
  save_certificate_pem(m.path_of(dir + "ek-cert.pem"), cert.get());
  save_private_key(m.path_of(ek.private_key), key.get());
  write_file(m.path_of(ek.public_area), public_area, 0644);
  m.eks.push_back(ek);
  w.say("made software EK " + ek.id + " (template " + ek.tpl + ")");
}

}  // namespace

lab_manifest create_lab_pki(const lab_options& options) {
  if (fs::exists(options.out / "manifest.json"))
    throw std::runtime_error(options.out.string() + " already holds a lab (manifest.json); choose another --out");
  fs::create_directories(options.out);

  lab_writer w(options);
  auto& m = w.manifest();
  m.trust_store = "trust";

  make_tls(w, options.tls_key);

  bytes sealing(32);
  openssl_check(RAND_bytes(sealing.data(), static_cast<int>(sealing.size())) == 1, "RAND_bytes");
  m.sealing_key = "sealing.key";
  std::string sealing_hex = to_hex(sealing) + "\n";
  write_file(m.path_of(m.sealing_key), as_bytes(sealing_hex), 0600);
  OPENSSL_cleanse(sealing.data(), sealing.size());
  OPENSSL_cleanse(sealing_hex.data(), sealing_hex.size());

  auto aik_root_key = generate_rsa_key(4096);
  auto aik_root = make_aik_root(aik_root_key.get(), publication{m.public_url});
  m.aik_root = w.save("aik/root", aik_root.get(), aik_root_key.get());
  w.say("made AIK root: aikmock TPM Root Certificate Authority");

  for (const auto& vm : vendor_models) {
    auto ca = make_vendor(w, vm);
    make_authority(w, m.vendors.back(), ca.issuing.get(), aik_root.get(), aik_root_key.get());
    for (const auto& e : ek_models)
      if (std::string_view(e.vendor) == vm.vendor) make_ek(w, e, vm, ca);
  }

  save_lab_manifest(m);
  w.say("wrote " + (options.out / "manifest.json").string());
  return m;
}

}  // namespace aikmock::certs
