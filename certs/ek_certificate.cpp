#include "certs/ek_certificate.hpp"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "certs/ek_ca_identity.hpp"
#include "certs/ek_profile_check.hpp"
#include "certs/ek_san.hpp"

namespace aikmock::certs {

namespace {

std::optional<std::chrono::sys_seconds> to_sys_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                            day{static_cast<unsigned>(tm.tm_mday)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

void set_signature_names(X509* cert, ek_certificate& ek) {
  const int sig = X509_get_signature_nid(cert);
  if (const char* ln = OBJ_nid2ln(sig)) ek.signature_algorithm = ln;
  int md = NID_undef;
  if (OBJ_find_sigid_algs(sig, &md, nullptr) == 1 && md != NID_undef)
    if (const char* sn = OBJ_nid2sn(md)) ek.signature_hash = sn;
}

}  // namespace

result<ek_certificate> parse_ek_certificate(byte_view input) noexcept try {
  auto located = locate_ek_certificate(input);
  if (!located) return fail(located.error());

  ek_certificate ek;
  ek.der = std::move(located->der);
  const unsigned char* p = ek.der.data();
  ek.x509.reset(d2i_X509(nullptr, &p, static_cast<long>(ek.der.size())));
  if (!ek.x509) return fail("not an X.509 certificate: " + openssl_errors());
  if (p != ek.der.data() + ek.der.size()) return fail("the certificate does not fill its outer SEQUENCE");
  X509* cert = ek.x509.get();

  auto key = read_ek_public_key(cert);
  if (!key) return fail(key.error());
  ek.public_key = std::move(key->key);
  ek.key = key->info;

  auto not_before = to_sys_seconds(X509_get0_notBefore(cert));
  auto not_after = to_sys_seconds(X509_get0_notAfter(cert));
  if (!not_before || !not_after) return fail("unreadable validity period");
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

  ek.findings = std::move(located->findings);
  for (auto& f : check_ek_profile(cert, ek.der, ek.key, san)) ek.findings.push_back(std::move(f));
  openssl_errors();  // leave no stale errors behind for the caller's next OpenSSL call
  return ek;
} catch (const std::exception& e) {
  openssl_errors();
  return fail(std::string("EK certificate intake failed: ") + e.what());
}

}  // namespace aikmock::certs
