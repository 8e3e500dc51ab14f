#pragma once
// The AIK authorities a server answers for: one per EK-issuing vendor CA, as
// Microsoft runs them, each found by the KeyId (SKI) or NameId of that CA.
#include <filesystem>
#include <functional>
#include <mutex>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/openssl.hpp"

namespace aikmock::certs {

struct lab_manifest;
class trust_store;

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

  // The lab's authorities, and one for every other CA of the trust store, as
  // Microsoft runs one AIK CA per vendor CA KeyId. Those are minted under the
  // lab's AIK root when first asked for (an RSA-4096 key takes a moment; a
  // large trust store would otherwise hold up start-up) and kept in the lab
  // directory (authorities/<VENDOR>-KeyId-<keyid>/), so they stay the same
  // across restarts and replicas. `minted` is told of each one made.
  static std::shared_ptr<authority_directory> from_lab_and_trust(
      const lab_manifest& manifest, const trust_store& store,
      std::function<void(const std::string&)> minted = {});

  // Case-insensitive hex lookups; nullptr when unknown.
  std::shared_ptr<const authority> by_key_id(std::string_view hex) const;
  std::shared_ptr<const authority> by_name_id(std::string_view hex) const;
  // By the name ("IFX-KeyId-<hex>"), the KeyId or the NameId.
  std::shared_ptr<const authority> find(std::string_view name_or_id) const;

  // The authorities ready now (the lab's, and those minted so far).
  std::vector<std::shared_ptr<const authority>> all() const;
  // How many trust-store CAs have no authority minted yet.
  std::size_t pending() const;

 private:
  struct candidate {
    std::string vendor, key_id, name_id;
    x509_ptr ek_issuing_ca;
  };
  std::shared_ptr<const authority> ready(const candidate& c) const;

  std::vector<std::shared_ptr<const authority>> authorities_;
  // Trust-store CAs whose authority is minted on first use; all under mutex_.
  std::vector<candidate> candidates_;
  std::filesystem::path lab_dir_, aik_root_cert_, aik_root_key_;
  std::function<void(const std::string&)> minted_note_;
  mutable std::mutex mutex_;
  mutable std::vector<std::shared_ptr<const authority>> minted_;
};

}  // namespace aikmock::certs
