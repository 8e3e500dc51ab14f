#include "client/aik_url.hpp"


#include <cstdio>

#include "certs/certificate_builder.hpp"
#include "certs/der_io.hpp"
#include "client/tcg_vendor_ids.hpp"
#include "common/encoding.hpp"
#include "protocol/scep/scep_codec.hpp"

namespace aikmock::client {

namespace {

bool is_vendor_code(const std::string& code) {
  if (code.empty() || code.size() > 8) return false;
  for (char c : code)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::string hex_id(std::uint32_t id) {
  char text[12];
  std::snprintf(text, sizeof text, "id:%08X", id);
  return text;
}

}  // namespace

result<aik_url> derive_aik_url(const certs::ek_certificate& ek, const std::optional<std::string>& vendor_override,
                              const std::string& domain, std::optional<std::uint32_t> tpm_manufacturer) {
  aik_url out;
  if (vendor_override) {
    if (!is_vendor_code(*vendor_override)) return fail("--vendor must be 1 to 8 letters or digits, e.g. IFX");
    out.vendor = *vendor_override;
    out.vendor_source = "--vendor";
  } else if (const tcg_vendor* v = find_tcg_vendor(ek.tpm.manufacturer); v && !ek.tpm.manufacturer.empty()) {
    out.vendor = std::string(v->code);
    out.vendor_source = "tcg-at-tpmManufacturer " + ek.tpm.manufacturer + " (" + std::string(v->name) + ")";
  } else if (const tcg_vendor* t = tpm_manufacturer ? find_tcg_vendor(hex_id(*tpm_manufacturer)) : nullptr) {
    out.vendor = std::string(t->code);
    out.vendor_source = "the TPM's TPM2_PT_MANUFACTURER " + hex_id(*tpm_manufacturer) + " (" + std::string(t->name) +
                        "; the EK certificate says " +
                        (ek.tpm.manufacturer.empty() ? std::string("nothing") : ek.tpm.manufacturer) + ")";
  } else if (ek.tpm.manufacturer.empty()) {
    return fail("the EK certificate names no TPM manufacturer (SAN tcg-at-tpmManufacturer); give --vendor");
  } else {
    return fail("TPM manufacturer " + ek.tpm.manufacturer +
                " is not in the TCG vendor ID registry; give --vendor with the code to use");
  }

  if (!ek.authority_key_id.empty()) {
    out.label = out.vendor + "-KeyId-" + to_hex(ek.authority_key_id);
  } else {
    const std::string name_id = ek.x509 ? to_hex(certs::issuer_name_hash_sha1(ek.x509.get())) : std::string();
    if (name_id.empty()) return fail("the EK certificate has neither an Authority Key Identifier nor an issuer");
    out.label = out.vendor + "-NameId-" + name_id;
  }
  out.url = "https://" + out.label + "." + domain + std::string(protocol::scep::scep_path);
  return out;
}

}  // namespace aikmock::client
