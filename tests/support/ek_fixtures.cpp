#include "tests/support/ek_fixtures.hpp"

#include <openssl/evp.h>

#include <map>
#include <random>
#include <stdexcept>

#include "certs/der.hpp"
#include "certs/ek_der_reader.hpp"
#include "certs/keys.hpp"
#include "certs/pem.hpp"
#include "common/files.hpp"

namespace aikmock::ek_test {

namespace der = certs::der;

EVP_PKEY* rsa_key(unsigned bits, int slot) {
  static std::map<std::pair<unsigned, int>, evp_pkey_ptr> cache;
  auto& k = cache[{bits, slot}];
  if (!k) k = certs::generate_rsa_key(bits);
  return k.get();
}

EVP_PKEY* ec_key(const std::string& curve, int slot) {
  static std::map<std::pair<std::string, int>, evp_pkey_ptr> cache;
  auto& k = cache[{curve, slot}];
  if (!k) k = certs::generate_ec_key(curve);
  return k.get();
}

std::chrono::system_clock::time_point days_from_now(int days) {
  return std::chrono::system_clock::now() + std::chrono::hours(24) * days;
}

ca make_root(const std::string& common_name, int key_slot) {
  ca out;
  out.key = rsa_key(2048, key_slot);
  out.cert = certs::certificate_builder(out.key)
                 .subject({{"C", "DE"}, {"O", "ek fixtures"}, {"CN", common_name}})
                 .validity(days_from_now(-3650), days_from_now(3650))
                 .extension(NID_basic_constraints, "critical,CA:TRUE")
                 .extension(NID_key_usage, "critical,keyCertSign,cRLSign")
                 .extension(NID_subject_key_identifier, "hash")
                 .sign(nullptr, out.key, EVP_sha256());
  return out;
}

ca make_intermediate(const std::string& common_name, const ca& issuer, int key_slot,
                     std::optional<std::pair<clock_point, clock_point>> validity) {
  ca out;
  out.key = rsa_key(2048, key_slot);
  auto [from, to] = validity.value_or(std::pair{days_from_now(-3000), days_from_now(3000)});
  out.cert = certs::certificate_builder(out.key)
                 .subject({{"C", "DE"}, {"O", "ek fixtures"}, {"CN", common_name}})
                 .validity(from, to)
                 .extension(NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
                 .extension(NID_key_usage, "critical,keyCertSign,cRLSign")
                 .extension(NID_subject_key_identifier, "hash")
                 .extension(NID_authority_key_identifier, "keyid:always")
                 .sign(issuer.cert.get(), issuer.key, EVP_sha256());
  return out;
}

x509_ptr make_ek(EVP_PKEY* ek_key, const ca& issuer, const ek_options& o) {
  const bool rsa = EVP_PKEY_get_base_id(ek_key) == EVP_PKEY_RSA;
  auto [from, to] = o.validity.value_or(std::pair{days_from_now(-1), days_from_now(3650)});
  const std::string ku = !o.key_usage.empty() ? o.key_usage : rsa ? "critical,keyEncipherment" : "critical,keyAgreement";
  certs::certificate_builder b(ek_key);
  b.subject(o.subject)
      .validity(from, to)
      .extension(NID_authority_key_identifier, "keyid:always")
      .extension(NID_basic_constraints, "critical,CA:FALSE")
      .extension(NID_key_usage, ku)
      .extension(NID_ext_key_usage, "2.23.133.8.1")
      .subject_alt_dirname({{"2.23.133.2.1", test_tpm.manufacturer},
                            {"2.23.133.2.2", test_tpm.model},
                            {"2.23.133.2.3", test_tpm.version}},
                           o.san_critical);
  const auto spec = der::sequence({der::utf8_string("2.0"), der::integer(0), der::integer(164)});
  b.extension_der("2.5.29.9", false, der::sequence({der::sequence({der::oid("2.23.133.2.16"), der::set({spec})})}));
  if (o.extra_critical_extension_oid) b.extension_der(*o.extra_critical_extension_oid, true, der::null());
  return b.sign(issuer.cert.get(), issuer.key, EVP_sha256());
}

bytes der_of(X509* cert) { return certs::certificate_der(cert); }

namespace {
std::vector<certs::der_tlv> certificate_parts(byte_view certificate_der) {
  auto outer = certs::read_der_tlv(certificate_der);
  if (!outer) throw std::invalid_argument("not DER");
  auto parts = certs::read_der_children(outer->content);
  if (!parts || parts->size() != 3) throw std::invalid_argument("not a certificate");
  return *parts;
}

bytes concat(const std::vector<bytes>& items) {
  bytes out;
  for (const auto& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}
}  // namespace

std::vector<bytes> tbs_fields(byte_view certificate_der) {
  auto parts = certificate_parts(certificate_der);
  auto fields = certs::read_der_children(parts[0].content);
  if (!fields) throw std::invalid_argument("bad TBSCertificate");
  std::vector<bytes> out;
  for (const auto& f : *fields) out.emplace_back(f.encoding.begin(), f.encoding.end());
  return out;
}

bytes resign(const std::vector<bytes>& fields, EVP_PKEY* rsa_ca_key) {
  const bytes tbs = der::tlv(0x30, concat(fields));
  std::unique_ptr<EVP_MD_CTX, aikmock::openssl_deleter<EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  openssl_check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, rsa_ca_key) == 1, "EVP_DigestSignInit");
  std::size_t len = 0;
  openssl_check(EVP_DigestSign(ctx.get(), nullptr, &len, tbs.data(), tbs.size()) == 1, "EVP_DigestSign");
  bytes sig(len + 1, 0);  // leading 0: no unused bits in the BIT STRING
  openssl_check(EVP_DigestSign(ctx.get(), sig.data() + 1, &len, tbs.data(), tbs.size()) == 1, "EVP_DigestSign");
  sig.resize(len + 1);
  const bytes algorithm = der::sequence({der::oid("1.2.840.113549.1.1.11"), der::null()});
  return der::sequence({tbs, algorithm, der::tlv(0x03, sig)});
}

bytes oaep_spki(EVP_PKEY* rsa) {
  unsigned char* pkcs1 = nullptr;
  const int n = i2d_PublicKey(rsa, &pkcs1);
  openssl_check(n > 0, "i2d_PublicKey");
  bytes key(1, 0);
  key.insert(key.end(), pkcs1, pkcs1 + n);
  OPENSSL_free(pkcs1);
  const bytes tcpa_label = der::context(
      2, der::sequence({der::oid("1.2.840.113549.1.1.9"), der::octet_string(as_bytes("TCPA"))}));
  const bytes algorithm = der::sequence({der::oid("1.2.840.113549.1.1.7"), der::sequence({tcpa_label})});
  return der::sequence({algorithm, der::tlv(0x03, key)});
}

bytes flip_signature_byte(byte_view certificate_der) {
  bytes out(certificate_der.begin(), certificate_der.end());
  out[out.size() - 10] ^= 0x01;  // inside the signature BIT STRING, the last field
  return out;
}

temp_dir::temp_dir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("aikmock-ek-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_trust_file(const std::filesystem::path& dir, const std::string& vendor, bool root, const std::string& file,
                      X509* cert, bool der) {
  const auto folder = dir / vendor / (root ? "RootCA" : "IntermediateCA");
  std::filesystem::create_directories(folder);
  if (der)
    certs::save_certificate_der(folder / file, cert);
  else
    certs::save_certificate_pem(folder / file, cert);
}

}  // namespace aikmock::ek_test
