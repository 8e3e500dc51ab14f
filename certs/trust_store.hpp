#pragma once
// The TPM vendor CAs EK certificates are validated against, loaded from
// directories in Microsoft's TrustedTPM layout:
//   <dir>/<VENDOR>/RootCA/*.{pem,cer,crt,der}
//   <dir>/<VENDOR>/IntermediateCA/*.{pem,cer,crt,der}
// (DER or PEM; a PEM file may hold several certificates). Any number of
// directories: the lab's trust/ plus every --trust DIR.
//
// Self-signed certificates under RootCA are the anchors. Certificates under
// RootCA that are not self-signed (TrustedTPM files cross-signed CAs such as
// STM TPM EK Root CA there) and everything under IntermediateCA are
// intermediates: the path builder may use them, they are trusted only through
// an anchor.
//
// A store is immutable once loaded; reloading builds a new one, so a reload
// that reports errors leaves the store in use untouched (the caller swaps the
// shared_ptr when it is content with the result).
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "certs/ek_ca_identity.hpp"
#include "common/openssl.hpp"

namespace aikmock::certs {

// Files larger than this are not certificates; they are reported, not read.
inline constexpr std::size_t max_trust_file_size = 1 << 20;

enum class trust_role { anchor, intermediate };

struct trust_certificate {
  x509_ptr cert;
  std::string vendor;  // the <VENDOR> folder name
  trust_role role = trust_role::intermediate;
  std::filesystem::path file;
  ca_identity identity;
};

// A CA that may have issued EK certificates, and so may name an AIK authority
// (`<VENDOR>-KeyId-<key_id>`). In practice every CA in the store: EKs come from
// intermediates, and Nuvoton's roots issue EKs directly.
struct authority_candidate {
  std::string vendor;
  std::string subject;
  std::string key_id;   // lowercase hex SKI
  std::string name_id;  // lowercase hex SHA-1 of the subject DER
  trust_role role = trust_role::intermediate;
};

struct trust_load_error {
  std::filesystem::path path;  // the file or directory
  std::string reason;
};

class trust_store {
 public:
  struct load_result {
    std::shared_ptr<const trust_store> store;  // never null; holds whatever did load
    std::vector<trust_load_error> errors;      // one per file or directory that did not
  };

  // Loads every directory in order. A certificate found twice (same DER) is kept
  // once, with the vendor and role of its first occurrence.
  static load_result load(std::span<const std::filesystem::path> dirs);

  const std::vector<trust_certificate>& anchors() const noexcept { return anchors_; }
  const std::vector<trust_certificate>& intermediates() const noexcept { return intermediates_; }
  const std::vector<authority_candidate>& authority_candidates() const noexcept { return candidates_; }

  // The entry holding this certificate (compared by content), or nullptr.
  const trust_certificate* find(X509* cert) const;

 private:
  std::vector<trust_certificate> anchors_;
  std::vector<trust_certificate> intermediates_;
  std::vector<authority_candidate> candidates_;
};

}  // namespace aikmock::certs
