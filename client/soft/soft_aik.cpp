#include "client/soft/soft_aik.hpp"

#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/hash.hpp"
#include "tpm/key_templates.hpp"
#include "tpm/name.hpp"
#include "tpm/public_key.hpp"
#include "client/soft/soft_signing.hpp"

namespace aikmock::client {

using namespace aikmock::tpm;

soft_aik create_soft_aik(alg_id key_type) {
  soft_aik aik;
  aik.key.reset(key_type == alg::ecc ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  if (!aik.key) throw std::runtime_error("AIK key generation failed");
  aik.public_area = aik_template(key_type);
  set_public_key(aik.public_area, aik.key.get());
  return aik;
}

aik_creation_proof certify_creation(const soft_aik& aik, byte_view nonce) {
  // Creation data as TPM2_Create under a storage key records it: one SHA-256
  // PCR bank with nothing selected, locality 0, a SHA-256 parent. A software
  // TPM has no real parent; its Name stands in as the hash of the AIK's own.
  tpms_creation_data data;
  data.pcr_select.banks.push_back({alg::sha256, bytes{0x00, 0x00, 0x00}});
  data.pcr_digest = *hash(alg::sha256, {});
  data.locality = 0x01;
  data.parent_name_alg = alg::sha256;
  auto own_name = *object_name(aik.public_area);
  data.parent_name = bytes{0x00, 0x0b};
  auto parent = *hash(alg::sha256, own_name);
  data.parent_name.insert(data.parent_name.end(), parent.begin(), parent.end());
  data.parent_qualified_name = data.parent_name;

  aik_creation_proof proof;
  proof.aik_public = aik.public_area;
  proof.creation_data = marshal_creation_data(data);

  tpms_attest attest;
  attest.qualified_signer = own_name;
  attest.extra_data.assign(nonce.begin(), nonce.end());
  attest.clock_info = {0, 0, 0, 1};
  attest.firmware_version = 0;
  attest.attested = tpms_creation_info{own_name, *hash(aik.public_area.name_alg, proof.creation_data)};
  proof.attest = marshal_attest(attest);
  proof.signature = sign_like_tpm(aik.key.get(), aik.public_area.scheme.scheme, aik.public_area.scheme.hash, proof.attest);
  return proof;
}

}  // namespace aikmock::client
