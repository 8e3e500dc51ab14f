#include "server/admin_router.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include <ctime>

#include "certs/ek_ca_identity.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "server/request_target.hpp"

namespace aikmock::server {

namespace {
constexpr std::string_view cookie_name = "aikmock_console";
constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";
// The console's own files only: no inline script or style, no frames.
constexpr const char* console_csp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'";
constexpr std::size_t max_exchanges_per_poll = 500;

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string header(const request_t& r, http::field f) { return std::string(r[f]); }

// The value of one cookie of a Cookie header; empty when absent.
std::string cookie_value(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    auto semicolon = cookies.find(';');
    std::string_view pair = trim(cookies.substr(0, semicolon));
    cookies = semicolon == std::string_view::npos ? std::string_view{} : cookies.substr(semicolon + 1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return {};
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json certificate_json(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), digest, &n);
  return {{"subject", certs::name_text(X509_get_subject_name(cert))},
          {"issuer", certs::name_text(X509_get_issuer_name(cert))},
          {"serial", certs::serial_text(cert)},
          {"notBefore", time_text(X509_get0_notBefore(cert))},
          {"notAfter", time_text(X509_get0_notAfter(cert))},
          {"sha256", to_hex(byte_view(digest, n))}};
}
}  // namespace

std::string console_session_value(std::string_view token) {
  static constexpr std::string_view label = "aikmock console session v1";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()), reinterpret_cast<const unsigned char*>(label.data()),
       label.size(), mac, &n);
  return to_hex(byte_view(mac, n));
}

admin_router::admin_router(admin_sources sources) : sources_(std::move(sources)) {
  if (!sources_.token.empty()) session_cookie_ = console_session_value(sources_.token);
}

routed_response admin_router::handle(const request_t& request, const std::string& scheme,
                                     std::string_view) const noexcept {
  try {
    return route(request, scheme);
  } catch (const std::exception& e) {
    try {
      return make_response(protocol::error_response(policy::error_id::internal_error, {},
                                                    std::string("unhandled exception: ") + e.what()),
                           &request, request.version(), false, scheme);
    } catch (...) {
    }
  } catch (...) {
  }
  routed_response dropped;
  dropped.drop = true;
  dropped.error = "internal-error";
  return dropped;
}

bool admin_router::authorized(const request_t& request) const {
  if (sources_.token.empty()) return true;
  const std::string authorization = header(request, http::field::authorization);
  if (istarts_with(authorization, "Bearer ") &&
      equal_in_constant_time(trim(std::string_view(authorization).substr(7)), sources_.token))
    return true;
  return equal_in_constant_time(cookie_value(request[http::field::cookie], cookie_name), session_cookie_);
}

routed_response admin_router::route(const request_t& request, const std::string& scheme) const {
  auto reply = [&](unsigned status, std::string_view content_type, std::string body) {
    protocol::response answer;
    answer.status = status;
    answer.content_type = std::string(content_type);
    answer.body = std::move(body);
    auto r = make_response(answer, &request, request.version(), request.keep_alive(), scheme);
    r.route = "admin";
    r.response.set(http::field::cache_control, "no-store");
    return r;
  };
  auto json_reply = [&](unsigned status, const nlohmann::json& body) {
    return reply(status, protocol::json_content_type, body.dump());
  };
  auto redirect = [&](std::string location) {
    auto r = reply(303, "text/plain; charset=utf-8", "");
    r.response.set(http::field::location, location);
    return r;
  };

  auto target = parse_request_target(request.target());
  if (!target) return json_reply(400, {{"Message", "The request is invalid."}});
  const std::string& path = target->path;
  const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
  const bool post = request.method() == http::verb::post;

  // Health is for probes and load balancers: never behind the token.
  if (path == healthz_path || path == readyz_path) {
    auto r = sources_.service->handle(request, scheme);
    r.route = "health";
    return r;
  }

  // What the login page needs besides itself is open too: it holds nothing of the lab.
  const bool open_asset = path == "/console/login.js" || path == "/console/console.css";
  if (path == "/console/login") {
    if (post) return login(request);
    if (!get) return json_reply(405, {{"Message", "The requested resource does not support http method '" +
                                                     std::string(request.method_string()) + "'."}});
    if (sources_.token.empty() || authorized(request)) return redirect("/console");
  } else if (!open_asset && !authorized(request)) {
    if (get && (path == "/console" || path == "/console/")) return redirect("/console/login");
    auto r = json_reply(401, {{"Message", "Authorization has been denied for this request."}});
    r.response.set(http::field::www_authenticate, "Bearer realm=\"aikmock admin\"");
    return r;
  }

  if (get) {
    const std::string_view wanted = path == "/console/" ? "/console" : std::string_view(path);
    for (const auto& asset : console_assets()) {
      if (asset.path != wanted) continue;
      auto r = reply(200, asset.content_type, std::string(asset.body));
      r.response.set("Content-Security-Policy", console_csp);
      r.response.set("X-Frame-Options", "DENY");
      r.response.set("Referrer-Policy", "no-referrer");
      return r;
    }
    if (path == "/metrics") return reply(200, metrics_content_type, sources_.counters->render(sources_.gauges()));
    if (path == "/admin/api/status") return reply(200, protocol::json_content_type, status_json());
    if (path == "/admin/api/policy") return reply(200, protocol::json_content_type, policy_json());
    if (path == "/admin/api/authorities") return reply(200, protocol::json_content_type, authorities_json());
    if (path == "/admin/api/exchanges") {
      auto number = [&](const char* name, std::uint64_t fallback) {
        auto v = target->param(name);
        if (!v) return fallback;
        auto parsed = parse_unsigned(*v);
        return parsed ? *parsed : fallback;
      };
      const auto limit = std::min<std::uint64_t>(number("limit", 200), max_exchanges_per_poll);
      return json_reply(200, sources_.exchanges->since(number("since", 0), static_cast<std::size_t>(limit)));
    }
  }
  if (post && path == "/admin/reload") {
    // A form on another site cannot set this header without the browser asking first (CORS).
    if (request.find(http::field::authorization) == request.end() && request.find("X-Aikmock-Admin") == request.end())
      return json_reply(403, {{"Message", "POST /admin/reload needs an Authorization or an X-Aikmock-Admin header."}});
    auto [ok, reason] = sources_.reload();
    nlohmann::json body{{"reloaded", ok}};
    if (!ok) body["reason"] = reason;
    return json_reply(ok ? 200 : 500, body);
  }
  // A known resource asked with a method it does not take.
  bool known = path == "/metrics" || path == "/admin/reload" || path == "/admin/api/status" ||
               path == "/admin/api/policy" || path == "/admin/api/authorities" || path == "/admin/api/exchanges";
  for (const auto& asset : console_assets()) known = known || asset.path == path;
  if (known)
    return json_reply(405, {{"Message", "The requested resource does not support http method '" +
                                            std::string(request.method_string()) + "'."}});
  return json_reply(404, {{"Message", "No HTTP resource was found that matches the request URI '" + path + "'."}});
}

routed_response admin_router::login(const request_t& request) const {
  auto answer = [&](std::string location, std::string cookie) {
    protocol::response a;
    a.status = 303;
    a.content_type = "text/plain; charset=utf-8";
    auto r = make_response(a, &request, request.version(), request.keep_alive(), "http");
    r.route = "admin";
    r.response.set(http::field::location, location);
    r.response.set(http::field::cache_control, "no-store");
    if (!cookie.empty()) r.response.set(http::field::set_cookie, cookie);
    return r;
  };
  if (sources_.token.empty()) return answer("/console", {});
  // The form's body, parsed as a query string is.
  auto form = parse_request_target("/?" + request.body());
  const std::string given = form ? form->param("token").value_or("") : "";
  if (!equal_in_constant_time(trim(given), sources_.token)) {
    auto r = answer("/console/login?failed=1", {});
    r.error = "admin-login-failed";
    return r;
  }
  return answer("/console", std::string(cookie_name) + "=" + session_cookie_ + "; Path=/; HttpOnly; SameSite=Strict");
}

std::string admin_router::status_json() const {
  const auto current = sources_.service->current();
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - sources_.started).count();
  const bool draining = sources_.service->draining();
  return nlohmann::json{{"version", AIKMOCK_VERSION},
                        {"policy", current->service->active_policy().name},
                        {"uptimeSeconds", uptime},
                        {"ready", !draining},
                        {"draining", draining},
                        {"authorities", current->authorities->all().size()},
                        {"pendingAuthorities", current->authorities->pending().size()}}
      .dump();
}

std::string admin_router::policy_json() const {
  const auto current = sources_.service->current();
  const auto& p = current->service->active_policy();
  const auto fired = sources_.counters->decisions_by_rule();
  auto count = [&](const std::string& rule) {
    auto it = fired.find(rule);
    return it == fired.end() ? std::uint64_t{0} : it->second;
  };
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : p.rules) rules.push_back({{"name", r.name}, {"description", r.note}, {"fired", count(r.name)}});
  return nlohmann::json{{"name", p.name},
                        {"description", p.description},
                        {"rules", std::move(rules)},
                        {"fired", {{"default", count("default")}, {"exchange", count("exchange")}}}}
      .dump();
}

std::string admin_router::authorities_json() const {
  const auto current = sources_.service->current();
  X509* root = current->service->aik_root();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : current->authorities->all()) {
    nlohmann::json chain = nlohmann::json::array();
    chain.push_back(certificate_json(a->issuing_ca.get()));
    if (root) chain.push_back(certificate_json(root));
    list.push_back({{"name", a->name},
                    {"vendor", a->vendor},
                    {"keyId", a->key_id},
                    {"nameId", a->name_id},
                    {"host", a->name + "." + sources_.domain},
                    {"chain", std::move(chain)}});
  }
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : current->authorities->pending()) pending.push_back(p->name());
  return nlohmann::json{{"authorities", std::move(list)}, {"pending", std::move(pending)}}.dump();
}

}  // namespace aikmock::server
