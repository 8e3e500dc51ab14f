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
  // Creation data as TPM2_CreatePrimary in the owner hierarchy records it (TPM
  // 2.0 Library Part 2, TPMS_CREATION_DATA): one SHA-256 PCR bank with nothing
  // selected, locality 0, and the hierarchy (TPM_RH_OWNER) as parent, named by
  // its handle.
  tpms_creation_data data;
  data.pcr_select.banks.push_back({alg::sha256, bytes{0x00, 0x00, 0x00}});
  data.pcr_digest = *hash(alg::sha256, {});
  data.locality = 0x01;
  data.parent_name_alg = alg::null;
  data.parent_name = bytes{0x40, 0x00, 0x00, 0x01};
  data.parent_qualified_name = data.parent_name;
  auto own_name = *object_name(aik.public_area);

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
