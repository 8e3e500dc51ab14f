#pragma once
// What a policy decides on: the facts the exchange established about one
// request. Plain data, filled by the protocol layer; optional parts are absent
// until the exchange has got that far.
#include <optional>
#include <string>
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

struct request_facts {
  std::string operation;         // "GetCACaps", "GetCACert", "PKIOperation", "ChallengeAnswer"
  std::string authority;         // the authority's name, "IFX-KeyId-…"
  std::string authority_vendor;  // "IFX"
  std::optional<ek_facts> ek;
  // Whether the AIK creation proof was present and verified, when the exchange got that far.
  std::optional<bool> aik_proof_valid;
  std::string aik_proof_failure;
  // Whether the PKCS#10 is signed by the attested AIK (SCEP requests; the JSON API has none).
  std::optional<bool> request_signature_valid;
  std::string request_signature_failure;
};

}  // namespace aikmock::policy
