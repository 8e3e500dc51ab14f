// Real EK certificates from real TPMs (shared/testdata/real-ek, see its README)
// against their vendors' CAs in the TrustedTPM layout. The files are read in
// place, never copied into the project; without them the tests say so and pass.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "certs/ek_certificate.hpp"
#include "certs/ek_chain.hpp"
#include "certs/trust_store.hpp"
#include "common/encoding.hpp"
#include "tests/support/ek_doctest_strings.hpp"
#include "common/files.hpp"

using namespace aikmock;
using namespace aikmock::certs;
namespace fs = std::filesystem;
using k = ek_finding_kind;

namespace {

const fs::path real_ek_dir = fs::path(AIKMOCK_SHARED_DIR) / "testdata" / "real-ek";


const trust_store& real_trust() {
  static const std::shared_ptr<const trust_store> store = [] {
    load_openssl_providers();
    const std::vector<fs::path> dirs{real_ek_dir / "trust"};
    auto r = trust_store::load(dirs);
    for (const auto& e : r.errors) FAIL_CHECK("trust load error " << e.path.string() << ": " << e.reason);
    return r.store;
  }();
  return *store;
}

// What the README table (and `openssl x509 -text`) says about each certificate.
struct expected_ek {
  const char* file;
  const char* manufacturer;
  const char* model;
  const char* version;
  ek_key_algorithm algorithm;
  const char* curve;  // ECC only
  const char* signature_hash;
  std::set<ek_finding_kind> findings;
  const char* vendor;             // of the issuing CA; nullptr: the issuer is not published
  const char* issuing_ca;         // CN of the issuing CA
  bool aki_mismatch = false;      // chain finding: AKI issuer/serial names another CA
};

const std::set<ek_finding_kind> tpm12_stm{k::sha1_signature, k::rsaes_oaep_spki, k::missing_key_usage,
                                          k::extension_should_not_be_critical};

const expected_ek expected[] = {
    {"ifx-slb9670-keylime-rsa2048.pem", "id:49465800", "SLB 9670 TPM2.0", "id:073f", ek_key_algorithm::rsa, "",
     "SHA256", {}, "IFX", "Infineon OPTIGA(TM) RSA Manufacturing CA 035"},
    {"ifx-slb9670-keylime-eccp256.pem", "id:49465800", "SLB 9670 TPM2.0", "id:073f", ek_key_algorithm::ecc, "P-256",
     "SHA256", {}, "IFX", "Infineon OPTIGA(TM) ECC Manufacturing CA 035"},
    {"ifx-slb9670-intelsecl-rsa2048.pem", "id:49465800", "SLB 9670 TPM2.0", "id:0728", ek_key_algorithm::rsa, "",
     "SHA256", {}, "IFX", "Infineon OPTIGA(TM) RSA Manufacturing CA 007"},
    // TPM 1.2: OAEP key, SHA-1, no EKU, no keyUsage, critical certificatePolicies, AKI naming another CA 08.
    {"ifx-slb9635tt12-hirs-rsa2048oaep.pem", "id:49465800", "SLB9635TT1.2", "id:0313", ek_key_algorithm::rsa, "",
     "SHA1",
     {k::sha1_signature, k::rsaes_oaep_spki, k::missing_ek_eku, k::missing_key_usage,
      k::extension_should_not_be_critical},
     "IFX", "IFX TPM EK Intermediate CA 08", true},
    {"intc-ptt-spt-smallstep-rsa2048.pem", "id:494E5443", "SPT", "id:00020000", ek_key_algorithm::rsa, "", "SHA256",
     {k::explicit_default_encoding}, "INTC", "www.intel.com"},
    {"intc-ptt-cml-uniris-eccp256.pem", "id:494E5443", "CML", "id:01F4000E", ek_key_algorithm::ecc, "P-256", "SHA256",
     {k::explicit_default_encoding, k::ecc_key_usage_mismatch}, "INTC", "www.intel.com"},
    {"ntc-npct75x-keylime-rsa2048.pem", "id:4E544300", "NPCT75x", "id:00070002", ek_key_algorithm::rsa, "", "SHA256",
     {}, "NTC", "Nuvoton TPM Root CA 2111"},
    {"ntc-npct6xx-goattestation-rsa2048.pem", "id:4E544300", "NPCT6xx", "id:13", ek_key_algorithm::rsa, "", "SHA256",
     {}, "NTC", "Nuvoton TPM Root CA 2110"},
    // TPM 1.2 era: no SDA, no keyUsage, no AKI, critical EKU, OAEP parameters with explicit defaults.
    {"ntc-npct6xx-tpm12-hirs-rsa2048oaep.pem", "id:4E544300", "NPCT6xx", "id:0581", ek_key_algorithm::rsa, "", "SHA1",
     {k::sha1_signature, k::rsaes_oaep_spki, k::missing_tpm_specification, k::missing_key_usage, k::missing_aki,
      k::extension_should_not_be_critical, k::explicit_default_encoding},
     "NTC", "Nuvoton TPM Root CA 2010"},
    {"stm-st33htphahb4-keylime-rsa2048.pem", "id:53544D20", "ST33HTPHAHB4", "id:00490004", ek_key_algorithm::rsa, "",
     "SHA256", {}, "STM", "STM TPM EK Intermediate CA 05"},
    {"stm-st33htphahb4-keylime-eccp256.pem", "id:53544D20", "ST33HTPHAHB4", "id:00490004", ek_key_algorithm::ecc,
     "P-256", "SHA256", {}, "STM", "STM TPM ECC Intermediate CA 01"},
    {"stm-st33htphahe0-gotest-rsa2048.pem", "id:53544D20", "ST33HTPHAHE0", "id:00010200", ek_key_algorithm::rsa, "",
     "SHA256", {}, "STM", "STM TPM EK Intermediate CA 06"},
    {"stm-st33ktpm2x-salrashid-rsa2048.pem", "id:53544D20", "ST33KTPM2X", "id:00090100", ek_key_algorithm::rsa, "",
     "SHA384", {}, "STM", "STSAFE TPM RSA Intermediate CA 10"},
    {"stm-st33zp24-hirs-ekuntouched-rsa2048oaep.pem", "id:53544D20", "ST33ZP24PVSP", "id:0D0C", ek_key_algorithm::rsa,
     "", "SHA1", tpm12_stm, "STM", "STM TPM EK Intermediate CA 02"},
    {"stm-st33zp24-hirs-ab21ccf2-rsa2048oaep.pem", "id:53544D20", "ST33ZP24PVSP", "id:0D0C", ek_key_algorithm::rsa, "",
     "SHA1", tpm12_stm, "STM", "STM TPM EK Intermediate CA 02"},
    {"stm-st33zp24-hirs-nuc1-rsa2048oaep.pem", "id:53544D20", "ST33ZP24PVSP", "id:0D0C", ek_key_algorithm::rsa, "",
     "SHA1", tpm12_stm, "STM", "STM TPM EK Intermediate CA 02"},
    // Device-resident issuer: no path to any published CA.
    {"msft-pluton-keyattestcsr-rsa2048.pem", "id:4D534654", "Pluton.TPM.A", "id:000a0005", ek_key_algorithm::rsa, "",
     "SHA384", {k::non_empty_subject, k::missing_tpm_specification, k::rsa_key_usage_mismatch}, nullptr, ""},
};

// The original NV blobs: the certificate of the .pem of the same name, plus what was around it.
struct expected_blob {
  const char* file;
  std::set<ek_finding_kind> extra;
  const char* trailing_says;  // nullptr: no trailing bytes
};

const expected_blob blobs[] = {
    {"ifx-slb9635tt12-hirs-rsa2048oaep.bin", {k::nv_header, k::trailing_bytes}, "300 zero bytes"},
    {"ntc-npct6xx-tpm12-hirs-rsa2048oaep.bin", {k::trailing_bytes}, "192 bytes of 0x11 fill"},
    {"stm-st33htphahb4-keylime-rsa2048.bin", {k::trailing_bytes}, "431 bytes of 0xFF fill"},
    {"stm-st33zp24-hirs-ekuntouched-rsa2048oaep.bin", {k::nv_header}, nullptr},
};

const expected_ek& expectation(const std::string& pem_file) {
  for (const auto& e : expected)
    if (pem_file == e.file) return e;
  FAIL("no expectation for " << pem_file);
  throw;
}

ek_certificate read_ek(const std::string& file) {
  auto data = read_file(real_ek_dir / "ek" / file);
  REQUIRE(data);
  auto r = parse_ek_certificate(*data);
  INFO(file << ": " << r.error());
  REQUIRE(r);
  return std::move(*r);
}

std::set<ek_finding_kind> kinds(const std::vector<ek_finding>& findings) {
  std::set<ek_finding_kind> out;
  for (const auto& f : findings) out.insert(f.kind);
  return out;
}

std::chrono::sys_seconds real_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// The chain verdict the README's table implies: published issuers validate
// inside the EK's validity (and at the real time unless it has expired).
void check_chain(const ek_certificate& ek, const expected_ek& e) {
  INFO(std::string(e.file));
  const auto& store = real_trust();
  if (!e.vendor) {
    CHECK(validate_ek_chain(ek, store).failure == ek_chain_failure::unknown_issuer);
    return;
  }
  ek_chain_options inside;
  inside.now = ek.not_before + std::chrono::days(30);
  auto r = validate_ek_chain(ek, store, {}, inside);
  INFO(r.reason);
  REQUIRE(r.ok());
  REQUIRE(r.issuing_ca);
  CHECK(r.issuing_ca->vendor == e.vendor);
  CHECK(r.issuing_ca->identity.subject.find(std::string("CN=") + e.issuing_ca) != std::string::npos);
  if (!ek.authority_key_id.empty()) CHECK(r.issuing_ca->identity.key_id == to_hex(ek.authority_key_id));
  CHECK(r.chain.size() >= 2);
  CHECK(has_finding(r.findings, k::aki_issuer_serial_mismatch) == e.aki_mismatch);

  auto now = validate_ek_chain(ek, store);
  if (ek.not_after < real_now()) {
    CHECK(now.failure == ek_chain_failure::expired);
    CHECK(now.error_depth == 0);
  } else {
    INFO(now.reason);
    CHECK(now.ok());
  }
}

}  // namespace

TEST_CASE("real EK certificates: SAN values, key, signature hash and every finding") {
  std::size_t seen = 0;
  for (const auto& entry : fs::directory_iterator(real_ek_dir / "ek")) {
    if (entry.path().extension() != ".pem") continue;
    const std::string file = entry.path().filename().string();
    CAPTURE(file);
    const expected_ek& e = expectation(file);
    auto ek = read_ek(file);
    ++seen;
    CHECK(ek.tpm.manufacturer == e.manufacturer);
    CHECK(ek.tpm.model == e.model);
    CHECK(ek.tpm.version == e.version);
    CHECK(ek.key.algorithm == e.algorithm);
    CHECK(ek.key.bits == (e.algorithm == ek_key_algorithm::rsa ? 2048u : 256u));
    CHECK(ek.key.curve == e.curve);
    CHECK(ek.key.rsaes_oaep == e.findings.count(k::rsaes_oaep_spki));
    CHECK(ek.public_key);
    CHECK(ek.signature_hash == e.signature_hash);
    INFO(describe(ek.findings));
    CHECK(kinds(ek.findings) == e.findings);
  }
  CHECK(seen == std::size(expected));
}

TEST_CASE("real EK certificates chain to their vendor CAs, OAEP and TPM 1.2 ones included") {
  for (const auto& e : expected) check_chain(read_ek(e.file), e);
}

TEST_CASE("the original NV blobs: same certificate, plus the header and padding findings, and they validate") {
  for (const auto& b : blobs) {
    const std::string file = b.file;
    CAPTURE(file);
    const std::string pem = file.substr(0, file.size() - 4) + ".pem";
    auto blob = read_ek(file);
    auto bare = read_ek(pem);
    CHECK(blob.der == bare.der);
    std::set<ek_finding_kind> want = expectation(pem).findings;
    want.insert(b.extra.begin(), b.extra.end());
    CHECK(kinds(blob.findings) == want);
    if (b.trailing_says) {
      bool said = false;
      for (const auto& f : blob.findings)
        said = said || (f.kind == k::trailing_bytes && f.text.find(b.trailing_says) != std::string::npos);
      CHECK_MESSAGE(said, describe(blob.findings));
    }
    check_chain(blob, expectation(pem));
  }
}

TEST_CASE("the Infineon TPM 1.2 EK: the AKI mismatch is accepted on its signature, and said so") {
  auto ek = read_ek("ifx-slb9635tt12-hirs-rsa2048oaep.pem");
  ek_chain_options inside;
  inside.now = ek.not_before + std::chrono::days(30);
  auto r = validate_ek_chain(ek, real_trust(), {}, inside);
  REQUIRE(r.ok());
  REQUIRE(r.chain.size() == 4);
  CHECK(r.chain.back().find("CN=VeriSign Trusted Platform Module Root CA") == 0);
  std::size_t mismatches = 0;
  for (const auto& f : r.findings) {
    if (f.kind != k::aki_issuer_serial_mismatch) continue;
    ++mismatches;
    CHECK(f.text.find("accepted because its key verifies the signature") != std::string::npos);
  }
  CHECK(mismatches == 2);  // EK -> CA 08 and CA 08 -> IFX TPM EK Root CA
  CHECK(r.issuing_ca->identity.key_id == "4c4b4d648908e45bfe5a10d36387a688aec1cf78");
}

TEST_CASE("real trust folder: anchors, cross-signed CAs as intermediates, and authority candidates") {
  const auto& store = real_trust();
  CHECK(store.anchors().size() == 11);
  CHECK(store.intermediates().size() == 17);
  CHECK(store.authority_candidates().size() == 28);
  std::map<std::string, std::string> by_subject;
  for (const auto& c : store.authority_candidates()) by_subject[c.subject] = c.key_id;
  CHECK(by_subject["CN=Infineon OPTIGA(TM) RSA Manufacturing CA 035,OU=OPTIGA(TM) TPM2.0,O=Infineon Technologies AG,C=DE"] ==
        "ce77153b6e110ca4ae2971a09851ef499326202a");
  // Multi-valued RDN in non-DER order, as encoded.
  CHECK(by_subject["C=TW+O=Nuvoton Technology Corporation+CN=Nuvoton TPM Root CA 2111"] ==
        "23f4e22ad3be374a449772954aa283aed752572e");
}

TEST_CASE("real CA with a non-minimal serial: OpenSSL cannot load it, the store reports it by name") {
  const fs::path original =
      real_ek_dir / "ca-quirks" / "STM" / "STM_TPM_EK_Intermediate_CA_05_original-nonminimal-serial.der";
  REQUIRE(fs::exists(original));
  const fs::path dir = fs::temp_directory_path() / ("aikmock-real-ek-" + std::to_string(::getpid()));
  fs::remove_all(dir);  // left over from an interrupted run
  fs::create_directories(dir / "STM" / "IntermediateCA");
  fs::create_symlink(original, dir / "STM" / "IntermediateCA" / "ca05.der");  // read in place, not copied
  const std::vector<fs::path> dirs{dir, real_ek_dir / "trust"};
  auto r = trust_store::load(dirs);
  fs::remove_all(dir);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].path.filename() == "ca05.der");
  CHECK(r.store->anchors().size() == 11);
}

TEST_CASE("hostile input: every truncation of real EK certificates and blobs never crashes") {
  for (const auto& entry : fs::directory_iterator(real_ek_dir / "ek")) {
    auto data = read_file(entry.path());
    REQUIRE(data);
    const bool pem = entry.path().extension() == ".pem";
    CAPTURE(entry.path().filename().string());
    bytes input = *data;
    if (pem) {
      auto full = parse_ek_certificate(input);
      REQUIRE(full);
      input = full->der;
    }
    std::size_t accepted = 0;
    for (std::size_t n = 0; n < input.size(); ++n)
      if (parse_ek_certificate(byte_view(input).first(n))) ++accepted;
    // A bare certificate cut anywhere is an error; a padded blob still holds the whole certificate
    // until the cut reaches it (but the declared NV size must be there).
    if (pem) CHECK(accepted == 0);
  }
}
