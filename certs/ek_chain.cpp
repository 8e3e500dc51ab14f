#include "certs/ek_chain.hpp"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace aikmock::certs {

namespace {

using x509_store_ptr = std::unique_ptr<X509_STORE, openssl_deleter<X509_STORE_free>>;
using x509_store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, openssl_deleter<X509_STORE_CTX_free>>;
using authority_keyid_ptr = std::unique_ptr<AUTHORITY_KEYID, openssl_deleter<AUTHORITY_KEYID_free>>;

// A pair (subject, issuer) accepted despite an AKI issuer/serial mismatch.
struct tolerated_link {
  x509_ptr subject;
  x509_ptr issuer;
};

std::string display_name(X509* cert) {
  std::string s = name_text(X509_get_subject_name(cert));
  return s.empty() ? "EK certificate (empty subject)" : s;
}

// What an AKI says about the issuer beyond its keyIdentifier.
struct akid_names {
  std::string issuer;  // authorityCertIssuer directoryName; empty when absent
  std::string serial;  // authorityCertSerialNumber; empty when absent
};

// The AKI of `subject` against `issuer`, as X509_check_akid judges it.
int akid_relation(X509* issuer, X509* subject, akid_names* named) {
  authority_keyid_ptr akid(
      static_cast<AUTHORITY_KEYID*>(X509_get_ext_d2i(subject, NID_authority_key_identifier, nullptr, nullptr)));
  openssl_errors();
  if (!akid) return X509_V_OK;
  if (named) {
    if (akid->serial) named->serial = serial_text(akid->serial);
    for (int i = 0; akid->issuer && i < sk_GENERAL_NAME_num(akid->issuer); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(akid->issuer, i);
      if (gn->type == GEN_DIRNAME) named->issuer = name_text(gn->d.directoryName);
    }
  }
  return X509_check_akid(issuer, akid.get());
}

bool signature_verifies(X509* subject, X509* issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  const bool ok = key && X509_verify(subject, key) == 1;
  openssl_errors();
  return ok;
}

// The signature algorithm of `subject` is one `issuer`'s key can make (as
// OpenSSL's own issuer check requires), so an ECC CA is never tried for an RSA
// signature when two CAs share a name.
bool key_fits_signature(X509* subject, X509* issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  int pknid = NID_undef;
  if (!key || OBJ_find_sigid_algs(X509_get_signature_nid(subject), nullptr, &pknid) != 1) {
    openssl_errors();
    return false;
  }
  const int type = EVP_PKEY_get_base_id(key);
  return pknid == type || (pknid == EVP_PKEY_RSA_PSS && type == EVP_PKEY_RSA);
}

// Whether `issuer` issued `subject`: OpenSSL's rule (names, AKI against SKI and
// serial, key type), except that an AKI issuer/serial mismatch is forgiven
// when the issuer's key verifies the signature. Records what it forgave.
bool issued_by(X509* issuer, X509* subject, std::vector<tolerated_link>* tolerated) {
  if (X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(subject)) != 0) return false;
  const int akid = akid_relation(issuer, subject, nullptr);
  if (akid != X509_V_OK) {
    if (akid != X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH || !signature_verifies(subject, issuer)) return false;
    if (tolerated) tolerated->push_back({share(subject), share(issuer)});
  }
  return true;
}

int tolerant_check_issued(X509_STORE_CTX* ctx, X509* subject, X509* issuer) {
  auto* tolerated = static_cast<std::vector<tolerated_link>*>(X509_STORE_CTX_get_app_data(ctx));
  try {
    return issued_by(issuer, subject, tolerated) && key_fits_signature(subject, issuer) ? 1 : 0;
  } catch (...) {
    return 0;  // never let an exception cross OpenSSL's C frames
  }
}

ek_chain_failure classify(int error) {
  switch (error) {
    case X509_V_OK: return ek_chain_failure::none;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED: return ek_chain_failure::unknown_issuer;
    case X509_V_ERR_CERT_HAS_EXPIRED: return ek_chain_failure::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return ek_chain_failure::not_yet_valid;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: return ek_chain_failure::bad_signature;
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: return ek_chain_failure::unhandled_critical_extension;
    default: return ek_chain_failure::other;
  }
}

std::string describe_failure(const std::string& what, int depth, X509* cert) {
  std::string out = what + " (depth " + std::to_string(depth);
  if (cert) out += ": " + display_name(cert);
  return out + ")";
}

time_t check_time(const ek_chain_options& options) {
  if (options.now) return static_cast<time_t>(options.now->time_since_epoch().count());
  return std::time(nullptr);
}

// OpenSSL's verdict on `target`, plus the chain it built.
struct openssl_verdict {
  int error = X509_V_OK;
  int depth = -1;
  x509_ptr error_cert;
  std::vector<x509_ptr> chain;
  std::vector<tolerated_link> tolerated;
};

class verifier {
 public:
  verifier(const trust_store& store, std::span<X509* const> client, const ek_chain_options& options)
      : store_(openssl_check_ptr(X509_STORE_new(), "X509_STORE_new")),
        untrusted_(openssl_check_ptr(sk_X509_new_null(), "sk_X509_new_null")),
        options_(options) {
    for (const auto& a : store.anchors()) openssl_check(X509_STORE_add_cert(store_.get(), a.cert.get()) == 1, "X509_STORE_add_cert");
    X509_STORE_set_check_issued(store_.get(), tolerant_check_issued);
    // Published intermediates first: among equally good issuers OpenSSL takes the first.
    for (const auto& i : store.intermediates()) push_untrusted(i.cert.get());
    for (X509* c : client)
      if (c) push_untrusted(c);
  }

  openssl_verdict verify(X509* target) const {
    openssl_verdict v;
    x509_store_ctx_ptr ctx(openssl_check_ptr(X509_STORE_CTX_new(), "X509_STORE_CTX_new"));
    openssl_check(X509_STORE_CTX_init(ctx.get(), store_.get(), target, untrusted_.get()) == 1, "X509_STORE_CTX_init");
    X509_STORE_CTX_set_app_data(ctx.get(), &v.tolerated);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (options_.now) X509_VERIFY_PARAM_set_time(param, check_time(options_));
    if (options_.ignore_unknown_critical_extensions) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_IGNORE_CRITICAL);

    const int rc = X509_verify_cert(ctx.get());
    v.error = X509_STORE_CTX_get_error(ctx.get());
    if (rc != 1 && v.error == X509_V_OK) v.error = X509_V_ERR_UNSPECIFIED;
    v.depth = rc == 1 ? -1 : X509_STORE_CTX_get_error_depth(ctx.get());
    if (X509* c = X509_STORE_CTX_get_current_cert(ctx.get()); c && rc != 1) v.error_cert = share(c);
    if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get()))
      for (int i = 0; i < sk_X509_num(chain); ++i) v.chain.push_back(share(sk_X509_value(chain, i)));
    openssl_errors();
    return v;
  }

  // Every certificate that could have issued `subject`: the anchors, the
  // published intermediates and the client's, in that order.
  std::vector<X509*> issuer_candidates(X509* subject) const {
    std::vector<X509*> out;
    auto consider = [&](X509* c) {
      if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(subject)) == 0) out.push_back(c);
    };
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store_.get());
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i)
      if (X509* c = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) consider(c);
    for (int i = 0; i < sk_X509_num(untrusted_.get()); ++i) consider(sk_X509_value(untrusted_.get(), i));
    return out;
  }

  time_t now() const { return check_time(options_); }
  const ek_chain_options& options() const { return options_; }

 private:
  void push_untrusted(X509* c) {
    x509_ptr ref = share(c);
    openssl_check(sk_X509_push(untrusted_.get(), ref.get()) > 0, "sk_X509_push");
    ref.release();
  }

  x509_store_ptr store_;
  x509_stack_ptr untrusted_;
  const ek_chain_options& options_;
};

bool same(X509* a, X509* b) { return a == b || X509_cmp(a, b) == 0; }

// Findings for the links of `chain` that were accepted despite an AKI mismatch.
void report_tolerated(const std::vector<x509_ptr>& chain, const std::vector<tolerated_link>& tolerated,
                      std::vector<ek_finding>& out) {
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    X509* subject = chain[i].get();
    X509* issuer = chain[i + 1].get();
    for (const auto& t : tolerated) {
      if (!same(t.subject.get(), subject) || !same(t.issuer.get(), issuer)) continue;
      akid_names named;
      akid_relation(issuer, subject, &named);
      out.push_back({ek_finding_kind::aki_issuer_serial_mismatch,
                     display_name(subject) + ": authorityKeyIdentifier names " +
                         (named.issuer.empty() ? std::string("no issuer") : named.issuer) + " serial " +
                         (named.serial.empty() ? std::string("(none)") : named.serial) + ", the issuer found is " +
                         display_name(issuer) + " serial " + serial_text(issuer) +
                         "; accepted because its key verifies the signature"});
      break;
    }
  }
}

void finish_success(ek_chain_result& r, const std::vector<x509_ptr>& chain, const trust_store& store) {
  r.failure = ek_chain_failure::none;
  r.reason.clear();
  r.error_depth = -1;
  if (chain.size() < 2) return;
  ek_issuing_ca ca;
  ca.cert = share(chain[1].get());
  ca.identity = ca_identity_of(ca.cert.get());
  if (const trust_certificate* t = store.find(ca.cert.get())) ca.vendor = t->vendor;
  r.issuing_ca = std::move(ca);
}

void set_chain(ek_chain_result& r, const std::vector<x509_ptr>& chain) {
  r.chain.clear();
  for (const auto& c : chain) r.chain.push_back(name_text(X509_get_subject_name(c.get())));
}

ek_chain_result from_openssl(const openssl_verdict& v, const trust_store& store) {
  ek_chain_result r;
  set_chain(r, v.chain);
  report_tolerated(v.chain, v.tolerated, r.findings);
  r.failure = classify(v.error);
  if (r.ok()) {
    finish_success(r, v.chain, store);
  } else {
    r.error_depth = v.depth;
    r.reason = describe_failure(X509_verify_cert_error_string(v.error), v.depth, v.error_cert.get());
  }
  return r;
}

ek_chain_result failed(ek_chain_failure kind, std::string reason, int depth) {
  ek_chain_result r;
  r.failure = kind;
  r.reason = std::move(reason);
  r.error_depth = depth;
  return r;
}

// The leaf's own checks OpenSSL would have made had it been able to read the
// leaf's key: unknown critical extensions, then the validity period.
std::optional<ek_chain_result> check_leaf_by_hand(X509* leaf, const verifier& v) {
  if (!v.options().ignore_unknown_critical_extensions && (X509_get_extension_flags(leaf) & EXFLAG_CRITICAL))
    return failed(ek_chain_failure::unhandled_critical_extension,
                  describe_failure("unhandled critical extension", 0, leaf), 0);
  time_t now = v.now();
  const int starts = X509_cmp_time(X509_get0_notBefore(leaf), &now);
  const int ends = X509_cmp_time(X509_get0_notAfter(leaf), &now);
  if (starts == 0 || ends == 0)
    return failed(ek_chain_failure::other, describe_failure("unreadable validity period", 0, leaf), 0);
  if (starts > 0) return failed(ek_chain_failure::not_yet_valid, describe_failure("certificate is not yet valid", 0, leaf), 0);
  if (ends < 0) return failed(ek_chain_failure::expired, describe_failure("certificate has expired", 0, leaf), 0);
  return std::nullopt;
}

// An EK whose key OpenSSL cannot decode (id-RSAES-OAEP): its signature is
// verified here with each candidate issuer's key, then OpenSSL verifies the
// issuer's own chain.
ek_chain_result validate_undecodable_leaf(X509* leaf, const verifier& v, const trust_store& store) {
  const auto candidates = v.issuer_candidates(leaf);
  if (candidates.empty())
    return failed(ek_chain_failure::unknown_issuer,
                  describe_failure("no CA named " + name_text(X509_get_issuer_name(leaf)), 0, leaf), 0);

  std::optional<ek_chain_result> first_failure;
  for (X509* issuer : candidates) {
    std::vector<tolerated_link> tolerated;
    const int akid = akid_relation(issuer, leaf, nullptr);
    if (akid == X509_V_ERR_AKID_SKID_MISMATCH) continue;  // another key under the same name
    if (!signature_verifies(leaf, issuer)) {
      if (!first_failure)
        first_failure = failed(ek_chain_failure::bad_signature,
                               describe_failure("certificate signature failure", 0, leaf), 0);
      continue;
    }
    if (akid == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) tolerated.push_back({share(leaf), share(issuer)});

    ek_chain_result r;
    if (X509_check_ca(issuer) == 0) {
      r = failed(ek_chain_failure::other, describe_failure("issuer is not a CA", 1, issuer), 1);
    } else {
      openssl_verdict upper = v.verify(issuer);
      upper.chain.insert(upper.chain.begin(), share(leaf));
      for (auto& t : tolerated) upper.tolerated.push_back(std::move(t));
      if (upper.depth >= 0) ++upper.depth;
      r = from_openssl(upper, store);
      if (r.ok()) {
        if (auto leaf_failure = check_leaf_by_hand(leaf, v)) {
          leaf_failure->chain = std::move(r.chain);
          leaf_failure->findings = std::move(r.findings);
          r = std::move(*leaf_failure);
        }
      }
    }
    if (r.ok()) return r;
    // A failure higher up (or at the leaf's dates) says more than a wrong-key candidate.
    if (!first_failure || first_failure->failure == ek_chain_failure::bad_signature) first_failure = std::move(r);
  }
  if (!first_failure)
    return failed(ek_chain_failure::unknown_issuer,
                  describe_failure("no CA with the key named by the authorityKeyIdentifier", 0, leaf), 0);
  return std::move(*first_failure);
}

}  // namespace

std::string_view to_string(ek_chain_failure failure) noexcept {
  switch (failure) {
    case ek_chain_failure::none: return "ok";
    case ek_chain_failure::unknown_issuer: return "unknown-issuer";
    case ek_chain_failure::expired: return "expired";
    case ek_chain_failure::not_yet_valid: return "not-yet-valid";
    case ek_chain_failure::bad_signature: return "bad-signature";
    case ek_chain_failure::unhandled_critical_extension: return "unhandled-critical-extension";
    case ek_chain_failure::other: return "other";
  }
  return "other";
}

ek_chain_result validate_ek_chain(const ek_certificate& ek, const trust_store& store,
                                  std::span<X509* const> client_intermediates, const ek_chain_options& options) {
  verifier v(store, client_intermediates, options);
  X509* leaf = ek.x509.get();
  const bool key_readable = X509_get0_pubkey(leaf) != nullptr;
  openssl_errors();
  ek_chain_result r = key_readable ? from_openssl(v.verify(leaf), store) : validate_undecodable_leaf(leaf, v, store);
  openssl_errors();
  return r;
}

}  // namespace aikmock::certs
