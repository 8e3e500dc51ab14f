// SCEP pkiMessage parsing (CMS SignedData + EnvelopedData) and the PKCS#10 in
// it. Only the seeds' signatures verify: mutations exercise what is checked
// before (sizes, signer and certificate counts, signer key kind, attributes).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "certs/pem.hpp"
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

  client::pki_request r;
  r.transaction_id = "fuzz";
  r.sender_nonce = bytes(16, 7);
  fuzz::write_seed("pkcsreq-aes", client::build_pki_message(r, csr, f->ra_cert.get(), client_cert.get(),
                                                            client_key.get()));
  r.type = protocol::scep::message_type::claim_challenge_answer;
  r.extra_certificates = {certs::certificate_der(f->ra_cert.get())};
  fuzz::write_seed("answer-with-chain", client::build_pki_message(r, csr, f->ra_cert.get(), client_cert.get(),
                                                                  client_key.get()));
  r.cipher = EVP_des_ede3_cbc();
  r.transaction_id = "fuzz transaction (with) 'spaces'";
  fuzz::write_seed("pkcsreq-3des", client::build_pki_message(r, csr, f->ra_cert.get(), client_cert.get(),
                                                             client_key.get()));

  // The hostile cases that once stopped the server (docs/security.md): a
  // transactionID that is not UTF-8, and a signer no reply can be enveloped to.
  r.cipher = EVP_aes_128_cbc();
  r.transaction_id = "\xff" "A";
  fuzz::write_seed("tid-not-utf8", client::build_pki_message(r, csr, f->ra_cert.get(), client_cert.get(),
                                                             client_key.get()));
  r.transaction_id = "fuzz";
  aikmock::evp_pkey_ctx_ptr params_ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  EVP_PKEY* raw_params = nullptr;
  if (!params_ctx || EVP_PKEY_paramgen_init(params_ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_dsa_paramgen_bits(params_ctx.get(), 1024) != 1 ||
      EVP_PKEY_paramgen(params_ctx.get(), &raw_params) != 1)
    throw std::runtime_error("DSA parameters: " + aikmock::openssl_errors());
  aikmock::evp_pkey_ptr params(raw_params);
  aikmock::evp_pkey_ctx_ptr key_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params.get(), nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!key_ctx || EVP_PKEY_keygen_init(key_ctx.get()) != 1 || EVP_PKEY_keygen(key_ctx.get(), &raw_key) != 1)
    throw std::runtime_error("DSA key: " + aikmock::openssl_errors());
  aikmock::evp_pkey_ptr dsa(raw_key);
  auto dsa_cert = certs::certificate_builder(dsa.get())
                      .subject({{"CN", "SCEP Protocol Certificate"}})
                      .validity(now, now + std::chrono::hours(1))
                      .sign(nullptr, dsa.get(), EVP_sha256());
  fuzz::write_seed("signer-dsa", client::build_pki_message(r, csr, f->ra_cert.get(), dsa_cert.get(), dsa.get()));
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
