#include "tpm/key_templates.hpp"

#include <stdexcept>

namespace aikmock::tpm {

std::uint32_t aik_object_attributes() {
  return object_attr::restricted | object_attr::sign_encrypt | object_attr::fixed_tpm | object_attr::fixed_parent |
         object_attr::sensitive_data_origin | object_attr::user_with_auth | object_attr::no_da;
}

bytes aik_auth_policy() {
  static const std::uint8_t policy[] = {0x9d, 0xff, 0xcb, 0xf3, 0x6c, 0x38, 0x3a, 0xe6, 0x99, 0xfb, 0x98,
                                        0x68, 0xdc, 0x6d, 0xcb, 0x89, 0xd7, 0x15, 0x38, 0x84, 0xbe, 0x28,
                                        0x03, 0x92, 0x2c, 0x12, 0x41, 0x58, 0xbf, 0xad, 0x22, 0xae};
  return bytes(std::begin(policy), std::end(policy));
}

tpmt_public aik_template(alg_id key_type, byte_view unique) {
  tpmt_public area;
  area.type = key_type;
  area.name_alg = alg::sha256;
  area.object_attributes = aik_object_attributes();
  area.auth_policy = aik_auth_policy();
  if (key_type == alg::rsa) {
    area.scheme = {alg::rsassa, alg::sha1, 0};
    area.rsa.key_bits = 2048;
    area.rsa.modulus.assign(unique.begin(), unique.end());
  } else if (key_type == alg::ecc) {
    area.scheme = {alg::ecdsa, alg::sha256, 0};
    area.ecc.curve = curve::nist_p256;
    area.ecc.x.assign(unique.begin(), unique.end());
  } else {
    throw std::invalid_argument("an AIK is an RSA or an ECC key");
  }
  return area;
}

}  // namespace aikmock::tpm
