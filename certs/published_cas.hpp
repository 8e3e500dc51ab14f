#pragma once
// The lab's CAs as its certificates' AIA and CRL distribution point URLs name
// them (docs/windows-lab.md): each CA's certificate is published as
// <publicUrl>/aia/<name>.crt and its CRL as <publicUrl>/crl/<name>.crl, where
// <name> is published_name(certificate). Only CAs whose keys the lab holds are
// here (a CRL must be signed): the TLS root, the vendor roots and EK-issuing
// CAs, the AIK root and every authority's issuing CA.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "certs/authority.hpp"
#include "certs/lab_manifest.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

struct published_ca {
  std::string name;
  x509_ptr certificate;
  evp_pkey_ptr key;
};

class published_cas {
 public:
  // Loads the lab's CAs and their keys; throws naming the file that failed.
  static published_cas from_lab(const lab_manifest& lab, const std::vector<std::shared_ptr<const authority>>& authorities);

  const published_ca* find(std::string_view name) const;
  const std::vector<published_ca>& all() const { return cas_; }

 private:
  void add(x509_ptr certificate, evp_pkey_ptr key);
  std::vector<published_ca> cas_;
};

}  // namespace aikmock::certs
