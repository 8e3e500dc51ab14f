#pragma once
// The lab PKI's manifest.json: what `pki init` made and where, so the server,
// the tests and clients never guess paths. Paths are relative to the manifest.
#include <filesystem>
#include <string>
#include <vector>

#include "certs/aik_authority_profile.hpp"

namespace aikmock::certs {

struct key_pair_files {
  std::string certificate;
  std::string private_key;
};

struct lab_vendor {
  std::string vendor;       // TCG vendor code as used in host names: IFX, STM, NTC, INTC
  std::string manufacturer; // TPM manufacturer id as in the EK SAN, e.g. "id:49465800"
  key_pair_files root_ca;
  key_pair_files ek_issuing_ca;
};

struct lab_authority {
  std::string name;         // "<VENDOR>-KeyId-<keyId>", the host label Windows derives
  std::string vendor;
  std::string key_id;       // lowercase hex SKI of the EK-issuing CA
  std::string name_id;      // lowercase hex SHA-1 of the EK-issuing CA's subject DER
  std::string ek_issuing_ca;  // the vendor CA certificate this authority serves
  key_pair_files issuing_ca;  // EUS-<VENDOR>-KEYID-<KEYID>: issues AIK certificates
  key_pair_files ra_signing;
  key_pair_files ra_encryption;
};

struct lab_ek {
  std::string id;           // e.g. "stm-h6"
  std::string tpl;          // TCG template id, e.g. "H-6"
  std::string vendor;
  std::string authority;    // lab_authority::name
  std::string nv_index;     // where a TPM would keep the certificate, e.g. "0x01c0001c"
  std::string certificate;  // DER, as stored in TPM NV
  std::string private_key;  // PEM (a software EK)
  std::string public_area;  // TPM2B_PUBLIC, as `tpm2_createek -u` writes it
};

struct lab_manifest {
  int version = 1;
  std::string domain{service_domain};
  // Where the lab's certificates and CRLs are published (their AIA and CRL
  // distribution point URLs): aikmock's plain-HTTP listener as clients reach it.
  std::string public_url{default_public_url};
  std::string trust_store;  // TrustedTPM layout: <VENDOR>/RootCA, <VENDOR>/IntermediateCA
  key_pair_files aik_root;
  std::string tls_root;
  key_pair_files tls_server;
  std::vector<lab_vendor> vendors;
  std::vector<lab_authority> authorities;
  std::vector<lab_ek> eks;
  // 32 random bytes (hex) that seal the server state between the two rounds of
  // an enrollment: every replica given the same lab can finish an exchange
  // another began. Empty in a lab made before it existed.
  std::string sealing_key;

  std::filesystem::path dir;  // where manifest.json lives; not serialised
  std::filesystem::path path_of(const std::string& relative) const { return dir / relative; }
};

// Throws std::runtime_error naming the file and the missing or malformed key.
lab_manifest load_lab_manifest(const std::filesystem::path& lab_dir);
void save_lab_manifest(const lab_manifest& manifest);

}  // namespace aikmock::certs
