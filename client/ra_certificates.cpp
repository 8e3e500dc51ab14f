#include "client/ra_certificates.hpp"

#include <openssl/x509_vfy.h>

#include <memory>

#include "certs/ek_ca_identity.hpp"

namespace aikmock::client {

namespace {

bool has_usage(X509* cert, std::uint32_t usage) {
  return (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) && (X509_get_key_usage(cert) & usage);
}

}  // namespace

// The CA is an issuing CA under a root the client does not know, hence a partial chain.
std::string verify_against_ca(X509* leaf, X509* ca) {
  std::unique_ptr<X509_STORE, aikmock::openssl_deleter<X509_STORE_free>> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, aikmock::openssl_deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca) != 1) return "cannot set up the verification";
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1) return "cannot set up the verification";
  if (X509_verify_cert(ctx.get()) == 1) return {};
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

result<ra_certificates, ra_problem> identify_ra_certificates(std::vector<aikmock::x509_ptr> certificates) {
  ra_certificates out;
  for (auto& c : certificates) {
    if (!c) continue;
    if (X509_check_ca(c.get()) != 0) {
      if (!out.ca) out.ca = std::move(c);
    } else if (has_usage(c.get(), KU_KEY_ENCIPHERMENT) && !out.encryption) {
      out.encryption = std::move(c);
    } else if (has_usage(c.get(), KU_DIGITAL_SIGNATURE) && !out.signing) {
      out.signing = std::move(c);
    }
  }
  if (!out.ca) return fail(ra_problem{"GetCACert returned no CA certificate"});
  if (!out.signing) return fail(ra_problem{"GetCACert returned no RA signing certificate (digitalSignature)"});
  if (!out.encryption) return fail(ra_problem{"GetCACert returned no RA encryption certificate (keyEncipherment)"});
  const std::string ca_name = certs::name_text(X509_get_subject_name(out.ca.get()));
  if (auto e = verify_against_ca(out.signing.get(), out.ca.get()); !e.empty())
    return fail(ra_problem{"the RA signing certificate does not chain to the CA " + ca_name + ": " + e, true});
  if (auto e = verify_against_ca(out.encryption.get(), out.ca.get()); !e.empty())
    return fail(ra_problem{"the RA encryption certificate does not chain to the CA " + ca_name + ": " + e, true});
  return out;
}

}  // namespace aikmock::client
