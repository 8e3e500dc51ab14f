#include "tpm/aik_verification.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "common/encoding.hpp"
#include "tpm/attest.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/describe.hpp"
#include "tpm/hash.hpp"
#include "tpm/marshal.hpp"
#include "tpm/name.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature_verify.hpp"

namespace aikmock::tpm {

namespace {

constexpr std::uint16_t min_rsa_bits = 2048;

aik_verdict refuse(aik_check check, std::string reason) { return fail(aik_failure{check, std::move(reason)}); }

bool allowed_hash(alg_id hash) { return hash == alg::sha256 || hash == alg::sha384 || hash == alg::sha512; }
// A signing scheme may also use SHA-1: the real service certified an AIK with
// RSASSA-SHA1 (google/security-research tpm-carte-blanche; docs/tpm.md).
bool allowed_scheme_hash(alg_id hash) { return hash == alg::sha1 || allowed_hash(hash); }

bool allowed_curve(ecc_curve_id id) {
  return id == curve::nist_p256 || id == curve::nist_p384 || id == curve::nist_p521;
}

// The signature schemes a key of `type` can produce that this project verifies.
bool scheme_fits_type(alg_id type, alg_id scheme) {
  if (type == alg::rsa) return scheme == alg::rsassa || scheme == alg::rsapss;
  if (type == alg::ecc) return scheme == alg::ecdsa;
  return false;
}

std::string describe_scheme(alg_id scheme, alg_id hash) {
  return describe_alg(scheme) + " with " + describe_alg(hash);
}

// Type, size and the key itself: what both the AIK and a certifying key need
// to sign something this project can verify. `role` ("AIK", "signer") is for
// the messages; `checks` says which check each failure counts against.
struct key_checks {
  aik_check type;
  aik_check size;
  aik_check key;
};

aik_verdict check_signing_key(const tpmt_public& area, std::string_view role, const key_checks& checks,
                              evp_pkey_ptr& key_out) {
  if (area.type != alg::rsa && area.type != alg::ecc) {
    return refuse(checks.type, std::string(role) + " type " + describe_alg(area.type) + " is neither RSA nor ECC");
  }
  if (area.type == alg::rsa && area.rsa.key_bits < min_rsa_bits) {
    return refuse(checks.size, std::string(role) + " is RSA-" + std::to_string(area.rsa.key_bits) + ", below " +
                                 std::to_string(min_rsa_bits) + " bits");
  }
  if (area.type == alg::ecc && !allowed_curve(area.ecc.curve)) {
    return refuse(checks.size,
                std::string(role) + " curve " + describe_curve(area.ecc.curve) + " is not P-256, P-384 or P-521");
  }
  key_out = public_key_from_public(area);
  if (!key_out) {
    return refuse(checks.key, std::string(role) + " public key is unusable (modulus size against keyBits, or point)");
  }
  return {};
}

// The key's own scheme, when it has one, binds the signature's.
aik_verdict check_signature_scheme(const tpmt_public& key, const tpmt_signature& signature, std::string_view role) {
  const std::string scheme = describe_scheme(signature.sig_alg, signature.hash);
  if (!scheme_fits_type(key.type, signature.sig_alg)) {
    return refuse(aik_check::signature_scheme, "signature scheme " + scheme + " does not fit the " + std::string(role) +
                                                 "'s " + describe_alg(key.type) + " key");
  }
  if (!allowed_scheme_hash(signature.hash)) {
    return refuse(aik_check::signature_scheme, "signature scheme " + scheme + " uses a hash other than SHA-1/256/384/512");
  }
  if (key.scheme.scheme != alg::null &&
      (signature.sig_alg != key.scheme.scheme || signature.hash != key.scheme.hash)) {
    return refuse(aik_check::signature_scheme, "signature scheme " + scheme + " differs from the " + std::string(role) +
                                                 "'s scheme " + describe_scheme(key.scheme.scheme, key.scheme.hash));
  }
  return {};
}

struct attribute_rule {
  std::uint32_t bit;
  bool required;  // set, or else clear
  aik_check check;
};

constexpr std::array<attribute_rule, 6> aik_attribute_rules{{
    {object_attr::restricted, true, aik_check::restricted},
    {object_attr::sign_encrypt, true, aik_check::sign},
    {object_attr::decrypt, false, aik_check::decrypt},
    {object_attr::fixed_tpm, true, aik_check::fixed_tpm},
    {object_attr::fixed_parent, true, aik_check::fixed_parent},
    {object_attr::sensitive_data_origin, true, aik_check::sensitive_data_origin},
}};

std::string hex32(std::uint32_t value) {
  return to_hex(bytes{static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                      static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
}

// check_aik_public, also handing out the key for the signature check.
aik_verdict check_aik(const tpmt_public& aik, evp_pkey_ptr& key_out) {
  if (aik.type != alg::rsa && aik.type != alg::ecc) {
    return refuse(aik_check::object_type, "AIK type " + describe_alg(aik.type) + " is neither RSA nor ECC");
  }
  if (!allowed_hash(aik.name_alg)) {
    return refuse(aik_check::name_alg, "AIK nameAlg " + describe_alg(aik.name_alg) + " is not SHA-256/384/512");
  }
  for (const auto& rule : aik_attribute_rules) {
    bool set = (aik.object_attributes & rule.bit) != 0;
    if (set != rule.required) {
      return refuse(rule.check, "AIK objectAttributes 0x" + hex32(aik.object_attributes) + " has " +
                                  std::string(aik_check_name(rule.check)) + (set ? " set" : " clear"));
    }
  }
  if (aik.scheme.scheme != alg::null &&
      (!scheme_fits_type(aik.type, aik.scheme.scheme) || !allowed_scheme_hash(aik.scheme.hash))) {
    return refuse(aik_check::signing_scheme, "AIK scheme " + describe_scheme(aik.scheme.scheme, aik.scheme.hash) +
                                               " is not RSASSA/RSAPSS (RSA) or ECDSA (ECC) with SHA-1/256/384/512");
  }
  return check_signing_key(aik, "AIK", {aik_check::object_type, aik_check::key_size, aik_check::public_key}, key_out);
}

// Magic and type first, straight from the bytes, so a blob of another kind is
// named as such rather than as a parse error somewhere inside it.
aik_verdict check_attest_header(byte_view attest, std::uint16_t expected_type) {
  reader in(attest);
  auto magic = in.u32("TPMS_ATTEST.magic");
  auto type = in.u16("TPMS_ATTEST.type");
  if (!magic || !type) return refuse(aik_check::attest_structure, in.error());
  if (*magic != generated_value) {
    return refuse(aik_check::attest_magic, "TPMS_ATTEST.magic 0x" + hex32(*magic) + " is not TPM_GENERATED_VALUE 0x" +
                                             hex32(generated_value) + ": the TPM did not produce it");
  }
  if (*type != expected_type) {
    return refuse(aik_check::attest_type, "TPMS_ATTEST.type " + describe_attest_type(*type) + " is not " +
                                            describe_attest_type(expected_type));
  }
  return {};
}

aik_verdict check_attested_name(const tpmt_public& aik, const bytes& attested_name) {
  auto aik_name = object_name(aik);  // nameAlg was checked, so this computes
  if (!aik_name || attested_name != *aik_name) {
    return refuse(aik_check::attested_name, "the attestation names " + to_hex(attested_name) + ", the AIK is " +
                                              (aik_name ? to_hex(*aik_name) : std::string("unnamed")));
  }
  return {};
}

aik_verdict check_nonce(const bytes& extra_data, std::optional<byte_view> expected) {
  if (expected && !std::ranges::equal(extra_data, *expected)) {
    return refuse(aik_check::nonce,
                "TPMS_ATTEST.extraData " + to_hex(extra_data) + " is not the expected nonce " + to_hex(*expected));
  }
  return {};
}

aik_verdict check_signature(EVP_PKEY* key, byte_view attest, const tpmt_signature& signature) {
  if (auto error = signature_error(key, attest, signature)) return refuse(aik_check::signature, *error);
  return {};
}

}  // namespace

std::string_view aik_check_name(aik_check check) noexcept {
  switch (check) {
    case aik_check::object_type: return "objectType";
    case aik_check::name_alg: return "nameAlg";
    case aik_check::restricted: return "restricted";
    case aik_check::sign: return "sign";
    case aik_check::decrypt: return "decrypt";
    case aik_check::fixed_tpm: return "fixedTPM";
    case aik_check::fixed_parent: return "fixedParent";
    case aik_check::sensitive_data_origin: return "sensitiveDataOrigin";
    case aik_check::signing_scheme: return "signingScheme";
    case aik_check::key_size: return "keySize";
    case aik_check::public_key: return "publicKey";
    case aik_check::signature_scheme: return "signatureScheme";
    case aik_check::attest_magic: return "attestMagic";
    case aik_check::attest_type: return "attestType";
    case aik_check::attest_structure: return "attestStructure";
    case aik_check::attested_name: return "attestedName";
    case aik_check::creation_data_structure: return "creationDataStructure";
    case aik_check::creation_hash: return "creationHash";
    case aik_check::nonce: return "nonce";
    case aik_check::outside_info: return "outsideInfo";
    case aik_check::signer_key: return "signerKey";
    case aik_check::signature: return "signature";
  }
  return "unknown";
}

std::string describe(const aik_verdict& verdict) {
  if (verdict) return "passed";
  return std::string(aik_check_name(verdict.error().check)) + ": " + verdict.error().reason;
}

aik_verdict check_aik_public(const tpmt_public& aik) {
  evp_pkey_ptr key;
  return check_aik(aik, key);
}

aik_verdict verify_aik_creation(const aik_creation_proof& proof, const creation_expectations& expected) {
  evp_pkey_ptr key;
  if (auto verdict = check_aik(proof.aik_public, key); !verdict) return verdict;
  if (auto verdict = check_signature_scheme(proof.aik_public, proof.signature, "AIK"); !verdict) return verdict;
  if (auto verdict = check_attest_header(proof.attest, st::attest_creation); !verdict) return verdict;

  auto attest = parse_attest(proof.attest);
  if (!attest) return refuse(aik_check::attest_structure, attest.error());
  const auto& creation = std::get<tpms_creation_info>(attest->attested);  // the type was checked
  if (auto verdict = check_attested_name(proof.aik_public, creation.object_name); !verdict) return verdict;

  auto creation_data = parse_creation_data(proof.creation_data);
  if (!creation_data) return refuse(aik_check::creation_data_structure, creation_data.error());
  // TPM2_Create hashes the creation data with the new object's nameAlg.
  auto creation_hash = hash(proof.aik_public.name_alg, proof.creation_data);
  if (!creation_hash || *creation_hash != creation.creation_hash) {
    return refuse(aik_check::creation_hash, "creationHash " + to_hex(creation.creation_hash) + " is not " +
                                              describe_alg(proof.aik_public.name_alg) + " of the creation data " +
                                              (creation_hash ? to_hex(*creation_hash) : std::string()));
  }

  if (auto verdict = check_nonce(attest->extra_data,
                                 expected.nonce ? std::optional<byte_view>(*expected.nonce) : std::nullopt);
      !verdict) {
    return verdict;
  }
  if (expected.outside_info && creation_data->outside_info != *expected.outside_info) {
    return refuse(aik_check::outside_info, "TPMS_CREATION_DATA.outsideInfo " + to_hex(creation_data->outside_info) +
                                             " is not the expected " + to_hex(*expected.outside_info));
  }
  return check_signature(key.get(), proof.attest, proof.signature);
}

aik_verdict verify_aik_certification(const tpmt_public& aik, byte_view attest_bytes, const tpmt_signature& signature,
                                     const tpmt_public& signer, std::optional<byte_view> expected_nonce) {
  evp_pkey_ptr aik_key;
  if (auto verdict = check_aik(aik, aik_key); !verdict) return verdict;

  evp_pkey_ptr signer_key;
  if ((signer.object_attributes & object_attr::sign_encrypt) == 0) {
    return refuse(aik_check::signer_key, "the signer's objectAttributes 0x" + hex32(signer.object_attributes) +
                                           " have sign clear");
  }
  if (auto verdict = check_signing_key(signer, "signer",
                                       {aik_check::signer_key, aik_check::signer_key, aik_check::signer_key},
                                       signer_key);
      !verdict) {
    return verdict;
  }
  if (auto verdict = check_signature_scheme(signer, signature, "signer"); !verdict) return verdict;
  if (auto verdict = check_attest_header(attest_bytes, st::attest_certify); !verdict) return verdict;

  auto attest = parse_attest(attest_bytes);
  if (!attest) return refuse(aik_check::attest_structure, attest.error());
  const auto& certify = std::get<tpms_certify_info>(attest->attested);  // the type was checked
  if (auto verdict = check_attested_name(aik, certify.name); !verdict) return verdict;
  if (auto verdict = check_nonce(attest->extra_data, expected_nonce); !verdict) return verdict;
  return check_signature(signer_key.get(), attest_bytes, signature);
}

}  // namespace aikmock::tpm
