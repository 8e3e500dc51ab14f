// The lab PKI that `aikmock pki init` makes, checked certificate by certificate.
#include <doctest/doctest.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "certs/authority.hpp"
#include "certs/certificate_builder.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/lab_pki.hpp"
#include "certs/oids.hpp"
#include "certs/pem.hpp"
#include "certs/keys.hpp"
#include "certs/trust_store.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tpm/ek_template.hpp"

using namespace aikmock;
using namespace aikmock::certs;

namespace {

const lab_manifest& lab() {
  static const lab_manifest m = [] {
    load_openssl_providers();
    return load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  }();
  return m;
}

// Verifies `leaf` up to one of `roots`, with `untrusted` as path helpers; returns
// OpenSSL's verdict ("ok" or the reason).
std::string verify(X509* leaf, const std::vector<X509*>& roots, const std::vector<X509*>& untrusted = {}) {
  X509_STORE* store = X509_STORE_new();
  for (X509* r : roots) X509_STORE_add_cert(store, r);
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (X509* u : untrusted) sk_X509_push(chain, u);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, chain);
  int ok = X509_verify_cert(ctx);
  std::string verdict = ok == 1 ? "ok" : X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  X509_STORE_free(store);
  return verdict;
}

std::string oid_of(const ASN1_OBJECT* o) {
  char buf[80];
  OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

X509_EXTENSION* extension(X509* c, const char* oid) {
  asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  int i = X509_get_ext_by_OBJ(c, obj.get(), -1);
  return i < 0 ? nullptr : X509_get_ext(c, i);
}

std::set<std::string> ekus(X509* c) {
  std::set<std::string> out;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(c, NID_ext_key_usage, nullptr, nullptr));
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); ++i) out.insert(oid_of(sk_ASN1_OBJECT_value(eku, i)));
  EXTENDED_KEY_USAGE_free(eku);
  return out;
}

std::string common_name(X509* c) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, buf, sizeof buf);
  return buf;
}

const lab_vendor& vendor(const std::string& name) {
  for (const auto& v : lab().vendors)
    if (v.vendor == name) return v;
  FAIL("no vendor " << name);
  throw;
}

const lab_authority& authority_of(const std::string& name) {
  for (const auto& a : lab().authorities)
    if (a.name == name) return a;
  FAIL("no authority " << name);
  throw;
}

}  // namespace

TEST_CASE("the manifest lists every part the issue asks for") {
  const auto& m = lab();
  CHECK(m.domain == "microsoftaik.azure.net");
  std::set<std::string> vendors, templates;
  for (const auto& v : m.vendors) vendors.insert(v.vendor);
  for (const auto& e : m.eks) templates.insert(e.tpl);
  CHECK(vendors == std::set<std::string>{"IFX", "STM", "NTC", "INTC"});
  CHECK(templates == std::set<std::string>{"L-1", "L-2", "H-1", "H-2", "H-3", "H-6", "H-7"});
  CHECK(m.authorities.size() == 4);
  for (const auto& e : m.eks) {
    CHECK(std::filesystem::exists(m.path_of(e.certificate)));
    CHECK(std::filesystem::exists(m.path_of(e.private_key)));
    CHECK(std::filesystem::exists(m.path_of(e.public_area)));
    CHECK_NOTHROW(authority_of(e.authority));
  }
}

namespace {
// The URIs of a certificate's CRL distribution points, and of its AIA caIssuers.
std::vector<std::string> crl_urls(X509* c) {
  std::vector<std::string> out;
  auto* dps = static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(c, NID_crl_distribution_points, nullptr, nullptr));
  for (int i = 0; dps && i < sk_DIST_POINT_num(dps); ++i) {
    DIST_POINT* dp = sk_DIST_POINT_value(dps, i);
    if (!dp->distpoint || dp->distpoint->type != 0) continue;
    for (int j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); ++j) {
      GENERAL_NAME* n = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
      if (n->type == GEN_URI)
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.uniformResourceIdentifier)));
    }
  }
  CRL_DIST_POINTS_free(dps);
  return out;
}
std::vector<std::string> ca_issuers_urls(X509* c) {
  std::vector<std::string> out;
  auto* aia = static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(c, NID_info_access, nullptr, nullptr));
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); ++i) {
    ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
    if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location->type == GEN_URI)
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier)));
  }
  AUTHORITY_INFO_ACCESS_free(aia);
  return out;
}
}  // namespace

TEST_CASE("every lab certificate names its issuer's certificate and CRL under the lab's public URL; roots their own CRL") {
  const auto& m = lab();
  const publication urls{m.public_url};
  auto check_links = [&](const std::string& path, X509* cert, X509* issuer) {
    CAPTURE(path);
    const auto want = urls.links_to(issuer);
    CHECK(crl_urls(cert) == std::vector<std::string>{want.crl_url});
    if (issuer == cert) {
      CHECK(ca_issuers_urls(cert).empty());  // a root points at nothing but its own CRL
    } else {
      CHECK(ca_issuers_urls(cert) == std::vector<std::string>{want.certificate_url});
    }
    CHECK(want.crl_url.rfind(m.public_url + "/crl/", 0) == 0);
  };
  auto tls_root = load_certificate(m.path_of(m.tls_root));
  check_links(m.tls_root, tls_root.get(), tls_root.get());
  check_links(m.tls_server.certificate, load_certificate(m.path_of(m.tls_server.certificate)).get(), tls_root.get());
  auto aik_root = load_certificate(m.path_of(m.aik_root.certificate));
  check_links(m.aik_root.certificate, aik_root.get(), aik_root.get());
  for (const auto& v : m.vendors) {
    auto root = load_certificate(m.path_of(v.root_ca.certificate));
    auto ek_ca = load_certificate(m.path_of(v.ek_issuing_ca.certificate));
    check_links(v.root_ca.certificate, root.get(), root.get());
    check_links(v.ek_issuing_ca.certificate, ek_ca.get(), root.get());
    for (const auto& e : m.eks)
      if (e.vendor == v.vendor) {
        auto raw = aikmock::read_file(m.path_of(e.certificate));
        REQUIRE(raw);
        const unsigned char* p = raw->data();
        x509_ptr ek(d2i_X509(nullptr, &p, static_cast<long>(raw->size())));
        REQUIRE(ek);
        check_links(e.certificate, ek.get(), ek_ca.get());
      }
  }
  for (const auto& a : m.authorities) {
    auto ca = load_certificate(m.path_of(a.issuing_ca.certificate));
    check_links(a.issuing_ca.certificate, ca.get(), aik_root.get());
    check_links(a.ra_signing.certificate, load_certificate(m.path_of(a.ra_signing.certificate)).get(), ca.get());
    check_links(a.ra_encryption.certificate, load_certificate(m.path_of(a.ra_encryption.certificate)).get(), ca.get());
  }
}

TEST_CASE("every private key is readable by its owner only") {
  int keys = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(lab().dir)) {
    if (f.path().extension() != ".key") continue;
    struct stat st {};
    REQUIRE(::stat(f.path().c_str(), &st) == 0);
    CHECK_MESSAGE((st.st_mode & 0777) == 0600, f.path());
    ++keys;
  }
  CHECK(keys >= 4 * 2 + 4 * 3 + 7 + 3);
}

TEST_CASE("EK certificates follow the TCG profile and chain to their vendor root") {
  for (const auto& e : lab().eks) {
    CAPTURE(e.id);
    const auto& v = vendor(e.vendor);
    auto root = load_certificate(lab().path_of(v.root_ca.certificate));
    auto ca = load_certificate(lab().path_of(v.ek_issuing_ca.certificate));
    auto data = read_file(lab().path_of(e.certificate));
    REQUIRE(data);
    CHECK((*data)[0] == 0x30);  // DER, as a TPM stores it in NV
    auto cert = parse_certificate(*data);
    REQUIRE(cert);

    CHECK(verify(cert.get(), {root.get()}, {ca.get()}) == "ok");
    CHECK(verify(cert.get(), {root.get()}) != "ok");  // the intermediate is needed

    CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
    CHECK(X509_NAME_entry_count(X509_get_subject_name(cert.get())) == 0);

    X509_EXTENSION* san = extension(cert.get(), "2.5.29.17");
    REQUIRE(san);
    CHECK(X509_EXTENSION_get_critical(san) == 1);
    auto* names = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(san));
    REQUIRE(sk_GENERAL_NAME_num(names) == 1);
    GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, 0);
    REQUIRE(gn->type == GEN_DIRNAME);
    std::vector<std::string> rdns;
    for (int i = 0; i < X509_NAME_entry_count(gn->d.directoryName); ++i)
      rdns.push_back(oid_of(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(gn->d.directoryName, i))));
    CHECK(rdns == std::vector<std::string>{oids::tpm_manufacturer, oids::tpm_model, oids::tpm_version});
    char manufacturer[64] = {};
    asn1_object_ptr mobj(OBJ_txt2obj(oids::tpm_manufacturer, 1));
    X509_NAME_get_text_by_OBJ(gn->d.directoryName, mobj.get(), manufacturer, sizeof manufacturer);
    CHECK(std::string(manufacturer) == v.manufacturer);
    GENERAL_NAMES_free(names);

    CHECK(ekus(cert.get()) == std::set<std::string>{oids::kp_ek_certificate});
    X509_EXTENSION* ku = extension(cert.get(), "2.5.29.15");
    REQUIRE(ku);
    CHECK(X509_EXTENSION_get_critical(ku) == 1);
    const bool rsa = EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())) == EVP_PKEY_RSA;
    CHECK(X509_get_key_usage(cert.get()) == (rsa ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT));
    X509_EXTENSION* bc = extension(cert.get(), "2.5.29.19");
    REQUIRE(bc);
    CHECK(X509_EXTENSION_get_critical(bc) == 1);
    CHECK(X509_check_ca(cert.get()) == 0);
    CHECK(authority_key_identifier(cert.get()) == subject_key_identifier(ca.get()));
    X509_EXTENSION* sda = extension(cert.get(), "2.5.29.9");
    REQUIRE(sda);
    CHECK(X509_EXTENSION_get_critical(sda) == 0);
    // tcg-at-tpmSpecification 2.23.133.2.16 = 06 05 67 81 05 02 10
    auto* sda_value = X509_EXTENSION_get_data(sda);
    std::string sda_hex = to_hex(byte_view(sda_value->data, static_cast<std::size_t>(sda_value->length)));
    CHECK(sda_hex.find("0605678105021031") != std::string::npos);

    int md_nid = 0, pk_nid = 0;
    REQUIRE(X509_get_signature_info(cert.get(), &md_nid, &pk_nid, nullptr, nullptr) == 1);
    const bool sha384 = e.tpl == "H-6" || e.tpl == "H-3";
    CHECK(md_nid == (sha384 ? NID_sha384 : NID_sha256));
  }
}

TEST_CASE("each software EK: key, certificate and TPM2B_PUBLIC agree, and the public fits its template") {
  for (const auto& e : lab().eks) {
    CAPTURE(e.id);
    auto cert = load_certificate(lab().path_of(e.certificate));
    auto key = load_private_key(lab().path_of(e.private_key));
    CHECK(EVP_PKEY_eq(key.get(), X509_get0_pubkey(cert.get())) == 1);

    auto blob = read_file(lab().path_of(e.public_area));
    REQUIRE(blob);
    auto parsed = tpm::parse_public2b(*blob);
    REQUIRE_MESSAGE(parsed, parsed.error());
    CHECK(parsed.consumed == blob->size());
    auto from_public = tpm::public_key_from_public(*parsed);
    REQUIRE(from_public);
    CHECK(EVP_PKEY_eq(from_public.get(), X509_get0_pubkey(cert.get())) == 1);
    auto cls = tpm::classify_ek_public(*parsed);
    CHECK_MESSAGE(cls.label() == e.tpl, cls.reason);
    char nv[16];
    std::snprintf(nv, sizeof nv, "0x%08x", tpm::find_ek_template(e.tpl)->cert_nv_index);
    CHECK(e.nv_index == nv);
  }
}

TEST_CASE("authorities: KeyId is the EK-issuing CA's SKI, and the Microsoft side is shaped like the real one") {
  auto aik_root = load_certificate(lab().path_of(lab().aik_root.certificate));
  CHECK(common_name(aik_root.get()) == "aikmock TPM Root Certificate Authority");
  CHECK(verify(aik_root.get(), {aik_root.get()}) == "ok");

  for (const auto& a : lab().authorities) {
    CAPTURE(a.name);
    auto ek_ca = load_certificate(lab().path_of(a.ek_issuing_ca));
    CHECK(a.key_id == to_hex(subject_key_identifier(ek_ca.get())));
    CHECK(a.key_id == to_hex(key_identifier(ek_ca.get())));
    CHECK(a.name_id == to_hex(subject_name_hash_sha1(ek_ca.get())));
    CHECK(a.name == a.vendor + "-KeyId-" + a.key_id);
    for (const auto& e : lab().eks)
      if (e.authority == a.name) {
        auto ek = load_certificate(lab().path_of(e.certificate));
        CHECK(to_hex(authority_key_identifier(ek.get())) == a.key_id);
      }

    auto issuing = load_certificate(lab().path_of(a.issuing_ca.certificate));
    std::string upper_id;
    for (char c : a.key_id) upper_id.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    CHECK(common_name(issuing.get()) == "EUS-" + a.vendor + "-KEYID-" + upper_id);
    CHECK(verify(issuing.get(), {aik_root.get()}) == "ok");
    CHECK(ekus(issuing.get()) == std::set<std::string>{oids::kp_privacy_ca, oids::kp_aik_certificate});
    CHECK(X509_check_ca(issuing.get()) >= 1);
    CHECK(X509_get_pathlen(issuing.get()) == 0);
    CHECK(extension(issuing.get(), "2.5.29.32") != nullptr);  // certificate policy 1.3.6.1.4.1.311.21.31

    auto ra_sign = load_certificate(lab().path_of(a.ra_signing.certificate));
    auto ra_enc = load_certificate(lab().path_of(a.ra_encryption.certificate));
    CHECK(verify(ra_sign.get(), {aik_root.get()}, {issuing.get()}) == "ok");
    CHECK(verify(ra_enc.get(), {aik_root.get()}, {issuing.get()}) == "ok");
    CHECK((X509_get_key_usage(ra_sign.get()) & KU_DIGITAL_SIGNATURE) != 0);
    CHECK((X509_get_key_usage(ra_enc.get()) & KU_KEY_ENCIPHERMENT) != 0);
    CHECK(ekus(ra_enc.get()).count(oids::kp_privacy_ca) == 1);
    auto ra_key = load_private_key(lab().path_of(a.ra_encryption.private_key));
    CHECK(EVP_PKEY_eq(ra_key.get(), X509_get0_pubkey(ra_enc.get())) == 1);
  }
  auto dir = authority_directory::from_lab(lab());
  CHECK(dir.all().size() == lab().authorities.size());
  const auto& first = lab().authorities.front();
  CHECK(dir.by_key_id(first.key_id)->name == first.name);
  CHECK(dir.find(first.name)->name == first.name);
  CHECK(dir.by_name_id(first.name_id)->name == first.name);
  CHECK(dir.by_key_id("00") == nullptr);
}

TEST_CASE("the TLS certificate serves *.microsoftaik.azure.net, localhost and 127.0.0.1 from one root") {
  auto root = load_certificate(lab().path_of(lab().tls_root));
  auto server = load_certificate(lab().path_of(lab().tls_server.certificate));
  CHECK(verify(server.get(), {root.get()}) == "ok");
  const char* host = "IFX-KeyId-18b1af70b93f991972f362556a9a3fbf4bb24e0d.microsoftaik.azure.net";
  CHECK(X509_check_host(server.get(), host, 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.get(), "example.com", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  auto key = load_private_key(lab().path_of(lab().tls_server.private_key));
  CHECK(EVP_PKEY_eq(key.get(), X509_get0_pubkey(server.get())) == 1);
}

TEST_CASE("pki init never overwrites a lab") {
  lab_options o;
  o.out = lab().dir;
  CHECK_THROWS_WITH_AS(create_lab_pki(o), doctest::Contains("already holds a lab"), std::runtime_error);
}

TEST_CASE("every CA of an added trust store is an authority: pending until minted into the lab, then kept") {
  namespace fs = std::filesystem;
  const fs::path trust = fs::temp_directory_path() / ("aikmock-trust-" + std::to_string(::getpid()));
  fs::remove_all(trust);
  auto key = generate_rsa_key(2048);
  auto now = std::chrono::system_clock::now();
  auto ca = certificate_builder(key.get())
                .subject({{"CN", "Test TPM EK CA"}})
                .validity(now, now + std::chrono::hours(24))
                .extension(NID_basic_constraints, "critical,CA:TRUE")
                .extension(NID_key_usage, "critical,keyCertSign")
                .extension(NID_subject_key_identifier, "hash")
                .sign(nullptr, key.get(), EVP_sha256());
  save_certificate_pem(trust / "TST" / "RootCA" / "test.pem", ca.get());
  const std::string key_id = to_hex(subject_key_identifier(ca.get()));
  const std::vector<fs::path> dirs{lab().path_of(lab().trust_store), trust};
  auto store = trust_store::load(dirs);
  REQUIRE(store.errors.empty());

  // Loading never mints: the new CA is pending. (The lab's vendor roots are
  // authorities too, pending or minted by a server another test ran.)
  auto dir = authority_directory::load(lab(), *store.store);
  CHECK(dir->all().size() + dir->pending().size() == lab().authorities.size() + lab().vendors.size() + 1);
  const std::size_t pending = dir->pending().size();
  CHECK_FALSE(dir->by_key_id(key_id));
  auto candidate = dir->pending_by_key_id(key_id);
  REQUIRE(candidate);
  CHECK(candidate->name() == "TST-KeyId-" + key_id);
  CHECK(dir->pending_by_name_id(candidate->name_id) == candidate);

  auto minted = mint_into_lab(lab(), *candidate);
  REQUIRE_MESSAGE(minted, minted.error());
  auto next = dir->with(*minted);
  CHECK(next->pending().size() == pending - 1);
  auto a = next->by_key_id(key_id);
  REQUIRE(a);
  CHECK(a->name == "TST-KeyId-" + key_id);
  auto root = load_certificate(lab().path_of(lab().aik_root.certificate));
  CHECK(verify(a->issuing_ca.get(), {root.get()}) == "ok");
  CHECK(common_name(a->issuing_ca.get()) == "EUS-TST-KEYID-" + to_hex(subject_key_identifier(ca.get()), true));
  // The minted keys are private; no temporary folder is left behind.
  CHECK((fs::status(lab().dir / "authorities" / a->name / "issuing-ca.key").permissions() & fs::perms::group_read) ==
        fs::perms::none);
  for (const auto& e : fs::directory_iterator(lab().dir / "authorities"))
    CHECK(e.path().filename().string().find("minting") == std::string::npos);

  // Another process (a replica, a restart) finds it made already and identical; minting it again loads it.
  auto again = authority_directory::load(lab(), *store.store);
  CHECK(again->pending().size() == pending - 1);
  auto b = again->find(a->name);
  REQUIRE(b);
  CHECK(X509_cmp(b->issuing_ca.get(), a->issuing_ca.get()) == 0);
  auto twice = mint_into_lab(lab(), *candidate);
  REQUIRE(twice);
  CHECK(X509_cmp((*twice)->issuing_ca.get(), a->issuing_ca.get()) == 0);

  fs::remove_all(lab().dir / "authorities" / a->name);
  fs::remove_all(trust);
}

TEST_CASE("minting into a lab that cannot be written fails with the reason, and throws nothing") {
  namespace fs = std::filesystem;
  auto copy = lab();
  const fs::path blocked = fs::temp_directory_path() / ("aikmock-blocked-lab-" + std::to_string(::getpid()));
  fs::remove_all(blocked);
  { std::ofstream(blocked) << "a file where the lab's authorities folder would be"; }
  copy.dir = blocked;  // <dir>/authorities cannot be made under a file
  pending_authority candidate{"TST", "00aa", "00bb", share(load_certificate(lab().path_of(lab().aik_root.certificate)).get())};
  auto minted = mint_into_lab(copy, candidate);
  REQUIRE_FALSE(minted);
  CHECK(minted.error().find("minting the authority TST-KeyId-00aa") != std::string::npos);
  fs::remove(blocked);
}
