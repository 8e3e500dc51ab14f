// EK certificate intake, chain validation and the EK key check, one fixture per
// quirk: certificates built here with certificate_builder and DER edits.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "certs/der.hpp"
#include "certs/ek_certificate.hpp"
#include "certs/ek_chain.hpp"
#include "certs/ek_key_check.hpp"
#include "certs/ek_profile_check.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "common/encoding.hpp"
#include "tests/support/ek_doctest_strings.hpp"
#include "tests/support/ek_fixtures.hpp"
#include "tpm/ek_template.hpp"

using namespace aikmock;
using namespace aikmock::certs;
using namespace aikmock::ek_test;

namespace {

// One vendor: root -> EK-issuing CA, loaded as a trust store from a TrustedTPM-layout directory.
struct vendor_pki {
  ca root = make_root("Fixture TPM Root CA", 1);
  ca issuing = make_intermediate("Fixture TPM EK CA 01", root, 2);
  temp_dir dir;
  std::shared_ptr<const trust_store> store;

  vendor_pki() {
    load_openssl_providers();
    write_trust_file(dir.path(), "IFX", true, "root.pem", root.cert.get());
    write_trust_file(dir.path(), "IFX", false, "ek-ca-01.cer", issuing.cert.get(), true);
    const std::vector<std::filesystem::path> dirs{dir.path()};
    auto loaded = trust_store::load(dirs);
    REQUIRE(loaded.errors.empty());
    store = loaded.store;
  }
};

const vendor_pki& pki() {
  static const vendor_pki p;
  return p;
}

ek_certificate intake(byte_view data) {
  auto r = parse_ek_certificate(data);
  INFO(r.error());
  REQUIRE(r);
  return std::move(*r);
}

ek_certificate intake(X509* cert) { return intake(der_of(cert)); }

std::set<ek_finding_kind> kinds(const std::vector<ek_finding>& findings) {
  std::set<ek_finding_kind> out;
  for (const auto& f : findings) out.insert(f.kind);
  return out;
}

ek_chain_result validate(const ek_certificate& ek, const ek_chain_options& options = {}) {
  return validate_ek_chain(ek, *pki().store, {}, options);
}

bytes with_nv_header(const bytes& der, bool seven_byte_form) {
  const std::size_t size = der.size() + (seven_byte_form ? 2 : 0);
  bytes header{0x10, 0x01, 0x00, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size), 0x10, 0x02};
  header.resize(seven_byte_form ? 7 : 5);
  header.insert(header.end(), der.begin(), der.end());
  return header;
}

std::chrono::sys_seconds sys_seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

TEST_CASE("a profile-conformant EK certificate: no findings, values extracted, chain ok") {
  auto cert = make_ek(rsa_key(2048, 10), pki().issuing);
  auto ek = intake(cert.get());
  CHECK(ek.findings.empty());
  CHECK(ek.tpm.manufacturer == test_tpm.manufacturer);
  CHECK(ek.tpm.model == test_tpm.model);
  CHECK(ek.tpm.version == test_tpm.version);
  CHECK(ek.key.algorithm == ek_key_algorithm::rsa);
  CHECK(ek.key.bits == 2048);
  CHECK_FALSE(ek.key.rsaes_oaep);
  CHECK(EVP_PKEY_eq(ek.public_key.get(), rsa_key(2048, 10)) == 1);
  CHECK(ek.signature_hash == "SHA256");
  CHECK(ek.subject.empty());
  CHECK(ek.issuer == "CN=Fixture TPM EK CA 01,O=ek fixtures,C=DE");
  CHECK(ek.authority_key_id == subject_key_identifier(pki().issuing.cert.get()));
  CHECK(ek.der == der_of(cert.get()));

  auto chain = validate(ek);
  INFO(chain.reason);
  REQUIRE(chain.ok());
  CHECK(chain.chain.size() == 3);
  CHECK(chain.chain[1] == "CN=Fixture TPM EK CA 01,O=ek fixtures,C=DE");
  CHECK(chain.chain[2] == "CN=Fixture TPM Root CA,O=ek fixtures,C=DE");
  REQUIRE(chain.issuing_ca);
  CHECK(chain.issuing_ca->vendor == "IFX");
  CHECK(chain.issuing_ca->identity.key_id == to_hex(subject_key_identifier(pki().issuing.cert.get())));
  CHECK(chain.findings.empty());
}

TEST_CASE("an ECC EK certificate: curve and size extracted") {
  auto ek = intake(make_ek(ec_key("P-384"), pki().issuing).get());
  CHECK(ek.findings.empty());
  CHECK(ek.key.algorithm == ek_key_algorithm::ecc);
  CHECK(ek.key.curve == "P-384");
  CHECK(ek.key.bits == 384);
  CHECK(validate(ek).ok());
}

TEST_CASE("NV header: the 7-byte and the 5-byte form are stripped and reported") {
  const bytes der = der_of(make_ek(rsa_key(2048, 10), pki().issuing).get());
  for (bool seven : {true, false}) {
    CAPTURE(seven);
    auto ek = intake(with_nv_header(der, seven));
    CHECK(ek.der == der);
    CHECK(kinds(ek.findings) == std::set{ek_finding_kind::nv_header});
    CHECK(validate(ek).ok());
  }
  SUBCASE("a header declaring more bytes than follow is an error") {
    bytes blob = with_nv_header(der, true);
    blob.resize(blob.size() - 1);
    auto r = parse_ek_certificate(blob);
    CHECK_FALSE(r);
    CHECK(r.error().find("declares") != std::string::npos);
  }
  SUBCASE("a header of another certificate type is an error") {
    bytes blob = with_nv_header(der, true);
    blob[2] = 0x01;
    CHECK_FALSE(parse_ek_certificate(blob));
  }
}

TEST_CASE("trailing bytes: 0xFF padding, zero fill and other data are ignored and reported") {
  const bytes der = der_of(make_ek(rsa_key(2048, 10), pki().issuing).get());
  struct fill {
    bytes tail;
    const char* says;
  };
  const fill fills[] = {{bytes(431, 0xFF), "431 bytes of 0xFF fill"},
                        {bytes(300, 0x00), "300 zero bytes"},
                        {bytes{0x01, 0x02, 0x03}, "3 bytes of other data"}};
  for (const auto& f : fills) {
    CAPTURE(f.says);
    bytes blob = der;
    blob.insert(blob.end(), f.tail.begin(), f.tail.end());
    auto ek = intake(blob);
    CHECK(ek.der == der);
    REQUIRE(kinds(ek.findings) == std::set{ek_finding_kind::trailing_bytes});
    CHECK(ek.findings[0].text.find(f.says) != std::string::npos);
    CHECK(validate(ek).ok());
  }
  SUBCASE("padding after an NV header's declared size counts as trailing too") {
    bytes blob = with_nv_header(der, true);
    blob.insert(blob.end(), 64, 0x00);
    auto ek = intake(blob);
    CHECK(kinds(ek.findings) == std::set{ek_finding_kind::nv_header, ek_finding_kind::trailing_bytes});
  }
}

TEST_CASE("PEM input, with text around it, is read; PEM without a certificate is an error") {
  auto cert = make_ek(rsa_key(2048, 10), pki().issuing);
  const std::string pem = "\n  " + certificate_pem(cert.get()) + "trailing words\n";
  auto ek = intake(as_bytes(pem));
  CHECK(ek.der == der_of(cert.get()));
  CHECK(ek.findings.empty());
  CHECK_FALSE(parse_ek_certificate(as_bytes("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")));
}

TEST_CASE("negative serial: reported, and the chain still validates") {
  auto fields = tbs_fields(der_of(make_ek(rsa_key(2048, 10), pki().issuing).get()));
  fields[tbs_serial] = der::integer(-4660);
  auto ek = intake(resign(fields, pki().issuing.key));
  CHECK(kinds(ek.findings) == std::set{ek_finding_kind::negative_serial});
  CHECK(ek.serial_hex == "-1234");
  auto chain = validate(ek);
  INFO(chain.reason);
  CHECK(chain.ok());
}

TEST_CASE("non-empty subject: reported; a non-critical SAN is then what the profile wants") {
  ek_options o;
  o.subject = {{"CN", "PlutonId 0123"}};
  o.san_critical = false;
  auto ek = intake(make_ek(rsa_key(2048, 10), pki().issuing, o).get());
  CHECK(kinds(ek.findings) == std::set{ek_finding_kind::non_empty_subject});
  CHECK(ek.subject == "CN=PlutonId 0123");
  CHECK(validate(ek).ok());
}

TEST_CASE("SAN not critical with an empty subject: reported") {
  ek_options o;
  o.san_critical = false;
  auto ek = intake(make_ek(rsa_key(2048, 10), pki().issuing, o).get());
  CHECK(kinds(ek.findings) == std::set{ek_finding_kind::san_not_critical});
  CHECK(ek.tpm.model == test_tpm.model);
}

TEST_CASE("key usage by key type: ECC with keyEncipherment, RSA with keyAgreement, none at all") {
  ek_options o;
  o.key_usage = "critical,keyEncipherment";
  auto ecc = intake(make_ek(ec_key("P-256"), pki().issuing, o).get());
  REQUIRE(kinds(ecc.findings) == std::set{ek_finding_kind::ecc_key_usage_mismatch});
  CHECK(ecc.findings[0].text.find("keyEncipherment instead") != std::string::npos);
  CHECK(validate(ecc).ok());

  o.key_usage = "critical,keyAgreement";
  auto rsa = intake(make_ek(rsa_key(2048, 10), pki().issuing, o).get());
  CHECK(kinds(rsa.findings) == std::set{ek_finding_kind::rsa_key_usage_mismatch});

  o.key_usage = "keyEncipherment";
  auto not_critical = intake(make_ek(rsa_key(2048, 10), pki().issuing, o).get());
  CHECK(kinds(not_critical.findings) == std::set{ek_finding_kind::key_usage_not_critical});
}

TEST_CASE("unknown critical extension: reported; the chain fails unless the knob says ignore") {
  ek_options o;
  o.extra_critical_extension_oid = "1.3.6.1.4.1.55555.1";
  auto ek = intake(make_ek(rsa_key(2048, 10), pki().issuing, o).get());
  CHECK(kinds(ek.findings) == std::set{ek_finding_kind::unknown_critical_extension});

  auto strict = validate(ek);
  CHECK(strict.failure == ek_chain_failure::unhandled_critical_extension);
  CHECK(strict.error_depth == 0);
  CHECK(strict.reason.find("unhandled critical extension") != std::string::npos);

  ek_chain_options lenient;
  lenient.ignore_unknown_critical_extensions = true;
  CHECK(validate(ek, lenient).ok());
}

TEST_CASE("expired intermediate: the chain fails with expired at depth 1") {
  const ca old = make_intermediate("Fixture TPM EK CA 01", pki().root, 2, std::pair{days_from_now(-3000), days_from_now(-10)});
  ek_options o;
  o.validity = std::pair{days_from_now(-100), days_from_now(3000)};
  // The same name and key as the published CA 01, so only the client's expired copy is offered.
  temp_dir dir;
  write_trust_file(dir.path(), "IFX", true, "root.pem", pki().root.cert.get());
  const std::vector<std::filesystem::path> dirs{dir.path()};
  auto store = trust_store::load(dirs).store;
  auto ek = intake(make_ek(rsa_key(2048, 10), old, o).get());
  X509* client[] = {old.cert.get()};
  auto chain = validate_ek_chain(ek, *store, client);
  CHECK(chain.failure == ek_chain_failure::expired);
  CHECK(chain.error_depth == 1);
  CHECK(chain.reason.find("Fixture TPM EK CA 01") != std::string::npos);

  SUBCASE("with the clock set back into its validity it passes") {
    ek_chain_options at;
    at.now = sys_seconds_of(days_from_now(-50));
    CHECK(validate_ek_chain(ek, *store, client, at).ok());
  }
}

TEST_CASE("the configured now: not yet valid, expired, and inside") {
  ek_options o;
  o.validity = std::pair{days_from_now(-1), days_from_now(30)};
  auto ek = intake(make_ek(rsa_key(2048, 10), pki().issuing, o).get());
  ek_chain_options at;
  at.now = sys_seconds_of(days_from_now(-2));
  CHECK(validate(ek, at).failure == ek_chain_failure::not_yet_valid);
  at.now = sys_seconds_of(days_from_now(31));
  CHECK(validate(ek, at).failure == ek_chain_failure::expired);
  at.now = sys_seconds_of(days_from_now(10));
  CHECK(validate(ek, at).ok());
}

TEST_CASE("wrong signature: one flipped byte fails with bad-signature") {
  auto ek = intake(flip_signature_byte(der_of(make_ek(rsa_key(2048, 10), pki().issuing).get())));
  auto chain = validate(ek);
  CHECK(chain.failure == ek_chain_failure::bad_signature);
  CHECK(chain.error_depth == 0);
}

TEST_CASE("unknown root: an EK from a CA the store does not hold fails with unknown-issuer") {
  const ca stranger_root = make_root("Stranger TPM Root CA", 3);
  const ca stranger = make_intermediate("Stranger TPM EK CA", stranger_root, 4);
  auto ek = intake(make_ek(rsa_key(2048, 10), stranger).get());
  CHECK(validate(ek).failure == ek_chain_failure::unknown_issuer);

  SUBCASE("sending the stranger's whole chain does not help: its root is no anchor") {
    X509* client[] = {stranger.cert.get(), stranger_root.cert.get()};
    CHECK(validate_ek_chain(ek, *pki().store, client).failure == ek_chain_failure::unknown_issuer);
  }
}

TEST_CASE("client-sent intermediates complete a path to an anchor") {
  const ca unpublished = make_intermediate("Fixture TPM EK CA 99", pki().root, 5);
  auto ek = intake(make_ek(rsa_key(2048, 10), unpublished).get());
  CHECK(validate(ek).failure == ek_chain_failure::unknown_issuer);
  X509* client[] = {unpublished.cert.get()};
  auto chain = validate_ek_chain(ek, *pki().store, client);
  INFO(chain.reason);
  REQUIRE(chain.ok());
  REQUIRE(chain.issuing_ca);
  CHECK(chain.issuing_ca->vendor.empty());  // not from the trust store
  CHECK(chain.issuing_ca->identity.subject == "CN=Fixture TPM EK CA 99,O=ek fixtures,C=DE");
}

TEST_CASE("id-RSAES-OAEP SPKI: key recovered by hand, leaf signature verified by hand") {
  EVP_PKEY* key = rsa_key(2048, 10);
  auto fields = tbs_fields(der_of(make_ek(key, pki().issuing).get()));
  fields[tbs_spki] = oaep_spki(key);
  const bytes der = resign(fields, pki().issuing.key);
  {
    x509_ptr raw = parse_certificate(der);
    REQUIRE(raw);
    CHECK(X509_get0_pubkey(raw.get()) == nullptr);  // what OpenSSL 3 makes of it
    openssl_errors();
  }
  auto ek = intake(der);
  CHECK(kinds(ek.findings) == std::set{ek_finding_kind::rsaes_oaep_spki});
  CHECK(ek.key.rsaes_oaep);
  CHECK(ek.key.bits == 2048);
  CHECK(EVP_PKEY_eq(ek.public_key.get(), key) == 1);
  // The EK a TPM 1.2-era client presents is compared with the recovered key like any other.
  CHECK(check_ek_key(ek, tpm::ek_public_from_key(*tpm::find_ek_template("L-1"), key)).ok());
  CHECK_FALSE(check_ek_key(ek, tpm::ek_public_from_key(*tpm::find_ek_template("L-1"), rsa_key(2048, 11))).key_matches);

  auto chain = validate(ek);
  INFO(chain.reason);
  REQUIRE(chain.ok());
  CHECK(chain.chain.size() == 3);
  REQUIRE(chain.issuing_ca);
  CHECK(chain.issuing_ca->vendor == "IFX");

  SUBCASE("its dates are still checked") {
    ek_chain_options at;
    at.now = sys_seconds_of(days_from_now(4000));
    CHECK(validate(ek, at).failure == ek_chain_failure::expired);
    at.now = sys_seconds_of(days_from_now(-2));
    CHECK(validate(ek, at).failure == ek_chain_failure::not_yet_valid);
  }
  SUBCASE("a flipped signature byte fails") {
    CHECK(validate(intake(flip_signature_byte(der))).failure == ek_chain_failure::bad_signature);
  }
  SUBCASE("from an unknown CA it fails with unknown-issuer") {
    const ca stranger = make_root("Stranger TPM Root CA", 3);
    auto other = tbs_fields(der_of(make_ek(key, stranger).get()));
    other[tbs_spki] = oaep_spki(key);
    CHECK(validate(intake(resign(other, stranger.key))).failure == ek_chain_failure::unknown_issuer);
  }
}

TEST_CASE("explicit DEFAULT values are found in the encoding") {
  // A skeleton certificate: only the parts find_explicit_defaults looks at need to be real.
  const bytes algorithm = der::sequence({der::oid("1.2.840.113549.1.1.11"), der::null()});
  const bytes oaep = der::sequence(
      {der::oid("1.2.840.113549.1.1.7"),
       der::sequence({der::context(0, der::sequence({der::oid("1.3.14.3.2.26"), der::null()}))})});
  const bytes spki = der::sequence({oaep, der::tlv(0x03, bytes{0x00, 0x30, 0x00})});
  const bytes bc = der::sequence({der::oid("2.5.29.19"), der::boolean(true), der::octet_string(der::sequence({der::boolean(false)}))});
  const bytes sda = der::sequence({der::oid("2.5.29.9"), der::boolean(false), der::octet_string(der::sequence({}))});
  const bytes tbs = der::sequence({der::context(0, der::integer(2)), der::integer(1), algorithm, der::sequence({}),
                                   der::sequence({}), der::sequence({}), spki,
                                   der::context(3, der::sequence({bc, sda}))});
  const bytes cert = der::sequence({tbs, algorithm, der::tlv(0x03, bytes{0x00})});
  auto found = find_explicit_defaults(cert);
  std::set<std::string> texts;
  for (const auto& f : found) {
    CHECK(f.kind == ek_finding_kind::explicit_default_encoding);
    texts.insert(f.text);
  }
  CHECK(texts == std::set<std::string>{"basicConstraints encodes cA FALSE",
                                       "subjectDirectoryAttributes (2.5.29.9) encodes critical FALSE",
                                       "id-RSAES-OAEP parameters encode the default hash SHA-1"});
  CHECK(find_explicit_defaults(der_of(make_ek(rsa_key(2048, 10), pki().issuing).get())).empty());
}

TEST_CASE("EK key check: the EK public must be the certificate's key and fit the template") {
  EVP_PKEY* key = rsa_key(2048, 10);
  auto ek = intake(make_ek(key, pki().issuing).get());
  const auto* l1 = tpm::find_ek_template("L-1");
  REQUIRE(l1);

  auto good = check_ek_key(ek, tpm::ek_public_from_key(*l1, key));
  INFO(good.reason);
  CHECK(good.ok());
  CHECK(good.classification.label() == "L-1");
  CHECK(check_ek_key(ek, tpm::ek_public_from_key(*l1, key), l1).ok());

  SUBCASE("another key") {
    auto r = check_ek_key(ek, tpm::ek_public_from_key(*l1, rsa_key(2048, 11)));
    CHECK_FALSE(r.key_matches);
    CHECK(r.fits_template);
    CHECK(r.reason.find("not the key in the EK certificate") != std::string::npos);
  }
  SUBCASE("a claimed template the key does not fit") {
    auto r = check_ek_key(ek, tpm::ek_public_from_key(*l1, key), tpm::find_ek_template("H-6"));
    CHECK(r.key_matches);
    CHECK_FALSE(r.fits_template);
    CHECK(r.reason.find("H-6") != std::string::npos);
  }
  SUBCASE("an EK public that matches no template") {
    auto area = tpm::ek_public_from_key(*l1, key);
    area.object_attributes ^= 0x00000040;  // userWithAuth
    auto r = check_ek_key(ek, area);
    CHECK(r.key_matches);
    CHECK_FALSE(r.fits_template);
    CHECK_FALSE(r.classification.is_standard());
  }
  SUBCASE("an ECC certificate against an RSA template") {
    auto ecc = intake(make_ek(ec_key("P-256"), pki().issuing).get());
    auto r = check_ek_key(ecc, tpm::ek_public_from_key(*tpm::find_ek_template("L-2"), ec_key("P-256")), l1);
    CHECK(r.key_matches);
    CHECK_FALSE(r.fits_template);
  }
  SUBCASE("an EK public without a usable key") {
    auto area = tpm::ek_public_from_key(*l1, key);
    area.rsa.modulus.resize(10);
    CHECK_FALSE(check_ek_key(ek, area).key_matches);
  }
}

TEST_CASE("hostile input: truncations, random bytes and mutations never crash") {
  const bytes der = der_of(make_ek(rsa_key(2048, 10), pki().issuing).get());
  for (std::size_t n = 0; n < der.size(); ++n) {
    auto r = parse_ek_certificate(byte_view(der).first(n));
    CHECK_FALSE(r);
    CHECK_FALSE(r.error().empty());
  }
  std::mt19937 rng(20261128);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 2000; ++i) {
    bytes junk(static_cast<std::size_t>(rng() % 3000));
    for (auto& b : junk) b = static_cast<std::uint8_t>(byte(rng));
    if (i % 3 == 1 && junk.size() > 8) junk[0] = 0x30;  // look like DER
    if (i % 3 == 2 && junk.size() > 8) junk[0] = 0x10, junk[1] = 0x01, junk[2] = 0x00;  // like an NV blob
    CHECK_FALSE(parse_ek_certificate(junk));
  }
  // Mutated certificates may or may not parse; whatever parses must validate without crashing.
  for (int i = 0; i < 300; ++i) {
    bytes mutated = der;
    for (int k = 0; k < 3; ++k) mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(byte(rng));
    if (auto r = parse_ek_certificate(mutated)) (void)validate(*r);
  }
  CHECK_FALSE(parse_ek_certificate(bytes(max_ek_certificate_input + 1, 0x30)));
}
