#include "server/http_server.hpp"

#include <fstream>
#include <iostream>

#include "certs/lab_manifest.hpp"
#include "common/files.hpp"
#include "server/descriptor_budget.hpp"
#include "certs/pem.hpp"
#include "certs/published_cas.hpp"
#include "certs/trust_store.hpp"
#include "policy/policy_file.hpp"

#include <nlohmann/json.hpp>
#include "server/listener.hpp"

namespace aikmock::server {

namespace {

std::shared_ptr<const certs::authority> pick_default_authority(const certs::authority_directory& dir,
                                                               const std::string& wanted) {
  if (wanted == "none") return nullptr;
  if (wanted.empty()) return dir.all().empty() ? nullptr : dir.all().front();
  auto a = dir.find(wanted);
  if (!a) throw std::runtime_error("default authority \"" + wanted + "\" is not one of the lab's authorities");
  return a;
}

ssl::context make_tls_context(const certs::lab_manifest& lab) {
  ssl::context ctx(ssl::context::tls_server);
  // Windows' client speaks TLS 1.2 and 1.3; nothing older is offered.
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  ctx.use_certificate_chain_file(lab.path_of(lab.tls_server.certificate).string());
  ctx.use_private_key_file(lab.path_of(lab.tls_server.private_key).string(), ssl::context::pem);
  return ctx;
}

tcp::endpoint resolve_endpoint(net::io_context& ioc, const std::string& text) {
  auto address = parse_listen_address(text);
  if (!address) throw std::runtime_error("listen address \"" + text + "\" is not ADDR:PORT");
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(address->host, std::to_string(address->port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service);
  if (results.empty()) throw std::runtime_error("cannot resolve listen address " + text);
  return results.begin()->endpoint();
}

nlohmann::json endpoint_json(const char* scheme, const tcp::endpoint& e) {
  return {{"scheme", scheme}, {"address", e.address().to_string()}, {"port", e.port()}};
}

unsigned thread_count(const config& cfg) {
  return cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

http_server::http_server(const config& cfg, std::ostream& log_out)
    : cfg_(cfg), log_(log_out), ioc_(static_cast<int>(thread_count(cfg))), drain_timer_(ioc_) {
  auto lab = certs::load_lab_manifest(cfg.lab);
  if (lab.sealing_key.empty())
    throw std::runtime_error(cfg.lab.string() + " has no sealing key (made by an older aikmock): create a new lab");
  sealer_ = std::make_shared<const protocol::enrollment::state_sealer>(
      protocol::enrollment::state_sealer::from_file(lab.path_of(lab.sealing_key)));
  // Replicas of one lab share its directory: an answer one took, the others refuse.
  replays_ = std::make_shared<protocol::enrollment::replay_cache>(100'000, lab.dir / "replays");
  auto trust = load_trust(lab);
  for (const auto& e : trust.errors) log_.event("trust-load-error", {{"path", e.path.string()}, {"reason", e.reason}});
  auto routes = build_routes(lab, trust.store, policy::resolve_policy(cfg.policy));
  struct limits limits = cfg.limits;
  const std::size_t descriptors = raise_descriptor_limit();
  limits.max_connections = connection_cap(cfg.limits.max_connections, descriptors);
  if (limits.max_connections < cfg.limits.max_connections)
    log_.event("connection-limit-lowered", {{"configured", cfg.limits.max_connections},
                                            {"effective", limits.max_connections},
                                            {"descriptorLimit", descriptors}});
  router_ = std::make_shared<router>(routes);
  state_ = std::make_shared<server_state>(*router_, log_, limits, &metrics_, &exchanges_);
  // Authorities of trust-store CAs are minted in the background, never on a request.
  minter_ = std::make_unique<certs::authority_minter>(
      lab, [this](std::shared_ptr<const certs::authority> a) { add_minted(std::move(a)); },
      [this](const std::string& name, const std::string& reason) {
        log_.event("authority-mint-failed", {{"authority", name}, {"reason", reason}});
      });
  minter_->enqueue(routes->authorities->pending());

  if (!cfg.https.empty()) {
    tls_.emplace(make_tls_context(lab));
    listeners_.push_back(std::make_shared<listener>(ioc_, resolve_endpoint(ioc_, cfg.https), &*tls_, state_));
    https_ = listeners_.back()->local_endpoint();
  }
  if (!cfg.http.empty()) {
    listeners_.push_back(std::make_shared<listener>(ioc_, resolve_endpoint(ioc_, cfg.http), nullptr, state_));
    http_ = listeners_.back()->local_endpoint();
  }
  if (listeners_.empty()) throw std::runtime_error("both listeners are off (--https and --http are empty)");
  if (!cfg.admin.listen.empty()) start_admin_listener(lab, limits);
}

void http_server::start_admin_listener(const certs::lab_manifest& lab, const struct limits& limits) {
  admin_sources sources;
  sources.service = router_.get();
  sources.counters = &metrics_;
  sources.exchanges = &exchanges_;
  sources.domain = lab.domain;
  sources.gauges = [this] {
    metrics::gauges g;
    g.open_connections = state_->registry.size();
    g.replay_entries = replays_->size();
    const auto authorities = router_->current()->authorities;
    g.authorities_ready = authorities->all().size();
    g.authorities_pending = authorities->pending().size();
    return g;
  };
  sources.reload = [this] {
    std::string why;
    const bool ok = reload(&why);
    return std::pair{ok, why};
  };
  if (!cfg_.admin.token_file.empty()) {
    auto data = read_file(cfg_.admin.token_file, 4096);
    if (!data) throw std::runtime_error("cannot read the admin token file " + cfg_.admin.token_file.string());
    std::string token(as_chars(*data));
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.size() < 16)
      throw std::runtime_error("the admin token in " + cfg_.admin.token_file.string() + " is shorter than 16 characters");
    sources.token = std::move(token);
  } else if (!is_loopback_listen_address(cfg_.admin.listen)) {
    // Reload and the exchanges' details must not be open to the network.
    throw std::runtime_error("the admin listener on " + cfg_.admin.listen +
                             " is not on the loopback: it needs a token (admin.tokenFile, --admin-token-file)");
  }
  admin_router_ = std::make_unique<admin_router>(std::move(sources));
  struct limits admin_limits = limits;
  admin_limits.max_connections = std::min<std::size_t>(limits.max_connections, 64);
  admin_state_ = std::make_shared<server_state>(*admin_router_, log_, admin_limits, &metrics_, nullptr);
  try {
    listeners_.push_back(std::make_shared<listener>(ioc_, resolve_endpoint(ioc_, cfg_.admin.listen), nullptr, admin_state_));
  } catch (const boost::system::system_error& e) {
    // The default address taken (another aikmock on this machine): the service
    // runs without its admin listener and says so. An address asked for must bind.
    if (!cfg_.admin.optional_bind) throw;
    log_.event("admin-listener-unavailable", {{"address", cfg_.admin.listen}, {"reason", e.what()}});
    admin_state_.reset();
    return;
  }
  admin_ = listeners_.back()->local_endpoint();
}

http_server::~http_server() = default;

certs::trust_store::load_result http_server::load_trust(const certs::lab_manifest& lab) const {
  std::vector<std::filesystem::path> dirs{lab.path_of(lab.trust_store)};
  dirs.insert(dirs.end(), cfg_.trust.begin(), cfg_.trust.end());
  return certs::trust_store::load(dirs);
}

std::shared_ptr<const route_set> http_server::build_routes(const certs::lab_manifest& lab,
                                                           std::shared_ptr<const certs::trust_store> trust,
                                                           policy::policy active) {
  auto authorities = certs::authority_directory::load(lab, *trust);
  auto policy = std::make_shared<const policy::policy>(std::move(active));
  std::shared_ptr<policy::rate_limiter> limiter;
  if (policy->client_rate_limit) limiter = std::make_shared<policy::rate_limiter>(*policy->client_rate_limit);
  protocol::enrollment::service_settings settings;
  settings.urls.base = lab.public_url;
  auto service = std::make_shared<const protocol::enrollment::enrollment_service>(
      policy, protocol::enrollment::thread_random(), trust, sealer_,
      certs::load_certificate(lab.path_of(lab.aik_root.certificate)), replays_, settings);
  auto r = std::make_shared<route_set>();
  r->authorities = authorities;
  r->default_authority = pick_default_authority(*authorities, cfg_.default_authority);
  r->service = service;
  r->scep = std::make_shared<const protocol::scep::scep_codec>(service);
  r->json = std::make_shared<const protocol::json_api>(service);
  r->rate_limiter = std::move(limiter);
  r->publication = std::make_shared<const protocol::publication_codec>(
      std::make_shared<const certs::published_cas>(certs::published_cas::from_lab(lab, authorities->all())), policy);
  r->mint_next = [this](const std::string& key_id) {
    if (minter_) minter_->prioritize(key_id);
  };
  return r;
}

void http_server::add_minted(std::shared_ptr<const certs::authority> minted) {
  const std::string name = minted->name;
  {
    std::lock_guard lock(routes_mutex_);
    auto current = router_->current();
    auto next = std::make_shared<route_set>(*current);
    next->authorities = current->authorities->with(std::move(minted));
    // Its issuing CA is published too (AIA, CRL); if the lab cannot be read
    // now, the authority still serves and the publication stays as it was.
    try {
      next->publication = std::make_shared<const protocol::publication_codec>(
          std::make_shared<const certs::published_cas>(
              certs::published_cas::from_lab(certs::load_lab_manifest(cfg_.lab), next->authorities->all())),
          std::shared_ptr<const policy::policy>(current->service, &current->service->active_policy()));
    } catch (const std::exception& e) {
      log_.event("publication-not-updated", {{"authority", name}, {"reason", e.what()}});
    }
    router_->replace(std::move(next));
  }
  log_.event("authority-minted", {{"authority", name}});
  if (minter_ && minter_->outstanding() == 0) log_.event("authorities-ready", {{"authorities", authorities()->all().size()}});
}

bool http_server::reload(std::string* why) {
  std::lock_guard one_at_a_time(reload_mutex_);
  auto refused = [&](std::string reason) {
    metrics_.reload(false);
    if (why) *why = std::move(reason);
    return false;
  };
  try {
    auto lab = certs::load_lab_manifest(cfg_.lab);
    auto trust = load_trust(lab);
    if (!trust.errors.empty()) {
      for (const auto& e : trust.errors) log_.event("reload-refused", {{"path", e.path.string()}, {"reason", e.reason}});
      return refused(trust.errors.front().path.string() + ": " + trust.errors.front().reason);
    }
    std::shared_ptr<const route_set> next;
    {
      std::lock_guard lock(routes_mutex_);
      next = build_routes(lab, trust.store, policy::resolve_policy(cfg_.policy));
      router_->replace(next);
    }
    minter_->enqueue(next->authorities->pending());
    log_.event("reloaded", {{"policy", cfg_.policy},
                            {"authorities", next->authorities->all().size()},
                            {"pending", next->authorities->pending().size()}});
    metrics_.reload(true);
    return true;
  } catch (const std::exception& e) {
    // A policy file with an error, a lab file gone: the service goes on as it was.
    log_.event("reload-refused", {{"reason", e.what()}});
    return refused(e.what());
  }
}

void http_server::run() {
  if (https_) log_.event("listening", endpoint_json("https", *https_));
  if (http_) log_.event("listening", endpoint_json("http", *http_));
  if (admin_) log_.event("listening", endpoint_json("admin", *admin_));
  for (auto& l : listeners_) l->run();

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < thread_count(cfg_); ++i) pool.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : pool) t.join();
  log_.event("stopped");
}

void http_server::stop(const char* reason) {
  if (stop_started_.exchange(true)) return;
  net::post(ioc_, [this, reason] {
    log_.event("stopping", {{"reason", reason}});
    state_->stopping = true;
    router_->set_draining(true);
    for (auto& l : listeners_) l->stop();
    state_->registry.stop_all();
    if (admin_state_) {
      admin_state_->stopping = true;
      admin_state_->registry.stop_all();
    }
    deadline_ = std::chrono::steady_clock::now() + cfg_.limits.shutdown_grace;
    wait_for_drain();
  });
}

// run() returns by itself once no connection is left; past the grace period
// the connections still open are abandoned.
std::size_t http_server::open_connections() const {
  return state_->registry.size() + (admin_state_ ? admin_state_->registry.size() : 0);
}

void http_server::wait_for_drain() {
  if (open_connections() == 0) return;
  if (std::chrono::steady_clock::now() >= deadline_) {
    log_.event("stop-forced", {{"connections", open_connections()}});
    ioc_.stop();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) wait_for_drain();
  });
}

namespace {
// For the person who just typed `make run`: where to point a client.
void print_urls_to_try(const http_server& server, const config& cfg, std::ostream& out) {
  const std::string path = std::string(protocol::scep::scep_path) + "?operation=GetCACaps";
  const auto authorities = server.authorities();
  out << "aikmock: serving " << authorities->all().size() << " authorities from " << cfg.lab.string()
      << " under policy " << cfg.policy << "\n";
  if (auto e = server.http_endpoint())
    out << "  curl 'http://" << e->address().to_string() << ":" << e->port() << path << "'\n";
  if (auto e = server.https_endpoint(); e && !authorities->all().empty()) {
    const auto& a = *authorities->all().front();
    const std::string host = a.name + "." + certs::load_lab_manifest(cfg.lab).domain;
    out << "  curl --cacert " << (cfg.lab / "tls/root.pem").string() << " --resolve " << host << ":" << e->port()
        << ":" << e->address().to_string() << " 'https://" << host << ":" << e->port() << path << "'\n";
  }
  if (auto e = server.admin_endpoint())
    out << "  console: http://" << e->address().to_string() << ":" << e->port() << "/console  (metrics: /metrics)\n";
  out << "  authorities:";
  for (const auto& a : authorities->all()) out << " " << a->name;
  if (auto n = authorities->pending().size())
    out << "\n  and " << n << " more from the trust store, being minted in the background";
  out << "\n  stop with Ctrl-C (SIGINT) or SIGTERM\n" << std::flush;
}
}  // namespace

int serve(const config& cfg) {
  std::ofstream log_file;
  if (cfg.access_log != "-") {
    log_file.open(cfg.access_log, std::ios::app);
    if (!log_file) throw std::runtime_error("cannot open access log " + cfg.access_log);
  }
  http_server server(cfg, cfg.access_log == "-" ? std::cout : log_file);
  print_urls_to_try(server, cfg, std::cerr);

  // Signals are waited for on a thread of their own so the server's
  // io_context can run out of work and return once it has drained.
  net::io_context signal_ioc;
  net::signal_set signals(signal_ioc, SIGINT, SIGTERM, SIGHUP);
  std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      // Trust store and policy read again; connections and exchanges in flight go on.
      server.reload();
      signals.async_wait(on_signal);
      return;
    }
    server.stop(signal == SIGINT ? "SIGINT" : "SIGTERM");
  };
  signals.async_wait(on_signal);
  std::thread signal_thread([&] { signal_ioc.run(); });

  server.run();
  signal_ioc.stop();
  signal_thread.join();
  return 0;
}

}  // namespace aikmock::server
