// aikmock: an offline mock of Microsoft's cloud AIK certificate service.
#include <charconv>
#include <iostream>

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

// The defaults shown are the ones in force (server/config.hpp), not a copy of them.
std::string serve_usage() {
  const aikmock::server::config d;
  const auto& l = d.limits;
  auto ms = [](std::chrono::milliseconds v) { return std::to_string(v.count()); };
  return "usage: aikmock serve [OPTIONS]\n\n"
         "  --lab DIR                 lab PKI made by `aikmock pki init` (default ./" + d.lab.string() + ")\n"
         "  --https ADDR:PORT         HTTPS listener (default " + d.https + "; empty turns it off; [::1]:8443 for IPv6)\n"
         "  --http ADDR:PORT          plain HTTP listener (default " + d.http + "; empty turns it off)\n"
         "  --config FILE             JSON configuration (keys in README); options given here override it\n"
         "  --threads N               I/O threads (default: hardware concurrency)\n"
         "  --default-authority NAME  authority for hosts that name none: name, KeyId or NameId; \"none\" for 404\n"
         "  --access-log FILE         JSON access log (\"-\": standard output, the default)\n"
         "  --policy NAME|FILE        what the service answers: " + d.policy + " (default), tcg-complete, strict, or a file\n"
         "  --trust DIR               TPM vendor CAs to trust besides the lab's (TrustedTPM layout); repeatable\n"
         "  --header-limit BYTES      larger request headers get 431 (default " + std::to_string(l.header_bytes) + ")\n"
         "  --body-limit BYTES        larger request bodies get 413 (default " + std::to_string(l.body_bytes) +
         "; lower per route)\n"
         "  --request-timeout MS      time to read one request (default " + ms(l.request_timeout) + ")\n"
         "  --idle-timeout MS         keep-alive wait for the next request (default " + ms(l.idle_timeout) + ")\n"
         "  --max-connections N       further connections are closed at once (default " +
         std::to_string(l.max_connections) + "; kept below the fd limit)\n"
         "  --max-connections-per-address N  the same, for the connections of one client address (default " +
         std::to_string(l.max_connections_per_address) + ")\n"
         "  --handshake-timeout MS    time for a TLS client to finish its handshake (default " +
         ms(l.handshake_timeout) + ")\n"
         "  --shutdown-grace MS       on SIGTERM/SIGINT, time left for requests in flight (default " +
         ms(l.shutdown_grace) + ")\n";
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

template <class T>
T number(const args& a, const std::string& name, T fallback) {
  auto v = a.value(name);
  if (!v) return fallback;
  T out{};
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || end != v->data() + v->size()) throw usage_error("--" + name + " needs a number");
  return out;
}

int run_serve(int argc, char** argv) {
  if (wants_help(argc, argv, 2)) return std::cout << serve_usage(), 0;
  args a(argc, argv, 2,
         {"lab", "https", "http", "config", "threads", "default-authority", "access-log", "policy", "trust", "header-limit",
          "body-limit", "request-timeout", "idle-timeout", "max-connections", "max-connections-per-address",
          "handshake-timeout", "shutdown-grace"},
         {});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  aikmock::server::config cfg;
  if (auto f = a.value("config")) aikmock::server::load_config_file(*f, cfg);
  if (auto v = a.value("lab")) cfg.lab = *v;
  if (auto v = a.value("https")) cfg.https = *v;
  if (auto v = a.value("http")) cfg.http = *v;
  if (auto v = a.value("default-authority")) cfg.default_authority = *v;
  if (auto v = a.value("access-log")) cfg.access_log = *v;
  if (auto v = a.value("policy")) cfg.policy = *v;
  for (const auto& d : a.values("trust")) cfg.trust.emplace_back(d);
  auto& l = cfg.limits;
  cfg.threads = number(a, "threads", cfg.threads);
  l.header_bytes = number(a, "header-limit", l.header_bytes);
  l.body_bytes = number(a, "body-limit", l.body_bytes);
  l.max_connections = number(a, "max-connections", l.max_connections);
  l.max_connections_per_address = number(a, "max-connections-per-address", l.max_connections_per_address);
  using ms = std::chrono::milliseconds;
  l.request_timeout = ms(number(a, "request-timeout", l.request_timeout.count()));
  l.idle_timeout = ms(number(a, "idle-timeout", l.idle_timeout.count()));
  l.handshake_timeout = ms(number(a, "handshake-timeout", l.handshake_timeout.count()));
  l.shutdown_grace = ms(number(a, "shutdown-grace", l.shutdown_grace.count()));
  if (l.header_bytes == 0 || l.body_bytes == 0 || l.max_connections == 0 || l.max_connections_per_address == 0 ||
      l.request_timeout.count() <= 0 || l.idle_timeout.count() <= 0 || l.handshake_timeout.count() <= 0 ||
      l.shutdown_grace.count() <= 0)
    throw usage_error("limits must be positive");
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
