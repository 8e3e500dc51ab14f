// The MS-WCCE EK and AIK information attributes of a TPM identity request:
// an EnvelopedData to the CA's exchange certificate holding a SEQUENCE OF ANY.
// The first input byte picks what the rest is:
//   0, 1: an EK / AIK info attribute value, opened as the CA opens it;
//   2, 3: the plaintext of an EK / AIK info, which the harness envelopes to the
//         exchange certificate first, so the fuzzer reaches the parsing behind
//         the decryption (mutated ciphertext only ever fails to decrypt).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/keys.hpp"
#include "certs/pem.hpp"
#include "certs/der_io.hpp"
#include "fuzz/seeds.hpp"
#include "protocol/wcce/key_info.hpp"

using namespace aikmock;
namespace wcce = aikmock::protocol::wcce;

namespace {
enum selector : std::uint8_t { ek_attribute, aik_attribute, ek_plaintext, aik_plaintext, count };

struct fixture {
  aikmock::evp_pkey_ptr exchange_key;
  aikmock::x509_ptr exchange_cert;
};


// An EnvelopedData of `plain` to `cert`, as a client seals an info attribute.
bytes envelope(byte_view plain, X509* cert) {
  aikmock::x509_stack_ptr recipients(openssl_check_ptr(sk_X509_new_null(), "sk_X509_new_null"));
  openssl_check(sk_X509_push(recipients.get(), cert) > 0, "sk_X509_push");
  aikmock::bio_ptr in(openssl_check_ptr(BIO_new_mem_buf(plain.data(), static_cast<int>(plain.size())), "BIO_new_mem_buf"));
  aikmock::cms_ptr env(CMS_encrypt(recipients.get(), in.get(), EVP_aes_128_cbc(), CMS_BINARY));
  sk_X509_zero(recipients.get());
  openssl_check(env != nullptr, "CMS_encrypt");
  return certs::cms_der(env.get());
}

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
  auto aik_key = certs::generate_ec_key("P-256");
  auto ek_cert = certs::certificate_builder(ek_key.get())
                     .validity(now, now + std::chrono::hours(1))
                     .sign(f->exchange_cert.get(), f->exchange_key.get(), EVP_sha256());
  const bytes ek_cert_der = certs::certificate_der(ek_cert.get());

  X509* to = f->exchange_cert.get();
  wcce::endorsement_key_info ek{certs::public_key_der(ek_key.get()), ek_cert_der, {}};
  seed(ek_attribute, "ek-info", wcce::seal_ek_info(ek, to));
  seed(ek_attribute, "ek-info-octet-string", certs::der::octet_string(wcce::seal_ek_info(ek, to)));
  wcce::endorsement_key_info ek_bare{certs::public_key_der(ek_key.get()), std::nullopt, {ek_cert_der, ek_cert_der}};
  seed(ek_attribute, "ek-info-null-and-others", wcce::seal_ek_info(ek_bare, to));
  wcce::aik_info aik{certs::public_key_der(aik_key.get()), std::nullopt};
  seed(aik_attribute, "aik-info", wcce::seal_aik_info(aik, to));
  aik.aik_certificate = ek_cert_der;
  seed(aik_attribute, "aik-info-with-certificate", wcce::seal_aik_info(aik, to));

  const bytes ek_spki = certs::public_key_der(ek_key.get());
  seed(ek_plaintext, "ek-plain", certs::der::sequence({ek_spki, ek_cert_der}));
  seed(ek_plaintext, "ek-plain-null-and-others", certs::der::sequence({ek_spki, certs::der::null(), ek_cert_der}));
  seed(aik_plaintext, "aik-plain", certs::der::sequence({certs::public_key_der(aik_key.get())}));
  seed(aik_plaintext, "aik-plain-with-certificate", certs::der::sequence({certs::public_key_der(aik_key.get()), ek_cert_der}));
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
    case aik_attribute: (void)wcce::open_aik_info(body, cert, key); break;
    case ek_plaintext: (void)wcce::open_ek_info(envelope(body, cert), cert, key); break;
    case aik_plaintext: (void)wcce::open_aik_info(envelope(body, cert), cert, key); break;
  }
  aikmock::openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
