#include "app/enroll_command.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "app/cli.hpp"
#include "client/enroll_flow.hpp"
#include "client/enroll_report.hpp"
#include "client/http_client.hpp"
#include "client/ek_nv_index.hpp"
#include "client/tpm_backend_spec.hpp"
#include "client/url.hpp"

namespace aikmock::app {

namespace {

constexpr const char* enroll_usage = R"(usage: aikmock enroll --tpm soft:DIR|tcti:STRING [OPTIONS]

Enrolls the TPM's AIK the way Windows does (certreq -enrollaik, Autopilot
pre-provisioning), on Windows' own wire: reads the EK certificate and public,
derives the service URL from the EK certificate, GetCACaps, GetCACertChain (the
RA certificates must chain to the issuing CA), Submit(Request) (messageType 19)
with a new AIK and its creation proof, TPM2_ActivateCredential on the challenge
(PkiStatus 11), Submit(ChallengeAnswer) (messageType 41). Prints each
stage as certreq would (status line, x-ms-request-id, the service's Message,
PkiStatus, EnrollStatus) and the HRESULT Windows would show.

  --tpm soft:DIR          the TPM: a lab software EK, DIR = LAB/eks/<id> (ek-cert.der, ek.key, ek.pub)
  --tpm tcti:STRING       the TPM: a real one through tpm2-tss, e.g. tcti:device:/dev/tpmrm0 or
                          tcti:swtpm:host=127.0.0.1,port=2321 (owner and endorsement auth empty)
  --ek-index INDEX        with tcti: read the EK certificate from this NV index, as hex (0x01C0001C)
                          or by its TCG template (H-6) (default: the first present of 0x01C00002 L-1,
                          0x01C00012 H-1, 0x01C0001C H-6, 0x01C0001E H-7, then the ECC indices
                          0x01C0000A L-2, 0x01C00014 H-2, 0x01C00016 H-3, 0x01C00018 H-4, 0x01C0001A H-5)
  --aik-type rsa|ecc      the AIK the TPM creates, a primary key in the owner hierarchy: RSA-2048
                          RSASSA-SHA1 (default, Windows' AIK) or ECC P-256 ECDSA-SHA256
  --tpm-timeout SECONDS   with tcti: the longest the client waits for one TPM step (default 180); a TPM
                          that does not answer by then ends the enrollment with 0x800705B4
  --url URL               the service URL (default: derived from the EK certificate as Windows does,
                          https://<VENDOR>-KeyId-<AKI hex>.microsoftaik.azure.net/templates/Aik/scep)
  --vendor CODE           the vendor prefix of the derived host (default: the EK certificate's TPM
                          manufacturer in the TCG registry, id:49465800 -> IFX)
  --domain NAME           the domain of the derived host (default microsoftaik.azure.net)
  --connect-to ADDR:PORT  connect there instead; SNI, the certificate name and Host stay the URL's host
  --ca-file FILE          trust only these TLS roots (PEM), e.g. LAB/tls/root.pem (default: system store)
  --timeout SECONDS       per request, from name lookup to the last byte (default 30; decimals allowed)
  --retries N             further attempts of a request after HTTP 429, 5xx, a timeout or a connection
                          failure, never after other 4xx (default 3, at most 10); waits 1, 2, 4, 8, 16 s,
                          or what Retry-After says (at most 60 s)
  --out DIR               write aik.pem (the AIK certificate) and chain.pem (issuing CA, root)
  --json                  print one JSON document instead of the text report

Exit status: 0 a certificate was issued (and written with --out); 1 the
enrollment failed; 2 usage. See docs/enroll.md.
)";

bool wants_help(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return true;
  return false;
}

std::chrono::milliseconds parse_timeout(const std::string& text, const std::string& option = "--timeout") {
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > 3600)
    throw usage_error(option + " needs seconds, more than 0 and at most 3600");
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

unsigned parse_retries(const std::string& text) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n > 10) throw usage_error("--retries needs 0 to 10");
  return n;
}

}  // namespace

int run_enroll_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::cout << enroll_usage, 0;
  args a(argc, argv, 2,
         {"tpm", "ek-index", "aik-type", "tpm-timeout", "url", "vendor", "domain", "connect-to", "ca-file", "timeout", "retries", "out"},
         {"json"});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  const auto tpm_spec = a.value("tpm");
  if (!tpm_spec) throw usage_error("enroll needs --tpm soft:DIR or --tpm tcti:STRING");
  client::tpm_backend_options tpm_options;
  if (auto t = a.value("tpm-timeout")) tpm_options.timeout = parse_timeout(*t, "--tpm-timeout");
  if (auto type = a.value("aik-type")) {
    if (*type == "rsa") tpm_options.aik_type = tpm::alg::rsa;
    else if (*type == "ecc") tpm_options.aik_type = tpm::alg::ecc;
    else throw usage_error("--aik-type needs rsa or ecc");
  }
  if (auto index = a.value("ek-index")) {
    tpm_options.ek_index = client::parse_ek_index(*index);
    if (!tpm_options.ek_index)
      throw usage_error("--ek-index needs an EK certificate index of the TCG EK Credential Profile, as hex "
                        "(0x01C00002, 0x01C0001C...) or by template (L-1, H-6...)");
  }

  client::enroll_settings settings;
  client::http_client_options transport;
  settings.tpm_description = *tpm_spec;
  if (auto url = a.value("url")) {
    auto parsed = client::parse_service_url(*url);
    if (!parsed) throw usage_error("--url: " + parsed.error());
    settings.url = *url;
  }
  settings.vendor = a.value("vendor");
  if (auto domain = a.value("domain")) settings.domain = *domain;
  if (auto target = a.value("connect-to")) {
    auto parsed = client::parse_connect_to(*target);
    if (!parsed) throw usage_error("--connect-to needs ADDR:PORT or [v6]:PORT");
    transport.connect_to = *parsed;
    settings.connect_to = parsed->text();
  }
  if (auto ca = a.value("ca-file")) transport.ca_file = *ca;
  if (auto t = a.value("timeout")) transport.timeout = parse_timeout(*t);
  if (auto r = a.value("retries")) settings.retry.retries = parse_retries(*r);
  if (auto out = a.value("out")) {
    // Made before enrolling, so an unusable directory fails before the TPM and the service are used.
    std::filesystem::create_directories(*out);
    settings.out_dir = *out;
  }
  const bool as_json = a.flag("json");

  client::opened_tpm tpm;
  try {
    tpm = client::open_tpm_backend(*tpm_spec, tpm_options);
  } catch (const std::invalid_argument& e) {
    throw usage_error(e.what());
  }
  settings.tpm_description = tpm.description;
  client::http_client http(transport);

  client::enroll_observer observer;
  if (!as_json) {
    // The text report as the flow goes: a retry may wait a while.
    observer.attempt_done = [](const client::enroll_result& r, const client::stage_result& st,
                               const client::http_attempt&) {
      std::cout << client::format_attempt(r, st, st.attempts.size() - 1) << std::flush;
    };
    observer.stage_done = [](const client::enroll_result& r, const client::stage_result& st) {
      std::cout << client::format_stage(r, st) << std::flush;
    };
  }
  const auto result = client::run_enrollment(*tpm.backend, http, settings, observer);
  if (as_json) std::cout << client::report_json(result);
  else std::cout << client::format_outcome(result);
  std::cout << std::flush;
  return result.issued() ? 0 : 1;
}

}  // namespace aikmock::app
