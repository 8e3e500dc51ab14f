// The admin listener without sockets: what it guards and what it shows. The
// token (bearer, or the console's cookie), health open to probes, the login,
// the reload that a cross-site form cannot trigger, /metrics, and enrollment
// rounds as the console lists them — an RSA-2048 challenge and the Lenovo
// RSA-3072 400 with the HRESULT Windows shows.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "client/wire/cert_rep_reader.hpp"
#include "client/wire/windows_request.hpp"
#include "protocol/scep/challenge_messages.hpp"
#include "server/admin_router.hpp"
#include "server/answer_record.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
using namespace aikmock::server;
using test::world;

namespace {
constexpr const char* token = "0123456789abcdef-test-token";

std::shared_ptr<route_set> routes() {
  auto service = world().service("microsoft-2025");
  auto r = std::make_shared<route_set>();
  r->authorities = world().authorities;
  r->default_authority = r->authorities->all().front();
  r->service = service;
  r->scep = std::make_shared<const protocol::scep::scep_codec>(service);
  r->json = std::make_shared<const protocol::json_api>(service);
  return r;
}

request_t request(http::verb verb, const std::string& target) {
  request_t req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1:9090");
  return req;
}

// A service with its admin router, the way http_server wires them.
struct admin_world {
  router service{routes()};
  metrics counters;
  exchange_log exchanges;
  std::stringstream log_text;
  access_log log{log_text};
  server_state state{service, log, limits{}, &counters, &exchanges};
  int reloads = 0;
  bool reload_ok = true;

  admin_router admin(std::string with_token) {
    admin_sources s;
    s.service = &service;
    s.counters = &counters;
    s.exchanges = &exchanges;
    s.gauges = [] { return metrics::gauges{3, 2, 4, 0}; };
    s.reload = [this] {
      ++reloads;
      return std::pair{reload_ok, std::string(reload_ok ? "" : "policy.json:3: /rules/0/then: unknown action")};
    };
    s.token = std::move(with_token);
    s.domain = "microsoftaik.azure.net";
    return admin_router(std::move(s));
  }

  // A Windows enrollment through the service's router, recorded as a session
  // records it: round 1, and round 2 when the challenge came.
  void enroll(const std::string& ek_template) {
    const auto& ek = world().ek(ek_template);
    const auto& a = world().authority(ek.authority);
    auto tpm = world().tpm(ek);
    auto who = client::client_description::make();
    who.machine = "LAB-" + ek_template;
    const auto me = client::scep_identity::make();
    auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, who, {});
    auto reply = post(a, r1.message);
    if (reply.response.result_int() != 200) return;
    auto rep = client::parse_cert_rep(as_bytes(reply.response.body()), a.ra_signing.get(), me.certificate.get(),
                                      me.key.get());
    REQUIRE(rep);
    auto challenge = protocol::scep::parse_challenge_reply(rep->content);
    REQUIRE(challenge);
    auto secret = tpm.activate(challenge->credential);
    REQUIRE(secret);
    post(a, client::build_answer(*challenge, *secret, r1.transaction_id, a.ra_encryption.get(), me).message);
  }

  routed_response post(const certs::authority& a, const bytes& message) {
    auto req = request(http::verb::post, "/templates/Aik/scep?operation=PKIOperation");
    req.set(http::field::host, a.name + ".microsoftaik.azure.net");
    req.body() = std::string(as_chars(message));
    req.prepare_payload();
    auto routed = service.handle(req, "https", "127.0.0.1");
    access_entry entry;
    entry.time = std::chrono::system_clock::now();
    entry.status = routed.response.result_int();
    entry.error = routed.error;
    entry.authority = routed.authority;
    record_answer(state, entry, routed);
    return routed;
  }
};

std::string cookie_of(const routed_response& r) { return std::string(r.response[http::field::set_cookie]); }
}  // namespace

TEST_CASE("admin: without a token configured, everything answers on the loopback") {
  admin_world w;
  auto admin = w.admin("");
  CHECK(admin.handle(request(http::verb::get, "/admin/api/status"), "http").response.result_int() == 200);
  auto console = admin.handle(request(http::verb::get, "/console"), "http");
  CHECK(console.response.result_int() == 200);
  CHECK(console.response[http::field::content_type] == "text/html; charset=utf-8");
  CHECK(console.response["Content-Security-Policy"].find("script-src 'self'") != std::string::npos);
  CHECK(admin.handle(request(http::verb::get, "/console/console.js"), "http").response.result_int() == 200);
  CHECK(admin.handle(request(http::verb::get, "/console/login"), "http").response.result_int() == 303);
  CHECK(admin.handle(request(http::verb::get, "/nothing"), "http").response.result_int() == 404);
  CHECK(admin.handle(request(http::verb::get, "/admin/api/nothing"), "http").response.result_int() == 404);
  CHECK(admin.handle(request(http::verb::delete_, "/metrics"), "http").response.result_int() == 405);
}

TEST_CASE("admin: a token guards all but health; bearer or the console's cookie, never the token as a cookie") {
  admin_world w;
  auto admin = w.admin(token);
  CHECK(admin.handle(request(http::verb::get, "/healthz"), "http").response.result_int() == 200);
  CHECK(admin.handle(request(http::verb::get, "/readyz"), "http").response.result_int() == 200);
  for (const char* path : {"/admin/api/status", "/admin/api/exchanges", "/metrics", "/console/console.js"}) {
    auto r = admin.handle(request(http::verb::get, path), "http");
    CHECK_MESSAGE(r.response.result_int() == 401, path);
    CHECK(r.response[http::field::www_authenticate].starts_with("Bearer"));
  }
  // The login page's style and script: nothing of the lab in them.
  CHECK(admin.handle(request(http::verb::get, "/console/console.css"), "http").response.result_int() == 200);
  CHECK(admin.handle(request(http::verb::get, "/console/login.js"), "http").response.result_int() == 200);
  auto page = admin.handle(request(http::verb::get, "/console"), "http");
  CHECK(page.response.result_int() == 303);
  CHECK(page.response[http::field::location] == "/console/login");

  auto bearer = request(http::verb::get, "/admin/api/status");
  bearer.set(http::field::authorization, std::string("Bearer ") + token);
  CHECK(admin.handle(bearer, "http").response.result_int() == 200);
  bearer.set(http::field::authorization, std::string("Bearer ") + token + "x");
  CHECK(admin.handle(bearer, "http").response.result_int() == 401);

  auto raw = request(http::verb::get, "/admin/api/status");
  raw.set(http::field::cookie, std::string("aikmock_console=") + token);
  CHECK(admin.handle(raw, "http").response.result_int() == 401);
}

TEST_CASE("admin: the console's login sets a SameSite=Strict HttpOnly cookie for the right token only") {
  admin_world w;
  auto admin = w.admin(token);
  CHECK(admin.handle(request(http::verb::get, "/console/login"), "http").response.result_int() == 200);

  auto wrong = request(http::verb::post, "/console/login");
  wrong.body() = "token=nope";
  auto refused = admin.handle(wrong, "http");
  CHECK(refused.response.result_int() == 303);
  CHECK(refused.response[http::field::location] == "/console/login?failed=1");
  CHECK(cookie_of(refused).empty());

  auto right = request(http::verb::post, "/console/login");
  right.body() = std::string("token=") + token;
  auto in = admin.handle(right, "http");
  CHECK(in.response.result_int() == 303);
  CHECK(in.response[http::field::location] == "/console");
  const std::string cookie = cookie_of(in);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find(token) == std::string::npos);

  auto with_cookie = request(http::verb::get, "/admin/api/exchanges");
  with_cookie.set(http::field::cookie, "other=1; " + cookie.substr(0, cookie.find(';')));
  CHECK(admin.handle(with_cookie, "http").response.result_int() == 200);
  // Another token's cookie does not open this console.
  CHECK(console_session_value("another token, another lab") != console_session_value(token));
}

TEST_CASE("admin: POST /admin/reload needs a header a cross-site form cannot send, and reports a refusal") {
  admin_world w;
  auto admin = w.admin("");
  auto plain = request(http::verb::post, "/admin/reload");
  CHECK(admin.handle(plain, "http").response.result_int() == 403);
  CHECK(w.reloads == 0);
  plain.set("X-Aikmock-Admin", "1");
  auto ok = admin.handle(plain, "http");
  CHECK(ok.response.result_int() == 200);
  CHECK(nlohmann::json::parse(ok.response.body())["reloaded"] == true);
  w.reload_ok = false;
  auto failed = admin.handle(plain, "http");
  CHECK(failed.response.result_int() == 500);
  CHECK(nlohmann::json::parse(failed.response.body())["reason"].get<std::string>().find("unknown action") !=
        std::string::npos);
  CHECK(w.reloads == 2);
  CHECK(admin.handle(request(http::verb::get, "/admin/reload"), "http").response.result_int() == 405);
}

TEST_CASE("admin: enrollment rounds as the console lists them, and counted in /metrics") {
  admin_world w;
  w.enroll("L-1");
  w.enroll("H-6");
  auto admin = w.admin("");
  auto listed = admin.handle(request(http::verb::get, "/admin/api/exchanges?since=0"), "http");
  REQUIRE(listed.response.result_int() == 200);
  auto j = nlohmann::json::parse(listed.response.body());
  CHECK(j["next"] == 3);
  REQUIRE(j["exchanges"].size() == 3);

  const auto& ok = j["exchanges"][0];
  CHECK(ok["outcome"] == "challenged");
  CHECK(ok["status"] == 200);
  CHECK(ok["round"] == 1);
  CHECK(ok["machine"] == "LAB-L-1");
  CHECK(ok["ekTemplate"] == "L-1");
  CHECK(ok["ekKey"] == "rsa-2048");
  CHECK(ok["profile"] == "microsoft");
  CHECK(ok["hresult"] == "");
  CHECK(ok["tpm"]["vendor"].get<std::string>().size() >= 3);

  // Round 2 names no machine and carries no EK: the device comes from the sealed state.
  const auto& issued = j["exchanges"][1];
  CHECK(issued["outcome"] == "issued");
  CHECK(issued["round"] == 2);
  CHECK(issued["operation"] == "ChallengeAnswer");
  CHECK(issued["machine"] == "LAB-L-1");
  CHECK(issued["ekTemplate"] == "L-1");
  CHECK(issued["tpm"]["model"] == ok["tpm"]["model"]);

  const auto& no = j["exchanges"][2];
  CHECK(no["outcome"] == "refused");
  CHECK(no["status"] == 400);
  CHECK(no["hresult"] == "0x80190190");
  CHECK(no["hresultName"] == "HTTP_E_STATUS_BAD_REQUEST");
  CHECK(no["error"] == "encrypt-secret-failed");
  CHECK(no["message"] == "Client challenge cannot be created due to failure in EncryptSecret");
  CHECK(no["ekTemplate"] == "H-6");
  CHECK(no["ekKey"] == "rsa-3072");
  CHECK(no["facts"]["ek"]["signatureHash"] == "sha384");
  CHECK(!no["rule"].get<std::string>().empty());
  CHECK(!no["trace"].empty());

  // Polling from the last id seen gets nothing new.
  auto again = nlohmann::json::parse(
      admin.handle(request(http::verb::get, "/admin/api/exchanges?since=3"), "http").response.body());
  CHECK(again["exchanges"].empty());

  auto policy = nlohmann::json::parse(admin.handle(request(http::verb::get, "/admin/api/policy"), "http").response.body());
  CHECK(policy["name"] == "microsoft-2025");
  std::uint64_t fired = policy["fired"]["default"].get<std::uint64_t>();
  for (const auto& rule : policy["rules"]) fired += rule["fired"].get<std::uint64_t>();
  CHECK(fired == 3);

  auto m = admin.handle(request(http::verb::get, "/metrics"), "http");
  CHECK(m.response[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
  const std::string text = m.response.body();
  CHECK(text.find("aikmock_enrollments_total{stage=\"begun\"} 2") != std::string::npos);
  CHECK(text.find("aikmock_enrollments_total{stage=\"challenged\"} 1") != std::string::npos);
  CHECK(text.find("aikmock_enrollments_total{stage=\"issued\"} 1") != std::string::npos);
  CHECK(text.find("aikmock_exchange_duration_seconds_count{round=\"2\"} 1") != std::string::npos);
  CHECK(text.find("aikmock_enrollments_total{stage=\"refused\"} 1") != std::string::npos);
  CHECK(text.find("aikmock_http_requests_total{route=\"scep\",operation=\"PKIOperation\",status=\"400\"} 1") !=
        std::string::npos);
  CHECK(text.find("aikmock_open_connections 3") != std::string::npos);

  auto authorities =
      nlohmann::json::parse(admin.handle(request(http::verb::get, "/admin/api/authorities"), "http").response.body());
  REQUIRE(!authorities["authorities"].empty());
  CHECK(authorities["authorities"][0]["chain"].size() == 2);
  CHECK(authorities["authorities"][0]["host"].get<std::string>().ends_with(".microsoftaik.azure.net"));
}

TEST_CASE("exchange log: bounded, oldest dropped, ids keep increasing") {
  exchange_log log(3);
  for (int i = 0; i < 5; ++i) {
    exchange_entry e;
    e.round = 1;
    e.status = 200;
    log.add(e);
  }
  auto all = log.since(0, 100);
  CHECK(all["next"] == 5);
  REQUIRE(all["exchanges"].size() == 3);
  CHECK(all["exchanges"][0]["id"] == 3);
  CHECK(log.since(3, 1)["exchanges"][0]["id"] == 5);
}
