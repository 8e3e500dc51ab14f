#include "app/lab_command.hpp"

#include <filesystem>
#include <iostream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/ek_explanation.hpp"
#include "app/windows_lab/windows_lab_files.hpp"
#include "certs/authority.hpp"
#include "certs/certificate_builder.hpp"
#include "certs/ek_certificate.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/trust_store.hpp"
#include "client/aik_url.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "common/openssl.hpp"
#include "policy/policy_file.hpp"

namespace aikmock::app {

namespace {
namespace fs = std::filesystem;

constexpr const char* usage = R"(usage: aikmock lab windows --address IP --out DIR [--lab DIR]
       aikmock lab windows --ek-cert FILE [--json] [--lab DIR] [--policy NAME|FILE] [--trust DIR]...

Everything a real Windows machine needs to enroll against the lab (docs/windows-lab.md).

With --address and --out: writes DIR/setup.ps1 (run it elevated on the Windows
machine: hosts entries for its TPM, the lab's roots trusted, certreq -enrollaik,
a report; -Undo removes it all), DIR/hosts.txt (every authority's host names),
DIR/README.txt (the same steps by hand), DIR/tls-root.cer and DIR/aik-root.cer.
IP is where Windows reaches aikmock (its HTTPS listener must be on port 443).

With --ek-cert: the device's EK certificate (DER or PEM, e.g. from
Get-TpmEndorsementKeyInfo) -> the service host name Windows will use, the
authority it maps to, whether the lab trusts its issuer, and what the service
will answer under the policy (as `policy explain`).

  --lab DIR          the lab (default ./lab)
  --policy NAME|FILE the policy the server runs (default microsoft-2025)
  --trust DIR        vendor CAs the server is given with --trust; repeatable
  --json             one JSON document instead of text
)";

int write_folder(const certs::lab_manifest& lab, const std::string& address, const fs::path& out) {
  auto files = windows_lab_files(lab, address);
  fs::create_directories(out);
  for (const auto& f : files) {
    write_file(out / f.name, as_bytes(f.content), 0644);
    std::cout << "wrote " << (out / f.name).string() << "\n";
  }
  if (lab.public_url.find("127.0.0.1") != std::string::npos || lab.public_url.find("localhost") != std::string::npos)
    std::cerr << "note: the lab's public URL is " << lab.public_url
              << ", which Windows cannot reach: its certificates' AIA and CRL URLs point there. Make the lab with\n"
                 "      aikmock pki init --out DIR --public-url http://" << address << ":8080\n";
  return 0;
}

int describe_ek(const certs::lab_manifest* lab, const args& a, const std::string& ek_file) {
  auto raw = read_file(ek_file, 1 << 20);
  if (!raw) throw std::runtime_error("cannot read " + ek_file);
  auto ek = certs::parse_ek_certificate(*raw);
  if (!ek) throw std::runtime_error(ek_file + ": not an EK certificate: " + ek.error());
  const std::string domain = lab ? lab->domain : std::string(certs::service_domain);
  auto url = client::derive_aik_url(*ek, std::nullopt, domain);

  ek_question q;
  q.ek_certificate = *raw;
  q.trust_dirs = trust_dirs_of(a.value("lab").value_or("lab"), a.values("trust"));
  auto pol = policy::resolve_policy(a.value("policy").value_or(std::string(policy::default_policy_name)));
  auto explanation = explain_ek(pol, q);

  // Which authority the host reaches: one of the lab's, one a trust-store CA gets when the server starts, or none (404).
  nlohmann::ordered_json authority{{"name", nullptr}, {"state", "unknown"}};
  // Windows names the KeyId when the EK certificate has an AKI, else the NameId (client/aik_url.hpp).
  const std::string key_id = to_hex(ek->authority_key_id);
  const std::string name_id = ek->x509 ? to_hex(certs::issuer_name_hash_sha1(ek->x509.get())) : std::string();
  if (lab) {
    auto store = certs::trust_store::load(q.trust_dirs).store;
    auto directory = certs::authority_directory::load(*lab, *store);
    auto found = key_id.empty() ? directory->by_name_id(name_id) : directory->by_key_id(key_id);
    auto pending = key_id.empty() ? directory->pending_by_name_id(name_id) : directory->pending_by_key_id(key_id);
    if (found) authority = {{"name", found->name}, {"state", "ready"}};
    else if (pending) authority = {{"name", pending->name()}, {"state", "minted when the server starts (a trust-store CA)"}};
  }
  const bool chain_valid = explanation.contains("facts") && explanation["facts"].value("chainValid", false);

  nlohmann::ordered_json out;
  out["ekCertificate"] = ek_file;
  if (url) {
    out["host"] = url->label + "." + domain;
    out["url"] = url->url;
    out["vendor"] = url->vendor;
    out["vendorSource"] = url->vendor_source;
  } else {
    out["host"] = nullptr;
    out["hostError"] = url.error();
  }
  out["keyId"] = key_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(key_id);
  out["nameId"] = name_id;
  out["authority"] = authority;
  out["issuerTrusted"] = chain_valid;
  out["answer"] = explanation;

  if (a.flag("json")) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "EK certificate:  " << ek_file << "\n";
  if (url) {
    std::cout << "service host:    " << out["host"].get<std::string>() << "\n"
              << "URL:             " << url->url << "\n"
              << "vendor:          " << url->vendor << " (" << url->vendor_source << ")\n";
  } else {
    std::cout << "service host:    cannot be derived: " << url.error() << "\n";
  }
  std::cout << "authority:       "
            << (authority["name"].is_null() ? std::string("none in this lab: the server answers the real service's 404")
                                            : authority["name"].get<std::string>() + " (" +
                                                  authority["state"].get<std::string>() + ")")
            << "\n";
  std::cout << "issuer trusted:  " << (chain_valid ? "yes" : "no");
  if (!chain_valid && explanation.contains("facts")) std::cout << " (" << explanation["facts"].value("chainFailure", "") << ")";
  std::cout << "\n";
  const std::string decision = explanation.value("decision", "");
  std::cout << "answer (" << pol.name << "): ";
  if (decision == "accept")
    std::cout << "a challenge with the " << explanation.value("credentialProfile", "") << " credential profile\n";
  else if (decision == "reject")
    std::cout << explanation.value("status", 0) << " " << nlohmann::json{{"Message", explanation.value("message", "")}}.dump()
              << "\n";
  else
    std::cout << decision << "\n";
  return 0;
}
}  // namespace

int run_lab_command(int argc, char** argv) {
  const std::string_view sub = argc > 2 ? argv[2] : "";
  if (sub != "windows" || (argc > 3 && (std::string_view(argv[3]) == "--help" || std::string_view(argv[3]) == "-h"))) {
    std::cout << usage;
    return sub == "windows" ? 0 : 2;
  }
  args a(argc, argv, 3, {"lab", "address", "out", "ek-cert", "policy", "trust"}, {"json"});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  aikmock::load_openssl_providers();
  const fs::path lab_dir = a.value("lab").value_or("lab");
  std::optional<certs::lab_manifest> lab;
  if (fs::exists(lab_dir / "manifest.json")) lab = certs::load_lab_manifest(lab_dir);

  if (auto ek = a.value("ek-cert")) return describe_ek(lab ? &*lab : nullptr, a, *ek);
  auto address = a.value("address");
  auto out = a.value("out");
  if (!address || !out) throw usage_error("lab windows needs --address IP and --out DIR (or --ek-cert FILE)");
  if (!lab) throw usage_error("no lab at " + lab_dir.string() + " (make one with aikmock pki init --out DIR)");
  return write_folder(*lab, *address, *out);
}

}  // namespace aikmock::app
