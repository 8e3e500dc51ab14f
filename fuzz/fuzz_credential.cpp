// The credential blobs a client hands back to TPM2_ActivateCredential (the
// tpm2-tools credential file, the Windows PCP activation blob, and the
// TPM2B_ID_OBJECT / TPM2B_ENCRYPTED_SECRET inside them), and the software
// ActivateCredential of fixed software EKs on whatever parses: seed
// decryption (RSA-OAEP, ECDH + KDFe), the outer HMAC and the inner size check
// against hostile blobs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "certs/keys.hpp"
#include "common/openssl.hpp"
#include "fuzz/seeds.hpp"
#include "tpm/credential.hpp"
#include "tpm/credential_activation.hpp"
#include "tpm/credential_blobs.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/name.hpp"
#include "client/soft/soft_aik.hpp"

using namespace aikmock;

namespace {
struct software_ek {
  aikmock::evp_pkey_ptr key;
  tpm::tpmt_public area;
};

struct fixture {
  software_ek rsa;  // L-1: RSA-2048, SHA-256, AES-128-CFB
  software_ek ecc;  // L-2: P-256, SHA-256, AES-128-CFB
  bytes aik_name;   // the Name the credentials are bound to
};

software_ek make_ek(const char* id, aikmock::evp_pkey_ptr key) {
  software_ek ek;
  ek.area = tpm::ek_public_from_key(*tpm::find_ek_template(id), key.get());
  ek.key = std::move(key);
  return ek;
}

void seed_credential(const std::string& name, const tpm::credential_result<tpm::credential_blob>& blob) {
  if (!blob) throw std::runtime_error("fuzz_credential: make_credential failed: " + blob.error().reason);
  fuzz::write_seed(name + "-tpm2-tools", tpm::tpm2_tools_credential_file(*blob));
  fuzz::write_seed(name + "-windows", tpm::windows_activation_blob(*blob));
}

fixture* make_fixture() {
  aikmock::load_openssl_providers();
  auto* f = new fixture;
  f->rsa = make_ek("L-1", certs::generate_rsa_key(2048));
  f->ecc = make_ek("L-2", certs::generate_ec_key("P-256"));
  f->aik_name = *tpm::object_name(client::create_soft_aik(tpm::alg::ecc).public_area);

  const bytes credential(32, 0xC5);
  seed_credential("rsa-tcg", tpm::make_credential(f->rsa.area, f->aik_name, credential));
  seed_credential("rsa-microsoft",
                  tpm::make_credential(f->rsa.area, f->aik_name, bytes(16, 0x3c), tpm::credential_profile::microsoft));
  seed_credential("ecc-tcg", tpm::make_credential(f->ecc.area, f->aik_name, credential));
  return f;
}

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
const fixture* const the_fixture = make_fixture();

bool same(byte_view a, byte_view b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

void activate(const fixture& f, const tpm::credential_blob& blob) {
  for (const software_ek* ek : {&f.rsa, &f.ecc}) {
    auto credential = tpm::activate_credential(ek->key.get(), ek->area, f.aik_name, blob);
    // A TPM hands out at most one nameAlg digest (SHA-256 for both EKs).
    if (credential && (credential->empty() || credential->size() > 32)) __builtin_trap();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fixture& f = *the_fixture;
  const byte_view input(data, size);
  // The containers keep each part's input bytes, size fields included, and
  // must use the whole input: what parses is the input, rebuilt.
  if (auto blob = tpm::parse_tpm2_tools_credential_file(input)) {
    if (!same(tpm::tpm2_tools_credential_file(*blob), input)) __builtin_trap();
    activate(f, *blob);
  }
  if (auto blob = tpm::parse_windows_activation_blob(input)) {
    if (!same(tpm::windows_activation_blob(*blob), input)) __builtin_trap();
    activate(f, *blob);
  }
  // The two TPM2Bs on their own (as the Windows blob starts with them): a
  // parser that only bounds and splits writes back what it read.
  if (auto id_object = tpm::parse_id_object2b(input)) {
    tpm::writer out;
    tpm::write_id_object2b(out, *id_object);
    if (!same(out.data(), input.first(id_object.consumed))) __builtin_trap();
  }
  if (auto secret = tpm::parse_encrypted_secret2b(input)) {
    tpm::writer out;
    tpm::write_encrypted_secret2b(out, *secret);
    if (!same(out.data(), input.first(secret.consumed))) __builtin_trap();
  }
  aikmock::openssl_errors();
  return 0;
}
