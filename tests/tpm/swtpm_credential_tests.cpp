// Our MakeCredential against a real TPM: swtpm (libtpms) creates the EKs from
// their TCG templates and an AK under each (tpm2-tools), we protect a secret
// for the EK public and the AK Name, and tpm2_activatecredential must give it
// back. Nothing of ours runs on the TPM side.
#include <doctest/doctest.h>
#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tpm/credential.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/hash.hpp"
#include "tpm/name.hpp"
#include "tpm/random.hpp"
#include "tests/support/swtpm_fixture.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
using aikmock::test::swtpm_ek;
using aikmock::test::swtpm_instance;
using aikmock::test::tpm_object_files;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

bytes random_secret(std::size_t size) {
  bytes secret(size);
  REQUIRE(system_random(secret));
  return secret;
}

// Writes our credential file and activates it on the TPM; the recovered secret, or the failure.
aikmock::test::process_result activate(swtpm_instance& tpm, const tpm_object_files& ek, const tpm_object_files& ak,
                                       const credential_blob& blob, bytes& recovered) {
  const auto credential_file = tpm.path("credential.bin");
  const auto secret_file = tpm.path("recovered.bin");
  std::filesystem::remove(secret_file);
  write_file(credential_file, tpm2_tools_credential_file(blob));
  auto result = tpm.activate_credential(ek, ak, credential_file, secret_file);
  if (result.ok()) {
    auto data = read_file(secret_file);
    REQUIRE(data);
    recovered = *data;
  }
  return result;
}

}  // namespace

TEST_CASE("tcg profile: swtpm activates our credential for EKs of every template libtpms implements") {
  aikmock::test::swtpm_ek_case c{};
  for (const auto& e : aikmock::test::all_swtpm_eks()) {
    SUBCASE(std::string(e.tpl).c_str()) { c = e; }
  }
  CAPTURE(c.tpl);

  swtpm_instance tpm;
  const auto ek = tpm.create_ek(c.kind);
  const auto ak = tpm.create_ak(ek);
  const tpmt_public ek_area = aikmock::test::public_area_of(ek);
  // tpm2-tools' template is the catalogue's, and its Name is ours.
  CHECK(classify_ek_public(ek_area).label() == c.tpl);
  CHECK(object_name(ek_area) == ek.name);
  CHECK(object_name(aikmock::test::public_area_of(ak)) == ak.name);

  // The largest credential the EK allows: 32 bytes for SHA-256, 48 for SHA-384.
  const bytes secret = random_secret(hash_size(ek_area.name_alg));
  auto blob = make_credential(ek_area, ak.name, secret);
  REQUIRE_MESSAGE(blob, blob.error().reason);
  bytes recovered;
  auto result = activate(tpm, ek, ak, *blob, recovered);
  REQUIRE_MESSAGE(result.ok(), result.describe());
  CHECK(recovered == secret);

  // Bound to another Name (the EK's own), the TPM refuses it: TPM_RC_INTEGRITY.
  auto wrong = make_credential(ek_area, ek.name, secret);
  REQUIRE(wrong);
  bytes ignored;
  auto refused = activate(tpm, ek, ak, *wrong, ignored);
  CHECK_FALSE(refused.ok());
  CHECK_MESSAGE(contains(refused.err, "0x1DF"), refused.err);
}

TEST_CASE("microsoft profile: swtpm activates the aikmock binary's credential for RSA-2048 EKs (16-byte seed)") {
  swtpm_ek kind{};
  SUBCASE("L-1") { kind = swtpm_ek::rsa2048; }
  SUBCASE("H-1") { kind = swtpm_ek::rsa2048_high; }
  swtpm_instance tpm;
  const auto ek = tpm.create_ek(kind);
  const auto ak = tpm.create_ak(ek);
  const bytes secret = random_secret(32);
  write_file(tpm.path("secret.bin"), secret, 0600);

  auto made =
      aikmock::test::run_process({AIKMOCK_BINARY, "tpm", "makecredential", "--ek-public", ek.public_area.string(),
                                  "--aik-public", ak.public_area.string(), "--secret", tpm.path("secret.bin").string(),
                                  "--out", tpm.path("credential.bin").string(), "--profile", "microsoft"},
                                 std::chrono::seconds(30));
  REQUIRE_MESSAGE(made.ok(), made.describe());
  CHECK(contains(made.err, "16-byte seed"));

  const auto recovered_file = tpm.path("recovered.bin");
  auto result = tpm.activate_credential(ek, ak, tpm.path("credential.bin"), recovered_file);
  REQUIRE_MESSAGE(result.ok(), result.describe());
  CHECK(read_file(recovered_file) == secret);
}

TEST_CASE("microsoft profile: the aikmock binary refuses a real RSA-3072 EK with exit status 3") {
  swtpm_instance tpm;
  const auto ek = tpm.create_ek(swtpm_ek::rsa3072);
  write_file(tpm.path("secret.bin"), random_secret(32), 0600);
  auto made =
      aikmock::test::run_process({AIKMOCK_BINARY, "tpm", "makecredential", "--ek-public", ek.public_area.string(),
                                  "--name", to_hex(ek.name), "--secret", tpm.path("secret.bin").string(), "--out",
                                  tpm.path("credential.bin").string(), "--profile", "microsoft"},
                                 std::chrono::seconds(30));
  CHECK(made.exit_code == 3);
  CHECK(contains(made.err, "profile_cannot_encrypt_secret"));
  CHECK(contains(made.err, "SHA384"));
  CHECK_FALSE(std::filesystem::exists(tpm.path("credential.bin")));
}

TEST_CASE("the fixture stops swtpm by its PID and removes its directory") {
  pid_t pid = -1;
  std::filesystem::path dir;
  {
    swtpm_instance tpm;
    pid = tpm.pid();
    dir = tpm.dir();
    REQUIRE(pid > 0);
    CHECK(::kill(pid, 0) == 0);
    CHECK(contains(tpm.tcti(), "swtpm:host=127.0.0.1,port=" + std::to_string(tpm.port())));
    auto random = tpm.tpm2({"tpm2_getrandom", "--hex", "16"});
    REQUIRE_MESSAGE(random.ok(), random.describe());
    CHECK(random.out.size() == 32);
  }
  // Reaped, so the PID is gone (not a zombie).
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
  CHECK_FALSE(std::filesystem::exists(dir));

  // A command that overruns its bound is killed, not waited for.
  auto slow = aikmock::test::run_process({"sleep", "30"}, std::chrono::milliseconds(200));
  CHECK(slow.timed_out);
  CHECK_FALSE(slow.ok());
}
