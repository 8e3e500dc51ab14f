#include "certs/pem.hpp"

#include <openssl/pem.h>

#include "certs/der_io.hpp"
#include "common/files.hpp"

namespace aikmock::certs {

namespace {
std::string bio_text(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return std::string(p, static_cast<std::size_t>(n));
}

bool looks_like_pem(byte_view data) { return as_chars(data).find("-----BEGIN") != std::string_view::npos; }
}  // namespace

x509_ptr parse_certificate(byte_view data) {
  if (data.empty() || data.size() > (1u << 24)) return nullptr;
  if (looks_like_pem(data)) {
    auto bio = memory_bio(data);
    x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    openssl_errors();
    return cert;
  }
  const unsigned char* p = data.data();
  x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
  openssl_errors();
  return cert;
}

std::vector<x509_ptr> parse_certificates(byte_view data) {
  std::vector<x509_ptr> out;
  if (!looks_like_pem(data)) {
    if (auto c = parse_certificate(data)) out.push_back(std::move(c));
    return out;
  }
  auto bio = memory_bio(data);
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  openssl_errors();  // the end of the bundle leaves a "no start line" error behind
  return out;
}

bytes certificate_der(X509* cert) { return checked_der_of(cert, i2d_X509, "i2d_X509"); }

std::string certificate_pem(X509* cert) {
  bio_ptr bio(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  openssl_check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bio_text(bio.get());
}

x509_ptr load_certificate(const std::filesystem::path& path) {
  auto data = read_file(path);
  if (!data) throw openssl_failure("cannot read certificate " + path.string());
  auto cert = parse_certificate(*data);
  if (!cert) throw openssl_failure("not a certificate: " + path.string());
  return cert;
}

evp_pkey_ptr load_private_key(const std::filesystem::path& path) {
  auto data = read_file(path);
  if (!data) throw openssl_failure("cannot read private key " + path.string());
  auto bio = memory_bio(*data);
  evp_pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw openssl_failure("not a private key: " + path.string() + " (" + openssl_errors() + ")");
  return key;
}

void save_certificate_pem(const std::filesystem::path& path, X509* cert) {
  write_file(path, as_bytes(certificate_pem(cert)), 0644);
}

void save_certificate_der(const std::filesystem::path& path, X509* cert) {
  write_file(path, certificate_der(cert), 0644);
}

std::string private_key_pem(EVP_PKEY* key) {
  bio_ptr bio(openssl_check_ptr(BIO_new(BIO_s_mem()), "BIO_new"));
  openssl_check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

void save_private_key(const std::filesystem::path& path, EVP_PKEY* key) {
  std::string pem = private_key_pem(key);
  write_file(path, as_bytes(pem), 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
}

}  // namespace aikmock::certs
