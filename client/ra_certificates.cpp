#include "client/ra_certificates.hpp"

#include <openssl/x509_vfy.h>

#include <memory>

#include "certs/aik_authority_profile.hpp"
#include "certs/ek_ca_identity.hpp"
#include "client/wire/cert_rep_reader.hpp"

namespace aikmock::client {

namespace {
std::string common_name(X509* cert) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

bool self_signed(X509* cert) { return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0; }
}  // namespace

std::string verify_against_ca(X509* leaf, X509* ca) {
  std::unique_ptr<X509_STORE, openssl_deleter<X509_STORE_free>> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, openssl_deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca) != 1) return "cannot set up the verification";
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1) return "cannot set up the verification";
  if (X509_verify_cert(ctx.get()) == 1) return {};
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

result<ca_cert_chain, ra_problem> identify_ra_certificates(std::vector<x509_ptr> certificates) {
  ca_cert_chain out;
  std::vector<x509_ptr> cas;
  for (auto& c : certificates) {
    if (!c) continue;
    const std::string cn = common_name(c.get());
    if (cn == certs::ra_signing_common_name && !out.signing) out.signing = std::move(c);
    else if (cn == certs::ra_encryption_common_name && !out.encryption) out.encryption = std::move(c);
    else if (X509_check_ca(c.get()) != 0) cas.push_back(std::move(c));
  }
  if (!out.signing) return fail(ra_problem{"GetCACertChain holds no \"RA Signing Certificate\""});
  if (!out.encryption) return fail(ra_problem{"GetCACertChain holds no \"RA Encryption Certificate\""});
  for (auto& c : cas) {
    if (self_signed(c.get())) {
      if (!out.root) out.root = std::move(c);
    } else if (!out.ca && X509_check_issued(c.get(), out.signing.get()) == X509_V_OK) {
      out.ca = std::move(c);
    }
  }
  if (!out.ca) return fail(ra_problem{"GetCACertChain holds no CA that issued the RA signing certificate"});
  if (!out.root) return fail(ra_problem{"GetCACertChain holds no root CA"});
  const std::string ca_name = certs::name_text(X509_get_subject_name(out.ca.get()));
  if (auto e = verify_against_ca(out.signing.get(), out.ca.get()); !e.empty())
    return fail(ra_problem{"the RA signing certificate does not chain to the CA " + ca_name + ": " + e, true});
  if (auto e = verify_against_ca(out.encryption.get(), out.ca.get()); !e.empty())
    return fail(ra_problem{"the RA encryption certificate does not chain to the CA " + ca_name + ": " + e, true});
  if (auto e = verify_against_ca(out.ca.get(), out.root.get()); !e.empty())
    return fail(ra_problem{"the CA " + ca_name + " does not chain to the root: " + e, true});
  return out;
}

result<ca_cert_chain, ra_problem> read_ca_cert_chain(byte_view der) {
  auto certificates = signed_certificates_of(der, nullptr);
  if (!certificates) return fail(ra_problem{"GetCACertChain is not a SignedData with certificates: " + certificates.error()});
  auto chain = identify_ra_certificates(std::move(*certificates));
  if (!chain) return chain;
  // Signed by the RA signing certificate it holds.
  if (auto verified = signed_certificates_of(der, chain->signing.get()); !verified)
    return fail(ra_problem{"GetCACertChain is not signed by its RA signing certificate: " + verified.error(), true});
  return chain;
}

}  // namespace aikmock::client
