#include "protocol/scep/ca_answers.hpp"

#include "common/bytes.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"

namespace aikmock::protocol::scep {

std::shared_ptr<const ca_answer_bodies> ca_answers::of(const certs::authority& a) const {
  {
    std::lock_guard lock(mutex_);
    if (auto it = built_.find(a.name); it != built_.end()) return it->second;
  }
  // Built outside the lock: two first requests at once both sign, and one result is kept.
  auto bodies = std::make_shared<ca_answer_bodies>();
  // The issuing CA and both RA certificates (RFC 8894 §4.2.1.2, as certs-only PKCS#7).
  bytes cert = degenerate_pkcs7({a.issuing_ca.get(), a.ra_signing.get(), a.ra_encryption.get()});
  bodies->ca_cert.assign(as_chars(cert));
  // The AIK root, the issuing CA and both RA certificates, signed by the RA (what Windows asks for).
  std::vector<X509*> chain{a.issuing_ca.get(), a.ra_signing.get(), a.ra_encryption.get()};
  if (aik_root_) chain.insert(chain.begin(), aik_root_);
  bytes signed_chain = signed_certificates(a.ra_signing.get(), a.ra_signing_key.get(), chain);
  bodies->ca_cert_chain.assign(as_chars(signed_chain));
  std::lock_guard lock(mutex_);
  return built_.try_emplace(a.name, std::move(bodies)).first->second;
}

}  // namespace aikmock::protocol::scep
