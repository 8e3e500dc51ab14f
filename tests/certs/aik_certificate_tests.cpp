// The issued AIK certificate has the shape of Microsoft's.
#include <doctest/doctest.h>

#include "certs/aik_certificate_profile.hpp"
#include "certs/authority.hpp"
#include "certs/certificate_builder.hpp"
#include "certs/keys.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/oids.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"

using namespace aikmock;
using namespace aikmock::certs;

namespace {
X509_EXTENSION* extension(X509* c, const char* oid) {
  asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  int i = X509_get_ext_by_OBJ(c, obj.get(), -1);
  return i < 0 ? nullptr : X509_get_ext(c, i);
}
std::string ext_hex(X509_EXTENSION* e) {
  auto* v = X509_EXTENSION_get_data(e);
  return to_hex(byte_view(v->data, static_cast<std::size_t>(v->length)));
}
}  // namespace

TEST_CASE("an AIK certificate shaped like the real service's") {
  load_openssl_providers();
  auto lab = load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  auto dir = authority_directory::from_lab(lab);
  const auto& a = *dir.all().front();
  auto aik = generate_rsa_key(2048);
  tpm_identity tpm{"id:4E544300", "NPCT75x", "id:00070002"};
  auto cert = issue_aik_certificate(aik.get(), tpm, a.issuing_ca.get(), a.issuing_ca_key.get(),
                                    {"http://aikmock.example/aia/x.crt", "http://aikmock.example/crl/x.crl"});
  REQUIRE(cert);

  CHECK(X509_NAME_entry_count(X509_get_subject_name(cert.get())) == 0);
  CHECK(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(a.issuing_ca.get())) == 0);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), aik.get()) == 1);
  CHECK(ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(a.issuing_ca.get())) == 0);
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  CHECK(BN_num_bytes(serial) == 16);
  BN_free(serial);

  auto* ku = extension(cert.get(), "2.5.29.15");
  REQUIRE(ku);
  CHECK(X509_EXTENSION_get_critical(ku) == 1);
  CHECK(X509_get_key_usage(cert.get()) == KU_DIGITAL_SIGNATURE);
  auto* bc = extension(cert.get(), "2.5.29.19");
  REQUIRE(bc);
  CHECK(X509_EXTENSION_get_critical(bc) == 1);
  CHECK(X509_check_ca(cert.get()) == 0);

  auto* policies = extension(cert.get(), "2.5.29.32");
  REQUIRE(policies);
  CHECK(X509_EXTENSION_get_critical(policies) == 1);
  // policy 1.3.6.1.4.1.311.21.31, user notice, BMPString "TCPA  Trusted  Platform  Identity"
  const std::string hex = ext_hex(policies);
  CHECK(hex.find("06092b060104018237151f") != std::string::npos);
  CHECK(hex.find("06082b06010505070202") != std::string::npos);
  CHECK(hex.find("1e42" "0054004300500041002000200054007200750073007400650064002000200050006c00610074006600"
                 "6f0072006d00200020004900640065006e0074006900740079") != std::string::npos);

  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  REQUIRE(sk_ASN1_OBJECT_num(eku) == 1);
  char oid[64];
  OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, 0), 1);
  CHECK(std::string(oid) == oids::kp_aik_certificate);
  EXTENDED_KEY_USAGE_free(eku);

  auto* san = extension(cert.get(), "2.5.29.17");
  REQUIRE(san);
  CHECK(X509_EXTENSION_get_critical(san) == 1);
  CHECK(ext_hex(san).find(to_hex(as_bytes(std::string_view("NPCT75x")))) != std::string::npos);
  CHECK(ext_hex(san).find(to_hex(as_bytes(std::string_view("id:4E544300")))) != std::string::npos);

  CHECK(authority_key_identifier(cert.get()) == subject_key_identifier(a.issuing_ca.get()));
  CHECK_FALSE(subject_key_identifier(cert.get()).empty());
  auto* aia = extension(cert.get(), "1.3.6.1.5.5.7.1.1");
  REQUIRE(aia);
  CHECK(ext_hex(aia).find(to_hex(as_bytes(std::string_view("http://aikmock.example/aia/x.crt")))) !=
        std::string::npos);
  // The lab's addition to the real shape: where the issuing CA's CRL is (docs/windows-lab.md).
  auto* cdp = extension(cert.get(), "2.5.29.31");
  REQUIRE(cdp);
  CHECK(X509_EXTENSION_get_critical(cdp) == 0);
  CHECK(ext_hex(cdp).find(to_hex(as_bytes(std::string_view("http://aikmock.example/crl/x.crl")))) != std::string::npos);

  // It chains to the lab's AIK root through the authority's issuing CA.
  auto root = load_certificate(lab.path_of(lab.aik_root.certificate));
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root.get());
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, a.issuing_ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), chain);
  CHECK(X509_verify_cert(ctx) == 1);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  X509_STORE_free(store);
}
