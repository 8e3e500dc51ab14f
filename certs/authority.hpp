#pragma once
// The AIK authorities a server answers for: one per EK-issuing vendor CA, as
// Microsoft runs them, each found by the KeyId (SKI) or NameId of that CA.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "certs/openssl_types.hpp"

namespace aikmock::certs {

struct lab_manifest;

struct authority {
  std::string name;     // "<VENDOR>-KeyId-<keyId>"
  std::string vendor;   // "IFX"
  std::string key_id;   // lowercase hex
  std::string name_id;  // lowercase hex
  x509_ptr ek_issuing_ca;
  x509_ptr issuing_ca;
  evp_pkey_ptr issuing_ca_key;
  x509_ptr ra_signing;
  evp_pkey_ptr ra_signing_key;
  x509_ptr ra_encryption;
  evp_pkey_ptr ra_encryption_key;
};

// Immutable once built, so sessions on every thread read it without locks; a
// reload builds a new one.
class authority_directory {
 public:
  explicit authority_directory(std::vector<std::shared_ptr<const authority>> authorities);

  // Loads every authority of a lab; throws naming the file that failed.
  static authority_directory from_lab(const lab_manifest& manifest);

  // Case-insensitive hex lookups; nullptr when unknown.
  std::shared_ptr<const authority> by_key_id(std::string_view hex) const;
  std::shared_ptr<const authority> by_name_id(std::string_view hex) const;
  // By the name ("IFX-KeyId-<hex>"), the KeyId or the NameId.
  std::shared_ptr<const authority> find(std::string_view name_or_id) const;

  const std::vector<std::shared_ptr<const authority>>& all() const { return authorities_; }

 private:
  std::vector<std::shared_ptr<const authority>> authorities_;
};

}  // namespace aikmock::certs
