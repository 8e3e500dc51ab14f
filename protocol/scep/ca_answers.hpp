#pragma once
// GetCACert and GetCACertChain answers: the same bytes for an authority every
// time (its certificates do not change while it serves), so the RA signs the
// chain once per authority instead of once per request — one RSA signature
// saved on every enrollment Windows makes (bench/README.md).
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "certs/authority.hpp"

namespace aikmock::protocol::scep {

struct ca_answer_bodies {
  std::string ca_cert;        // degenerate PKCS#7: the issuing CA and both RA certificates
  std::string ca_cert_chain;  // SignedData by the RA: the AIK root, the issuing CA and both RA certificates
};

class ca_answers {
 public:
  // `aik_root` may be null (a service without one answers the chain without it).
  explicit ca_answers(X509* aik_root) : aik_root_(aik_root) {}

  // Built on the first request for `authority`, then kept; safe from every thread.
  std::shared_ptr<const ca_answer_bodies> of(const certs::authority& authority) const;

 private:
  X509* aik_root_;
  mutable std::mutex mutex_;
  // By authority name; authorities are few (one per trust-store CA) and are never unloaded while this lives.
  mutable std::unordered_map<std::string, std::shared_ptr<const ca_answer_bodies>> built_;
};

}  // namespace aikmock::protocol::scep
