// The SCEP CertRep as the reference client reads it (RFC 8894 §3.3.2, with
// Windows' pkiStatus 11): SignedData by the RA signing key, SCEP attributes,
// and a pkcsPKIEnvelope to the requester; for SUCCESS that envelope holds the
// certificates-only SignedData the client then reads.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "client/wire/cert_rep_reader.hpp"
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
  X509* to = f->requester_cert.get();

  scep::cert_rep challenge;
  challenge.status = scep::pki_status::pending_challenge;
  challenge.transaction_id = "fuzz-transaction";
  challenge.recipient_nonce = bytes(16, 9);
  challenge.content = certs::envelope_to(bytes(64, 'c'), to, EVP_aes_128_cbc());
  fuzz::write_seed("pending-challenge", scep::build_cert_rep(challenge, f->ra_cert.get(), f->ra_key.get()));

  scep::cert_rep success;
  success.transaction_id = "fuzz-transaction";
  success.recipient_nonce = bytes(16, 1);
  success.content = certs::envelope_to(
      scep::signed_certificates(f->ra_cert.get(), f->ra_key.get(), {f->requester_cert.get(), f->ra_cert.get()}), to,
      EVP_aes_128_cbc());
  fuzz::write_seed("success", scep::build_cert_rep(success, f->ra_cert.get(), f->ra_key.get()));

  scep::cert_rep failure;
  failure.status = scep::pki_status::failure;
  failure.failure = scep::fail_info::bad_request;
  failure.transaction_id = "fuzz-transaction";
  failure.recipient_nonce = bytes(16, 2);
  fuzz::write_seed("failure", scep::build_cert_rep(failure, f->ra_cert.get(), f->ra_key.get()));
  return f;
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
const fixture* const the_fixture = make_fixture();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fixture& f = *the_fixture;
  auto parsed = client::parse_cert_rep({data, size}, f.ra_cert.get(), f.requester_cert.get(), f.requester_key.get());
  if (parsed) {
    // Only a FAILURE carries a failInfo.
    if (parsed->failure && parsed->status != scep::pki_status::failure) __builtin_trap();
    if (parsed->status == scep::pki_status::success) (void)client::signed_certificates_of(parsed->content, f.ra_cert.get());
  }
  aikmock::openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
