// The router without sockets: a request in, a response out — the Host picks
// the authority, the path the endpoint; the headers every answer carries; the
// health endpoints; a pending authority's 503; and the exception barrier.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "certs/keys.hpp"
#include "certs/published_cas.hpp"
#include "policy/policy_file.hpp"
#include "protocol/scep/pki_message.hpp"
#include "server/router.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
using namespace aikmock::server;
using test::world;

namespace {

std::shared_ptr<route_set> routes_with(std::shared_ptr<const certs::authority_directory> authorities) {
  auto service = world().service("microsoft-2025");
  auto r = std::make_shared<route_set>();
  r->authorities = std::move(authorities);
  r->default_authority = r->authorities->all().front();
  r->service = service;
  r->scep = std::make_shared<const protocol::scep::scep_codec>(service);
  r->json = std::make_shared<const protocol::json_api>(service);
  return r;
}

request_t get(const std::string& host, const std::string& target) {
  request_t req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set("x-ms-client-request-id", "client-1");
  return req;
}

std::string scep(const std::string& operation) {
  return std::string(protocol::scep::scep_path) + "?operation=" + operation;
}

}  // namespace

TEST_CASE("router: the Host's label picks the authority; every answer carries the service's headers") {
  router r(routes_with(world().authorities));
  const auto& a = *world().authorities->all()[1];
  auto out = r.handle(get(a.name + ".microsoftaik.azure.net", scep("GetCACaps")), "https");
  CHECK(out.response.result_int() == 200);
  CHECK(out.authority == a.name);
  CHECK(out.response["X-Content-Type-Options"] == "nosniff");
  CHECK(out.response["Strict-Transport-Security"] == "max-age=31536000;includeSubDomains");
  CHECK(out.response["x-ms-client-request-id"] == "client-1");
  CHECK(out.response["x-ms-request-id"].size() == 36);
  CHECK(out.response["x-ms-request-id"] != r.handle(get("h", scep("GetCACaps")), "https").response["x-ms-request-id"]);
  CHECK(r.handle(get("h", scep("GetCACaps")), "http").response["Strict-Transport-Security"].empty());

  auto unknown = r.handle(get("IFX-KeyId-" + std::string(40, 'A') + ".Microsoftaik.Azure.Net:8443", scep("GetCACaps")), "https");
  CHECK(unknown.response.result_int() == 404);
  CHECK(unknown.response.body() == R"({"Message":"The authority \"ifx-keyid-)" + std::string(40, 'a') +
                                       R"(.microsoftaik.azure.net\" does not exist."})");
  auto wrong_path = r.handle(get(a.name + ".x", "/templates/Other/scep"), "https");
  CHECK(wrong_path.response.result_int() == 404);
  CHECK(wrong_path.error == "route-not-found");
}

TEST_CASE("router: /healthz and /readyz for any host; not ready while draining") {
  router r(routes_with(world().authorities));
  CHECK(r.handle(get("nobody.example", "/healthz"), "http").response.body() == R"({"status":"ok"})");
  auto ready = r.handle(get("nobody.example", "/readyz"), "http");
  CHECK(ready.response.result_int() == 200);
  CHECK(nlohmann::json::parse(ready.response.body())["status"] == "ready");
  r.set_draining(true);
  auto draining = r.handle(get("nobody.example", "/readyz"), "http");
  CHECK(draining.response.result_int() == 503);
  CHECK(nlohmann::json::parse(draining.response.body())["status"] == "draining");
  CHECK(r.handle(get("nobody.example", "/healthz"), "http").response.result_int() == 200);
}

TEST_CASE("router: an authority still being minted answers 503 with Retry-After and asks for it first") {
  const auto& lab = world().lab;
  auto ca = certs::load_certificate(lab.path_of(lab.vendors.front().root_ca.certificate));
  auto pending = std::make_shared<certs::pending_authority>(certs::pending_authority{"TST", std::string(40, 'c'), std::string(40, 'd'), share(ca.get())});
  auto directory = std::make_shared<const certs::authority_directory>(world().authorities->all(),
                                                                      std::vector<std::shared_ptr<const certs::pending_authority>>{pending});
  auto routes = routes_with(directory);
  std::vector<std::string> asked;
  routes->mint_next = [&](const std::string& key_id) { asked.push_back(key_id); };
  router r(routes);
  auto out = r.handle(get("TST-KeyId-" + std::string(40, 'c') + ".microsoftaik.azure.net", scep("GetCACaps")), "https");
  CHECK(out.response.result_int() == 503);
  CHECK(out.response["Retry-After"] == "5");
  CHECK(out.error == "service-unavailable");
  CHECK(asked == std::vector<std::string>{std::string(40, 'c')});
  auto by_name_id = r.handle(get("TST-NameId-" + std::string(40, 'd') + ".x", scep("GetCACaps")), "https");
  CHECK(by_name_id.response.result_int() == 503);
}

TEST_CASE("router: the exception barrier turns a throwing handler into a 500 that closes the connection") {
  // An authority whose RA signing key is not its certificate's: signing GetCACertChain throws.
  auto broken = std::make_shared<certs::authority>();
  const auto& good = *world().authorities->all().front();
  broken->name = good.name;
  broken->vendor = good.vendor;
  broken->key_id = good.key_id;
  broken->name_id = good.name_id;
  broken->issuing_ca = share(good.issuing_ca.get());
  broken->ra_signing = share(good.ra_signing.get());
  broken->ra_signing_key = certs::generate_ec_key("P-256");
  broken->ra_encryption = share(good.ra_encryption.get());
  broken->ra_encryption_key = share(good.ra_encryption_key.get());
  auto directory = std::make_shared<const certs::authority_directory>(
      std::vector<std::shared_ptr<const certs::authority>>{broken});
  router r(routes_with(directory));
  auto out = r.handle(get(good.name + ".microsoftaik.azure.net", scep("GetCACertChain")), "https");
  CHECK(out.response.result_int() == 500);
  CHECK(out.response.body() == R"({"Message":"An error has occurred."})");
  CHECK(out.error == "internal-error");
  CHECK(out.detail.find("unhandled exception") != std::string::npos);
  CHECK_FALSE(out.response.keep_alive());
  CHECK(out.request_id.size() == 36);
  // The next request is served.
  CHECK(r.handle(get(good.name + ".microsoftaik.azure.net", scep("GetCACaps")), "https").response.result_int() == 200);
}

TEST_CASE("router: the policy's rate limit answers 429 with Retry-After, per client address, health exempt") {
  auto routes = routes_with(world().authorities);
  routes->rate_limiter = std::make_shared<policy::rate_limiter>(policy::rate_limit{0.5, 2});
  router r(routes);
  const auto& a = *world().authorities->all().front();
  const auto caps = get(a.name + ".microsoftaik.azure.net", scep("GetCACaps"));
  CHECK(r.handle(caps, "https", "10.1.1.1").response.result_int() == 200);
  CHECK(r.handle(caps, "https", "10.1.1.1").response.result_int() == 200);
  auto limited = r.handle(caps, "https", "10.1.1.1");
  CHECK(limited.response.result_int() == 429);
  CHECK(limited.response.body() == R"({"Message":"Too Many Requests"})");
  CHECK(limited.error == "too-many-requests");
  CHECK(limited.response["Retry-After"] == "2");
  CHECK(r.handle(caps, "https", "10.1.1.2").response.result_int() == 200);
  CHECK(r.handle(get("h", "/healthz"), "http", "10.1.1.1").response.result_int() == 200);
}

TEST_CASE("router: body limits per route") {
  const std::size_t configured = 1024 * 1024;
  CHECK(body_limit_for("/aik/v1/challenge", configured) == protocol::json_api_max_body);
  CHECK(body_limit_for("/templates/Aik/scep?operation=PKIOperation", configured) ==
        protocol::scep::max_pki_message_size);
  CHECK(body_limit_for("/Templates/aik/SCEP/?operation=PKIOperation", configured) ==
        protocol::scep::max_pki_message_size);
  CHECK(body_limit_for("/healthz", configured) == protocol::json_api_max_body);
  CHECK(body_limit_for("not a target", configured) == protocol::json_api_max_body);
  CHECK(body_limit_for("/templates/Aik/scep", 1000) == 1000);  // a lower configured limit wins
}

TEST_CASE("router: the lab CAs' certificates and CRLs on every host, before the authority is looked at") {
  auto routes = routes_with(world().authorities);
  auto cas = std::make_shared<const certs::published_cas>(
      certs::published_cas::from_lab(world().lab, world().authorities->all()));
  routes->publication = std::make_shared<const protocol::publication_codec>(
      cas, std::make_shared<const policy::policy>(policy::resolve_policy("microsoft-2025")));
  router r(routes);
  const std::string name = cas->all().front().name;
  for (const char* host : {"127.0.0.1:8080", "IFX-KeyId-0000000000000000000000000000000000000000.x", ""}) {
    CAPTURE(host);
    auto crl = r.handle(get(host, "/crl/" + name + ".crl"), "http");
    CHECK(crl.response.result_int() == 200);
    CHECK(crl.response[http::field::content_type] == "application/pkix-crl");
    CHECK(r.handle(get(host, "/aia/" + name + ".crt"), "http").response.result_int() == 200);
  }
  auto missing = r.handle(get("h", "/aia/nobody.crt"), "http");
  CHECK(missing.response.result_int() == 404);
  CHECK(missing.error == "route-not-found");
}
