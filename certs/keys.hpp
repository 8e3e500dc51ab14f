#pragma once
// Fresh key pairs for the lab PKI and software TPM keys.
#include <string_view>

#include "common/openssl.hpp"

namespace aikmock::certs {

evp_pkey_ptr generate_rsa_key(unsigned bits);
// curve: an OpenSSL group name such as "P-256", "P-384", "P-521".
evp_pkey_ptr generate_ec_key(std::string_view curve);

}  // namespace aikmock::certs
