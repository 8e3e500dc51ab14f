// `aikmock lab windows --address IP --out DIR`: every token of setup.ps1's
// template filled from the lab, nothing else; a hosts file only takes addresses.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "app/windows_lab/windows_lab_files.hpp"
#include "certs/lab_manifest.hpp"
#include "common/openssl.hpp"

using namespace aikmock;

namespace {
std::map<std::string, std::string> files_of(const std::string& address) {
  load_openssl_providers();
  static const auto lab = certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  std::map<std::string, std::string> out;
  for (auto& f : app::windows_lab_files(lab, address)) out[f.name] = f.content;
  return out;
}
}  // namespace

TEST_CASE("lab windows: setup.ps1 is its template with the lab's values; hosts.txt names every authority") {
  const auto lab = certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR);
  auto files = files_of("192.0.2.10");
  for (const char* name : {"setup.ps1", "hosts.txt", "README.txt", "tls-root.cer", "aik-root.cer"})
    CHECK_MESSAGE(files.count(name) == 1, name);
  const std::string& script = files["setup.ps1"];
  CHECK(script.find("__AIKMOCK_") == std::string::npos);
  CHECK(script.find("$AikmockAddress = '192.0.2.10'") != std::string::npos);
  CHECK(script.find("$ServiceDomain  = '" + lab.domain + "'") != std::string::npos);
  CHECK(script.find("$LabId          = '" + app::lab_id(lab) + "'") != std::string::npos);
  for (const auto& a : lab.authorities) {
    CHECK(script.find("'" + a.key_id + "'") != std::string::npos);
    CHECK(files["hosts.txt"].find("192.0.2.10 " + a.vendor + "-KeyId-" + a.key_id + "." + lab.domain + "\n") !=
          std::string::npos);
    CHECK(files["hosts.txt"].find("192.0.2.10 " + a.vendor + "-NameId-" + a.name_id + "." + lab.domain + "\n") !=
          std::string::npos);
  }
  // Everything but the filled values is the template's: the script is ASCII, as Windows PowerShell 5.1 reads
  // a file without a byte-order mark.
  CHECK(std::none_of(script.begin(), script.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  CHECK(app::setup_script_template().find("__AIKMOCK_ADDRESS__") != std::string_view::npos);
  CHECK(files_of("2001:db8::10")["setup.ps1"].find("'2001:db8::10'") != std::string::npos);
}

TEST_CASE("lab windows: only an IP address goes into a hosts file; a template token nobody fills is an error") {
  for (const char* bad : {"aikmock.lab", "192.0.2.300", "", "1.2.3.4'; rm", "127.0.0.1 evil.example"})
    CHECK_THROWS_AS(files_of(bad), std::invalid_argument);
  CHECK(app::fill_setup_script("a __AIKMOCK_X__ b __AIKMOCK_X__", {{"X", "1"}}) == "a 1 b 1");
  CHECK_THROWS_AS(app::fill_setup_script("a __AIKMOCK_Y__", {{"X", "1"}}), std::logic_error);
  // A value that looks like a token is not filled again.
  CHECK(app::fill_setup_script("__AIKMOCK_X__", {{"X", "__AIKMOCK_X__"}}) == "__AIKMOCK_X__");
}
