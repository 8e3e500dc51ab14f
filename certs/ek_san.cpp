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
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_DIRNAME) continue;
    san.has_directory_name = true;
    const X509_NAME* dir = gn->d.directoryName;
    if (san.tpm.manufacturer.empty()) san.tpm.manufacturer = attribute(dir, oids::tpm_manufacturer);
    if (san.tpm.model.empty()) san.tpm.model = attribute(dir, oids::tpm_model);
    if (san.tpm.version.empty()) san.tpm.version = attribute(dir, oids::tpm_version);
  }
  return san;
} catch (const std::exception&) {
  openssl_errors();
  return {};
}

}  // namespace aikmock::certs
