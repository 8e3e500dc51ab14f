#include "certs/ek_san.hpp"

#include <openssl/x509v3.h>

#include "certs/oids.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

namespace {

std::string attribute_text(const X509_NAME_ENTRY* entry) {
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0) {
    openssl_errors();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

// The value of the first attribute `oid` anywhere in `name` (any RDN, any position).
std::string attribute(const X509_NAME* name, const char* oid) {
  asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  if (!obj) return {};
  const int index = X509_NAME_get_index_by_OBJ(name, obj.get(), -1);
  return index < 0 ? std::string() : attribute_text(X509_NAME_get_entry(name, index));
}

}  // namespace

ek_san read_ek_san(X509* cert) noexcept try {
  ek_san san;
  const int index = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1);
  if (index < 0) return san;
  san.present = true;
  san.critical = X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;

  general_names_ptr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  openssl_errors();
  if (!names) return san;
  san.decodable = true;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i)
    san.has_directory_name = san.has_directory_name || sk_GENERAL_NAME_value(names.get(), i)->type == GEN_DIRNAME;
  if (auto tpm = tpm_identity_of(names.get())) san.tpm = *tpm;
  return san;
} catch (const std::exception&) {
  openssl_errors();
  return {};
}

std::optional<tpm_identity> tpm_identity_of(const GENERAL_NAMES* names) {
  std::optional<tpm_identity> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_DIRNAME) continue;
    if (!out) out.emplace();
    const X509_NAME* dir = gn->d.directoryName;
    if (out->manufacturer.empty()) out->manufacturer = attribute(dir, oids::tpm_manufacturer);
    if (out->model.empty()) out->model = attribute(dir, oids::tpm_model);
    if (out->version.empty()) out->version = attribute(dir, oids::tpm_version);
  }
  return out;
}

}  // namespace aikmock::certs
