#pragma once
// Deciding whether a key is a TPM attestation identity key (AIK) and whether
// the proof a client sends for it holds. The checks are the union of IBM ACS
// validateAttestationKey, go-attestation CheckAKParameters and Microsoft's
// PCPTool GenerateActivation20:
//
// The key (check_aik_public):
//   RSA or ECC; nameAlg SHA-256/384/512; restricted, sign, fixedTPM,
//   fixedParent and sensitiveDataOrigin set, decrypt clear, so it signs only
//   what the TPM itself produced and never left the TPM that made it; a
//   signing scheme RSASSA/RSAPSS (RSA) or ECDSA (ECC) with SHA-1/256/384/512
//   (SHA-1: Windows' AIK is RSASSA-SHA1, and the real service certifies it;
//   docs/tpm.md), or NULL; RSA of at least 2048 bits, ECC on P-256, P-384 or P-521.
// Its creation proof (verify_aik_creation), TPM2_CertifyCreation by itself:
//   the signature's scheme is one the key allows; the TPMS_ATTEST has the TPM's
//   magic and type CREATION; it names this key; its creationHash is
//   H_nameAlg(creation data); extraData and outsideInfo equal what the caller
//   expects, if anything; the key's signature over the TPMS_ATTEST verifies.
// Or a certification by another key (verify_aik_certification), TPM2_Certify:
//   the same, with type CERTIFY and the signer's key and scheme.
//
// The first failing check is returned as a value naming it; nothing throws.
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "tpm/creation_proof.hpp"
#include "tpm/public_area.hpp"
#include "tpm/signature.hpp"

namespace aikmock::tpm {

enum class aik_check {
  object_type,              // the AIK is neither RSA nor ECC
  name_alg,                 // the AIK's nameAlg is not SHA-256/384/512
  restricted,               // attribute restricted clear
  sign,                     // attribute sign clear
  decrypt,                  // attribute decrypt set
  fixed_tpm,                // attribute fixedTPM clear
  fixed_parent,             // attribute fixedParent clear
  sensitive_data_origin,    // attribute sensitiveDataOrigin clear
  signing_scheme,           // the AIK's scheme is not an allowed signing scheme
  key_size,                 // RSA below 2048 bits, or a curve other than P-256/384/521
  public_key,               // the key cannot be built (modulus size vs keyBits, point off the curve)
  signature_scheme,         // the signature's scheme or hash is not allowed for the key
  attest_magic,             // TPMS_ATTEST.magic is not TPM_GENERATED_VALUE
  attest_type,              // TPMS_ATTEST.type is not the expected one
  attest_structure,         // TPMS_ATTEST does not parse
  attested_name,            // the attested Name is not Name(AIK)
  creation_data_structure,  // TPMS_CREATION_DATA does not parse
  creation_hash,            // creationHash is not H_nameAlg(creation data)
  nonce,                    // TPMS_ATTEST.extraData is not the expected nonce
  outside_info,             // TPMS_CREATION_DATA.outsideInfo is not the expected value
  signer_key,               // the certifying key cannot sign attestations
  signature,                // the signature does not verify
};

// The check's name as messages and logs show it ("fixedTPM", "creationHash").
std::string_view aik_check_name(aik_check check) noexcept;

struct aik_failure {
  aik_check check;
  std::string reason;
};

// Every check passed, or the first that failed.
using aik_verdict = result<void, aik_failure>;

// "passed", or "<check>: <reason>".
std::string describe(const aik_verdict& verdict);

// What the caller bound into the proof, when it did.
struct creation_expectations {
  std::optional<bytes> nonce;         // must equal TPMS_ATTEST.extraData (qualifyingData)
  std::optional<bytes> outside_info;  // must equal TPMS_CREATION_DATA.outsideInfo
};

aik_verdict check_aik_public(const tpmt_public& aik);

// TPM2_CertifyCreation of the AIK by itself: proof.attest is signed by the AIK.
aik_verdict verify_aik_creation(const aik_creation_proof& proof, const creation_expectations& expected = {});

// TPM2_Certify of the AIK by `signer`: `attest` (TPMS_ATTEST bytes as signed)
// has type CERTIFY, names the AIK and carries `expected_nonce` as extraData
// when given. The signer must be an RSA or ECC signing key of the sizes above;
// whether to trust it is the caller's decision.
aik_verdict verify_aik_certification(const tpmt_public& aik, byte_view attest, const tpmt_signature& signature,
                                     const tpmt_public& signer, std::optional<byte_view> expected_nonce = std::nullopt);

}  // namespace aikmock::tpm
