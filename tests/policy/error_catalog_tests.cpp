#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "policy/error_catalog.hpp"

using namespace aikmock::policy;

TEST_CASE("the bodies the real service is known to send, byte for byte") {
  CHECK(error_body(catalog_entry(error_id::no_ek_certificate)) ==
        R"({"Message":"No valid TPM EK/Platform Certificate provided in the TPM identity request message"})");
  CHECK(error_body(catalog_entry(error_id::encrypt_secret_failed)) ==
        R"({"Message":"Client challenge cannot be created due to failure in EncryptSecret"})");
  CHECK(error_body(catalog_entry(error_id::scep_parse_failed)) == R"({"Message":"Failed to parse SCEP request."})");
  CHECK(catalog_entry(error_id::no_ek_certificate).status == 400);
  CHECK(catalog_entry(error_id::unknown_authority).status == 404);
  CHECK(catalog_entry(error_id::too_many_requests).status == 429);
}

TEST_CASE("placeholders are filled and escaped into valid JSON") {
  const auto& e = catalog_entry(error_id::unknown_authority);
  CHECK(error_body(e, {{"host", "IFX-KeyId-00.microsoftaik.azure.net"}}) ==
        R"({"Message":"The authority \"IFX-KeyId-00.microsoftaik.azure.net\" does not exist."})");
  CHECK(error_body(e, {{"host", "a\"b\\c\n"}}) == R"({"Message":"The authority \"a\"b\\c\n\" does not exist."})");
  // Invalid UTF-8 from a request never breaks the JSON.
  CHECK(error_body(e, {{"host", "\xff"}}).find("\\ufffd") == std::string::npos);
  CHECK(error_body(e, {{"host", "\xff"}}).find("\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("keys and ids are unique and findable") {
  std::set<std::string_view> keys;
  for (const auto& e : error_catalog()) {
    CHECK(keys.insert(e.key).second);
    CHECK(find_catalog_entry(e.key) == &e);
    CHECK(&catalog_entry(e.id) == &e);
    CHECK(e.status >= 400);
  }
  CHECK(find_catalog_entry("no-such-key") == nullptr);
}

TEST_CASE("HTTP status to Windows HRESULT") {
  CHECK(http_status_hresult(400) == 0x80190190u);
  CHECK(http_status_hresult(404) == 0x80190194u);
  CHECK(http_status_hresult(429) == 0x801901ADu);
  CHECK(http_status_hresult_name(400) == "HTTP_E_STATUS_BAD_REQUEST");
}

TEST_CASE("docs/errors.md is the catalogue (regenerate with `make docs`)") {
  std::ifstream in(AIKMOCK_SOURCE_DIR "/docs/errors.md");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == error_table_markdown());
}
