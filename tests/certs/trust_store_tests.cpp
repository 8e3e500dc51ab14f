// The trust store (TrustedTPM layout, load errors, reloads) and the lab PKI
// seen through it: every lab EK validates, and the authority candidates are
// the manifest's authorities.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "certs/ek_certificate.hpp"
#include "certs/ek_chain.hpp"
#include "certs/ek_key_check.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "common/encoding.hpp"
#include "tests/support/ek_doctest_strings.hpp"
#include "common/files.hpp"
#include "tests/support/ek_fixtures.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/public_area.hpp"

using namespace aikmock;
using namespace aikmock::certs;
using namespace aikmock::ek_test;
namespace fs = std::filesystem;

namespace {

struct cas {
  ca root = make_root("Store Test Root CA", 1);
  ca issuing = make_intermediate("Store Test EK CA", root, 2);
  ca other_root = make_root("Other Test Root CA", 3);
  // Cross-signed: the other root's subject and key, issued by `root`.
  ca cross = [this] {
    ca c;
    c.key = other_root.key;
    c.cert = certificate_builder(c.key)
                 .subject({{"C", "DE"}, {"O", "ek fixtures"}, {"CN", "Other Test Root CA"}})
                 .validity(days_from_now(-10), days_from_now(1000))
                 .extension(NID_basic_constraints, "critical,CA:TRUE")
                 .extension(NID_key_usage, "critical,keyCertSign,cRLSign")
                 .extension(NID_subject_key_identifier, "hash")
                 .sign(root.cert.get(), root.key, EVP_sha256());
    return c;
  }();
};

const cas& test_cas() {
  static const cas c = [] {
    load_openssl_providers();
    return cas{};
  }();
  return c;
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

trust_store::load_result load(std::initializer_list<fs::path> dirs) {
  const std::vector<fs::path> v(dirs);
  return trust_store::load(v);
}

std::set<std::string> subjects(const std::vector<trust_certificate>& list) {
  std::set<std::string> out;
  for (const auto& t : list) out.insert(t.identity.subject);
  return out;
}

const lab_manifest& lab() {
  static const lab_manifest m = [] {
    load_openssl_providers();
    return load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  }();
  return m;
}

}  // namespace

TEST_CASE("TrustedTPM layout: anchors, intermediates, vendors, DER and PEM, several directories") {
  const auto& c = test_cas();
  temp_dir a, b;
  write_trust_file(a.path(), "IFX", true, "root.crt", c.root.cert.get());
  write_trust_file(a.path(), "IFX", false, "ek-ca.der", c.issuing.cert.get(), true);
  // Cross-signed and filed under RootCA, as TrustedTPM does for STM TPM EK Root CA.
  write_trust_file(b.path(), "STM", true, "cross.cer", c.cross.cert.get(), true);
  write_trust_file(b.path(), "STM", true, "other-root.PEM", c.other_root.cert.get());

  auto r = load({a.path(), b.path()});
  CHECK(r.errors.empty());
  const auto& store = *r.store;
  CHECK(subjects(store.anchors()) ==
        std::set<std::string>{"CN=Store Test Root CA,O=ek fixtures,C=DE", "CN=Other Test Root CA,O=ek fixtures,C=DE"});
  CHECK(subjects(store.intermediates()) ==
        std::set<std::string>{"CN=Store Test EK CA,O=ek fixtures,C=DE", "CN=Other Test Root CA,O=ek fixtures,C=DE"});
  const trust_certificate* cross = store.find(c.cross.cert.get());
  REQUIRE(cross);
  CHECK(cross->role == trust_role::intermediate);
  CHECK(cross->vendor == "STM");
  CHECK(cross->file.filename() == "cross.cer");
  REQUIRE(store.find(c.issuing.cert.get()));
  CHECK(store.find(c.issuing.cert.get())->vendor == "IFX");

  // Every CA is an authority candidate, each with its SKI and NameId.
  const auto& candidates = store.authority_candidates();
  CHECK(candidates.size() == 4);
  auto issuing = std::find_if(candidates.begin(), candidates.end(),
                              [](const auto& a) { return a.subject == "CN=Store Test EK CA,O=ek fixtures,C=DE"; });
  REQUIRE(issuing != candidates.end());
  CHECK(issuing->vendor == "IFX");
  CHECK(issuing->key_id == to_hex(subject_key_identifier(c.issuing.cert.get())));
  CHECK(issuing->name_id == to_hex(subject_name_hash_sha1(c.issuing.cert.get())));
  CHECK(issuing->role == trust_role::intermediate);
}

TEST_CASE("a broken file is reported by name and the rest loads; other files are ignored by extension") {
  const auto& c = test_cas();
  temp_dir d;
  write_trust_file(d.path(), "IFX", true, "root.pem", c.root.cert.get());
  write_trust_file(d.path(), "IFX", false, "ek-ca.pem", c.issuing.cert.get());
  write_text(d.path() / "IFX" / "IntermediateCA" / "broken.cer", "this is not a certificate");
  write_text(d.path() / "IFX" / "IntermediateCA" / "truncated.pem",
             certificate_pem(c.other_root.cert.get()).substr(0, 300));
  write_text(d.path() / "IFX" / "IntermediateCA" / "README.txt", "notes");
  write_text(d.path() / "IFX" / "RootCA" / "root.key", "-----BEGIN PRIVATE KEY-----\n");
  write_text(d.path() / "IFX" / "Other" / "x.pem", "ignored: not RootCA or IntermediateCA");
  write_text(d.path() / "loose.pem", "ignored: not in a vendor folder");

  auto r = load({d.path()});
  std::set<std::string> failed;
  for (const auto& e : r.errors) failed.insert(e.path.filename().string());
  CHECK(failed == std::set<std::string>{"broken.cer", "truncated.pem"});
  CHECK(r.store->anchors().size() == 1);
  CHECK(r.store->intermediates().size() == 1);
}

TEST_CASE("empty and missing directories") {
  temp_dir d;
  fs::create_directories(d.path() / "IFX" / "RootCA");
  fs::create_directories(d.path() / "STM");
  auto empty = load({d.path()});
  CHECK(empty.errors.empty());
  CHECK(empty.store->anchors().empty());
  CHECK(empty.store->authority_candidates().empty());

  auto missing = load({d.path() / "nope"});
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].path == d.path() / "nope");
  REQUIRE(missing.store);
  CHECK(missing.store->anchors().empty());
}

TEST_CASE("the same certificate in two directories is kept once, with its first vendor") {
  const auto& c = test_cas();
  temp_dir a, b;
  write_trust_file(a.path(), "IFX", true, "root.pem", c.root.cert.get());
  write_trust_file(b.path(), "Infineon", true, "copy.cer", c.root.cert.get(), true);
  auto r = load({a.path(), b.path()});
  REQUIRE(r.store->anchors().size() == 1);
  CHECK(r.store->anchors()[0].vendor == "IFX");
  CHECK(r.store->authority_candidates().size() == 1);
}

TEST_CASE("a reload with errors leaves the store in use working") {
  const auto& c = test_cas();
  temp_dir good_dir, bad_dir;
  write_trust_file(good_dir.path(), "IFX", true, "root.pem", c.root.cert.get());
  write_trust_file(good_dir.path(), "IFX", false, "ek-ca.pem", c.issuing.cert.get());
  std::shared_ptr<const trust_store> in_use = load({good_dir.path()}).store;
  auto ek = parse_ek_certificate(der_of(make_ek(rsa_key(2048, 10), c.issuing).get()));
  REQUIRE(ek);
  REQUIRE(validate_ek_chain(*ek, *in_use).ok());

  write_text(bad_dir.path() / "IFX" / "RootCA" / "root.pem", "garbage");
  auto reload = load({bad_dir.path()});
  CHECK(reload.errors.size() == 1);
  CHECK(reload.store != in_use);
  CHECK(validate_ek_chain(*ek, *reload.store).failure == ek_chain_failure::unknown_issuer);
  // The caller kept `in_use`: untouched by the failed reload.
  CHECK(validate_ek_chain(*ek, *in_use).ok());
  CHECK(in_use->anchors().size() == 1);
}

TEST_CASE("lab: every lab EK validates against the lab trust store and its key fits its template") {
  const auto& m = lab();
  const std::vector<fs::path> dirs{m.path_of(m.trust_store)};
  auto r = trust_store::load(dirs);
  CHECK(r.errors.empty());
  REQUIRE(!m.eks.empty());
  for (const auto& e : m.eks) {
    CAPTURE(e.id);
    auto data = read_file(m.path_of(e.certificate));
    REQUIRE(data);
    auto ek = parse_ek_certificate(*data);
    INFO(ek.error());
    REQUIRE(ek);
    CHECK(ek->findings.empty());
    auto chain = validate_ek_chain(*ek, *r.store);
    INFO(chain.reason);
    REQUIRE(chain.ok());
    REQUIRE(chain.issuing_ca);
    CHECK(chain.issuing_ca->vendor == e.vendor);
    CHECK(e.authority == e.vendor + "-KeyId-" + chain.issuing_ca->identity.key_id);

    auto pub = read_file(m.path_of(e.public_area));
    REQUIRE(pub);
    auto area = tpm::parse_public2b(*pub);
    REQUIRE(area);
    auto key = check_ek_key(*ek, *area, tpm::find_ek_template(e.tpl));
    INFO(key.reason);
    CHECK(key.ok());
    CHECK(key.classification.label() == e.tpl);
  }
}

TEST_CASE("lab: the authority candidates' SKIs are the manifest authorities' keyIds") {
  const auto& m = lab();
  const std::vector<fs::path> dirs{m.path_of(m.trust_store)};
  auto r = trust_store::load(dirs);
  std::set<std::string> intermediate_ids, all_ids, manifest_ids;
  for (const auto& c : r.store->authority_candidates()) {
    all_ids.insert(c.key_id);
    if (c.role == trust_role::intermediate) intermediate_ids.insert(c.key_id);
  }
  for (const auto& a : m.authorities) {
    manifest_ids.insert(a.key_id);
    auto it = std::find_if(r.store->authority_candidates().begin(), r.store->authority_candidates().end(),
                           [&](const auto& c) { return c.key_id == a.key_id; });
    REQUIRE(it != r.store->authority_candidates().end());
    CHECK(it->vendor == a.vendor);
    CHECK(it->name_id == a.name_id);
  }
  // The lab's EK-issuing CAs are exactly its intermediates; its roots are candidates too.
  CHECK(intermediate_ids == manifest_ids);
  CHECK(all_ids.size() == manifest_ids.size() + m.vendors.size());
}
