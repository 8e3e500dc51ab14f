// szOID_ENROLL_EK_INFO, the EK information of a TPM identity request: an
// EnvelopedData to the CA's exchange certificate holding a SEQUENCE OF ANY.
// The first input byte picks what the rest is:
//   0: an EK info attribute value, opened as the CA opens it;
//   1: the plaintext of an EK info, which the harness envelopes to the
//      exchange certificate first, so the fuzzer reaches the parsing behind
//      the decryption (mutated ciphertext only ever fails to decrypt).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "certs/pem.hpp"
#include "fuzz/seeds.hpp"
#include "protocol/wcce/key_info.hpp"

using namespace aikmock;
namespace wcce = aikmock::protocol::wcce;

namespace {
enum selector : std::uint8_t { ek_attribute, ek_plaintext, count };

struct fixture {
  aikmock::evp_pkey_ptr exchange_key;
  aikmock::x509_ptr exchange_cert;
};

void seed(selector which, const std::string& name, byte_view body) {
  bytes input{which};
  input.insert(input.end(), body.begin(), body.end());
  fuzz::write_seed(name, input);
}

fixture* make_fixture() {
  aikmock::load_openssl_providers();
  auto* f = new fixture;
  auto now = std::chrono::system_clock::now();
  f->exchange_key = certs::generate_rsa_key(2048);
  f->exchange_cert = certs::certificate_builder(f->exchange_key.get())
                         .subject({{"CN", "fuzz exchange"}})
                         .validity(now, now + std::chrono::hours(1))
                         .sign(nullptr, f->exchange_key.get(), EVP_sha256());

  auto ek_key = certs::generate_ec_key("P-256");
  auto ek_cert = certs::certificate_builder(ek_key.get())
                     .validity(now, now + std::chrono::hours(1))
                     .sign(f->exchange_cert.get(), f->exchange_key.get(), EVP_sha256());
  const bytes ek_cert_der = certs::certificate_der(ek_cert.get());
  const bytes ek_spki = certs::public_key_der(ek_key.get());

  X509* to = f->exchange_cert.get();
  auto sealed = [&](const wcce::endorsement_key_info& info) {
    return certs::envelope_to(wcce::encode_ek_info(info), to, EVP_aes_128_cbc());
  };
  const wcce::endorsement_key_info ek{ek_spki, ek_cert_der, {}};
  seed(ek_attribute, "ek-info", sealed(ek));
  seed(ek_attribute, "ek-info-octet-string", certs::der::octet_string(sealed(ek)));
  const wcce::endorsement_key_info ek_bare{ek_spki, std::nullopt, {ek_cert_der, ek_cert_der}};
  seed(ek_attribute, "ek-info-null-and-others", sealed(ek_bare));

  seed(ek_plaintext, "ek-plain", wcce::encode_ek_info(ek));
  seed(ek_plaintext, "ek-plain-null-and-others", wcce::encode_ek_info(ek_bare));
  seed(ek_plaintext, "ek-plain-key-only", certs::der::sequence({ek_spki}));
  return f;
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
const fixture* const the_fixture = make_fixture();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fixture& f = *the_fixture;
  const byte_view body(data + 1, size - 1);
  X509* cert = f.exchange_cert.get();
  EVP_PKEY* key = f.exchange_key.get();
  switch (data[0] % count) {
    case ek_attribute: (void)wcce::open_ek_info(body, cert, key); break;
    case ek_plaintext: (void)wcce::open_ek_info(certs::envelope_to(body, cert, EVP_aes_128_cbc()), cert, key); break;
  }
  aikmock::openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
