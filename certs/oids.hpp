#pragma once
// Object identifiers of the TCG and Microsoft profiles this project speaks.
namespace aikmock::certs::oids {

// TCG (EK Credential Profile; as in go-attestation's oid/oid.go)
inline constexpr const char* tpm_manufacturer = "2.23.133.2.1";
inline constexpr const char* tpm_model = "2.23.133.2.2";
inline constexpr const char* tpm_version = "2.23.133.2.3";
inline constexpr const char* tpm_specification = "2.23.133.2.16";
inline constexpr const char* kp_ek_certificate = "2.23.133.8.1";
inline constexpr const char* kp_aik_certificate = "2.23.133.8.3";

// Microsoft (wincrypt.h szOID_* constants; [MS-WCCE] attribute definitions)
inline constexpr const char* kp_privacy_ca = "1.3.6.1.4.1.311.21.36";
inline constexpr const char* enroll_ekverifycert = "1.3.6.1.4.1.311.21.31";
inline constexpr const char* enroll_ek_info = "1.3.6.1.4.1.311.21.23";
inline constexpr const char* enroll_attestation_statement = "1.3.6.1.4.1.311.21.24";
inline constexpr const char* enroll_ksp_name = "1.3.6.1.4.1.311.21.25";
inline constexpr const char* enroll_aik_info = "1.3.6.1.4.1.311.21.39";
inline constexpr const char* enroll_ek_ca_keyid = "1.3.6.1.4.1.311.21.43";
// The attributes of Windows' AIK request (szOID_OS_VERSION, szOID_ENROLL_SCEP_SIGNER_HASH,
// szOID_REQUEST_CLIENT_INFO, szOID_ENROLLMENT_CSP_PROVIDER, szOID_ENROLL_KEY_AFFINITY).
inline constexpr const char* os_version = "1.3.6.1.4.1.311.13.2.3";
inline constexpr const char* enroll_scep_signer_hash = "1.3.6.1.4.1.311.21.42";
inline constexpr const char* request_client_info = "1.3.6.1.4.1.311.21.20";
inline constexpr const char* enrollment_csp_provider = "1.3.6.1.4.1.311.13.2.2";
inline constexpr const char* enroll_key_affinity = "1.3.6.1.4.1.311.21.41";
inline constexpr const char* pkcs9_extension_request = "1.2.840.113549.1.9.14";
// szOID_CERTSRV_CA_VERSION, on Microsoft's CA certificates.
inline constexpr const char* certsrv_ca_version = "1.3.6.1.4.1.311.21.1";

inline constexpr const char* enroll_attestation_challenge = "1.3.6.1.4.1.311.21.28";
inline constexpr const char* enroll_scep_server_state = "1.3.6.1.4.1.311.21.34";
inline constexpr const char* enroll_scep_challenge_answer = "1.3.6.1.4.1.311.21.35";

// aikmock's own: the EK public as TPM2B_PUBLIC, sent beside EK_INFO when the
// client has it (Windows sends only the SubjectPublicKeyInfo). A UUID OID
// (X.667, arc 2.25) so it can clash with no one's.
inline constexpr const char* aikmock_ek_public_area = "2.25.51889976141628517542938965731673051781";

// SCEP (RFC 8894; VeriSign arc)
inline constexpr const char* scep_message_type = "2.16.840.1.113733.1.9.2";
inline constexpr const char* scep_pki_status = "2.16.840.1.113733.1.9.3";
inline constexpr const char* scep_fail_info = "2.16.840.1.113733.1.9.4";
inline constexpr const char* scep_sender_nonce = "2.16.840.1.113733.1.9.5";
inline constexpr const char* scep_recipient_nonce = "2.16.840.1.113733.1.9.6";
inline constexpr const char* scep_transaction_id = "2.16.840.1.113733.1.9.7";

}  // namespace aikmock::certs::oids
