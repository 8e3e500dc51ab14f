// The reference client (`aikmock enroll`) without sockets: the AIK URL Windows
// derives from an EK certificate (lab and real ones), the TCG vendor map, the
// retry schedule, the Windows codes, the RA certificate check, the report,
// and the whole flow against the SCEP service in-process (through a transport
// that can inject 429s, 5xx and timeouts).
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "certs/authority.hpp"
#include "certs/ek_ca_identity.hpp"
#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "certs/trust_store.hpp"
#include "client/aik_url.hpp"
#include "client/ek_nv_index.hpp"
#include "client/enroll_flow.hpp"
#include "client/enroll_report.hpp"
#include "client/ra_certificates.hpp"
#include "client/retry_schedule.hpp"
#include "client/tcg_vendor_ids.hpp"
#include "client/tpm_backend_spec.hpp"
#include "client/url.hpp"
#include "client/windows_codes.hpp"
#include "common/files.hpp"
#include "policy/policy_file.hpp"
#include "client/soft/soft_tpm.hpp"
#include "protocol/response.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
#include "protocol/scep/scep_codec.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {

struct world {
  certs::lab_manifest lab = (aikmock::load_openssl_providers(), certs::load_lab_manifest(AIKMOCK_TEST_LAB_DIR));
  std::shared_ptr<const certs::trust_store> trust = [this] {
    const std::vector<fs::path> dirs{lab.path_of(lab.trust_store)};
    return certs::trust_store::load(dirs).store;
  }();
  certs::authority_directory authorities{certs::authority_directory::from_lab(lab).all()};

  const certs::lab_ek& ek(const std::string& tpl) const {
    for (const auto& e : lab.eks)
      if (e.tpl == tpl) return e;
    throw std::runtime_error("no lab EK with template " + tpl);
  }
  client::soft_tpm tpm(const certs::lab_ek& e) const {
    return client::soft_tpm::from_directory(lab.path_of(e.certificate).parent_path());
  }
  certs::ek_certificate ek_certificate(const certs::lab_ek& e) const {
    auto der = read_file(lab.path_of(e.certificate));
    REQUIRE(der);
    auto parsed = certs::parse_ek_certificate(*der);
    REQUIRE_MESSAGE(parsed, parsed.error());
    return std::move(*parsed);
  }
};

const world& w() {
  static const world instance;
  return instance;
}

std::string reason_of(unsigned status) {
  static const std::map<unsigned, std::string> reasons{
      {200, "OK"}, {400, "Bad Request"}, {404, "Not Found"}, {429, "Too Many Requests"},
      {500, "Internal Server Error"}, {503, "Service Unavailable"}};
  auto it = reasons.find(status);
  return it == reasons.end() ? "" : it->second;
}

// The `operation` parameter of a call's query.
std::string operation_of(const client::http_call& call) {
  const auto start = call.query.find("operation=");
  if (start == std::string::npos) return {};
  const auto value = call.query.substr(start + 10);
  return value.substr(0, value.find('&'));
}

// The SCEP service in-process as the client's transport: the authority from
// the host's first label, as `aikmock serve` routes, without sockets.
class in_process_service : public client::http_transport {
 public:
  explicit in_process_service(const std::string& policy) : service_(test::world().scep(policy)) {}

  client::http_reply exchange(const client::http_call& call) override {
    const std::string host = call.url.host;
    const std::string label = host.substr(0, host.find('.'));
    const std::string operation = operation_of(call);
    operations.push_back(operation);
    calls.push_back(call);
    auto authority = w().authorities.find(label);
    protocol::response answer =
        authority ? service_.handle(*authority, {call.method, operation, "", as_bytes(call.body), host})
                  : protocol::error_response(policy::error_id::unknown_authority, {{"host", host}});
    client::http_reply r;
    r.status = answer.status;
    r.reason = reason_of(answer.status);
    r.content_type = answer.content_type;
    r.body = answer.body;
    r.request_id = "req-" + std::to_string(operations.size());
    for (const auto& [name, value] : answer.headers)
      if (name == "Retry-After") r.retry_after = value;
    return r;
  }

  std::vector<std::string> operations;  // every call's operation, in order
  std::vector<client::http_call> calls;

 private:
  protocol::scep::scep_codec service_;
};

// Answers an operation from a script while the script lasts, then lets the service answer.
class scripted_faults : public client::http_transport {
 public:
  explicit scripted_faults(client::http_transport& inner) : inner_(inner) {}
  void add(const std::string& operation, client::http_reply reply) { script_[operation].push_back(std::move(reply)); }

  client::http_reply exchange(const client::http_call& call) override {
    auto& queue = script_[operation_of(call)];
    if (queue.empty()) return inner_.exchange(call);
    auto r = queue.front();
    queue.pop_front();
    return r;
  }

 private:
  client::http_transport& inner_;
  std::map<std::string, std::deque<client::http_reply>> script_;
};

client::http_reply http_status(unsigned status, std::optional<std::string> retry_after = {}) {
  client::http_reply r;
  r.status = status;
  r.reason = reason_of(status);
  r.content_type = "application/json; charset=utf-8";
  r.body = R"({"Message":"scripted"})";
  r.request_id = "scripted";
  r.retry_after = std::move(retry_after);
  return r;
}

client::http_reply transport_failure(client::transport_failure f) {
  client::http_reply r;
  r.failure = f;
  r.failure_text = "scripted " + std::string(client::to_string(f));
  return r;
}

struct run {
  client::enroll_result result;
  std::vector<seconds> waits;
  std::string streamed;  // what the command prints as the flow goes
};

run enroll(const certs::lab_ek& ek, client::http_transport& http, client::enroll_settings settings = {}) {
  run out;
  auto tpm = w().tpm(ek);
  settings.tpm_description = "soft:" + ek.id;
  settings.sleep = [&](seconds s) { out.waits.push_back(s); };
  client::enroll_observer observer;
  observer.attempt_done = [&](const client::enroll_result& r, const client::stage_result& st, const client::http_attempt&) {
    out.streamed += client::format_attempt(r, st, st.attempts.size() - 1);
  };
  observer.stage_done = [&](const client::enroll_result& r, const client::stage_result& st) {
    out.streamed += client::format_stage(r, st);
  };
  out.result = client::run_enrollment(tpm, http, settings, observer);
  out.streamed += client::format_outcome(out.result);
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string encrypt_secret_body =
    R"({"Message":"Client challenge cannot be created due to failure in EncryptSecret"})";

}  // namespace

TEST_CASE("the AIK URL of every lab EK names its authority, as Windows derives it") {
  for (const auto& ek : w().lab.eks) {
    CAPTURE(ek.id);
    auto cert = w().ek_certificate(ek);
    auto url = client::derive_aik_url(cert);
    REQUIRE_MESSAGE(url, url.error());
    CHECK(url->url == "https://" + ek.authority + ".microsoftaik.azure.net/templates/Aik/scep");
    CHECK(url->vendor == ek.vendor);
    CHECK(url->label == ek.authority);
  }
}

TEST_CASE("AIK URL: NameId without an AKI, --vendor, other domains, manufacturers the registry lacks") {
  const auto& ek = w().ek("L-1");
  const auto cert = w().ek_certificate(ek);
  const certs::lab_authority* authority = nullptr;
  for (const auto& a : w().lab.authorities)
    if (a.name == ek.authority) authority = &a;
  REQUIRE(authority);

  auto no_aki = w().ek_certificate(ek);
  no_aki.authority_key_id.clear();
  auto name_id = client::derive_aik_url(no_aki);
  REQUIRE(name_id);
  CHECK(name_id->label == ek.vendor + "-NameId-" + authority->name_id);

  auto overridden = client::derive_aik_url(cert, std::string("XYZ"), "aik.lab.example");
  REQUIRE(overridden);
  CHECK(overridden->url == "https://XYZ-KeyId-" + authority->key_id + ".aik.lab.example/templates/Aik/scep");
  CHECK(overridden->vendor_source == "--vendor");
  CHECK_FALSE(client::derive_aik_url(cert, std::string("I F X")));
  CHECK_FALSE(client::derive_aik_url(cert, std::string("")));

  // swtpm's EK certificates name IBM by its PCI id, which the TCG registry does not list.
  auto swtpm_like = w().ek_certificate(ek);
  swtpm_like.tpm.manufacturer = "id:00001014";
  auto refused = client::derive_aik_url(swtpm_like);
  CHECK_FALSE(refused);
  CHECK(contains(refused.error(), "--vendor"));
  CHECK(client::derive_aik_url(swtpm_like, std::string("IBM"))->label == "IBM-KeyId-" + authority->key_id);
  // The TPM's own TPM2_PT_MANUFACTURER ("IBM" for libtpms) stands in where the back end can read it...
  auto from_tpm = client::derive_aik_url(swtpm_like, std::nullopt, std::string(certs::service_domain), 0x49424D00);
  REQUIRE_MESSAGE(from_tpm, from_tpm.error());
  CHECK(from_tpm->label == "IBM-KeyId-" + authority->key_id);
  CHECK(contains(from_tpm->vendor_source, "TPM2_PT_MANUFACTURER id:49424D00"));
  CHECK(contains(from_tpm->vendor_source, "the EK certificate says id:00001014"));
  // ...but not over a certificate whose manufacturer the registry knows, nor over --vendor, nor when unknown too.
  CHECK(client::derive_aik_url(cert, std::nullopt, std::string(certs::service_domain), 0x49424D00)->vendor == ek.vendor);
  CHECK(client::derive_aik_url(swtpm_like, std::string("XYZ"), std::string(certs::service_domain), 0x49424D00)->vendor ==
        "XYZ");
  CHECK_FALSE(client::derive_aik_url(swtpm_like, std::nullopt, std::string(certs::service_domain), 0x01020304));
  swtpm_like.tpm.manufacturer.clear();
  CHECK(contains(client::derive_aik_url(swtpm_like).error(), "names no TPM manufacturer"));
  CHECK(client::derive_aik_url(swtpm_like, std::nullopt, std::string(certs::service_domain), 0x49424D00)->vendor == "IBM");
}

TEST_CASE("EK certificate NV indices: RSA before ECC, low range first; --ek-index by hex or template") {
  const std::vector<std::uint32_t> expected{0x01C00002, 0x01C00012, 0x01C0001C, 0x01C0001E, 0x01C0000A,
                                            0x01C00014, 0x01C00016, 0x01C00018, 0x01C0001A};
  CHECK(client::ek_certificate_indices() == expected);
  for (auto index : expected) {
    CAPTURE(index);
    const auto* t = client::ek_template_at(index);
    REQUIRE(t);
    CHECK(client::parse_ek_index(t->id) == index);
  }
  CHECK(client::ek_template_at(0x01C00003) == nullptr);  // L-1's nonce, not a certificate
  CHECK(client::parse_ek_index("0x01C0001C") == 0x01C0001Cu);
  CHECK(client::parse_ek_index("0x01c0001c") == 0x01C0001Cu);
  CHECK(client::parse_ek_index("1C00016") == 0x01C00016u);
  CHECK(client::parse_ek_index("h6") == 0x01C0001Cu);
  CHECK(client::parse_ek_index("L-2") == 0x01C0000Au);
  for (const char* bad : {"", "0x", "0x01C00003", "0x81010001", "H-8", "0x01C0001CZ", "-1", "0x1000000001C0001C"}) {
    CAPTURE(bad);
    CHECK_FALSE(client::parse_ek_index(bad));
  }
  CHECK(client::describe_ek_index(0x01C0001C) == "0x01C0001C (H-6)");
  CHECK(client::describe_ek_index(0x01C00003) == "0x01C00003");

  const std::vector<std::uint32_t> present{0x01C00016, 0x01C0001C, 0x01C00100};
  CHECK(client::first_present(expected, present) == 0x01C0001Cu);  // H-6 before H-3: RSA first
  CHECK_FALSE(client::first_present(expected, std::vector<std::uint32_t>{0x01C00100}));
}

TEST_CASE("EK certificate chain indices: the DER certificates at the start, padding and the rest left") {
  const bytes a = w().ek_certificate(w().ek("L-1")).der;
  const bytes b = w().ek_certificate(w().ek("H-6")).der;
  bytes nv = a;
  nv.insert(nv.end(), b.begin(), b.end());
  CHECK(client::certificates_in_nv(nv) == std::vector<bytes>{a, b});
  nv.insert(nv.end(), 32, 0xFF);
  CHECK(client::certificates_in_nv(nv) == std::vector<bytes>{a, b});
  bytes truncated(a.begin(), a.end() - 1);
  CHECK(client::certificates_in_nv(truncated).empty());
  CHECK(client::certificates_in_nv({}).empty());
  CHECK(client::certificates_in_nv(bytes(64, 0x00)).empty());
  CHECK(client::ek_chain_first_index == 0x01C00100u);
  CHECK(client::ek_chain_last_index == 0x01C001FFu);
}

TEST_CASE("--tpm: soft and tcti specs, and the options each takes") {
  const auto with_index = [](std::uint32_t index) {
    client::tpm_backend_options o;
    o.ek_index = index;
    return o;
  };
  client::tpm_backend_options with_timeout;
  with_timeout.timeout = std::chrono::seconds(5);
  CHECK_THROWS_AS(client::open_tpm_backend("nothing:here"), std::invalid_argument);
  CHECK_THROWS_AS(client::open_tpm_backend("soft:"), std::invalid_argument);
  CHECK_THROWS_AS(client::open_tpm_backend("tcti:"), std::invalid_argument);
  const std::string dir = w().lab.path_of(w().ek("L-1").certificate).parent_path().string();
  CHECK_THROWS_WITH_AS(client::open_tpm_backend("soft:" + dir, with_index(0x01C00002)), doctest::Contains("--ek-index"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(client::open_tpm_backend("soft:" + dir, with_timeout),
                       doctest::Contains("--tpm-timeout"), std::invalid_argument);
  auto soft = client::open_tpm_backend("soft:" + dir);
  REQUIRE(soft.backend);
  CHECK(soft.description == "soft:" + dir);
  CHECK(soft.backend->ek_certificate_source() == w().lab.path_of(w().ek("L-1").certificate).string());
  if (client::has_tss_backend()) {
    // A tcti: back end opens without connecting: an unreachable TPM is the enrollment's first stage failing.
    auto real = client::open_tpm_backend("tcti:swtpm:host=127.0.0.1,port=1", with_index(0x01C0001C));
    REQUIRE(real.backend);
    CHECK(real.description == "tcti:swtpm:host=127.0.0.1,port=1");
    CHECK(real.backend->ek_certificate_source().empty());
    CHECK_THROWS(real.backend->ek_certificate());
  } else {
    CHECK_THROWS_WITH_AS(client::open_tpm_backend("tcti:device:/dev/tpmrm0"), doctest::Contains("without tpm2-tss"),
                         std::invalid_argument);
  }
}

TEST_CASE("TCG vendor IDs: each code is its ID in ASCII; lookups by id:, case-insensitive") {
  std::vector<std::string> ids;
  for (const auto& v : client::tcg_vendors()) {
    CAPTURE(v.code);
    REQUIRE(v.id.size() == 8);
    std::string ascii;
    for (std::size_t i = 0; i < 8; i += 2) ascii += static_cast<char>(std::stoi(std::string(v.id.substr(i, 2)), nullptr, 16));
    while (!ascii.empty() && (ascii.back() == '\0' || ascii.back() == ' ')) ascii.pop_back();
    CHECK(ascii == v.code);
    ids.emplace_back(v.id);
  }
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());

  const std::map<std::string, std::string> lookups{
      {"id:49465800", "IFX"}, {"id:53544d20", "STM"}, {"4E544300", "NTC"}, {"ID:494E5443", "INTC"},
      {"id:414D4400", "AMD"}, {"id:4D534654", "MSFT"}, {"id:51434F4D", "QCOM"}, {"id:4E545A00", "NTZ"}};
  for (const auto& [manufacturer, code] : lookups) {
    CAPTURE(manufacturer);
    const auto* v = client::find_tcg_vendor(manufacturer);
    REQUIRE(v);
    CHECK(v->code == code);
  }
  CHECK(client::find_tcg_vendor("id:00001014") == nullptr);
  CHECK(client::find_tcg_vendor("IFX") == nullptr);
  CHECK(client::find_tcg_vendor("") == nullptr);
}

TEST_CASE("service URLs and --connect-to") {
  auto u = client::parse_service_url("https://IFX-KeyId-ab.microsoftaik.azure.net/templates/Aik/scep");
  REQUIRE(u);
  CHECK(u->host == "IFX-KeyId-ab.microsoftaik.azure.net");
  CHECK(u->port == 443);
  CHECK(u->authority() == "IFX-KeyId-ab.microsoftaik.azure.net");
  CHECK(u->path == "/templates/Aik/scep");

  auto v6 = client::parse_service_url("http://[::1]:8080/templates/Aik/scep");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->authority() == "[::1]:8080");
  CHECK(v6->text() == "http://[::1]:8080/templates/Aik/scep");
  CHECK(client::parse_service_url("https://h:8443")->path == "/");

  for (const char* bad : {"ftp://h/x", "https://h/x?operation=GetCACaps", "https://u@h/x", "https://h:0/x",
                          "https://h:99999/x", "https:///x", "https://::1/x", "h/x", "https://h/a b"}) {
    CAPTURE(bad);
    CHECK_FALSE(client::parse_service_url(bad));
  }

  auto c = client::parse_connect_to("127.0.0.1:8443");
  REQUIRE(c);
  CHECK(c->host == "127.0.0.1");
  CHECK(c->port == 8443);
  CHECK(client::parse_connect_to("[::1]:443")->text() == "[::1]:443");
  CHECK(client::parse_connect_to("aik.lab:443")->host == "aik.lab");
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":443", "[::1]", "::1:443", "h:65536"}) {
    CAPTURE(bad);
    CHECK_FALSE(client::parse_connect_to(bad));
  }
  CHECK(client::is_ip_literal("127.0.0.1"));
  CHECK(client::is_ip_literal("::1"));
  CHECK_FALSE(client::is_ip_literal("localhost"));
}

TEST_CASE("retry schedule: what is retried, backoff 1, 2, 4… capped, Retry-After honoured up to its cap") {
  client::retry_policy p;
  CHECK(client::backoff_before(p, 1) == seconds(1));
  CHECK(client::backoff_before(p, 2) == seconds(2));
  CHECK(client::backoff_before(p, 3) == seconds(4));
  CHECK(client::backoff_before(p, 5) == seconds(16));
  CHECK(client::backoff_before(p, 9) == seconds(16));

  for (unsigned s : {429u, 500u, 502u, 503u, 504u}) CHECK(client::is_retryable(http_status(s)));
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 405u, 413u}) CHECK_FALSE(client::is_retryable(http_status(s)));
  using tf = client::transport_failure;
  for (auto f : {tf::timeout, tf::connect, tf::resolve, tf::closed}) CHECK(client::is_retryable(transport_failure(f)));
  for (auto f : {tf::tls, tf::bad_response}) CHECK_FALSE(client::is_retryable(transport_failure(f)));

  CHECK(client::parse_retry_after("30") == seconds(30));
  CHECK(client::parse_retry_after(" 2 ") == seconds(2));
  CHECK_FALSE(client::parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"));
  CHECK_FALSE(client::parse_retry_after("-1"));
  CHECK_FALSE(client::parse_retry_after(""));

  auto honoured = client::wait_before_retry(p, 1, http_status(429, "7"));
  CHECK(honoured.wait == seconds(7));
  CHECK(honoured.from_retry_after);
  auto capped = client::wait_before_retry(p, 1, http_status(429, "3600"));
  CHECK(capped.wait == p.max_retry_after);
  CHECK(capped.capped);
  CHECK(client::wait_before_retry(p, 3, http_status(429, "soon")).wait == seconds(4));
  CHECK(client::wait_before_retry(p, 2, http_status(503, "5")).wait == seconds(5));
  CHECK_FALSE(client::wait_before_retry(p, 2, http_status(500, "5")).from_retry_after);
  CHECK(client::wait_before_retry(p, 2, transport_failure(tf::timeout)).wait == seconds(2));
}

TEST_CASE("Windows codes: HTTP_E_STATUS_* for statuses, ERROR_TIMEOUT, the Autopilot code") {
  CHECK(client::http_status_code(400).display() == "0x80190190 (-2145844848 HTTP_E_STATUS_BAD_REQUEST)");
  CHECK(client::http_status_code(404).display() == "0x80190194 (-2145844844 HTTP_E_STATUS_NOT_FOUND)");
  const auto throttled = client::http_status_code(429, "Too Many Requests");
  CHECK(throttled.display() == "0x801901AD (-2145844819)");
  CHECK(throttled.text == "HTTP 429 Too Many Requests");
  CHECK(client::http_status_code(503).name == "HTTP_E_STATUS_SERVICE_UNAVAIL");
  CHECK(client::transport_code(client::transport_failure::timeout).display() ==
        "0x800705B4 (-2147023436 ERROR_TIMEOUT)");
  CHECK(client::transport_code(client::transport_failure::tls).hex() == "0x80072F8F");
  CHECK(client::transport_code(client::transport_failure::connect).hex() == "0x80072EFD");
  CHECK(client::autopilot_retries_exceeded().display() ==
        "0x81039001 (-2130472959 E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED)");
  CHECK(client::untrusted_ra_certificates().hex() == "0x800B010A");
}

TEST_CASE("GetCACertChain: RA certificates picked by CN, in any order; RA certificates of another CA are refused") {
  const auto& ifx = *w().authorities.find(w().ek("L-1").authority);
  const auto& stm = *w().authorities.find(w().ek("H-1").authority);
  auto root = certs::load_certificate(w().lab.path_of(w().lab.aik_root.certificate));
  auto certs_of = [](std::vector<X509*> list) {
    std::vector<aikmock::x509_ptr> out;
    for (X509* c : list) out.push_back(aikmock::share(c));
    return out;
  };

  auto ok = client::identify_ra_certificates(
      certs_of({ifx.ra_encryption.get(), root.get(), ifx.issuing_ca.get(), ifx.ra_signing.get()}));
  REQUIRE_MESSAGE(ok, ok.error().message);
  CHECK(X509_cmp(ok->ca.get(), ifx.issuing_ca.get()) == 0);
  CHECK(X509_cmp(ok->root.get(), root.get()) == 0);
  CHECK(X509_cmp(ok->signing.get(), ifx.ra_signing.get()) == 0);
  CHECK(X509_cmp(ok->encryption.get(), ifx.ra_encryption.get()) == 0);

  auto foreign = client::identify_ra_certificates(
      certs_of({root.get(), ifx.issuing_ca.get(), ifx.ra_signing.get(), stm.ra_encryption.get()}));
  CHECK_FALSE(foreign);
  CHECK(foreign.error().untrusted);
  CHECK(contains(foreign.error().message, "RA encryption certificate does not chain"));

  auto missing = client::identify_ra_certificates(certs_of({root.get(), ifx.issuing_ca.get(), ifx.ra_signing.get()}));
  CHECK_FALSE(missing);
  CHECK_FALSE(missing.error().untrusted);
  CHECK(contains(missing.error().message, "no \"RA Encryption Certificate\""));

  // Signed by another RA than the one it holds: refused.
  auto forged = protocol::scep::signed_certificates(
      stm.ra_signing.get(), stm.ra_signing_key.get(),
      {root.get(), ifx.issuing_ca.get(), ifx.ra_signing.get(), ifx.ra_encryption.get()});
  auto read = client::read_ca_cert_chain(forged);
  CHECK_FALSE(read);
  CHECK(read.error().untrusted);
}

TEST_CASE("the flow in-process: an L-1 EK is enrolled, and the report reads like certreq's") {
  in_process_service service("microsoft-2025");
  const fs::path out = fs::temp_directory_path() / ("aikmock-enroll-test-" + std::to_string(::getpid()));
  fs::remove_all(out);
  client::enroll_settings settings;
  settings.out_dir = out;
  auto r = enroll(w().ek("L-1"), service, settings);
  const auto& result = r.result;
  REQUIRE(result.issued());
  CHECK(result.status == client::enroll_status::enrolled);
  CHECK_FALSE(result.hresult);
  CHECK(service.operations == std::vector<std::string>{"GetCACaps", "GetCACertChain", "PKIOperation", "PKIOperation"});
  // Windows' headers on every request.
  for (const auto& call : service.calls) {
    std::map<std::string, std::string> headers(call.headers.begin(), call.headers.end());
    CHECK(headers["Cache-Control"] == "no-cache");
    CHECK(headers["Pragma"] == "no-cache");
    CHECK(headers["PlatformType"] == "TPM-Version:2.0 -Level:0-Revision:1.38-VendorID:'IFX '-Firmware:983063.0");
    CHECK(headers["x-ms-client-request-id"].size() == 36);
  }
  CHECK(service.calls[1].query == "operation=GetCACertChain&message=default");
  std::vector<std::string> stages;
  for (const auto& st : result.stages) stages.emplace_back(client::stage_name(st.id));
  CHECK(stages == std::vector<std::string>{"EK", "AIK URL", "GetCACaps", "GetCACertChain", "Submit(Request)",
                                           "TPM2_ActivateCredential", "Submit(ChallengeAnswer)", "Store"});
  CHECK(r.waits.empty());

  // The files hold the certificate, then the chain the CertRep carried (issuing CA, root).
  auto aik = read_file(out / "aik.pem");
  auto chain = read_file(out / "chain.pem");
  REQUIRE(aik);
  REQUIRE(chain);
  CHECK(std::string(as_chars(*aik)) == result.certificate->pem);
  CHECK(certs::parse_certificates(*chain).size() == 2);
  fs::remove_all(out);

  const std::string report = client::format_report(result);
  CHECK(r.streamed == report);
  CHECK(contains(report, "AIK URL: https://" + w().ek("L-1").authority + ".microsoftaik.azure.net/templates/Aik/scep\n"));
  CHECK(contains(report, "GetCACaps: GET HTTP/1.1 200 OK  x-ms-request-id: req-1  (0 ms)\n"));
  CHECK(contains(report, "  SHA-256 SHA-1 AES256 AES128 DES3 POSTPKIOperation IdentityKeyAttestation GetCaCertChain\n"));
  CHECK(contains(report, "GetCACertChain: GET HTTP/1.1 200 OK  x-ms-request-id: req-2  (0 ms)\n"
                         "  root + CA + RA signing + RA encryption, signed by the RA; the RA certificates chain to the "
                         "CA, the CA to the root\n"));
  CHECK(contains(report, "Submit(Request): POST HTTP/1.1 200 OK  x-ms-request-id: req-3  (0 ms)\n"
                         "PkiStatus(11): SCEPDispositionPendingChallenge\n"
                         "TPM2_ActivateCredential: OK (32-byte secret recovered with the EK for the AIK)\n"
                         "Submit(ChallengeAnswer): POST HTTP/1.1 200 OK  x-ms-request-id: req-4  (0 ms)\n"
                         "PkiStatus(0): SCEPDispositionSuccess\n"
                         "EnrollStatus(1): Enrolled\n"
                         "New Certificate:\n"));
  CHECK(contains(report, "-----BEGIN CERTIFICATE-----\n"));
  CHECK(contains(report, "Written: " + (out / "aik.pem").string() + ", " + (out / "chain.pem").string() + "\n"));
  CHECK_FALSE(contains(report, "0x8"));

  auto doc = nlohmann::json::parse(client::report_json(result));
  CHECK(doc["issued"] == true);
  CHECK(doc["enrollStatus"]["name"] == "Enrolled");
  CHECK(doc["hresult"].is_null());
  CHECK(doc["stages"][4]["pkiStatus"]["value"] == 11);
  CHECK(doc["stages"][6]["pkiStatus"]["name"] == "SCEPDispositionSuccess");
  CHECK(doc["certificate"]["pem"] == result.certificate->pem);
  CHECK(doc["certificate"]["chain"].size() == 2);
}

TEST_CASE("the Lenovo case in-process: H-6 under microsoft-2025 gets the EncryptSecret 400, once; tcg-complete enrolls it") {
  in_process_service microsoft("microsoft-2025");
  auto refused = enroll(w().ek("H-6"), microsoft);
  CHECK_FALSE(refused.result.issued());
  CHECK(refused.result.hresult->hex() == "0x80190190");
  CHECK_FALSE(refused.result.autopilot);
  CHECK(refused.waits.empty());
  CHECK(refused.result.stages.back().attempts.size() == 1);  // a 400 is not retried
  CHECK(refused.result.final_service_message() == "Client challenge cannot be created due to failure in EncryptSecret");
  CHECK(contains(client::format_report(refused.result),
                 "Submit(Request): POST HTTP/1.1 400 Bad Request  x-ms-request-id: req-3  (0 ms)\n" +
                     encrypt_secret_body + "\n"
                     "PkiStatus(2): SCEPDispositionFailure\n"
                     "EnrollStatus(16): EnrollError\n"
                     "The request could not be processed by the server due to invalid syntax. "
                     "0x80190190 (-2145844848 HTTP_E_STATUS_BAD_REQUEST)\n"));
  auto doc = nlohmann::json::parse(client::report_json(refused.result));
  CHECK(doc["issued"] == false);
  CHECK(doc["hresult"]["value"] == "0x80190190");
  CHECK(doc["hresult"]["decimal"] == -2145844848);
  CHECK(doc["message"] == "Client challenge cannot be created due to failure in EncryptSecret");
  CHECK(doc["stages"].back()["attempts"][0]["body"] == encrypt_secret_body);
  CHECK(doc["autopilot"].is_null());

  in_process_service tcg("tcg-complete");
  CHECK(enroll(w().ek("H-6"), tcg).result.issued());
}

TEST_CASE("retries in the flow: 429 waits Retry-After, 5xx and timeouts back off, then it goes on") {
  in_process_service service("tcg-complete");
  scripted_faults faults(service);
  faults.add("GetCACaps", http_status(429, "2"));
  faults.add("GetCACaps", http_status(503));
  faults.add("GetCACaps", transport_failure(client::transport_failure::timeout));
  faults.add("PKIOperation", transport_failure(client::transport_failure::closed));
  auto r = enroll(w().ek("H-2"), faults);
  CHECK(r.result.issued());
  CHECK(r.waits == std::vector<seconds>{seconds(2), seconds(2), seconds(4), seconds(1)});
  const std::string report = client::format_report(r.result);
  CHECK(contains(report, "GetCACaps: GET HTTP/1.1 429 Too Many Requests  x-ms-request-id: scripted  Retry-After: 2  (0 ms)\n"
                         "{\"Message\":\"scripted\"}\n"
                         "  retry 1 of 3 in 2 s (Retry-After: 2)\n"));
  CHECK(contains(report, "GetCACaps: GET failed: scripted timeout  (0 ms)\n  retry 3 of 3 in 4 s (backoff)\n"));
  CHECK(contains(report, "Submit(Request): POST failed: scripted closed  (0 ms)\n  retry 1 of 3 in 1 s (backoff)\n"));
}

TEST_CASE("retries run out: the last failure's HRESULT and the Autopilot code 0x81039001") {
  in_process_service service("tcg-complete");
  SUBCASE("timeouts") {
    scripted_faults faults(service);
    for (int i = 0; i < 4; ++i) faults.add("GetCACaps", transport_failure(client::transport_failure::timeout));
    auto r = enroll(w().ek("L-1"), faults);
    CHECK_FALSE(r.result.issued());
    CHECK(r.waits == std::vector<seconds>{seconds(1), seconds(2), seconds(4)});
    CHECK(r.result.hresult->hex() == "0x800705B4");
    CHECK(r.result.autopilot->hex() == "0x81039001");
    const std::string report = client::format_report(r.result);
    CHECK(contains(report, "This operation returned because the timeout period expired. 0x800705B4 (-2147023436 ERROR_TIMEOUT)\n"
                           "Autopilot: 0x81039001 (-2130472959 E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED) "
                           "after 4 attempts of GetCACaps\n"));
  }
  SUBCASE("throttled, with a Retry-After beyond the cap") {
    scripted_faults faults(service);
    faults.add("GetCACertChain", http_status(429, "3600"));
    faults.add("GetCACertChain", http_status(429, "1"));
    client::enroll_settings settings;
    settings.retry.retries = 1;
    auto r = enroll(w().ek("L-1"), faults, settings);
    CHECK(r.waits == std::vector<seconds>{seconds(60)});
    CHECK(r.result.hresult->display() == "0x801901AD (-2145844819)");
    CHECK(r.result.autopilot);
    CHECK(contains(client::format_report(r.result), "  retry 1 of 1 in 60 s (Retry-After: 3600, capped)\n"));
  }
  SUBCASE("no retries at all: one attempt, still the Autopilot code") {
    scripted_faults faults(service);
    faults.add("GetCACaps", http_status(500));
    client::enroll_settings settings;
    settings.retry.retries = 0;
    auto r = enroll(w().ek("L-1"), faults, settings);
    CHECK(r.waits.empty());
    CHECK(r.result.hresult->name == "HTTP_E_STATUS_SERVER_ERROR");
    CHECK(r.result.autopilot);
  }
}

TEST_CASE("no retries for refusals: an unknown authority is a 404 at GetCACaps, once") {
  in_process_service service("tcg-complete");
  client::enroll_settings settings;
  settings.url = "https://IFX-KeyId-0000000000000000000000000000000000000000.microsoftaik.azure.net/templates/Aik/scep";
  auto r = enroll(w().ek("L-1"), service, settings);
  CHECK_FALSE(r.result.issued());
  CHECK(service.operations == std::vector<std::string>{"GetCACaps"});
  CHECK(r.waits.empty());
  CHECK(r.result.hresult->display() == "0x80190194 (-2145844844 HTTP_E_STATUS_NOT_FOUND)");
  CHECK_FALSE(r.result.autopilot);
  CHECK(r.result.url_source == "--url");
  CHECK(contains(client::format_report(r.result),
                 "GetCACaps: GET HTTP/1.1 404 Not Found  x-ms-request-id: req-1  (0 ms)\n"
                 "{\"Message\":\"The authority \\\"IFX-KeyId-0000000000000000000000000000000000000000."
                 "microsoftaik.azure.net\\\" does not exist.\"}\n"
                 "EnrollStatus(16): EnrollError\n"));
}

TEST_CASE("the flow refuses RA certificates that do not chain to the CA GetCACertChain returned") {
  in_process_service service("tcg-complete");
  scripted_faults faults(service);
  const auto& ifx = *w().authorities.find(w().ek("L-1").authority);
  const auto& stm = *w().authorities.find(w().ek("H-1").authority);
  auto root = certs::load_certificate(w().lab.path_of(w().lab.aik_root.certificate));
  client::http_reply mixed;
  mixed.status = 200;
  mixed.reason = "OK";
  mixed.content_type = "application/x-x509-ca-ra-cert-chain";
  auto der = protocol::scep::signed_certificates(
      ifx.ra_signing.get(), ifx.ra_signing_key.get(),
      {root.get(), ifx.issuing_ca.get(), ifx.ra_signing.get(), stm.ra_encryption.get()});
  mixed.body = std::string(as_chars(der));
  faults.add("GetCACertChain", mixed);
  auto r = enroll(w().ek("L-1"), faults);
  CHECK_FALSE(r.result.issued());
  CHECK(r.result.hresult->display() == "0x800B010A (-2146762486 CERT_E_CHAINING)");
  CHECK(r.result.stages.back().id == client::stage_id::get_ca_cert_chain);
  CHECK(contains(client::format_report(r.result), "  refused: the RA encryption certificate does not chain to the CA"));
}
