// `aikmock tpm makecredential` and `aikmock tpm inspect`, run as the binary
// against the lab's software EKs; the credentials it writes are opened with
// the software ActivateCredential and the EK private keys.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "certs/lab_manifest.hpp"
#include "common/openssl.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tpm/credential_activation.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/name.hpp"
#include "tpm/public_area.hpp"
#include "tests/support/swtpm_fixture.hpp"

using namespace aikmock;
using namespace aikmock::tpm;
using aikmock::test::process_result;

namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

const certs::lab_manifest& lab() {
  static const certs::lab_manifest m = [] {
    aikmock::load_openssl_providers();
    return certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  }();
  return m;
}

const certs::lab_ek& lab_ek(std::string_view tpl) {
  for (const auto& e : lab().eks) {
    if (e.tpl == tpl) return e;
  }
  FAIL("the lab has no ", tpl, " EK");
  throw std::logic_error("unreachable");
}

std::string ek_public_path(std::string_view tpl) { return lab().path_of(lab_ek(tpl).public_area).string(); }

tpmt_public ek_public(std::string_view tpl) {
  auto data = read_file(ek_public_path(tpl));
  REQUIRE(data);
  auto area = parse_public2b(*data);
  REQUIRE(area);
  return *area;
}

// A scratch directory per test case.
struct scratch {
  fs::path dir;
  scratch() {
    std::string pattern = (fs::temp_directory_path() / "aikmock-tpm-cli-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()));
    dir = pattern;
  }
  ~scratch() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::string path(std::string_view name) const { return (dir / name).string(); }
};

process_result aikmock_tpm(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {AIKMOCK_BINARY, "tpm"});
  return aikmock::test::run_process(arguments, std::chrono::seconds(30));
}

bytes secret_file(const scratch& s, std::size_t size) {
  bytes secret(size);
  for (std::size_t i = 0; i < size; ++i) secret[i] = static_cast<std::uint8_t>(0x30 + i);
  write_file(s.path("secret.bin"), secret, 0600);
  return secret;
}

nlohmann::json inspect(const std::string& file) {
  auto result = aikmock_tpm({"inspect", file});
  REQUIRE_MESSAGE(result.ok(), result.describe());
  return nlohmann::json::parse(result.out);
}

}  // namespace

TEST_CASE("makecredential writes what the EK's holder, and only it, can open") {
  scratch s;
  for (std::string_view tpl : {"L-1", "L-2", "H-3", "H-6", "H-7"}) {
    CAPTURE(tpl);
    const bytes secret = secret_file(s, tpl == "L-1" || tpl == "L-2" ? 32 : 48);
    // Any TPM2B_PUBLIC serves as "AK": its Name is what counts.
    const std::string ak_public = ek_public_path("H-1");
    auto made = aikmock_tpm({"makecredential", "--ek-public", ek_public_path(tpl), "--aik-public", ak_public,
                             "--secret", s.path("secret.bin"), "--out", s.path("cred.bin")});
    REQUIRE_MESSAGE(made.ok(), made.describe());

    auto file = parse_tpm2_tools_credential_file(*read_file(s.path("cred.bin")));
    REQUIRE_MESSAGE(file, file.error());
    const bytes ak_name = *object_name(ek_public("H-1"));
    auto key = certs::load_private_key(lab().path_of(lab_ek(tpl).private_key));
    auto opened = activate_credential(key.get(), ek_public(tpl), ak_name, *file);
    REQUIRE_MESSAGE(opened, opened.error().reason);
    CHECK(*opened == secret);
  }
}

TEST_CASE("makecredential --name and --format windows") {
  scratch s;
  const bytes secret = secret_file(s, 20);
  bytes name{0x00, 0x0b};
  name.resize(34, 0xab);
  auto made =
      aikmock_tpm({"makecredential", "--ek-public", ek_public_path("H-1"), "--name", to_hex(name), "--secret",
                   s.path("secret.bin"), "--out", s.path("blob.bin"), "--format", "windows", "--profile", "microsoft"});
  REQUIRE_MESSAGE(made.ok(), made.describe());
  auto blob = parse_windows_activation_blob(*read_file(s.path("blob.bin")));
  REQUIRE_MESSAGE(blob, blob.error());
  auto key = certs::load_private_key(lab().path_of(lab_ek("H-1").private_key));
  auto opened = activate_credential(key.get(), ek_public("H-1"), name, *blob);
  REQUIRE_MESSAGE(opened, opened.error().reason);
  CHECK(*opened == secret);
}

TEST_CASE("makecredential failures: exit 3 when the profile cannot serve the EK, 1 for unusable inputs") {
  scratch s;
  secret_file(s, 32);
  const std::string name = "000b" + std::string(64, '1');
  for (std::string_view tpl : {"H-6", "H-7", "L-2", "H-3"}) {
    CAPTURE(tpl);
    auto refused = aikmock_tpm({"makecredential", "--ek-public", ek_public_path(tpl), "--name", name, "--secret",
                                s.path("secret.bin"), "--out", s.path("cred.bin"), "--profile", "microsoft"});
    CHECK(refused.exit_code == 3);
    CHECK(contains(refused.err, "profile_cannot_encrypt_secret"));
    CHECK_FALSE(fs::exists(s.path("cred.bin")));
  }

  secret_file(s, 33);
  auto too_long = aikmock_tpm({"makecredential", "--ek-public", ek_public_path("L-1"), "--name", name, "--secret",
                               s.path("secret.bin"), "--out", s.path("cred.bin")});
  CHECK(too_long.exit_code == 1);
  CHECK(contains(too_long.err, "invalid_credential"));

  secret_file(s, 32);
  auto bad_name = aikmock_tpm({"makecredential", "--ek-public", ek_public_path("L-1"), "--name", "000b00", "--secret",
                               s.path("secret.bin"), "--out", s.path("cred.bin")});
  CHECK(bad_name.exit_code == 1);
  CHECK(contains(bad_name.err, "invalid_object_name"));

  auto not_public = aikmock_tpm({"makecredential", "--ek-public", s.path("secret.bin"), "--name", name, "--secret",
                                 s.path("secret.bin"), "--out", s.path("cred.bin")});
  CHECK(not_public.exit_code == 1);
  CHECK(contains(not_public.err, "is not a TPM2B_PUBLIC"));
  CHECK_FALSE(fs::exists(s.path("cred.bin")));
}

TEST_CASE("usage errors exit 2; --help exits 0") {
  scratch s;
  secret_file(s, 32);
  const std::string ek = ek_public_path("L-1");
  CHECK(aikmock_tpm({}).exit_code == 2);
  CHECK(aikmock_tpm({"frobnicate"}).exit_code == 2);
  CHECK(aikmock_tpm({"makecredential", "--ek-public", ek, "--secret", s.path("secret.bin")}).exit_code == 2);
  CHECK(aikmock_tpm({"makecredential", "--ek-public", ek, "--name", "000b", "--aik-public", ek, "--secret",
                     s.path("secret.bin"), "--out", s.path("x")})
            .exit_code == 2);
  auto bad_profile = aikmock_tpm({"makecredential", "--ek-public", ek, "--name", "000b", "--secret",
                                  s.path("secret.bin"), "--out", s.path("x"), "--profile", "windows"});
  CHECK(bad_profile.exit_code == 2);
  CHECK(contains(bad_profile.err, "--profile is tcg or microsoft"));
  CHECK(aikmock_tpm({"inspect"}).exit_code == 2);
  for (auto help : {std::vector<std::string>{"--help"}, {"makecredential", "--help"}, {"inspect", "--help"}}) {
    auto shown = aikmock_tpm(help);
    CHECK(shown.exit_code == 0);
    CHECK(contains(shown.out, "usage: aikmock tpm"));
  }
}

TEST_CASE("inspect describes an EK public: attributes, policy, key, Name, template and profiles") {
  auto h6 = inspect(ek_public_path("H-6"));
  CHECK(h6["format"] == "TPM2B_PUBLIC");
  CHECK(h6["type"] == "RSA");
  CHECK(h6["nameAlg"] == "SHA384");
  CHECK(h6["objectAttributes"]["value"] == "0x000300f2");
  CHECK(h6["objectAttributes"]["set"].size() == 7);
  CHECK(h6["authPolicy"]["name"] == "PolicyB-SHA384");
  CHECK(h6["symmetric"]["keyBits"] == 256);
  CHECK(h6["scheme"]["scheme"] == "NULL");
  CHECK(h6["rsa"]["keyBits"] == 3072);
  CHECK(h6["rsa"]["exponent"] == 65537);
  CHECK(h6["name"] == to_hex(*object_name(ek_public("H-6"))));
  CHECK(h6["ekTemplate"]["id"] == "H-6");
  CHECK(h6["credentialProtection"]["tcg"]["ok"] == true);
  CHECK(h6["credentialProtection"]["tcg"]["seedBytes"] == 48);
  CHECK(h6["credentialProtection"]["microsoft"]["ok"] == false);
  CHECK(h6["credentialProtection"]["microsoft"]["error"] == "profile_cannot_encrypt_secret");

  auto l2 = inspect(ek_public_path("L-2"));
  CHECK(l2["type"] == "ECC");
  CHECK(l2["ecc"]["curve"] == "NIST P-256");
  CHECK(l2["authPolicy"]["name"] == "PolicyA-SHA256");
  CHECK(l2["ekTemplate"]["id"] == "L-2");

  // A bare TPMT_PUBLIC too (the TPM2B without its size).
  scratch s;
  const bytes area = marshal_public(ek_public("L-1"));
  write_file(s.path("tpmt.bin"), area);
  auto bare = inspect(s.path("tpmt.bin"));
  CHECK(bare["format"] == "TPMT_PUBLIC");
  CHECK(bare["ekTemplate"]["id"] == "L-1");
}

TEST_CASE("inspect describes a tpm2-tools credential file and a Windows activation blob") {
  scratch s;
  secret_file(s, 32);
  const std::string name = "000b" + std::string(64, '2');
  for (std::string_view format : {"tpm2-tools", "windows"}) {
    CAPTURE(format);
    auto made = aikmock_tpm({"makecredential", "--ek-public", ek_public_path("L-2"), "--name", name, "--secret",
                             s.path("secret.bin"), "--out", s.path("cred.bin"), "--format", std::string(format)});
    REQUIRE_MESSAGE(made.ok(), made.describe());
    auto described = inspect(s.path("cred.bin"));
    CHECK(described["format"] == (format == "windows" ? "Windows activation blob" : "tpm2-tools credential file"));
    CHECK(described["size"] == (format == "windows" ? 140 : 148));
    CHECK(described["idObject"]["size"] == 68);
    CHECK(described["idObject"]["integrityHmac"]["size"] == 32);
    CHECK(described["idObject"]["encIdentity"]["size"] == 34);
    CHECK(described["encryptedSecret"]["size"] == 68);
    CHECK(contains(described["encryptedSecret"]["kind"].get<std::string>(), "TPMS_ECC_POINT"));
    CHECK(described["encryptedSecret"]["x"].get<std::string>().size() == 64);
  }

  write_file(s.path("junk.bin"), bytes{1, 2, 3});
  auto junk = aikmock_tpm({"inspect", s.path("junk.bin")});
  CHECK(junk.exit_code == 1);
  CHECK(contains(junk.err, "is none of TPM2B_PUBLIC"));
}
