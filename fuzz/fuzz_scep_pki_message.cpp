// SCEP pkiMessage parsing (CMS SignedData + EnvelopedData) and the PKCS#10 in it.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "fuzz/seeds.hpp"
#include "protocol/scep/pki_message.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "protocol/wcce/identity_request.hpp"

using namespace aikmock;

namespace {
struct fixture {
  aikmock::evp_pkey_ptr ra_key;
  aikmock::x509_ptr ra_cert;
};

fixture* make_fixture() {
  aikmock::load_openssl_providers();
  auto* f = new fixture;
  auto now = std::chrono::system_clock::now();
  f->ra_key = certs::generate_rsa_key(2048);
  f->ra_cert = certs::certificate_builder(f->ra_key.get())
                   .subject({{"CN", "fuzz RA"}})
                   .validity(now, now + std::chrono::hours(1))
                   .sign(nullptr, f->ra_key.get(), EVP_sha256());

  auto client_key = certs::generate_rsa_key(2048);
  auto client_cert = certs::certificate_builder(client_key.get())
                         .subject({{"CN", "fuzz requester"}})
                         .validity(now, now + std::chrono::hours(1))
                         .sign(nullptr, client_key.get(), EVP_sha256());
  aikmock::x509_req_ptr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), client_key.get());
  X509_REQ_sign(req.get(), client_key.get(), EVP_sha256());
  const bytes csr = certs::checked_der_of(req.get(), i2d_X509_REQ, "i2d_X509_REQ");

  protocol::scep::pki_request r;
  r.transaction_id = "fuzz";
  r.sender_nonce = bytes(16, 7);
  fuzz::write_seed("pkcsreq-aes", protocol::scep::build_pki_message(r, csr, f->ra_cert.get(), client_cert.get(),
                                                                    client_key.get()));
  r.cipher = EVP_des_ede3_cbc();
  fuzz::write_seed("pkcsreq-3des", protocol::scep::build_pki_message(r, csr, f->ra_cert.get(), client_cert.get(),
                                                                     client_key.get()));
  return f;
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
const fixture* const the_fixture = make_fixture();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fixture* f = the_fixture;
  auto parsed = protocol::scep::parse_pki_message({data, size}, f->ra_cert.get(), f->ra_key.get());
  if (parsed) (void)protocol::wcce::parse_identity_request(parsed->content);
  aikmock::openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
