// The reference client's real-TPM back end (client/tss_tpm) against swtpm: the
// EK certificate is provisioned into NV with tpm2-tools, as a TPM maker would,
// and everything the enrollment asks of the TPM is checked with this project's
// verifiers: the EK public is the certificate's key, the AIK's creation proof
// verifies with the nonce, the AIK is Windows' (a primary key from the Windows
// template), and our MakeCredential comes back from TPM2_ActivateCredential
// under each template's EK policy. No object may be left in the TPM.
#include <doctest/doctest.h>

#include "tpm/creation_data.hpp"
#include "tpm/key_templates.hpp"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <chrono>
#include <memory>
#include <string>

#include "certs/certificate_builder.hpp"
#include "certs/pem.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/keys.hpp"
#include "client/ek_nv_index.hpp"
#include "client/tss_tpm.hpp"
#include "common/files.hpp"
#include "tpm/aik_verification.hpp"
#include "tpm/credential.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/name.hpp"
#include "tpm/public_key.hpp"
#include "tpm/random.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "tests/support/swtpm_fixture.hpp"

using namespace aikmock;
namespace pt = aikmock::tpm;
using aikmock::test::swtpm_ek;
using aikmock::test::swtpm_instance;

namespace {

bytes random_bytes(std::size_t n) {
  bytes b(n);
  REQUIRE(pt::system_random(b));
  return b;
}

// A vendor CA of our own and an EK certificate from it for `ek_key`.
bytes ek_certificate_for(EVP_PKEY* ek_key) {
  auto ca_key = certs::generate_rsa_key(2048);
  const auto now = std::chrono::system_clock::now();
  auto ca = certs::certificate_builder(ca_key.get())
                .subject({{"CN", "tss_tpm_tests EK CA"}})
                .validity(now - std::chrono::hours(1), now + std::chrono::hours(24))
                .extension(NID_basic_constraints, "critical,CA:TRUE")
                .extension(NID_subject_key_identifier, "hash")
                .sign(nullptr, ca_key.get(), EVP_sha256());
  auto cert = certs::make_ek_certificate(ek_key, ca.get(), ca_key.get(), {"id:49424D00", "swtpm", "id:20191023"},
                                         EVP_sha256());
  return certs::certificate_der(cert.get());
}

// Writes `der` at `index` the way TPM makers (and swtpm_setup) define EK certificate indices.
void provision_nv(swtpm_instance& tpm, std::uint32_t index, const bytes& der) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08X", index);
  const auto file = tpm.path("nv-" + std::string(hex) + ".der");
  write_file(file, der);
  tpm.tpm2_checked({"tpm2_nvdefine", "-C", "p", "-s", std::to_string(der.size()), "-a",
                    "ppwrite|writedefine|ppread|ownerread|authread|no_da|platformcreate", hex});
  tpm.tpm2_checked({"tpm2_nvwrite", "-C", "p", "-i", file.string(), hex});
}

std::string handles(swtpm_instance& tpm, const char* kind) { return tpm.tpm2_checked({"tpm2_getcap", kind}); }

}  // namespace

TEST_CASE("tss_tpm: EK, Windows' AIK with its creation proof, and ActivateCredential on every EK template swtpm has") {
  aikmock::test::swtpm_ek_case c{};
  for (const auto& e : aikmock::test::all_swtpm_eks()) {
    SUBCASE(std::string(e.tpl).c_str()) { c = e; }  // H-6: the Lenovo EK
  }
  CAPTURE(c.tpl);

  swtpm_instance tpm;
  const auto ek_files = tpm.create_ek(c.kind);
  const pt::tpmt_public ek_area = aikmock::test::public_area_of(ek_files);
  auto ek_key = pt::public_key_from_public(ek_area);
  REQUIRE(ek_key);
  const bytes ek_der = ek_certificate_for(ek_key.get());
  const auto* tmpl = pt::find_ek_template(c.tpl);
  REQUIRE(tmpl);
  provision_nv(tpm, tmpl->cert_nv_index, ek_der);

  {
    client::tss_tpm t(tpm.tcti(), std::nullopt);  // the only EK certificate: found in the default order
    CHECK(t.ek_certificate() == ek_der);
    CHECK(t.ek_index() == tmpl->cert_nv_index);
    CHECK(t.ek_public() == ek_area);  // created from the template, the same key tpm2-tools made
    CHECK(t.manufacturer() == 0x49424D00u);  // "IBM", libtpms

    const bytes nonce = random_bytes(16);
    const auto proof = t.create_aik(nonce);
    CHECK(pt::check_aik_public(proof.aik_public).has_value());
    const auto verdict = pt::verify_aik_creation(proof, {nonce, std::nullopt});
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));
    // Windows' AIK: a primary key in the owner hierarchy, RSASSA-SHA1, noDA, its authPolicy.
    CHECK(proof.aik_public.scheme.scheme == pt::alg::rsassa);
    CHECK(proof.aik_public.scheme.hash == pt::alg::sha1);
    CHECK((proof.aik_public.object_attributes & pt::object_attr::no_da) != 0);
    CHECK(proof.aik_public.auth_policy == pt::aik_auth_policy());
    CHECK(proof.signature.hash == pt::alg::sha1);
    auto creation = pt::parse_creation_data(proof.creation_data);
    REQUIRE(creation);
    CHECK(creation->parent_name == bytes{0x40, 0x00, 0x00, 0x01});  // TPM_RH_OWNER: a primary key

    const auto aik_name = pt::object_name(proof.aik_public);
    REQUIRE(aik_name);
    const bytes secret = random_bytes(32);
    auto blob = pt::make_credential(ek_area, *aik_name, secret);
    REQUIRE_MESSAGE(blob, blob.error().reason);
    auto recovered = t.activate(*blob);
    REQUIRE_MESSAGE(recovered, recovered.error().reason);
    CHECK(*recovered == secret);

    // Bound to another Name: the TPM's TPM_RC_INTEGRITY, as the flow must report it.
    auto wrong = pt::make_credential(ek_area, ek_files.name, secret);
    REQUIRE(wrong);
    auto refused = t.activate(*wrong);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == pt::credential_error_kind::integrity_check_failed);
    // A failed activation leaves the TPM usable: the same challenge again.
    auto again = t.activate(*blob);
    REQUIRE_MESSAGE(again, again.error().reason);
    CHECK(*again == secret);
  }
  // The back end is gone (swtpm serves one connection at a time): nothing of it is left in the TPM.
  CHECK(handles(tpm, "handles-transient").empty());
  CHECK(handles(tpm, "handles-loaded-session").empty());
}

TEST_CASE("tss_tpm: which EK certificate index is read") {
  swtpm_instance tpm;
  const auto rsa = tpm.create_ek(swtpm_ek::rsa2048, "rsa");
  const auto ecc = tpm.create_ek(swtpm_ek::ecc_p384, "ecc");
  auto rsa_key = pt::public_key_from_public(aikmock::test::public_area_of(rsa));
  auto ecc_key = pt::public_key_from_public(aikmock::test::public_area_of(ecc));
  REQUIRE(rsa_key);
  REQUIRE(ecc_key);
  const bytes rsa_der = ek_certificate_for(rsa_key.get());
  const bytes ecc_der = ek_certificate_for(ecc_key.get());

  SUBCASE("no EK certificate at all") {
    client::tss_tpm t(tpm.tcti(), std::nullopt);
    CHECK_THROWS_WITH_AS(t.ek_certificate(), doctest::Contains("no EK certificate at any index"),
                         client::no_ek_certificate);
    CHECK(t.ek_certificate_source().empty());
  }
  SUBCASE("RSA before ECC by default; --ek-index chooses; an absent index is named with those present") {
    provision_nv(tpm, 0x01C00016, ecc_der);
    provision_nv(tpm, 0x01C00002, rsa_der);
    {
      client::tss_tpm t(tpm.tcti(), std::nullopt);
      CHECK(t.ek_certificate() == rsa_der);
      CHECK(pt::classify_ek_public(t.ek_public()).label() == "L-1");
    }
    {
      client::tss_tpm t(tpm.tcti(), 0x01C00016);
      CHECK(t.ek_certificate() == ecc_der);
      CHECK(t.ek_certificate_source() == "NV 0x01C00016 (H-3)");
      CHECK(pt::classify_ek_public(t.ek_public()).label() == "H-3");
    }
    {
      client::tss_tpm t(tpm.tcti(), 0x01C0001C);
      CHECK_THROWS_WITH_AS(t.ek_certificate(),
                           "the TPM has no EK certificate at NV 0x01C0001C (H-6); EK certificates present: "
                           "0x01C00002 (L-1), 0x01C00016 (H-3)",
                           client::no_ek_certificate);
    }
  }
  SUBCASE("the EK certificate chain indices, in index order, several certificates per index") {
    provision_nv(tpm, 0x01C00002, rsa_der);
    {
      client::tss_tpm t(tpm.tcti(), std::nullopt);
      CHECK(t.ek_chain().empty());
    }
    bytes two = ecc_der;
    two.insert(two.end(), rsa_der.begin(), rsa_der.end());
    two.insert(two.end(), 16, 0xFF);  // NV padding after the last certificate
    provision_nv(tpm, 0x01C00101, two);
    provision_nv(tpm, 0x01C00100, rsa_der);
    client::tss_tpm t(tpm.tcti(), std::nullopt);
    CHECK(t.ek_chain() == std::vector<bytes>{rsa_der, ecc_der, rsa_der});
  }
  SUBCASE("a certificate for another key than the TPM's EK is refused before the service sees it") {
    provision_nv(tpm, 0x01C00002, ek_certificate_for(certs::generate_rsa_key(2048).get()));
    client::tss_tpm t(tpm.tcti(), std::nullopt);
    CHECK_THROWS_WITH_AS(t.ek_public(), doctest::Contains("is not for the EK this TPM creates from template L-1"),
                         std::runtime_error);
  }
  CHECK(handles(tpm, "handles-transient").empty());
}

TEST_CASE("tss_tpm: a TCTI that does not answer is an error naming it, on first use") {
  client::tss_tpm t("swtpm:host=127.0.0.1,port=1", std::nullopt);  // constructing does not connect
  CHECK_THROWS_WITH_AS(t.ek_certificate(), doctest::Contains("swtpm:host=127.0.0.1,port=1"), client::tss_error);
}

namespace {

// Two listening loopback sockets on ports P and P+1 (a swtpm TCTI's server and control) that accept
// connections and never answer: a TPM that hangs.
struct silent_tpm {
  int server = -1, control = -1, port = 0;
  silent_tpm() {
    for (int attempt = 0; attempt < 50 && port == 0; ++attempt) {
      server = listen_on(0);
      if (server < 0) continue;
      sockaddr_in a{};
      socklen_t size = sizeof a;
      ::getsockname(server, reinterpret_cast<sockaddr*>(&a), &size);
      const int p = ntohs(a.sin_port);
      control = p < 65535 ? listen_on(p + 1) : -1;
      if (control >= 0) port = p;
      else ::close(server);
    }
  }
  ~silent_tpm() {
    if (port) {
      ::close(server);
      ::close(control);
    }
  }
  static int listen_on(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
    return fd;
  }
};

}  // namespace

TEST_CASE("aikmock enroll: a TPM that never answers ends the enrollment at --tpm-timeout, not a hang") {
  silent_tpm tpm;
  REQUIRE(tpm.port != 0);
  const auto started = std::chrono::steady_clock::now();
  auto r = aikmock::test::run_process({AIKMOCK_BINARY, "enroll", "--tpm",
                                       "tcti:swtpm:host=127.0.0.1,port=" + std::to_string(tpm.port), "--tpm-timeout",
                                       "1", "--url", "https://IBM-KeyId-00.aik.invalid/templates/Aik/scep"},
                                      std::chrono::seconds(30));
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.err.find("the TPM did not answer within 1 s (connecting to swtpm:host=127.0.0.1,port=") !=
                    std::string::npos,
                r.describe());
  CHECK(r.err.find("0x800705B4") != std::string::npos);
  MESSAGE("ended after " << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                    started)
                                .count()
                         << " ms");
}

TEST_CASE("tss_tpm: an ECC P-256 AIK (--aik-type ecc): creation proof, activation") {
  swtpm_instance tpm;
  const auto ek_files = tpm.create_ek(swtpm_ek::rsa2048);
  const pt::tpmt_public ek_area = aikmock::test::public_area_of(ek_files);
  auto ek_key = pt::public_key_from_public(ek_area);
  REQUIRE(ek_key);
  provision_nv(tpm, 0x01C00002, ek_certificate_for(ek_key.get()));
  {
    client::tss_tpm t(tpm.tcti(), std::nullopt, client::tss_tpm::default_timeout, pt::alg::ecc);
    const bytes nonce = random_bytes(20);
    const auto proof = t.create_aik(nonce);
    CHECK(proof.aik_public.type == pt::alg::ecc);
    CHECK(proof.aik_public.scheme.scheme == pt::alg::ecdsa);
    const auto verdict = pt::verify_aik_creation(proof, {nonce, std::nullopt});
    CHECK_MESSAGE(verdict.has_value(), describe(verdict));

    const bytes secret = random_bytes(32);
    auto blob = pt::make_credential(ek_area, *pt::object_name(proof.aik_public), secret);
    REQUIRE(blob);
    auto recovered = t.activate(*blob);
    REQUIRE_MESSAGE(recovered, recovered.error().reason);
    CHECK(*recovered == secret);
  }
  CHECK(handles(tpm, "handles-transient").empty());
}
