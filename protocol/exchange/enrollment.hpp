#pragma once
// The AIK enrollment exchange, whatever carries it (SCEP or the JSON API):
//   round 1: evidence (EK certificate, EK public, AIK public and its creation
//            proof) -> EK intake and chain validation, AIK checks, the
//            policy's decision -> an EK-bound challenge (MakeCredential of a
//            fresh secret to the AIK's Name) and a sealed server state;
//   round 2: state + the secret the TPM recovered -> the AIK certificate.
// Nothing is kept between the rounds but a bounded replay cache: the state
// travels sealed, so any replica with the same sealing key can finish.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "certs/authority.hpp"
#include "certs/ek_certificate_profile.hpp"
#include "certs/ek_chain.hpp"
#include "certs/trust_store.hpp"
#include "common/bytes.hpp"
#include "policy/policy.hpp"
#include "protocol/exchange/replay_cache.hpp"
#include "protocol/exchange/state_sealer.hpp"
#include "protocol/response.hpp"
#include "tpm/creation_proof.hpp"

namespace aikmock::protocol::exchange {

struct evidence {
  std::optional<bytes> ek_certificate;    // as the client sent it (NV header, padding tolerated)
  std::vector<bytes> ek_intermediates;    // untrusted helpers for the chain
  std::optional<bytes> ek_public_area;    // TPM2B_PUBLIC; rebuilt from the certificate when absent
  std::optional<bytes> ek_public_key;     // SubjectPublicKeyInfo the client says is its EK (EK_INFO)
  std::optional<bytes> aik_public_area;   // TPM2B_PUBLIC; or the proof's
  std::optional<tpm::aik_creation_proof> aik_proof;
  std::string aik_proof_error;            // why the proof could not be read, when it could not
  std::optional<bytes> aik_public_key;    // SubjectPublicKeyInfo the client says is its AIK (CSR, AIK_INFO)
  // The PKCS#10's own key (SubjectPublicKeyInfo) and whether its signature verifies with it; SCEP only.
  std::optional<bytes> request_key;
  bool request_signature_valid = false;
};

struct challenge {
  bytes windows_blob;     // TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET (what Windows' PCP activates)
  bytes tpm2_tools_file;  // the same in tpm2-tools' credential file format
  std::string state;      // sealed
  std::chrono::system_clock::time_point expires_at;
  std::string credential_profile;  // "tcg" or "microsoft"
};

struct round1_result {
  std::optional<challenge> issued;
  std::optional<response> refusal;  // a catalogue answer, when no challenge was issued
  policy::decision decision;        // what the policy said
};

struct issued_certificate {
  aikmock::x509_ptr certificate;
  std::vector<aikmock::x509_ptr> chain;  // issuing CA, then the AIK root
};

struct round2_result {
  std::optional<issued_certificate> issued;
  std::optional<response> refusal;
};

struct enrollment_options {
  std::chrono::seconds state_lifetime{600};
  std::string aia_base = "http://aikmock.invalid/aia/";  // + issuing CA name + ".cer"
};

// What the EK evidence shows, before any AIK: the facts a policy decides on,
// the EK public MakeCredential needs, and the TPM identity the AIK certificate
// copies; or why the EK is refused outright. `authority`, when given, must be
// the one whose CA issued the EK.
struct ek_assessment {
  std::optional<response> refusal;
  policy::ek_facts facts;
  std::optional<tpm::tpmt_public> ek_public;
  certs::tpm_identity tpm;
};
ek_assessment assess_ek(const evidence& evidence, const certs::trust_store& trust, const certs::authority* authority,
                        const certs::ek_chain_options& chain_options);

class enrollment_engine {
 public:
  // `replays` may be shared with the engine this one replaces (a reload must not
  // reopen the door to answers already used); a fresh one when null.
  enrollment_engine(std::shared_ptr<const certs::trust_store> trust, std::shared_ptr<const state_sealer> sealer,
                    aikmock::x509_ptr aik_root, enrollment_options options = {},
                    std::shared_ptr<replay_cache> replays = nullptr);

  // `facts` arrives with the operation and authority and leaves with what the
  // evidence showed (for the policy, the log and the caller's own decision).
  round1_result begin(const certs::authority& authority, const evidence& evidence, const policy::policy& policy,
                      const policy::random_source& random, policy::request_facts& facts,
                      const std::string& transaction_id) const;

  round2_result finish(const certs::authority& authority, std::string_view state, byte_view secret,
                       std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  const certs::trust_store& trust() const { return *trust_; }
  // The KeyId of the authority a sealed state belongs to; nullopt when it does not open.
  std::optional<std::string> authority_of_state(std::string_view state) const;

 private:
  std::shared_ptr<const certs::trust_store> trust_;
  std::shared_ptr<const state_sealer> sealer_;
  aikmock::x509_ptr aik_root_;
  enrollment_options options_;
  std::shared_ptr<replay_cache> replays_;
};

// The RSA modulus has the fingerprint of keys from the Infineon library of
// CVE-2017-15361 (ROCA): n mod p lies in the subgroup generated by 65537 for
// every one of a set of small primes p.
bool has_roca_fingerprint(const BIGNUM* modulus);

}  // namespace aikmock::protocol::exchange
