#include "certs/published_cas.hpp"

#include "certs/aik_authority_profile.hpp"
#include "certs/pem.hpp"

namespace aikmock::certs {

void published_cas::add(x509_ptr certificate, evp_pkey_ptr key) {
  std::string name = published_name(certificate.get());
  if (find(name)) return;  // the same CA reached twice (an authority's issuing CA listed again)
  cas_.push_back({std::move(name), std::move(certificate), std::move(key)});
}

published_cas published_cas::from_lab(const lab_manifest& lab,
                                      const std::vector<std::shared_ptr<const authority>>& authorities) {
  published_cas out;
  auto add_files = [&](const key_pair_files& f) {
    out.add(load_certificate(lab.path_of(f.certificate)), load_private_key(lab.path_of(f.private_key)));
  };
  if (!lab.tls_root.empty()) {
    // The TLS root's key sits beside its certificate (tls/root.pem, tls/root.key).
    auto key = lab.tls_root.substr(0, lab.tls_root.rfind('.')) + ".key";
    out.add(load_certificate(lab.path_of(lab.tls_root)), load_private_key(lab.path_of(key)));
  }
  add_files(lab.aik_root);
  for (const auto& v : lab.vendors) {
    add_files(v.root_ca);
    add_files(v.ek_issuing_ca);
  }
  for (const auto& a : authorities) out.add(share(a->issuing_ca.get()), share(a->issuing_ca_key.get()));
  return out;
}

const published_ca* published_cas::find(std::string_view name) const {
  for (const auto& ca : cas_)
    if (ca.name == name) return &ca;
  return nullptr;
}

}  // namespace aikmock::certs
