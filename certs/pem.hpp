#pragma once
// Loading and saving certificates and keys (PEM or DER on input).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::certs {

// One certificate from PEM or DER bytes; nullptr when neither parses.
x509_ptr parse_certificate(byte_view data);
// Every certificate of a PEM bundle, or the one DER certificate.
std::vector<x509_ptr> parse_certificates(byte_view data);
bytes certificate_der(X509* cert);
std::string certificate_pem(X509* cert);

// Throw openssl_failure naming the path when the file is missing or unreadable.
x509_ptr load_certificate(const std::filesystem::path& path);
evp_pkey_ptr load_private_key(const std::filesystem::path& path);

void save_certificate_pem(const std::filesystem::path& path, X509* cert);
void save_certificate_der(const std::filesystem::path& path, X509* cert);
// PKCS#8 PEM, mode 0600.
void save_private_key(const std::filesystem::path& path, EVP_PKEY* key);
std::string private_key_pem(EVP_PKEY* key);

}  // namespace aikmock::certs
