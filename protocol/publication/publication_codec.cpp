#include "protocol/publication/publication_codec.hpp"

#include "certs/crl.hpp"
#include "certs/der_io.hpp"
#include "common/strings.hpp"

namespace aikmock::protocol {

namespace {
using policy::error_id;

std::optional<std::string_view> name_in(std::string_view path, std::string_view prefix, std::string_view suffix) {
  if (!path.starts_with(prefix) || !path.ends_with(suffix) || path.size() <= prefix.size() + suffix.size())
    return std::nullopt;
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}
}  // namespace

publication_codec::publication_codec(std::shared_ptr<const certs::published_cas> cas,
                                     std::shared_ptr<const policy::policy> policy, clock_source now)
    : cas_(std::move(cas)), policy_(std::move(policy)), now_(std::move(now)) {
  for (const auto& ca : cas_->all()) (void)crl_of(ca);  // signed at start
}

bool publication_codec::serves(std::string_view path) {
  return path.starts_with(aia_path_prefix) || path.starts_with(crl_path_prefix);
}

std::string publication_codec::crl_of(const certs::published_ca& ca) const {
  // The service clock: the policy may run it ahead or behind.
  const auto now = now_() + policy_->clock_offset;
  std::lock_guard lock(mutex_);
  if (auto it = crls_.find(ca.name); it != crls_.end() && now >= it->second.this_update &&
                                     now < it->second.this_update + crl_refresh)
    return it->second.der;

  certs::crl_window window;
  // Backdated an hour, for clients whose clock runs a little behind.
  window.this_update = std::chrono::time_point_cast<std::chrono::seconds>(now) - std::chrono::hours(1);
  window.next_update = window.this_update + crl_validity;
  // Seconds since the epoch: grows with every new CRL, on every replica.
  window.number = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  std::vector<certs::revoked_certificate> revoked;
  for (const auto& r : policy_->revocation.revoked)
    revoked.push_back({bytes(r.serial.begin(), r.serial.end()), window.this_update,
                       static_cast<certs::revocation_reason>(r.reason)});
  signed_crl fresh{std::string(as_chars(certs::sign_crl(ca.certificate.get(), ca.key.get(), revoked, window))),
                   now};
  crls_[ca.name] = fresh;
  return fresh.der;
}

response publication_codec::handle(std::string_view method, std::string_view path,
                                   std::string_view uri_for_errors) const {
  if (!iequals(method, "GET"))
    return error_response(error_id::method_not_allowed, {{"method", std::string(method)}});
  auto not_found = [&] { return error_response(error_id::route_not_found, {{"uri", std::string(uri_for_errors)}}); };
  if (auto name = name_in(path, aia_path_prefix, ".crt")) {
    const auto* ca = cas_->find(*name);
    if (!ca) return not_found();
    response r;
    r.content_type = "application/pkix-cert";
    r.body = std::string(as_chars(certs::der_of(ca->certificate.get(), i2d_X509)));
    return r;
  }
  if (auto name = name_in(path, crl_path_prefix, ".crl")) {
    const auto* ca = cas_->find(*name);
    if (!ca) return not_found();
    response r;
    r.content_type = "application/pkix-crl";
    r.body = crl_of(*ca);
    return r;
  }
  return not_found();
}

}  // namespace aikmock::protocol
