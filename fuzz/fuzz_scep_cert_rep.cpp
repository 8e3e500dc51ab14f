// The SCEP CertRep the reference client reads (RFC 8894 §3.3.2): SignedData
// by the RA signing key, SCEP attributes, and for SUCCESS a degenerate PKCS#7
// enveloped to the requester.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "certs/certificate_builder.hpp"
#include "certs/keys.hpp"
#include "fuzz/seeds.hpp"
#include "protocol/scep/cert_rep.hpp"

using namespace aikmock;
namespace scep = aikmock::protocol::scep;

namespace {
struct fixture {
  aikmock::evp_pkey_ptr ra_key;
  aikmock::x509_ptr ra_cert;
  aikmock::evp_pkey_ptr requester_key;
  aikmock::x509_ptr requester_cert;
};

fixture* make_fixture() {
  aikmock::load_openssl_providers();
  auto* f = new fixture;
  auto now = std::chrono::system_clock::now();
  f->ra_key = certs::generate_rsa_key(2048);
  f->ra_cert = certs::certificate_builder(f->ra_key.get())
                   .subject({{"CN", "fuzz RA signing"}})
                   .validity(now, now + std::chrono::hours(1))
                   .sign(nullptr, f->ra_key.get(), EVP_sha256());
  f->requester_key = certs::generate_rsa_key(2048);
  f->requester_cert = certs::certificate_builder(f->requester_key.get())
                          .subject({{"CN", "fuzz requester"}})
                          .validity(now, now + std::chrono::hours(1))
                          .sign(nullptr, f->requester_key.get(), EVP_sha256());

  scep::cert_rep pending;
  pending.status = scep::pki_status::pending;
  pending.transaction_id = "fuzz-transaction";
  pending.recipient_nonce = bytes(16, 9);
  pending.attributes = {{"1.3.6.1.4.1.311.21.28", bytes{1, 2, 3}}, {"1.3.6.1.4.1.311.21.34", bytes(48, 's')}};
  fuzz::write_seed("pending", scep::build_cert_rep(pending, f->ra_cert.get(), f->ra_key.get(), f->requester_cert.get()));

  scep::cert_rep success;
  success.transaction_id = "fuzz-transaction";
  success.recipient_nonce = bytes(16, 1);
  success.certificates = {f->requester_cert.get(), f->ra_cert.get()};
  fuzz::write_seed("success", scep::build_cert_rep(success, f->ra_cert.get(), f->ra_key.get(), f->requester_cert.get()));

  scep::cert_rep failure;
  failure.status = scep::pki_status::failure;
  failure.failure = scep::fail_info::bad_request;
  failure.transaction_id = "fuzz-transaction";
  failure.recipient_nonce = bytes(16, 2);
  fuzz::write_seed("failure", scep::build_cert_rep(failure, f->ra_cert.get(), f->ra_key.get(), f->requester_cert.get()));
  return f;
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
const fixture* const the_fixture = make_fixture();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fixture& f = *the_fixture;
  auto parsed = scep::parse_cert_rep({data, size}, f.ra_cert.get(), f.requester_cert.get(), f.requester_key.get());
  if (parsed) {
    (void)parsed->attribute("1.3.6.1.4.1.311.21.28");
    // Only SUCCESS carries certificates, and a SUCCESS carries at least one.
    if (parsed->status != scep::pki_status::success && !parsed->certificates.empty()) __builtin_trap();
  }
  aikmock::openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
