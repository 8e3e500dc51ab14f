#include "app/windows_lab/windows_lab_files.hpp"

#include <arpa/inet.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>

#include "certs/der_io.hpp"
#include "certs/pem.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"

namespace aikmock::app {

namespace {
constexpr std::string_view token_open = "__AIKMOCK_";

// The lab's directory name, however the path to it was written ("lab", "./lab/").
std::string lab_name(const certs::lab_manifest& lab) {
  auto p = std::filesystem::absolute(lab.dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::string pem_of(const certs::lab_manifest& lab, const std::string& path) {
  auto pem = read_file(lab.path_of(path), 1 << 20);
  if (!pem) throw std::runtime_error("cannot read " + lab.path_of(path).string());
  std::string text(as_chars(*pem));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string der_of_pem(const certs::lab_manifest& lab, const std::string& path) {
  auto cert = certs::load_certificate(lab.path_of(path));
  return std::string(as_chars(certs::der_of(cert.get(), i2d_X509)));
}

std::string hosts_text(const certs::lab_manifest& lab, const std::string& address) {
  std::string out = "# aikmock lab " + lab_name(lab) + " (" + lab_id(lab) +
                    "): the service host names of its authorities, as Windows derives them.\n"
                    "# Add the lines of your TPM's vendor to C:\\Windows\\System32\\drivers\\etc\\hosts\n"
                    "# (setup.ps1 adds exactly the ones your TPM needs).\n";
  for (const auto& a : lab.authorities) {
    out += "\n# " + a.name + "\n";
    out += address + " " + a.vendor + "-KeyId-" + a.key_id + "." + lab.domain + "\n";
    out += address + " " + a.vendor + "-NameId-" + a.name_id + "." + lab.domain + "\n";
  }
  out += "\n# The lab's software EKs (aikmock enroll --tpm soft:LAB/eks/<id>) reach:\n";
  for (const auto& e : lab.eks)
    for (const auto& a : lab.authorities)
      if (a.name == e.authority) out += "#   " + e.id + " (" + e.tpl + "): " + a.name + "." + lab.domain + "\n";
  return out;
}

std::string readme_text(const certs::lab_manifest& lab, const std::string& address) {
  const std::string tls_port_note =
      "aikmock must answer HTTPS on port 443 of " + address + " (aikmock serve --https " +
      (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":443)";
  return "aikmock lab " + lab_name(lab) + " (" + lab_id(lab) + ") for a real Windows machine\n"
         "=======================================================================\n\n"
         "Automatic: copy this folder to the Windows machine and, in an elevated\n"
         "Windows PowerShell, run\n\n"
         "    powershell -ExecutionPolicy Bypass -File .\\setup.ps1\n\n"
         "It adds the hosts lines for this TPM, trusts the lab's roots, runs\n"
         "certreq -enrollaik and collects a report; -Undo removes every change.\n\n"
         "By hand:\n\n"
         "1. On the aikmock machine: " + tls_port_note + ",\n"
         "   and its plain-HTTP listener at " + lab.public_url + " (the AIA and CRL URLs in the\n"
         "   lab's certificates point there).\n"
         "2. On Windows, find the service host name of the TPM: run\n"
         "       Get-TpmEndorsementKeyInfo | Select -Expand ManufacturerCertificates | Export-Certificate -FilePath ek.cer\n"
         "   and on the aikmock machine\n"
         "       aikmock lab windows --lab LAB --ek-cert ek.cer\n"
         "   which prints the host name, the authority it maps to and what the service will answer.\n"
         "3. Add \"" + address + " <that host name>\" to C:\\Windows\\System32\\drivers\\etc\\hosts\n"
         "   (hosts.txt lists every authority of this lab).\n"
         "4. Trust the roots: in an elevated prompt\n"
         "       certutil -addstore -f Root tls-root.cer\n"
         "       certutil -addstore -f Root aik-root.cer\n"
         "5. Enroll: certreq -enrollaik -config \"\"\n"
         "6. Undo: remove the hosts lines, and the roots with certutil -delstore Root <serial or thumbprint>.\n\n"
         "docs/windows-lab.md in the aikmock repository walks through all of this, and what\n"
         "each Windows error code and event means.\n";
}
}  // namespace

std::string lab_id(const certs::lab_manifest& lab) {
  const std::string der = der_of_pem(lab, lab.tls_root);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest);
  return to_hex(byte_view(digest, 8));
}

std::string fill_setup_script(std::string_view script, const std::vector<std::pair<std::string, std::string>>& values) {
  // Every token of the template must be one this knows: a template edited alone fails here, not on Windows.
  std::string out;
  std::size_t from = 0;
  for (auto at = script.find(token_open); at != std::string_view::npos; at = script.find(token_open, from)) {
    const auto end = script.find("__", at + token_open.size());
    const std::string name(script.substr(at + token_open.size(), end == std::string_view::npos ? 0 : end - at - token_open.size()));
    auto known = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
    if (end == std::string_view::npos || known == values.end())
      throw std::logic_error("setup.ps1.in uses a token this aikmock does not fill: " +
                             std::string(script.substr(at, 40)));
    out.append(script.substr(from, at - from));
    out.append(known->second);
    from = end + 2;
  }
  out.append(script.substr(from));
  return out;
}

std::vector<generated_file> windows_lab_files(const certs::lab_manifest& lab, const std::string& address) {
  if (!is_ip_address(address))
    throw std::invalid_argument("--address must be the IPv4 or IPv6 address Windows reaches aikmock at, not \"" +
                                address + "\"");
  std::string authorities;
  for (const auto& a : lab.authorities) authorities += "  '" + a.key_id + "'\n  '" + a.name_id + "'\n";
  if (!authorities.empty()) authorities.pop_back();
  const std::vector<std::pair<std::string, std::string>> values{
      {"ADDRESS", address},
      {"DOMAIN", lab.domain},
      {"PUBLIC_URL", lab.public_url},
      {"LAB_NAME", lab_name(lab)},
      {"LAB_ID", lab_id(lab)},
      {"AUTHORITY_LIST", authorities},
      {"TLS_ROOT_PEM", pem_of(lab, lab.tls_root)},
      {"AIK_ROOT_PEM", pem_of(lab, lab.aik_root.certificate)},
  };
  return {
      {"setup.ps1", fill_setup_script(setup_script_template(), values)},
      {"hosts.txt", hosts_text(lab, address)},
      {"README.txt", readme_text(lab, address)},
      {"tls-root.cer", der_of_pem(lab, lab.tls_root)},
      {"aik-root.cer", der_of_pem(lab, lab.aik_root.certificate)},
  };
}

}  // namespace aikmock::app
