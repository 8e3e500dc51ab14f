#pragma once
// Software AIKs for the attestation tests: OpenSSL keys dressed as TPM
// objects, and the creation proof a TPM would produce for them
// (TPM2_Create's creation data, TPM2_CertifyCreation's TPMS_ATTEST and
// signature), built and signed here so every field is under the test's control.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/bytes.hpp"
#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/creation_proof.hpp"
#include "tpm/hash.hpp"
#include "tpm/name.hpp"
#include "common/openssl.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"
#include "client/soft/soft_signing.hpp"

namespace aikmock::tpm::test {

// restricted | sign | fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth:
// what tpm2-tools and the Windows PCP give an AIK.
inline constexpr std::uint32_t aik_attributes = object_attr::restricted | object_attr::sign_encrypt |
                                                object_attr::fixed_tpm | object_attr::fixed_parent |
                                                object_attr::sensitive_data_origin | object_attr::user_with_auth;

// The public area a TPM would report for `key` as an AIK with the given scheme.
inline tpmt_public aik_public(EVP_PKEY* key, alg_id scheme, alg_id scheme_hash,
                              std::uint32_t attributes = aik_attributes, alg_id name_alg = alg::sha256) {
  tpmt_public area;
  area.name_alg = name_alg;
  area.object_attributes = attributes;
  area.scheme = {scheme, scheme_hash, 0};
  set_public_key(area, key);
  return area;
}

// Signs `message` as TPM2_Sign would with `sig_alg` and `hash`.
inline tpmt_signature sign(EVP_PKEY* key, alg_id sig_alg, alg_id hash_alg, byte_view message) {
  return client::sign_like_tpm(key, sig_alg, hash_alg, message);
}

// Creation data as TPM2_Create under an SRK would record it: one SHA-256 bank
// with no PCRs selected, locality 0, a SHA-256 parent.
inline tpms_creation_data sample_creation_data(bytes outside_info = {}) {
  tpms_creation_data data;
  data.pcr_select.banks.push_back({alg::sha256, bytes{0x00, 0x00, 0x00}});
  data.pcr_digest = *hash(alg::sha256, {});
  data.locality = 0x01;
  data.parent_name_alg = alg::sha256;
  data.parent_name = bytes{0x00, 0x0b};
  data.parent_name.resize(34, 0x5c);
  data.parent_qualified_name = bytes{0x00, 0x0b};
  data.parent_qualified_name.resize(34, 0x3a);
  data.outside_info = std::move(outside_info);
  return data;
}

// The TPMS_ATTEST TPM2_CertifyCreation returns for `aik` and its creation data.
inline tpms_attest creation_attest(const tpmt_public& aik, byte_view creation_data, bytes extra_data = {}) {
  tpms_attest attest;
  attest.qualified_signer = bytes{0x00, 0x0b};
  attest.qualified_signer.resize(34, 0x71);
  attest.extra_data = std::move(extra_data);
  attest.clock_info = {0x0000000012345678, 3, 1, 1};
  attest.firmware_version = 0x2019081400163636;
  attest.attested = tpms_creation_info{*object_name(aik), *hash(aik.name_alg, creation_data)};
  return attest;
}

// A complete, valid creation proof for `key` used as an AIK.
inline aik_creation_proof creation_proof(EVP_PKEY* key, const tpmt_public& aik, alg_id sig_alg, alg_id sig_hash,
                                         bytes nonce = {}, bytes outside_info = {}) {
  aik_creation_proof proof;
  proof.aik_public = aik;
  proof.creation_data = marshal_creation_data(sample_creation_data(std::move(outside_info)));
  proof.attest = marshal_attest(creation_attest(aik, proof.creation_data, std::move(nonce)));
  proof.signature = sign(key, sig_alg, sig_hash, proof.attest);
  return proof;
}

}  // namespace aikmock::tpm::test
