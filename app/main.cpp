// aikmock: an offline mock of Microsoft's cloud AIK certificate service.
#include <unistd.h>

#include <iostream>
#include <map>

#include "app/cli.hpp"
#include "app/enroll_command.hpp"
#include "app/lab_command.hpp"
#include "app/policy_command.hpp"
#include "app/tpm_command.hpp"
#include "certs/lab_pki.hpp"
#include "common/openssl.hpp"
#include "policy/error_catalog.hpp"
#include "server/http_server.hpp"

namespace {
using aikmock::app::args;
using aikmock::app::usage_error;

constexpr const char* main_usage = R"(usage: aikmock COMMAND [OPTIONS]

Commands:
  serve       run the mock AIK service (SCEP over HTTPS and HTTP)
  pki init    create a lab PKI: TPM vendor CAs, software EKs, the mock Microsoft AIK side, TLS
  policy      list, show and check policies (what the service answers, and when)
  enroll      the reference client: enroll a TPM's AIK against the service as Windows does
  lab windows what a real Windows machine needs: setup.ps1, hosts lines, an EK's host name
  tpm         makecredential for an EK and AK Name (tcg or microsoft profile); inspect TPM blobs as JSON
  errors      print the error catalogue (--markdown: as docs/errors.md)

`aikmock COMMAND --help` describes each.
)";

// From the settings table (server/config.hpp): every flag, its key, its
// variable and the default in force, never a copy of them.
std::string serve_usage() {
  const aikmock::server::resolved_config defaults = aikmock::server::resolve_config(std::nullopt, {}, {});
  std::string out =
      "usage: aikmock serve [OPTIONS]\n\n"
      "Each setting comes from, later winning: its default, the JSON file (--config FILE or\n"
      "AIKMOCK_CONFIG; keys as below), its AIKMOCK_* variable, its flag.\n\n"
      "  --config FILE             JSON configuration\n"
      "  --print-config            print the effective settings and where each came from, then exit\n";
  for (const auto& s : aikmock::server::settings()) {
    std::string flag = "  --" + std::string(s.flag) + " " + std::string(s.meta);
    if (flag.size() < 28) flag.resize(28, ' ');
    else flag += "\n                            ";
    const auto value = s.get(defaults.values);
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (shown.empty() || shown == "[]") shown = "none";
    out += flag + std::string(s.help) + "\n                            (default " + shown + "; " + std::string(s.key) +
           ", " + aikmock::server::environment_name(s.key) + ")\n";
  }
  return out;
}

std::string pki_usage() {
  const aikmock::certs::lab_options d;
  return "usage: aikmock pki init --out DIR [--domain NAME] [--public-url URL] [--tls-key p256|rsa2048]\n\n"
         "Creates a lab PKI under DIR and DIR/manifest.json listing every file:\n"
         "TPM vendor roots and EK-issuing CAs (IFX, STM, NTC, INTC) in the TrustedTPM\n"
         "layout, software EKs with EK certificates and TPM2B_PUBLIC for templates\n"
         "L-1, L-2, H-1, H-2, H-3, H-6 and H-7, the mock Microsoft AIK root with one\n"
         "issuing CA and two SCEP RA certificates per authority, and a TLS server\n"
         "certificate for *.DOMAIN, localhost and 127.0.0.1. Private keys are 0600.\n\n"
         "  --out DIR         where to create it (must not hold a lab already)\n"
         "  --domain NAME     the service domain (default " + d.domain + ")\n"
         "  --public-url URL  where clients reach the plain-HTTP listener, named in the\n"
         "                    certificates' AIA and CRL URLs (default " + d.public_url + ")\n"
         "  --tls-key TYPE    the TLS server key: p256 (default) or rsa2048 (an RSA root too),\n"
         "                    for Windows builds that do not negotiate ECDSA\n";
}

constexpr const char* errors_usage = R"(usage: aikmock errors [--markdown]

Prints the error catalogue: key, HTTP status and body of every error answer.
)";

bool wants_help(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return true;
  return false;
}

int run_serve(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) return std::cout << serve_usage(), 0;
  std::vector<std::string> value_options{"config"};
  for (const auto& s : aikmock::server::settings()) value_options.emplace_back(s.flag);
  args a(argc, argv, 2, value_options, {"print-config"});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());

  std::map<std::string, std::vector<std::string>> flags;
  for (const auto& s : aikmock::server::settings())
    if (auto v = a.values(std::string(s.flag)); !v.empty()) flags[std::string(s.flag)] = v;
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
  std::optional<std::filesystem::path> file;
  if (auto f = a.value("config")) file = *f;

  auto resolved = aikmock::server::resolve_config(file, environment, flags);
  if (a.flag("print-config")) {
    std::cout << aikmock::server::describe_config(resolved).dump(2) << '\n';
    return 0;
  }
  auto& cfg = resolved.values;
  cfg.admin.optional_bind = resolved.source["admin.listen"] == "default";
  for (const auto& name : resolved.ignored_environment)
    std::cerr << "aikmock serve: " << name << " names no setting (ignored; see serve --help)\n";
  return aikmock::server::serve(cfg);
}

int run_pki(int argc, char** argv) {
  if (argc < 3 || std::string_view(argv[2]) != "init" || wants_help(argc, argv, 2)) {
    std::cout << pki_usage();
    return wants_help(argc, argv, 2) ? 0 : 2;
  }
  args a(argc, argv, 3, {"out", "domain", "public-url", "tls-key"}, {});
  auto out = a.value("out");
  if (!out) throw usage_error("pki init needs --out DIR");
  aikmock::certs::lab_options options;
  options.out = *out;
  if (auto d = a.value("domain")) options.domain = *d;
  if (auto u = a.value("public-url")) {
    while (!u->empty() && u->back() == '/') u->pop_back();
    if (!u->starts_with("http://")) throw usage_error("--public-url must be an http:// URL (CRLs and AIA are plain HTTP)");
    options.public_url = *u;
  }
  if (auto k = a.value("tls-key")) {
    if (*k == "p256") options.tls_key = aikmock::certs::tls_key_type::p256;
    else if (*k == "rsa2048") options.tls_key = aikmock::certs::tls_key_type::rsa2048;
    else throw usage_error("--tls-key must be p256 or rsa2048");
  }
  options.progress = [](const std::string& line) { std::cerr << line << '\n'; };
  aikmock::certs::create_lab_pki(options);
  return 0;
}

int run_errors(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) return std::cout << errors_usage, 0;
  args a(argc, argv, 2, {}, {"markdown"});
  if (a.flag("markdown")) {
    std::cout << aikmock::policy::error_table_markdown();
    return 0;
  }
  for (const auto& e : aikmock::policy::error_catalog())
    std::cout << e.key << '\t' << e.status << '\t' << aikmock::policy::error_body(e) << '\n';
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::cout << main_usage;
    return argc < 2 ? 2 : 0;
  }
  const std::string_view command = argv[1];
  try {
    aikmock::load_openssl_providers();
    if (command == "serve") return run_serve(argc, argv);
    if (command == "pki") return run_pki(argc, argv);
    if (command == "errors") return run_errors(argc, argv);
    if (command == "policy") return aikmock::app::run_policy_command(argc, argv);
    if (command == "tpm") return aikmock::app::run_tpm_command(argc, argv);
    if (command == "enroll") return aikmock::app::run_enroll_command(argc, argv);
    if (command == "lab") return aikmock::app::run_lab_command(argc, argv);
    std::cerr << "aikmock: unknown command " << command << "\n\n" << main_usage;
    return 2;
  } catch (const usage_error& e) {
    std::cerr << "aikmock " << command << ": " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "aikmock " << command << ": " << e.what() << '\n';
    return 1;
  }
}
