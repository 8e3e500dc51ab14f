// EK certificate intake (DER, NV-wrapped, padded, PEM, id-RSAES-OAEP keys)
// and the tolerant chain validation of what it decodes, against a trust store
// of one vendor CA.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "certs/ek_certificate.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/ek_chain.hpp"
#include "certs/keys.hpp"
#include "common/openssl.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "fuzz/seeds.hpp"
#include "tests/support/ek_fixtures.hpp"

using namespace aikmock;

namespace {
struct fixture {
  std::shared_ptr<const certs::trust_store> store;
};

bytes nv_wrapped(const bytes& der, bool full_cert_tag) {
  const std::size_t n = der.size() + (full_cert_tag ? 2 : 0);
  bytes out{0x10, 0x01, 0x00, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  if (full_cert_tag) out.insert(out.end(), {0x10, 0x02});
  out.insert(out.end(), der.begin(), der.end());
  return out;
}

fixture* make_fixture() {
  aikmock::load_openssl_providers();
  auto* f = new fixture;
  // One vendor root that issues EK certificates directly (as Nuvoton's do).
  const ek_test::ca root = ek_test::make_root("fuzz EK root", 0);
  {
    ek_test::temp_dir dir;
    ek_test::write_trust_file(dir.path(), "FUZ", true, "root.pem", root.cert.get());
    const std::filesystem::path dirs[] = {dir.path()};
    auto loaded = certs::trust_store::load(dirs);
    if (!loaded.errors.empty() || loaded.store->anchors().size() != 1) {
      throw std::runtime_error("fuzz_ek_certificate: the trust store did not load");
    }
    f->store = loaded.store;
  }  // the store is in memory: the directory goes now

  auto rsa_ek = certs::generate_rsa_key(2048);
  auto ecc_ek = certs::generate_ec_key("P-256");
  const bytes rsa_der =
      certs::certificate_der(certs::make_ek_certificate(rsa_ek.get(), root.cert.get(), root.key, ek_test::test_tpm,
                                                        EVP_sha256())
                                 .get());
  auto ecc_cert = certs::make_ek_certificate(ecc_ek.get(), root.cert.get(), root.key, ek_test::test_tpm, EVP_sha384());
  fuzz::write_seed("ek-rsa.der", rsa_der);
  fuzz::write_seed("ek-ecc.der", certs::certificate_der(ecc_cert.get()));
  fuzz::write_seed("ek-rsa-nv.bin", nv_wrapped(rsa_der, false));
  fuzz::write_seed("ek-rsa-nv-full-cert.bin", nv_wrapped(rsa_der, true));
  bytes padded = rsa_der;
  padded.resize(rsa_der.size() + 300, 0xFF);
  fuzz::write_seed("ek-rsa-padded.bin", padded);
  fuzz::write_seed("ek-ecc.pem", as_bytes(certs::certificate_pem(ecc_cert.get())));
  // A TPM 1.2-era EK: id-RSAES-OAEP key, which OpenSSL cannot verify a chain for.
  auto fields = ek_test::tbs_fields(rsa_der);
  fields[ek_test::tbs_spki] = ek_test::oaep_spki(rsa_ek.get());
  fuzz::write_seed("ek-rsa-oaep.der", ek_test::resign(fields, root.key));
  return f;
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
const fixture* const the_fixture = make_fixture();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fixture& f = *the_fixture;
  if (auto parsed = certs::parse_ek_certificate({data, size})) {
    const certs::ek_certificate& ek = *parsed;
    auto chain = certs::validate_ek_chain(ek, *f.store);
    if (chain.failure == certs::ek_chain_failure::unhandled_critical_extension) {
      certs::ek_chain_options lenient;
      lenient.ignore_unknown_critical_extensions = true;
      certs::validate_ek_chain(ek, *f.store, {}, lenient);
    }
  }
  aikmock::openssl_errors();
  return 0;
}
