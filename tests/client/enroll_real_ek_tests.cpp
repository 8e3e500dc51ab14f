// The reference client's AIK URL for real EK certificates (shared/testdata/real-ek):
// the host a real device asks for.
#include <doctest/doctest.h>

#include <filesystem>

#include "certs/ek_ca_identity.hpp"
#include "certs/ek_certificate.hpp"
#include "certs/pem.hpp"
#include "client/aik_url.hpp"
#include "common/files.hpp"
#include "tests/support/prerequisites.hpp"

using namespace aikmock;
namespace fs = std::filesystem;

TEST_CASE("AIK URL of real EK certificates: KeyId = SKI of the vendor CA that issued them") {
  const fs::path real = test::real_ek_directory();
  struct expectation {
    const char* ek;
    const char* issuing_ca;  // under trust/
    const char* vendor;
  };
  const expectation cases[] = {
      {"stm-st33htphahb4-keylime-rsa2048.pem", "STM/IntermediateCA/STM_TPM_EK_Intermediate_CA_05.pem", "STM"},
      {"ifx-slb9670-keylime-rsa2048.pem", "IFX/IntermediateCA/Infineon_OPTIGA_RSA_Manufacturing_CA_035.pem", "IFX"},
      {"ifx-slb9670-keylime-eccp256.pem", "IFX/IntermediateCA/Infineon_OPTIGA_ECC_Manufacturing_CA_035.pem", "IFX"},
      {"intc-ptt-spt-smallstep-rsa2048.pem", "INTC/IntermediateCA/Intel_TPM_EK_Intermediate_SPTH_EPID_PROD.pem", "INTC"},
      {"ntc-npct75x-keylime-rsa2048.pem", "NTC/RootCA/Nuvoton_TPM_Root_CA_2111.pem", "NTC"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ek);
    auto der = read_file(real / "ek" / c.ek);
    REQUIRE(der);
    auto ek = certs::parse_ek_certificate(*der);
    REQUIRE(ek);
    const auto ca = certs::ca_identity_of(certs::load_certificate(real / "trust" / c.issuing_ca).get());
    auto url = client::derive_aik_url(*ek);
    REQUIRE_MESSAGE(url, url.error());
    CHECK(url->url == "https://" + std::string(c.vendor) + "-KeyId-" + ca.key_id +
                                ".microsoftaik.azure.net/templates/Aik/scep");
  }
  // Pluton: Microsoft's own manufacturer id.
  auto pluton = certs::parse_ek_certificate(*read_file(real / "ek" / "msft-pluton-keyattestcsr-rsa2048.pem"));
  REQUIRE(pluton);
  CHECK(client::derive_aik_url(*pluton)->vendor == "MSFT");
}

