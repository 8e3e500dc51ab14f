#pragma once
// The PKCS#10 inside Windows' AIK request ([MS-WCCE] 3.1.1.4.3.4; the exact
// shape as google/security-research's tpm-carte-blanche matched it against
// real requests, docs/protocol.md): subject empty, the AIK's public key, and
// eight attributes in this order — OS version, SCEP signer hash, client info,
// KSP name, CSP info, extension request (SAN with the TPM, key affinity, the
// AIK's SKI), attestation statement (KAST), EK info. Its "signature" is the
// bare SHA-256 of the request info under id-sha256 (the AIK is a restricted key
// and cannot sign it); a real signature is read too. This reader records what
// is there; judging it is the enrollment service's and the policy's work.
#include <optional>
#include <string>
#include <vector>

#include "certs/ek_certificate_profile.hpp"
#include "common/bytes.hpp"
#include "common/openssl.hpp"
#include "common/result.hpp"

namespace aikmock::protocol::wcce {

struct client_info {
  long id = 0;              // 5 in Windows' requests
  std::string machine;      // "DESKTOP-1A2B3C4"
  std::string user;         // "WORKGROUP\DESKTOP-1A2B3C4$"
  std::string process;      // "taskhostw.exe"
};

enum class request_signature { bare_sha256, signature };

struct identity_request {
  x509_req_ptr csr;
  bytes public_key;  // SubjectPublicKeyInfo DER: the AIK
  request_signature signature_kind = request_signature::bare_sha256;
  // bare_sha256: the value is SHA-256 of the request info; signature: it verifies with the request's key.
  bool signature_valid = false;
  std::vector<std::string> attribute_order;  // OIDs as they appear

  std::optional<std::string> os_version;       // szOID_OS_VERSION
  std::optional<bytes> signer_hash;            // szOID_ENROLL_SCEP_SIGNER_HASH (SHA-1 of the SCEP signer)
  std::optional<client_info> client;           // szOID_REQUEST_CLIENT_INFO
  std::optional<std::string> ksp_name;         // szOID_ENROLL_KSP_NAME
  std::optional<certs::tpm_identity> tpm;      // the extension request's SAN
  std::optional<bytes> subject_key_id;         // the extension request's SKI
  bool key_affinity = false;                   // szOID_ENROLL_KEY_AFFINITY in the extension request
  std::optional<bytes> attestation_statement;  // szOID_ENROLL_ATTESTATION_STATEMENT: the KAST bytes
  std::optional<bytes> ek_info;                // szOID_ENROLL_EK_INFO: its value's DER
};

// Bounds: a Windows request is under 8 KB.
inline constexpr std::size_t max_identity_request_size = 64 * 1024;

result<identity_request> parse_identity_request(byte_view pkcs10_der);

}  // namespace aikmock::protocol::wcce
