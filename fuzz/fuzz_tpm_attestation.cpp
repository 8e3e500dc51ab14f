// The attestation structures a client sends beside its AIK (tpm2-tools files,
// the parts of an idBinding): TPM2B_ATTEST / TPMS_ATTEST,
// TPM2B_CREATION_DATA / TPMS_CREATION_DATA and TPMT_SIGNATURE. The first
// input byte picks the structure; the rest is its bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/openssl.hpp"
#include "fuzz/seeds.hpp"
#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/signature.hpp"
#include "client/soft/soft_aik.hpp"

using namespace aikmock;

namespace {
enum selector : std::uint8_t { attest2b, creation_data2b, signature, attest, creation_data, count };

void seed(selector which, const std::string& name, byte_view body) {
  bytes input{which};
  input.insert(input.end(), body.begin(), body.end());
  fuzz::write_seed(name, input);
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
bool seeded = [] {
  aikmock::load_openssl_providers();
  for (auto type : {tpm::alg::rsa, tpm::alg::ecc}) {
    const std::string kind = type == tpm::alg::rsa ? "rsa" : "ecc";
    auto proof = client::certify_creation(client::create_soft_aik(type), bytes(16, 0x4e));
    tpm::writer attest_out;
    attest_out.tpm2b(proof.attest);
    seed(attest2b, "attest2b-creation-" + kind, attest_out.data());
    seed(attest, "attest-creation-" + kind, proof.attest);
    tpm::writer data_out;
    data_out.tpm2b(proof.creation_data);
    seed(creation_data2b, "creation-data2b-" + kind, data_out.data());
    seed(creation_data, "creation-data-" + kind, proof.creation_data);
    seed(signature, "signature-" + kind, tpm::marshal_signature(proof.signature));
  }
  tpm::tpmt_signature pss;
  pss.sig_alg = tpm::alg::rsapss;
  pss.hash = tpm::alg::sha384;
  pss.rsa_signature = bytes(384, 0x5a);
  seed(signature, "signature-rsapss", tpm::marshal_signature(pss));

  tpm::tpms_attest certify;
  certify.qualified_signer = bytes(34, 0x11);
  certify.extra_data = bytes(32, 0x22);
  certify.clock_info = {123456789, 7, 3, 1};
  certify.firmware_version = 0x0001000200030004;
  certify.attested = tpm::tpms_certify_info{bytes(34, 0x33), bytes(34, 0x44)};
  seed(attest2b, "attest2b-certify", tpm::marshal_attest2b(certify));
  tpm::tpms_attest quote = certify;
  quote.attested = tpm::tpms_quote_info{
      tpm::pcr_selection{{{tpm::alg::sha1, bytes{0xff, 0xff, 0xff}}, {tpm::alg::sha256, bytes{0x01, 0x00, 0x80}}}},
      bytes(32, 0x55)};
  seed(attest2b, "attest2b-quote", tpm::marshal_attest2b(quote));
  seed(attest, "attest-quote", tpm::marshal_attest(quote));
  return true;
}();

bool same(byte_view a, byte_view b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const byte_view body(data + 1, size - 1);
  // Every field is kept as sent (attest.hpp, creation_data.hpp, signature.hpp),
  // so what parses marshals back to the bytes it was parsed from.
  switch (data[0] % count) {
    case attest2b:
      if (auto parsed = tpm::parse_attest2b(body)) {
        if (!same(tpm::marshal_attest2b(*parsed), body.first(parsed.consumed))) __builtin_trap();
        tpm::attest_type(*parsed);
      }
      break;
    case creation_data2b:
      if (auto parsed = tpm::parse_creation_data2b(body)) {
        if (!same(tpm::marshal_creation_data2b(*parsed), body.first(parsed.consumed))) __builtin_trap();
      }
      break;
    case signature:
      if (auto parsed = tpm::parse_signature(body)) {
        if (!same(tpm::marshal_signature(*parsed), body)) __builtin_trap();
      }
      break;
    case attest:
      if (auto parsed = tpm::parse_attest(body)) {
        if (!same(tpm::marshal_attest(*parsed), body)) __builtin_trap();
      }
      break;
    case creation_data:
      if (auto parsed = tpm::parse_creation_data(body)) {
        if (!same(tpm::marshal_creation_data(*parsed), body)) __builtin_trap();
      }
      break;
  }
  aikmock::openssl_errors();
  return 0;
}
