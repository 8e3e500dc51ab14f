#include "certs/ek_profile_check.hpp"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "certs/der.hpp"
#include "certs/ek_der_reader.hpp"
#include "certs/oids.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

namespace {

constexpr const char* oid_basic_constraints = "2.5.29.19";
constexpr const char* oid_subject_directory_attributes = "2.5.29.9";
constexpr const char* oid_rsaes_oaep = "1.2.840.113549.1.1.7";
constexpr const char* oid_mgf1 = "1.2.840.113549.1.1.8";
constexpr const char* oid_sha1 = "1.3.14.3.2.26";

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[96] = {};
  OBJ_obj2txt(buf, sizeof buf, obj, 1);
  const int nid = OBJ_obj2nid(obj);
  const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  return sn ? std::string(sn) + " (" + buf + ")" : std::string(buf);
}

bool is_oid(const der_tlv& tlv, const char* dotted) {
  const bytes expected = der::oid(dotted);
  return std::equal(tlv.encoding.begin(), tlv.encoding.end(), expected.begin(), expected.end());
}

bool is_false(const der_tlv& tlv) {
  static constexpr std::uint8_t zero[] = {0x00};
  return der_equals(tlv, der_tag::boolean, zero);
}

// The single TLV making up `content`, if it is one.
std::optional<der_tlv> only_child(byte_view content) {
  auto children = read_der_children(content);
  if (!children || children->size() != 1) return std::nullopt;
  return children->front();
}

std::optional<std::vector<der_tlv>> children_of(const std::optional<der_tlv>& tlv) {
  if (!tlv) return std::nullopt;
  return read_der_children(tlv->content);
}

void check_extension_defaults(const der_tlv& extension, std::vector<ek_finding>& out) {
  auto fields = read_der_children(extension.content);
  if (!fields || fields->size() < 2 || (*fields)[0].tag != der_tag::oid) return;
  const der_tlv& oid = (*fields)[0];
  std::string name = "extension";
  {
    const unsigned char* p = oid.encoding.data();
    asn1_object_ptr obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid.encoding.size())));
    openssl_errors();
    if (obj) name = oid_text(obj.get());
  }
  if (fields->size() == 3 && is_false((*fields)[1]))
    out.push_back({ek_finding_kind::explicit_default_encoding, name + " encodes critical FALSE"});
  if (is_oid(oid, oid_basic_constraints) && fields->back().tag == der_tag::octet_string) {
    auto value = only_child(fields->back().content);
    auto members = children_of(value);
    if (value && value->tag == der_tag::sequence && members && !members->empty() && is_false(members->front()))
      out.push_back({ek_finding_kind::explicit_default_encoding, "basicConstraints encodes cA FALSE"});
  }
}

// RSAES-OAEP-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1,
//   maskGenAlgorithm [1] DEFAULT mgf1SHA1, pSourceAlgorithm [2] DEFAULT pSpecifiedEmpty }
void check_oaep_defaults(const der_tlv& algorithm_identifier, std::vector<ek_finding>& out) {
  auto fields = read_der_children(algorithm_identifier.content);
  if (!fields || fields->size() != 2 || !is_oid((*fields)[0], oid_rsaes_oaep)) return;
  auto params = read_der_children((*fields)[1].content);
  if ((*fields)[1].tag != der_tag::sequence || !params) return;
  for (const auto& p : *params) {
    auto inner = children_of(only_child(p.content));
    if (!inner || inner->empty()) continue;
    if (p.tag == der_tag::context(0) && is_oid(inner->front(), oid_sha1)) {
      out.push_back({ek_finding_kind::explicit_default_encoding, "id-RSAES-OAEP parameters encode the default hash SHA-1"});
    } else if (p.tag == der_tag::context(1) && inner->size() == 2 && is_oid(inner->front(), oid_mgf1)) {
      auto mgf_hash = read_der_children((*inner)[1].content);
      if (mgf_hash && !mgf_hash->empty() && is_oid(mgf_hash->front(), oid_sha1))
        out.push_back({ek_finding_kind::explicit_default_encoding,
                       "id-RSAES-OAEP parameters encode the default mask generation MGF1-SHA-1"});
    } else if (p.tag == der_tag::context(2) && inner->size() == 2 && inner->back().tag == der_tag::octet_string &&
               inner->back().content.empty()) {
      out.push_back({ek_finding_kind::explicit_default_encoding, "id-RSAES-OAEP parameters encode the default empty label"});
    }
  }
}

X509_EXTENSION* extension_by_nid(X509* cert, int nid) {
  const int i = X509_get_ext_by_NID(cert, nid, -1);
  return i < 0 ? nullptr : X509_get_ext(cert, i);
}

bool has_tpm_specification(X509* cert) {
  asn1_object_ptr sda_oid(OBJ_txt2obj(oid_subject_directory_attributes, 1));
  const int i = X509_get_ext_by_OBJ(cert, sda_oid.get(), -1);
  if (i < 0) return false;
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(cert, i));
  auto attributes = children_of(only_child(byte_view(value->data, static_cast<std::size_t>(value->length))));
  if (!attributes) return false;
  return std::any_of(attributes->begin(), attributes->end(), [](const der_tlv& attribute) {
    auto fields = read_der_children(attribute.content);
    return fields && !fields->empty() && is_oid(fields->front(), oids::tpm_specification);
  });
}

bool has_ek_eku(X509* cert) {
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  openssl_errors();
  if (!eku) return false;
  asn1_object_ptr ek_oid(OBJ_txt2obj(oids::kp_ek_certificate, 1));
  bool found = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i)
    found = found || OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), ek_oid.get()) == 0;
  EXTENDED_KEY_USAGE_free(eku);
  return found;
}

std::string key_usage_text(std::uint32_t ku) {
  static constexpr std::pair<std::uint32_t, const char*> bits[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},                   {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"}};
  std::string out;
  for (const auto& [bit, name] : bits) {
    if (!(ku & bit)) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out.empty() ? "no bits" : out;
}

void check_key_usage(X509* cert, const ek_key_info& key, std::vector<ek_finding>& out) {
  X509_EXTENSION* ext = extension_by_nid(cert, NID_key_usage);
  if (!ext) {
    out.push_back({ek_finding_kind::missing_key_usage, "no keyUsage extension"});
    return;
  }
  if (X509_EXTENSION_get_critical(ext) != 1)
    out.push_back({ek_finding_kind::key_usage_not_critical, "keyUsage is not critical"});
  const std::uint32_t ku = X509_get_key_usage(cert);
  const std::string has = "keyUsage is " + key_usage_text(ku);
  if (key.algorithm == ek_key_algorithm::rsa && !(ku & KU_KEY_ENCIPHERMENT))
    out.push_back({ek_finding_kind::rsa_key_usage_mismatch, "RSA EK without keyEncipherment: " + has});
  if (key.algorithm == ek_key_algorithm::ecc && !(ku & KU_KEY_AGREEMENT)) {
    const bool instead = ku & KU_KEY_ENCIPHERMENT;
    out.push_back({ek_finding_kind::ecc_key_usage_mismatch,
                   std::string("ECC EK without keyAgreement") + (instead ? " (keyEncipherment instead)" : "") + ": " + has});
  }
}

void check_basic_constraints(X509* cert, std::vector<ek_finding>& out) {
  X509_EXTENSION* ext = extension_by_nid(cert, NID_basic_constraints);
  if (!ext) {
    out.push_back({ek_finding_kind::missing_basic_constraints, "no basicConstraints extension"});
    return;
  }
  if (X509_EXTENSION_get_critical(ext) != 1)
    out.push_back({ek_finding_kind::basic_constraints_not_critical, "basicConstraints is not critical"});
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext));
  openssl_errors();
  if (bc && bc->ca) out.push_back({ek_finding_kind::basic_constraints_ca, "basicConstraints says cA TRUE"});
  BASIC_CONSTRAINTS_free(bc);
}

// Extensions the profile wants non-critical; a critical one is still handled by OpenSSL.
bool should_not_be_critical(int nid) {
  switch (nid) {
    case NID_authority_key_identifier:
    case NID_subject_key_identifier:
    case NID_certificate_policies:
    case NID_ext_key_usage:
    case NID_crl_distribution_points:
    case NID_info_access: return true;
    default: return false;
  }
}

void check_criticality(X509* cert, std::vector<ek_finding>& out) {
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (X509_EXTENSION_get_critical(ext) != 1) continue;
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(ext);
    if (!X509_supported_extension(ext))
      out.push_back({ek_finding_kind::unknown_critical_extension, oid_text(obj) + " is critical and not understood"});
    else if (should_not_be_critical(OBJ_obj2nid(obj)))
      out.push_back({ek_finding_kind::extension_should_not_be_critical, oid_text(obj) + " is critical"});
  }
}

void check_san(X509* cert, const ek_san& san, std::vector<ek_finding>& out) {
  const bool empty_subject = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0;
  if (!san.present) {
    out.push_back({ek_finding_kind::missing_san, "no subjectAltName extension"});
  } else if (!san.decodable) {
    out.push_back({ek_finding_kind::missing_san, "subjectAltName cannot be decoded"});
  } else if (!san.has_directory_name) {
    out.push_back({ek_finding_kind::missing_san, "subjectAltName without a directoryName"});
  }
  if (san.present && empty_subject && !san.critical)
    out.push_back({ek_finding_kind::san_not_critical, "subject is empty and subjectAltName is not critical"});
  if (san.tpm.manufacturer.empty())
    out.push_back({ek_finding_kind::missing_tpm_manufacturer, "no tcg-at-tpmManufacturer in the subjectAltName"});
  if (san.tpm.model.empty())
    out.push_back({ek_finding_kind::missing_tpm_model, "no tcg-at-tpmModel in the subjectAltName"});
  if (san.tpm.version.empty())
    out.push_back({ek_finding_kind::missing_tpm_version, "no tcg-at-tpmVersion in the subjectAltName"});
}

void check_fields(X509* cert, std::vector<ek_finding>& out) {
  if (X509_get_version(cert) != X509_VERSION_3)
    out.push_back({ek_finding_kind::not_v3, "version " + std::to_string(X509_get_version(cert) + 1)});

  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  openssl_errors();
  if (serial && (BN_is_negative(serial) || BN_is_zero(serial)))
    out.push_back({ek_finding_kind::negative_serial, BN_is_zero(serial) ? "serialNumber is zero" : "serialNumber is negative"});
  BN_free(serial);

  if (X509_NAME_entry_count(X509_get_issuer_name(cert)) == 0)
    out.push_back({ek_finding_kind::empty_issuer, "issuer is empty"});
  if (X509_NAME_entry_count(X509_get_subject_name(cert)) != 0)
    out.push_back({ek_finding_kind::non_empty_subject, "subject is not empty"});

  int md = NID_undef;
  if (OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md, nullptr) == 1 && md == NID_sha1)
    out.push_back({ek_finding_kind::sha1_signature, "signed with SHA-1"});
}

}  // namespace

std::vector<ek_finding> find_explicit_defaults(byte_view der) {
  std::vector<ek_finding> out;
  auto certificate = read_der_children(read_der_tlv(der).value_or(der_tlv{}).content);
  if (!certificate || certificate->empty()) return out;
  auto tbs = read_der_children(certificate->front().content);
  if (!tbs) return out;
  const std::size_t first = !tbs->empty() && tbs->front().tag == der_tag::context(0) ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  if (tbs->size() > first + 5) {
    auto spki = read_der_children((*tbs)[first + 5].content);
    if (spki && !spki->empty()) check_oaep_defaults(spki->front(), out);
  }
  for (const auto& field : *tbs) {
    if (field.tag != der_tag::context(3)) continue;
    auto extensions = children_of(only_child(field.content));
    if (!extensions) continue;
    for (const auto& extension : *extensions) check_extension_defaults(extension, out);
  }
  return out;
}

std::vector<ek_finding> check_ek_profile(X509* cert, byte_view der, const ek_key_info& key, const ek_san& san) {
  std::vector<ek_finding> out;
  check_fields(cert, out);
  if (key.rsaes_oaep)
    out.push_back({ek_finding_kind::rsaes_oaep_spki, "SubjectPublicKeyInfo algorithm is id-RSAES-OAEP"});
  check_san(cert, san, out);
  if (!has_tpm_specification(cert))
    out.push_back({ek_finding_kind::missing_tpm_specification,
                   "no tcg-at-tpmSpecification in subjectDirectoryAttributes"});
  if (!has_ek_eku(cert))
    out.push_back({ek_finding_kind::missing_ek_eku, "no extendedKeyUsage tcg-kp-EKCertificate"});
  check_key_usage(cert, key, out);
  check_basic_constraints(cert, out);
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert);
  if (!aki) out.push_back({ek_finding_kind::missing_aki, "no authorityKeyIdentifier keyIdentifier"});
  check_criticality(cert, out);
  for (auto& f : find_explicit_defaults(der)) out.push_back(std::move(f));
  return out;
}

}  // namespace aikmock::certs
