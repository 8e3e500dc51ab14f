#include "tpm/key_templates.hpp"

#include <stdexcept>

namespace aikmock::tpm {

std::uint32_t aik_object_attributes() {
  return object_attr::restricted | object_attr::sign_encrypt | object_attr::fixed_tpm | object_attr::fixed_parent |
         object_attr::sensitive_data_origin | object_attr::user_with_auth;
}

tpmt_public aik_template(alg_id key_type) {
  tpmt_public area;
  area.type = key_type;
  area.name_alg = alg::sha256;
  area.object_attributes = aik_object_attributes();
  if (key_type == alg::rsa) {
    area.scheme = {alg::rsassa, alg::sha256, 0};
    area.rsa.key_bits = 2048;
  } else if (key_type == alg::ecc) {
    area.scheme = {alg::ecdsa, alg::sha256, 0};
    area.ecc.curve = curve::nist_p256;
  } else {
    throw std::invalid_argument("an AIK is an RSA or an ECC key");
  }
  return area;
}

tpmt_public storage_root_key_template() {
  tpmt_public area;
  area.type = alg::rsa;
  area.name_alg = alg::sha256;
  area.object_attributes = object_attr::fixed_tpm | object_attr::fixed_parent | object_attr::sensitive_data_origin |
                           object_attr::user_with_auth | object_attr::no_da | object_attr::restricted |
                           object_attr::decrypt;
  area.symmetric = {alg::aes, 128, alg::cfb};
  area.rsa.key_bits = 2048;
  area.rsa.modulus.assign(256, 0);
  return area;
}

}  // namespace aikmock::tpm
