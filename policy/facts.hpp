#pragma once
// What a policy decides on: the facts the exchange established about one
// request. Plain data, filled by the protocol layer; optional parts are absent
// until the exchange has got that far.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aikmock::policy {

struct ek_facts {
  std::string manufacturer;    // SAN tcg-at-tpmManufacturer, e.g. "id:53544D20"
  std::string model;           // SAN tcg-at-tpmModel
  std::string firmware;        // SAN tcg-at-tpmVersion
  std::string tpl;             // EK template id ("H-6") or "non-standard"
  std::string key_type;        // "rsa" or "ecc"
  unsigned key_bits = 0;       // RSA modulus bits, or the curve's size (256, 384, 521)
  std::string signature_hash;  // of the EK certificate: "sha1", "sha256", "sha384", "sha512"
  std::string issuer_key_id;   // hex SKI of the EK-issuing CA
  std::string device;          // hex SHA-256 of the EK public key (SubjectPublicKeyInfo DER)
  std::vector<std::string> findings;  // EK certificate deviations from the TCG profile
  bool chain_valid = false;
  std::string chain_failure;   // why not, when not
  bool roca_vulnerable = false;  // RSA modulus with the ROCA (CVE-2017-15361) fingerprint
};

// What a Windows request says of the machine and the process that sent it
// (MS-WCCE client info and OS version attributes), and whether its claims
// agree with the rest of the request. Empty for clients that send none.
struct client_facts {
  std::string machine;     // "DESKTOP-1A2B3C4"
  std::string user;        // "WORKGROUP\\DESKTOP-1A2B3C4$"
  std::string process;     // "taskhostw.exe"
  std::string os_version;  // "10.0.19045.2"
  std::string signer;      // subject of the outer SignedData's signer ("CN=SCEP Protocol Certificate")
  // SHA-1 thumbprint of the signer certificate against szOID_ENROLL_SCEP_SIGNER_HASH.
  std::optional<bool> signer_hash_matches;
  // The TPM manufacturer, model and version in the request's SAN against the EK certificate's.
  std::optional<bool> request_tpm_matches_ek;
  // Whether the PKCS#10 carries a real signature by its key, not Windows' bare hash.
  std::optional<bool> request_signed;
};

// The operations a policy rule can name: the SCEP operations, with
// PKIOperation for the request (messageType 19) and ChallengeAnswer for the
// answer to the challenge (messageType 41, or POST /aik/v1/certificate).
inline constexpr std::string_view operations[] = {"GetCACaps", "GetCACert", "GetCACertChain", "PKIOperation",
                                                  "ChallengeAnswer"};

struct request_facts {
  std::string operation;         // one of `operations`
  std::string authority;         // the authority's name, "IFX-KeyId-…"
  std::string authority_vendor;  // "IFX"
  client_facts client;
  std::optional<ek_facts> ek;
  // Whether the AIK creation proof was present and verified, when the exchange got that far.
  std::optional<bool> aik_proof_valid;
  std::string aik_proof_failure;
  // Whether the PKCS#10 is signed by the attested AIK (SCEP requests; the JSON API has none).
  std::optional<bool> request_signature_valid;
  std::string request_signature_failure;
};

}  // namespace aikmock::policy
