#include "certs/authority.hpp"

#include "certs/lab_manifest.hpp"
#include "certs/pem.hpp"
#include "common/strings.hpp"

namespace aikmock::certs {

authority_directory::authority_directory(std::vector<std::shared_ptr<const authority>> authorities)
    : authorities_(std::move(authorities)) {}

authority_directory authority_directory::from_lab(const lab_manifest& m) {
  std::vector<std::shared_ptr<const authority>> out;
  for (const auto& a : m.authorities) {
    auto x = std::make_shared<authority>();
    x->name = a.name;
    x->vendor = a.vendor;
    x->key_id = to_lower(a.key_id);
    x->name_id = to_lower(a.name_id);
    x->ek_issuing_ca = load_certificate(m.path_of(a.ek_issuing_ca));
    x->issuing_ca = load_certificate(m.path_of(a.issuing_ca.certificate));
    x->issuing_ca_key = load_private_key(m.path_of(a.issuing_ca.private_key));
    x->ra_signing = load_certificate(m.path_of(a.ra_signing.certificate));
    x->ra_signing_key = load_private_key(m.path_of(a.ra_signing.private_key));
    x->ra_encryption = load_certificate(m.path_of(a.ra_encryption.certificate));
    x->ra_encryption_key = load_private_key(m.path_of(a.ra_encryption.private_key));
    out.push_back(std::move(x));
  }
  return authority_directory(std::move(out));
}

std::shared_ptr<const authority> authority_directory::by_key_id(std::string_view hex) const {
  for (const auto& a : authorities_)
    if (iequals(a->key_id, hex)) return a;
  return nullptr;
}

std::shared_ptr<const authority> authority_directory::by_name_id(std::string_view hex) const {
  for (const auto& a : authorities_)
    if (iequals(a->name_id, hex)) return a;
  return nullptr;
}

std::shared_ptr<const authority> authority_directory::find(std::string_view name_or_id) const {
  for (const auto& a : authorities_)
    if (iequals(a->name, name_or_id)) return a;
  if (auto a = by_key_id(name_or_id)) return a;
  return by_name_id(name_or_id);
}

}  // namespace aikmock::certs
