#pragma once
// What the lab's certificates point at (docs/windows-lab.md): every lab CA's
// certificate at /aia/<name>.crt (DER, application/pkix-cert) and its CRL at
// /crl/<name>.crl (DER, application/pkix-crl), so a chain engine that follows
// AIA and CRL distribution points — Windows', OpenSSL's -crl_download — works
// offline. CRLs are signed when the codec is made and again once a day, each
// valid for a week, so one past its nextUpdate is never served; they list the
// policy's revoked serials, and are dated by the service clock (the policy's
// clockOffsetSeconds included).
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "certs/published_cas.hpp"
#include "policy/policy.hpp"
#include "protocol/response.hpp"

namespace aikmock::protocol {

inline constexpr std::string_view aia_path_prefix = "/aia/";
inline constexpr std::string_view crl_path_prefix = "/crl/";

class publication_codec {
 public:
  using clock_source = std::function<std::chrono::system_clock::time_point()>;
  // How long a CRL is good for, and how often a new one is signed.
  static constexpr std::chrono::hours crl_validity{24 * 7};
  static constexpr std::chrono::hours crl_refresh{24};

  publication_codec(std::shared_ptr<const certs::published_cas> cas, std::shared_ptr<const policy::policy> policy,
                    clock_source now = [] { return std::chrono::system_clock::now(); });

  // Whether `path` is one of its routes (/aia/… or /crl/…).
  static bool serves(std::string_view path);
  // The answer for a GET of `path`; 404 route-not-found for a name it does not publish.
  response handle(std::string_view method, std::string_view path, std::string_view uri_for_errors) const;

 private:
  struct signed_crl {
    std::string der;
    std::chrono::system_clock::time_point this_update;
  };
  std::string crl_of(const certs::published_ca& ca) const;

  std::shared_ptr<const certs::published_cas> cas_;
  std::shared_ptr<const policy::policy> policy_;
  clock_source now_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, signed_crl, std::less<>> crls_;
};

}  // namespace aikmock::protocol
