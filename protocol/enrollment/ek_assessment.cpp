#include "protocol/enrollment/ek_assessment.hpp"

#include <openssl/sha.h>

#include "certs/der_io.hpp"
#include "certs/ek_certificate.hpp"
#include "certs/ek_key_check.hpp"
#include "certs/roca.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "tpm/ek_template.hpp"

namespace aikmock::protocol::enrollment {

namespace {

evp_pkey_ptr key_from_spki(const bytes& der) {
  const unsigned char* p = der.data();
  evp_pkey_ptr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  openssl_errors();
  return key;
}

// The template a TPM would have used for an EK with this key, when the client
// did not send its EK public: the one its key type and size select (as IBM's
// ACS and tpm2-tools do). Only nameAlg and symmetric matter to MakeCredential,
// and those the key size determines.
const tpm::ek_template* template_for(const certs::ek_key_info& key) {
  if (key.algorithm == certs::ek_key_algorithm::rsa) {
    switch (key.bits) {
      case 2048: return tpm::find_ek_template("L-1");
      case 3072: return tpm::find_ek_template("H-6");
      case 4096: return tpm::find_ek_template("H-7");
      default: return nullptr;
    }
  }
  if (key.curve == "P-256") return tpm::find_ek_template("L-2");
  if (key.curve == "P-384") return tpm::find_ek_template("H-3");
  if (key.curve == "P-521") return tpm::find_ek_template("H-4");
  return nullptr;
}

std::string sha256_hex(const bytes& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  return to_hex(byte_view(digest, sizeof digest));
}

}  // namespace

result<ek_assessment> assess_ek(const evidence& ev, const certs::trust_store& trust, const certs::authority* authority,
                                const certs::ek_chain_options& chain_options) {
  // The EK certificate: without one there is nothing to trust.
  if (!ev.ek_certificate)
    return fail(ev.ek_certificate_error.empty() ? "the request carries no EK certificate" : ev.ek_certificate_error);
  auto ek = certs::parse_ek_certificate(*ev.ek_certificate);
  if (!ek) return fail("EK certificate: " + ek.error());
  const certs::ek_certificate& cert = *ek;

  std::vector<x509_ptr> helpers;
  std::vector<X509*> helper_ptrs;
  for (const auto& der : ev.ek_intermediates) {
    auto parsed = certs::parse_ek_certificate(der);
    if (parsed && parsed->x509) {
      helper_ptrs.push_back(parsed->x509.get());
      helpers.push_back(std::move(parsed->x509));
    }
  }
  auto chain = certs::validate_ek_chain(cert, trust, helper_ptrs, chain_options);

  ek_assessment out;
  // The EK public MakeCredential is computed from.
  std::string template_id;
  if (ev.ek_public_area) {
    auto parsed = tpm::parse_public2b(*ev.ek_public_area);
    if (!parsed) return fail("EK public: " + parsed.error());
    auto check = certs::check_ek_key(cert, *parsed);
    if (!check.key_matches) return fail("the EK public is not the EK certificate's key: " + check.reason);
    template_id = std::string(check.classification.label());
    out.ek_public = *parsed;
  } else {
    const tpm::ek_template* t = template_for(cert.key);
    if (!t) return fail("no EK template has this certificate's key type and size");
    try {
      out.ek_public = tpm::ek_public_from_key(*t, cert.public_key.get());
    } catch (const std::exception& e) {
      return fail(std::string("EK public: ") + e.what());
    }
    template_id = std::string(t->id);
  }
  if (ev.ek_public_key) {
    auto claimed = key_from_spki(*ev.ek_public_key);
    if (!claimed || EVP_PKEY_eq(claimed.get(), cert.public_key.get()) != 1)
      return fail("the EK key sent is not the EK certificate's key");
  }

  // What the policy decides on.
  policy::ek_facts& e = out.facts;
  e.manufacturer = cert.tpm.manufacturer;
  e.model = cert.tpm.model;
  e.firmware = cert.tpm.version;
  e.tpl = template_id;
  e.key_type = cert.key.algorithm == certs::ek_key_algorithm::rsa ? "rsa" : "ecc";
  e.key_bits = cert.key.bits;
  e.signature_hash = to_lower(cert.signature_hash);
  e.issuer_key_id = chain.issuing_ca ? chain.issuing_ca->identity.key_id : to_hex(cert.authority_key_id);
  e.device = sha256_hex(certs::public_key_der(cert.public_key.get()));
  for (const auto& f : cert.findings) e.findings.emplace_back(certs::to_string(f.kind));
  for (const auto& f : chain.findings) e.findings.emplace_back(certs::to_string(f.kind));
  e.chain_valid = chain.ok();
  e.chain_failure = chain.ok() ? "" : std::string(certs::to_string(chain.failure)) + ": " + chain.reason;
  // A valid chain to another vendor CA is not this authority's EK (Windows picks the
  // authority from the EK certificate's issuer).
  if (authority && chain.ok() && chain.issuing_ca && !iequals(chain.issuing_ca->identity.key_id, authority->key_id)) {
    e.chain_valid = false;
    e.chain_failure = "issued by " + chain.issuing_ca->identity.key_id + ", not by this authority's CA " +
                      authority->key_id;
  }
  if (cert.key.algorithm == certs::ek_key_algorithm::rsa) {
    BIGNUM* n = nullptr;
    if (EVP_PKEY_get_bn_param(cert.public_key.get(), "n", &n) == 1) e.roca_vulnerable = certs::has_roca_fingerprint(n);
    BN_free(n);
  }
  out.tpm = cert.tpm;
  return out;
}

}  // namespace aikmock::protocol::enrollment
