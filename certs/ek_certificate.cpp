#include "certs/ek_certificate.hpp"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "certs/ek_ca_identity.hpp"
#include "certs/ek_profile_check.hpp"
#include "certs/ek_san.hpp"

namespace aikmock::certs {

namespace {

ek_certificate_result failure(std::string text) {
  ek_certificate_result r;
  r.error = std::move(text);
  return r;
}

std::optional<std::chrono::sys_seconds> to_sys_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                            day{static_cast<unsigned>(tm.tm_mday)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

std::string serial_text(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (!bn) return {};
  std::string out;
  if (char* hex = BN_bn2hex(bn)) {
    out = hex;
    OPENSSL_free(hex);
  }
  BN_free(bn);
  return out;
}

void set_signature_names(X509* cert, ek_certificate& ek) {
  const int sig = X509_get_signature_nid(cert);
  if (const char* ln = OBJ_nid2ln(sig)) ek.signature_algorithm = ln;
  int md = NID_undef;
  if (OBJ_find_sigid_algs(sig, &md, nullptr) == 1 && md != NID_undef)
    if (const char* sn = OBJ_nid2sn(md)) ek.signature_hash = sn;
}

}  // namespace

ek_certificate_result parse_ek_certificate(byte_view input) noexcept try {
  auto located = locate_ek_certificate(input);
  if (!located.value) return failure(located.error);

  ek_certificate ek;
  ek.der = std::move(located.value->der);
  const unsigned char* p = ek.der.data();
  ek.x509.reset(d2i_X509(nullptr, &p, static_cast<long>(ek.der.size())));
  if (!ek.x509) return failure("not an X.509 certificate: " + openssl_errors());
  if (p != ek.der.data() + ek.der.size()) return failure("the certificate does not fill its outer SEQUENCE");
  X509* cert = ek.x509.get();

  auto key = read_ek_public_key(cert);
  if (!key.value) return failure(key.error);
  ek.public_key = std::move(key.value->key);
  ek.key = key.value->info;

  auto not_before = to_sys_seconds(X509_get0_notBefore(cert));
  auto not_after = to_sys_seconds(X509_get0_notAfter(cert));
  if (!not_before || !not_after) return failure("unreadable validity period");
  ek.not_before = *not_before;
  ek.not_after = *not_after;

  const ek_san san = read_ek_san(cert);
  ek.tpm = san.tpm;
  ek.subject = name_text(X509_get_subject_name(cert));
  ek.issuer = name_text(X509_get_issuer_name(cert));
  ek.serial_hex = serial_text(cert);
  set_signature_names(cert, ek);
  if (const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert))
    ek.authority_key_id.assign(aki->data, aki->data + aki->length);

  ek.findings = std::move(located.value->findings);
  for (auto& f : check_ek_profile(cert, ek.der, ek.key, san)) ek.findings.push_back(std::move(f));
  openssl_errors();  // leave no stale errors behind for the caller's next OpenSSL call

  ek_certificate_result r;
  r.value = std::move(ek);
  return r;
} catch (const std::exception& e) {
  openssl_errors();
  return failure(std::string("EK certificate intake failed: ") + e.what());
}

}  // namespace aikmock::certs
