// The Windows KeyAttestationStatement (KAST) a client puts in its identity
// request, the KADS blob inside it, the TPM 2.0 idBinding (an AIK creation
// proof) and the verification of that proof.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/openssl.hpp"
#include "fuzz/seeds.hpp"
#include "tpm/aik_verification.hpp"
#include "protocol/wcce/kast.hpp"
#include "client/soft/soft_aik.hpp"

using namespace aikmock;

namespace {
const bytes fixed_nonce{0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a};

// Made before libFuzzer reads the corpus directory, so the seeds are in it.
bool seeded = [] {
  aikmock::load_openssl_providers();
  for (auto type : {tpm::alg::rsa, tpm::alg::ecc}) {
    const std::string kind = type == tpm::alg::rsa ? "rsa" : "ecc";
    auto aik = client::create_soft_aik(type);
    auto proof = client::certify_creation(aik, fixed_nonce);
    protocol::wcce::key_attestation_statement statement;
    statement.id_binding = tpm::marshal_creation_proof(proof);
    statement.aik_opaque = bytes(64, 0xA0);
    fuzz::write_seed("kast-" + kind, protocol::wcce::marshal_kast(statement));

    // With a KADS: the key's attestation by the AIK, as the provider attaches it.
    protocol::wcce::key_attestation_blob kads;
    kads.key_attest = proof.attest;
    kads.signature = tpm::marshal_signature(proof.signature);
    kads.key_blob = bytes(32, 0xB0);
    statement.key_attestation = protocol::wcce::marshal_kads(kads);
    fuzz::write_seed("kads-" + kind, statement.key_attestation);
    fuzz::write_seed("kast-kads-" + kind, protocol::wcce::marshal_kast(statement));

    // Without a nonce in the attestation.
    statement = {};
    statement.id_binding = tpm::marshal_creation_proof(client::certify_creation(aik));
    fuzz::write_seed("kast-no-nonce-" + kind, protocol::wcce::marshal_kast(statement));
  }
  protocol::wcce::key_attestation_statement tpm12;
  tpm12.platform = protocol::wcce::kast_platform::tpm12;
  tpm12.id_binding = bytes(40, 0x12);
  fuzz::write_seed("kast-tpm12", protocol::wcce::marshal_kast(tpm12));
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const byte_view input(data, size);
  if (auto statement = protocol::wcce::parse_kast(input)) {
    // Marshalling what parsed gives a statement that parses the same (not the
    // same bytes: a longer header is skipped as an unknown extension).
    auto again = protocol::wcce::parse_kast(protocol::wcce::marshal_kast(*statement));
    if (!again || *again != *statement) __builtin_trap();

    if (!statement->key_attestation.empty()) {
      if (auto kads = protocol::wcce::parse_kads(statement->key_attestation)) {
        auto kads_again = protocol::wcce::parse_kads(protocol::wcce::marshal_kads(*kads));
        if (!kads_again || *kads_again != *kads) __builtin_trap();
      }
    }
    if (auto proof = protocol::wcce::parse_tpm20_id_binding(*statement)) {
      // Every part is kept as sent, so the proof marshals back to the idBinding.
      auto bytes_again = tpm::marshal_creation_proof(*proof);
      if (bytes_again != statement->id_binding) __builtin_trap();
      (void)tpm::verify_aik_creation(*proof);
      (void)tpm::verify_aik_creation(*proof, {fixed_nonce, bytes{}});
      (void)tpm::check_aik_public(proof->aik_public);
    }
  }
  // The KADS parser on its own, too: it has the same framing.
  protocol::wcce::parse_kads(input);
  aikmock::openssl_errors();  // keep the error queue from growing across inputs
  return 0;
}
