// The lab CAs' certificates (/aia/<name>.crt) and CRLs (/crl/<name>.crl): the
// right certificate, CRLs signed by their CA, always current (re-signed before
// nextUpdate, dated by the service clock), listing the policy's revoked serials.
#include <doctest/doctest.h>

#include "certs/aik_authority_profile.hpp"
#include "certs/published_cas.hpp"
#include "policy/policy_file.hpp"
#include "protocol/publication/publication_codec.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
using namespace std::chrono_literals;
using protocol::publication_codec;
using test::world;

namespace {
std::shared_ptr<const certs::published_cas> lab_cas() {
  static auto cas = std::make_shared<const certs::published_cas>(
      certs::published_cas::from_lab(world().lab, world().authorities->all()));
  return cas;
}

x509_crl_ptr crl_of(const protocol::response& r) {
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/pkix-crl");
  const auto* p = reinterpret_cast<const unsigned char*>(r.body.data());
  x509_crl_ptr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(r.body.size())));
  REQUIRE(crl);
  return crl;
}

std::chrono::system_clock::time_point time_of(const ASN1_TIME* t) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

const certs::published_ca& issuing_ca() {
  const auto* ca = lab_cas()->find(certs::published_name(world().authorities->all().front()->issuing_ca.get()));
  REQUIRE(ca);
  return *ca;
}
}  // namespace

TEST_CASE("publication: every lab CA is published, certificate and CRL, under the name its certificates use") {
  const auto& m = world().lab;
  std::vector<std::string> names;
  for (const auto& ca : lab_cas()->all()) names.push_back(ca.name);
  CHECK(names.size() == 2 + 2 * m.vendors.size() + m.authorities.size());  // TLS root, AIK root, vendor CAs, issuing CAs
  publication_codec codec(lab_cas(), std::make_shared<const policy::policy>(policy::resolve_policy("microsoft-2025")));
  for (const auto& ca : lab_cas()->all()) {
    CAPTURE(ca.name);
    auto cert = codec.handle("GET", "/aia/" + ca.name + ".crt", "u");
    REQUIRE(cert.status == 200);
    CHECK(cert.content_type == "application/pkix-cert");
    const auto* p = reinterpret_cast<const unsigned char*>(cert.body.data());
    x509_ptr got(d2i_X509(nullptr, &p, static_cast<long>(cert.body.size())));
    REQUIRE(got);
    CHECK(X509_cmp(got.get(), ca.certificate.get()) == 0);
    auto crl = crl_of(codec.handle("GET", "/crl/" + ca.name + ".crl", "u"));
    CHECK(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.certificate.get())) == 0);
    CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.certificate.get())) == 1);
    CHECK(X509_CRL_get_version(crl.get()) == 1);  // v2
    CHECK(X509_CRL_get_ext_by_NID(crl.get(), NID_crl_number, -1) >= 0);
    CHECK(X509_CRL_get_ext_by_NID(crl.get(), NID_authority_key_identifier, -1) >= 0);
    CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())) <= 0);  // none (an empty list is absent)
  }
  CHECK(codec.handle("GET", "/aia/no-such-ca.crt", "http://h/aia/no-such-ca.crt").status == 404);
  CHECK(codec.handle("GET", "/crl/no-such-ca.crl", "u").error_key == "route-not-found");
  CHECK(codec.handle("GET", "/aia/" + names.front() + ".crl", "u").status == 404);
  CHECK(codec.handle("POST", "/crl/" + names.front() + ".crl", "u").status == 405);
  CHECK(publication_codec::serves("/aia/x.crt"));
  CHECK_FALSE(publication_codec::serves("/templates/Aik/scep"));
}

TEST_CASE("publication: a CRL is never served past its nextUpdate: re-signed daily, dated by the service clock") {
  auto now = std::chrono::system_clock::now();
  auto clock = [&now] { return now; };
  publication_codec codec(lab_cas(), std::make_shared<const policy::policy>(policy::resolve_policy("microsoft-2025")),
                          clock);
  const std::string path = "/crl/" + issuing_ca().name + ".crl";
  auto first = crl_of(codec.handle("GET", path, "u"));
  CHECK(time_of(X509_CRL_get0_nextUpdate(first.get())) > now + 6 * 24h);
  // Within the day: the same CRL.
  now += 5h;
  auto same = crl_of(codec.handle("GET", path, "u"));
  CHECK(X509_CRL_cmp(first.get(), same.get()) == 0);
  CHECK(ASN1_TIME_compare(X509_CRL_get0_lastUpdate(first.get()), X509_CRL_get0_lastUpdate(same.get())) == 0);
  // Days later, long past the first one's nextUpdate: a new one, current.
  now += 10 * 24h;
  auto later = crl_of(codec.handle("GET", path, "u"));
  CHECK(time_of(X509_CRL_get0_lastUpdate(later.get())) <= now);
  CHECK(time_of(X509_CRL_get0_nextUpdate(later.get())) > now);

  // The policy's clock offset runs the service ahead: its CRLs are current at that time.
  auto ahead = policy::parse_policy(R"({"name":"ahead","clockOffsetSeconds":2592000})", "test");
  publication_codec skewed(lab_cas(), std::make_shared<const policy::policy>(ahead), clock);
  auto future = crl_of(skewed.handle("GET", path, "u"));
  CHECK(time_of(X509_CRL_get0_nextUpdate(future.get())) > now + 30 * 24h);
}

TEST_CASE("publication: the policy's revoked serials are on the CRLs, with their reasons") {
  auto p = policy::parse_policy(
      R"({"name":"revoking","revocation":{"revoked":[{"serial":"0A1B2C3D4E5F","reason":"keyCompromise"},{"serial":"01"}]}})",
      "test");
  REQUIRE(p.revocation.revoked.size() == 2);
  publication_codec codec(lab_cas(), std::make_shared<const policy::policy>(p));
  auto crl = crl_of(codec.handle("GET", "/crl/" + issuing_ca().name + ".crl", "u"));
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  REQUIRE(sk_X509_REVOKED_num(revoked) == 2);
  bool found = false;
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    bignum_ptr serial(ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), nullptr));
    char* hex = BN_bn2hex(serial.get());
    if (std::string(hex) == "0A1B2C3D4E5F") {
      found = true;
      auto* reason = static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr));
      REQUIRE(reason);
      CHECK(ASN1_ENUMERATED_get(reason) == 1);
      ASN1_ENUMERATED_free(reason);
    }
    OPENSSL_free(hex);
  }
  CHECK(found);
  CHECK_THROWS_AS(policy::parse_policy(R"({"name":"x","revocation":{"revoked":[{"serial":"zz"}]}})", "t"),
                  policy::policy_error);
  CHECK_THROWS_AS(policy::parse_policy(R"({"name":"x","revocation":{"revoked":[{"serial":"01","reason":"bored"}]}})", "t"),
                  policy::policy_error);
}
