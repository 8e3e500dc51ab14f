// AIK creation proofs from a real TPM (swtpm, driven by tpm2-tools): an AIK
// created under an SRK with creation data, certified by itself with
// TPM2_CertifyCreation, verified by this project's code, and rejected once
// any part of it is tampered with.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tpm/aik_verification.hpp"
#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/creation_proof.hpp"
#include "tpm/hash.hpp"
#include "protocol/wcce/kast.hpp"
#include "tpm/signature.hpp"
#include "tests/support/swtpm_fixture.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
using namespace aikmock::protocol::wcce;
using aikmock::test::swtpm_instance;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

bytes read_all(const fs::path& path) {
  auto data = read_file(path, 64 * 1024);
  if (!data) throw std::runtime_error("cannot read " + path.string());
  return *data;
}

// The files tpm2-tools leaves, in their formats: TPM2B_PUBLIC, TPM2B_CREATION_DATA,
// TPM2B_DIGEST, bare TPMS_ATTEST and TPMT_SIGNATURE (-f tss).
struct tpm_files {
  bytes public2b;
  bytes creation_data2b;
  bytes creation_hash2b;
  bytes attest;
  bytes signature;
};

const bytes nonce = {0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30};
const bytes outside_info = {0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71};

// Creates an AIK of `key_algorithm` (tpm2-tools spelling, e.g.
// "rsa2048:rsassa-sha256:null") under a fresh SRK, with outside_info in its
// creation data, and certifies its creation by itself with `nonce`.
tpm_files create_and_certify(swtpm_instance& tpm, const std::string& key_algorithm) {
  auto file = [&](std::string_view name) { return tpm.path(std::string(name)).string(); };
  auto flush = [&] { tpm.tpm2_checked({"tpm2_flushcontext", "--transient-object"}); };
  tpm.tpm2_checked({"tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "rsa", "-c", file("srk.ctx")}, 60s);
  flush();
  tpm.tpm2_checked({"tpm2_create", "-C", file("srk.ctx"), "-g", "sha256", "-G", key_algorithm, "-a",
                    "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign", "-u", file("ak.pub"),
                    "-r", file("ak.priv"), "--creation-data", file("cd.bin"), "--creation-ticket", file("tk.bin"),
                    "--creation-hash", file("ch.bin"), "-q", to_hex(outside_info)},
                   60s);
  flush();
  tpm.tpm2_checked({"tpm2_load", "-C", file("srk.ctx"), "-u", file("ak.pub"), "-r", file("ak.priv"), "-c",
                    file("ak.ctx")});
  flush();
  tpm.tpm2_checked({"tpm2_certifycreation", "-C", file("ak.ctx"), "-c", file("ak.ctx"), "-d", file("ch.bin"), "-t",
                    file("tk.bin"), "-g", "sha256", "-q", to_hex(nonce), "-f", "tss", "-o", file("sig.bin"),
                    "--attestation", file("attest.bin")});
  flush();
  return {read_all(file("ak.pub")), read_all(file("cd.bin")), read_all(file("ch.bin")), read_all(file("attest.bin")),
          read_all(file("sig.bin"))};
}

// The proof as this project reads it from the files.
aik_creation_proof proof_from(const tpm_files& files) {
  auto aik_public = parse_public2b(files.public2b);
  REQUIRE_MESSAGE(aik_public, aik_public.error());
  REQUIRE(aik_public.consumed == files.public2b.size());
  auto creation_data = parse_creation_data2b(files.creation_data2b);
  REQUIRE_MESSAGE(creation_data, creation_data.error());
  REQUIRE(creation_data.consumed == files.creation_data2b.size());
  auto signature = parse_signature(files.signature);
  REQUIRE_MESSAGE(signature, signature.error());
  return {*aik_public, bytes(files.creation_data2b.begin() + 2, files.creation_data2b.end()), files.attest,
          *signature};
}

// The Windows idBinding a client on this TPM would send: the four files in a row.
bytes id_binding_from(const tpm_files& files) {
  writer out;
  out.raw(files.public2b).raw(files.creation_data2b).tpm2b(files.attest).raw(files.signature);
  return std::move(out).take();
}

#define CHECK_FAILS_WITH(verdict_expr, expected_check)                                   \
  do {                                                                                   \
    const aik_verdict verdict_ = (verdict_expr);                                         \
    REQUIRE_FALSE_MESSAGE(verdict_.has_value(), "expected " << aik_check_name(expected_check)); \
    CHECK_MESSAGE(verdict_.error().check == (expected_check), describe(verdict_));      \
  } while (false)

void check_real_proof(const std::string& key_algorithm, alg_id expected_type) {
  swtpm_instance tpm;
  const tpm_files files = create_and_certify(tpm, key_algorithm);
  const aik_creation_proof proof = proof_from(files);
  REQUIRE(proof.aik_public.type == expected_type);
  const creation_expectations expected{nonce, outside_info};
  // One TPM session per key type: the blocks below share it rather than
  // being doctest subcases, which would create the AIK again for each.

  // What the TPM made, as tpm2-tools reports it, is what this project reads.
  auto attest = parse_attest(files.attest);
  REQUIRE_MESSAGE(attest, attest.error());
  CHECK(attest->extra_data == nonce);
  CHECK(bytes(files.creation_hash2b.begin() + 2, files.creation_hash2b.end()) ==
        *hash(alg::sha256, proof.creation_data));
  CHECK(parse_creation_data(proof.creation_data)->outside_info == outside_info);
  // Parsed and marshalled again, each part is byte for byte what the TPM wrote.
  CHECK(marshal_public2b(proof.aik_public) == files.public2b);
  CHECK(marshal_creation_data(*parse_creation_data(proof.creation_data)) == proof.creation_data);
  CHECK(marshal_attest(*attest) == files.attest);
  CHECK(marshal_signature(proof.signature) == files.signature);

  {  // the real proof verifies, bare and inside a KeyAttestationStatement
    auto verdict = verify_aik_creation(proof, expected);
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));

    const bytes id_binding = id_binding_from(files);
    CHECK(id_binding == marshal_creation_proof(proof));
    auto statement = parse_kast(marshal_kast({kast_platform::tpm20, id_binding, {}, bytes(8, 0x0a)}));
    REQUIRE_MESSAGE(statement, statement.error());
    auto split = parse_tpm20_id_binding(*statement);
    REQUIRE_MESSAGE(split, split.error());
    CHECK(*split == proof);
    verdict = verify_aik_creation(*split, expected);
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
  }

  {  // a flipped byte in each part fails with the check that part feeds
    auto public_broken = proof;
    if (expected_type == alg::rsa) {
      public_broken.aik_public.rsa.modulus[17] ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(public_broken, expected), aik_check::attested_name);
    } else {
      public_broken.aik_public.ecc.y[17] ^= 0x01;
      CHECK_FAILS_WITH(verify_aik_creation(public_broken, expected), aik_check::public_key);
    }

    auto creation_broken = proof;
    creation_broken.creation_data[creation_broken.creation_data.size() - 1] ^= 0x01;  // outsideInfo
    CHECK_FAILS_WITH(verify_aik_creation(creation_broken), aik_check::creation_hash);

    // magic 4, type 2, qualifiedSigner 2 + 34, extraData 2 + 16: the clock starts at 60.
    auto attest_broken = proof;
    attest_broken.attest[60 + 3] ^= 0x01;
    CHECK_FAILS_WITH(verify_aik_creation(attest_broken, expected), aik_check::signature);

    auto signature_broken = proof;
    auto& value = expected_type == alg::rsa ? signature_broken.signature.rsa_signature
                                            : signature_broken.signature.ecdsa_r;
    value[5] ^= 0x01;
    CHECK_FAILS_WITH(verify_aik_creation(signature_broken, expected), aik_check::signature);
  }

  {  // another nonce or outsideInfo than the TPM bound fails
    bytes other = nonce;
    other[0] ^= 1;
    CHECK_FAILS_WITH(verify_aik_creation(proof, {other, outside_info}), aik_check::nonce);
    CHECK_FAILS_WITH(verify_aik_creation(proof, {nonce, other}), aik_check::outside_info);
  }

  {  // flipping any bit of the real idBinding never passes
    const bytes id_binding = id_binding_from(files);
    std::set<std::string> outcomes;
    for (std::size_t i = 0; i < id_binding.size(); ++i) {
      for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
        bytes flipped = id_binding;
        flipped[i] ^= mask;
        auto split = parse_creation_proof(flipped);
        if (!split) {
          outcomes.insert("parse");
          continue;
        }
        auto verdict = verify_aik_creation(*split, expected);
        REQUIRE_FALSE_MESSAGE(verdict.has_value(), "byte " << i << " mask " << int(mask) << " passed");
        outcomes.insert(std::string(aik_check_name(verdict.error().check)));
      }
    }
    for (std::string_view check : {"parse", "attestedName", "creationHash", "nonce", "signature"}) {
      CHECK_MESSAGE(outcomes.count(std::string(check)) == 1, check);
    }
  }
}

}  // namespace

TEST_CASE("swtpm: an RSA-2048 RSASSA-SHA256 AIK's creation proof") {
  check_real_proof("rsa2048:rsassa-sha256:null", alg::rsa);
}

TEST_CASE("swtpm: a P-256 ECDSA-SHA256 AIK's creation proof") {
  check_real_proof("ecc256:ecdsa-sha256:null", alg::ecc);
}
