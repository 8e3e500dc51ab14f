#pragma once
// `aikmock pki init`: everything a lab needs, made from scratch: TPM vendor
// hierarchies with software EKs and their certificates, the mock Microsoft AIK
// side (root, one issuing CA and two RA certificates per authority), and a TLS
// server certificate for *.microsoftaik.azure.net.
#include <filesystem>
#include <functional>
#include <string>

#include "certs/lab_manifest.hpp"

namespace aikmock::certs {

// The TLS server key: P-256 (under a P-384 root), or RSA-2048 (under an
// RSA-4096 root) for Windows builds that do not negotiate ECDSA.
enum class tls_key_type { p256, rsa2048 };

struct lab_options {
  std::filesystem::path out;
  std::string domain{service_domain};
  std::string public_url{default_public_url};  // see lab_manifest::public_url
  tls_key_type tls_key = tls_key_type::p256;
  // Progress lines ("made IFX root CA"); may be empty.
  std::function<void(const std::string&)> progress;
};

// Creates the lab under options.out (which must not already hold a manifest)
// and returns its manifest. Throws on any failure.
lab_manifest create_lab_pki(const lab_options& options);

}  // namespace aikmock::certs
