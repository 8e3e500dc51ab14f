// Real EK certificates from real TPMs (the project's real-EK test data, read in
// place, never copied) under the built-in policies: what the service answers each.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "common/openssl.hpp"
#include "certs/trust_store.hpp"
#include "common/files.hpp"
#include "policy/policy_file.hpp"
#include "protocol/enrollment/enrollment_service.hpp"
#include "tests/support/prerequisites.hpp"

using namespace aikmock;
namespace fs = std::filesystem;

namespace {
const fs::path real_ek = test::real_ek_directory();

using protocol::enrollment::evidence;

// What the service says of this EK under `p`, with the real vendor CAs as its trust store.
protocol::enrollment::explanation explain(const policy::policy& p, const evidence& ev,
                                          std::shared_ptr<const certs::trust_store> trust) {
  protocol::enrollment::enrollment_service service(
      std::make_shared<const policy::policy>(p), [] { return 0.5; }, std::move(trust),
      std::make_shared<const protocol::enrollment::state_sealer>(bytes(32)), nullptr, nullptr);
  return service.explain(ev);
}

std::string outcome(const protocol::enrollment::explanation& x) {
  if (x.decision.what == policy::decision::kind::accept) return "accept";
  return std::string(policy::catalog_entry(x.decision.error.value_or(policy::error_id::internal_error)).key);
}
}  // namespace

TEST_CASE("real EK certificates: tcg-complete accepts the published, unexpired ones; microsoft-2025 refuses ECC") {
  aikmock::load_openssl_providers();
  const std::vector<fs::path> dirs{real_ek / "trust"};
  auto store = certs::trust_store::load(dirs);
  auto tcg = policy::resolve_policy("tcg-complete");
  auto ms = policy::resolve_policy("microsoft-2025");

  // file -> {tcg-complete, microsoft-2025}: expired TPM 1.2 certificates and the
  // Pluton one (its issuer is not published) are no valid EK certificate.
  const std::map<std::string, std::pair<std::string, std::string>> expected{
      {"ifx-slb9635tt12-hirs-rsa2048oaep.pem", {"no-ek-certificate", "no-ek-certificate"}},
      {"ifx-slb9635tt12-hirs-rsa2048oaep.bin", {"no-ek-certificate", "no-ek-certificate"}},
      {"ifx-slb9670-intelsecl-rsa2048.pem", {"accept", "accept"}},
      {"ifx-slb9670-keylime-eccp256.pem", {"accept", "encrypt-secret-failed"}},
      {"ifx-slb9670-keylime-rsa2048.pem", {"accept", "accept"}},
      {"intc-ptt-cml-uniris-eccp256.pem", {"accept", "encrypt-secret-failed"}},
      {"intc-ptt-spt-smallstep-rsa2048.pem", {"accept", "accept"}},
      {"msft-pluton-keyattestcsr-rsa2048.pem", {"no-ek-certificate", "no-ek-certificate"}},
      {"ntc-npct6xx-goattestation-rsa2048.pem", {"accept", "accept"}},
      {"ntc-npct6xx-tpm12-hirs-rsa2048oaep.pem", {"accept", "accept"}},  // id-RSAES-OAEP key, still valid
      {"ntc-npct6xx-tpm12-hirs-rsa2048oaep.bin", {"accept", "accept"}},  // with its 0x11 fill
      {"ntc-npct75x-keylime-rsa2048.pem", {"accept", "accept"}},
      {"stm-st33htphahb4-keylime-eccp256.pem", {"accept", "encrypt-secret-failed"}},
      {"stm-st33htphahb4-keylime-rsa2048.pem", {"accept", "accept"}},
      {"stm-st33htphahb4-keylime-rsa2048.bin", {"accept", "accept"}},  // 0xFF-padded NV blob
      {"stm-st33htphahe0-gotest-rsa2048.pem", {"accept", "accept"}},
      {"stm-st33ktpm2x-salrashid-rsa2048.pem", {"accept", "accept"}},
      {"stm-st33zp24-hirs-ab21ccf2-rsa2048oaep.pem", {"no-ek-certificate", "no-ek-certificate"}},
      {"stm-st33zp24-hirs-ekuntouched-rsa2048oaep.pem", {"no-ek-certificate", "no-ek-certificate"}},
      {"stm-st33zp24-hirs-ekuntouched-rsa2048oaep.bin", {"no-ek-certificate", "no-ek-certificate"}},  // NV header
      {"stm-st33zp24-hirs-nuc1-rsa2048oaep.pem", {"no-ek-certificate", "no-ek-certificate"}},
  };
  std::size_t seen = 0;
  for (const auto& f : fs::directory_iterator(real_ek / "ek")) {
    const std::string name = f.path().filename().string();
    auto it = expected.find(name);
    if (it == expected.end()) {
      MESSAGE("no expectation for " << name);
      continue;
    }
    CAPTURE(name);
    evidence ev;
    ev.ek_certificate = read_file(f.path());
    REQUIRE(ev.ek_certificate);
    auto under_tcg = explain(tcg, ev, store.store);
    auto under_ms = explain(ms, ev, store.store);
    CHECK(outcome(under_tcg) == it->second.first);
    CHECK(outcome(under_ms) == it->second.second);
    if (outcome(under_tcg) == "no-ek-certificate" && under_tcg.facts)
      CHECK_FALSE(under_tcg.facts->chain_failure.empty());
    ++seen;
  }
  CHECK(seen == expected.size());

  // A service whose clock runs years behind sees the expired TPM 1.2 certificates as valid.
  auto behind = policy::parse_policy(R"({"name":"behind","credentialProfile":"tcg","clockOffsetSeconds":-126144000})",
                                     "test");
  evidence ev;
  ev.ek_certificate = read_file(real_ek / "ek" / "stm-st33zp24-hirs-ab21ccf2-rsa2048oaep.pem");
  CHECK(outcome(explain(behind, ev, store.store)) == "accept");
  CHECK(outcome(explain(tcg, ev, store.store)) == "no-ek-certificate");
}
