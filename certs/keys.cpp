#include "certs/keys.hpp"

#include <string>

namespace aikmock::certs {

evp_pkey_ptr generate_rsa_key(unsigned bits) {
  evp_pkey_ptr key(EVP_RSA_gen(bits));
  openssl_check(key != nullptr, "RSA key generation");
  return key;
}

evp_pkey_ptr generate_ec_key(std::string_view curve) {
  std::string name(curve);
  evp_pkey_ptr key(EVP_EC_gen(name.c_str()));
  openssl_check(key != nullptr, "EC key generation");
  return key;
}

}  // namespace aikmock::certs
