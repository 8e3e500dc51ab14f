#pragma once
// Test fixtures for the EK intake, trust store and chain tests: vendor CAs and
// EK certificates built in memory, DER surgery for the quirks OpenSSL's
// builder cannot produce (negative serial, id-RSAES-OAEP SPKI, a flipped
// signature byte), and TrustedTPM-layout directories on disk.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "certs/certificate_builder.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "common/openssl.hpp"
#include "common/bytes.hpp"

namespace aikmock::ek_test {

using aikmock::evp_pkey_ptr;
using aikmock::x509_ptr;
using clock_point = std::chrono::system_clock::time_point;

// Keys generated once per process (RSA generation is slow) and shared by the tests.
EVP_PKEY* rsa_key(unsigned bits, int slot = 0);
EVP_PKEY* ec_key(const std::string& curve, int slot = 0);

struct ca {
  x509_ptr cert;
  EVP_PKEY* key = nullptr;  // owned by the key cache
};

// A self-signed RSA vendor root.
ca make_root(const std::string& common_name, int key_slot);
// An EK-issuing intermediate under `issuer`, valid in [not_before, not_after].
ca make_intermediate(const std::string& common_name, const ca& issuer, int key_slot,
                     std::optional<std::pair<clock_point, clock_point>> validity = std::nullopt);

// An EK certificate in the TCG profile's shape, with knobs for each deviation.
struct ek_options {
  certs::name_entries subject;  // empty: the profile's empty subject
  bool san_critical = true;
  std::string key_usage;        // OpenSSL conf syntax; empty: by key type, as the profile wants
  std::optional<std::string> extra_critical_extension_oid;  // an extension OpenSSL does not know
  std::optional<std::pair<clock_point, clock_point>> validity;
};
x509_ptr make_ek(EVP_PKEY* ek_key, const ca& issuer, const ek_options& options = {});

inline const certs::tpm_identity test_tpm{"id:49465800", "SLB 9672 TPM2.0", "id:000F0017"};

// DER surgery on a certificate signed with an RSA key: the TBSCertificate's
// top-level fields, replaced one at a time, then signed again (sha256WithRSAEncryption).
bytes der_of(X509* cert);
std::vector<bytes> tbs_fields(byte_view certificate_der);
bytes resign(const std::vector<bytes>& tbs_fields, EVP_PKEY* rsa_ca_key);
// Index of a TBSCertificate field, for a v3 certificate (field 0 is [0] version).
enum tbs_index : std::size_t { tbs_version = 0, tbs_serial = 1, tbs_spki = 6 };
// An SPKI with the same RSAPublicKey under id-RSAES-OAEP with the TCPA label, as TPM 1.2 EKs have it.
bytes oaep_spki(EVP_PKEY* rsa_key);
// The certificate with one byte of its signature value changed.
bytes flip_signature_byte(byte_view certificate_der);

// A directory tree removed when the object goes away.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `cert` as PEM (or DER) to <dir>/<vendor>/<RootCA|IntermediateCA>/<file>.
void write_trust_file(const std::filesystem::path& dir, const std::string& vendor, bool root, const std::string& file,
                      X509* cert, bool der = false);

std::chrono::system_clock::time_point days_from_now(int days);

}  // namespace aikmock::ek_test
