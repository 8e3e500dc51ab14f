#pragma once
// The AIK authorities a server answers for: one per EK-issuing vendor CA, as
// Microsoft runs them, each found by the KeyId (SKI) or NameId of that CA.
// A directory is immutable once built, so sessions on every thread read it
// without locks; when an authority is minted or the trust store reloaded, a
// new directory replaces it whole.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certs/aik_authority_profile.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"

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

// A trust-store CA whose authority is not minted yet (trust_store lists the
// candidates; this one also holds the CA certificate the authority needs).
struct pending_authority {
  std::string vendor, key_id, name_id;  // hex lowercase
  x509_ptr ek_issuing_ca;
  std::string name() const;
};

class authority_directory {
 public:
  explicit authority_directory(std::vector<std::shared_ptr<const authority>> ready,
                               std::vector<std::shared_ptr<const pending_authority>> pending = {});

  // Loads every authority of a lab; throws naming the file that failed.
  static authority_directory from_lab(const lab_manifest& manifest);

  // The lab's authorities, the ones minted earlier into the lab directory
  // (authorities/<VENDOR>-KeyId-<keyid>/, by this server or a replica), and —
  // pending — one for every other CA of the trust store, as Microsoft runs one
  // AIK CA per vendor CA KeyId. Nothing is minted here: see authority_minter.
  static std::shared_ptr<const authority_directory> load(const lab_manifest& manifest, const trust_store& store);

  // This directory with `minted` ready and no longer pending.
  std::shared_ptr<const authority_directory> with(std::shared_ptr<const authority> minted) const;

  // Case-insensitive hex lookups of ready authorities; nullptr when unknown or pending.
  std::shared_ptr<const authority> by_key_id(std::string_view hex) const;
  std::shared_ptr<const authority> by_name_id(std::string_view hex) const;
  // By the name ("IFX-KeyId-<hex>"), the KeyId or the NameId.
  std::shared_ptr<const authority> find(std::string_view name_or_id) const;
  // A trust-store CA whose authority is still to be minted; nullptr otherwise.
  std::shared_ptr<const pending_authority> pending_by_key_id(std::string_view hex) const;
  std::shared_ptr<const pending_authority> pending_by_name_id(std::string_view hex) const;

  const std::vector<std::shared_ptr<const authority>>& all() const { return ready_; }
  const std::vector<std::shared_ptr<const pending_authority>>& pending() const { return pending_; }

 private:
  std::vector<std::shared_ptr<const authority>> ready_;
  std::vector<std::shared_ptr<const pending_authority>> pending_;
};

// Mints the authority of `candidate` under the lab's AIK root into the lab
// (authorities/<name>/): written into a fresh private directory (mkdtemp, files
// created exclusively) and renamed into place, so a replica that loses the race
// loads the winner's files and all agree. Takes seconds (an RSA-4096 key): call
// it off any request path. Fails with the reason (a read-only or full lab).
result<std::shared_ptr<const authority>> mint_into_lab(const lab_manifest& manifest,
                                                       const pending_authority& candidate);

}  // namespace aikmock::certs
