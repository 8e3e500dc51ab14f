#pragma once
// Fresh OpenSSL keys for the TPM tests, generated once per process because
// RSA-4096 generation is slow.
#include <openssl/evp.h>

#include <map>
#include <stdexcept>
#include <string>

#include "tpm/constants.hpp"
#include "tpm/ek_template.hpp"
#include "common/openssl.hpp"

namespace aikmock::tpm::test {

inline EVP_PKEY* rsa_key(unsigned bits) {
  static std::map<unsigned, evp_pkey_ptr> cache;
  auto& slot = cache[bits];
  if (!slot) slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!slot) throw std::runtime_error("RSA key generation failed");
  return slot.get();
}

// OpenSSL curve names: "P-256", "P-384", "P-521".
inline EVP_PKEY* ec_key(const std::string& curve_name) {
  static std::map<std::string, evp_pkey_ptr> cache;
  auto& slot = cache[curve_name];
  if (!slot) slot.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve_name.c_str()));
  if (!slot) throw std::runtime_error("EC key generation failed");
  return slot.get();
}

// A key that fits `t`; nullptr for H-5 (SM2).
inline EVP_PKEY* key_for(const ek_template& t) {
  if (t.key_type == ek_key_type::rsa) return rsa_key(t.rsa_key_bits);
  switch (t.curve) {
    case curve::nist_p256: return ec_key("P-256");
    case curve::nist_p384: return ec_key("P-384");
    case curve::nist_p521: return ec_key("P-521");
    default: return nullptr;
  }
}

}  // namespace aikmock::tpm::test
