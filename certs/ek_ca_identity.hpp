#pragma once
// How a CA that issues EK certificates is named: its subject as text, its
// KeyId (the Subject Key Identifier, which Windows puts in the AIK host name
// `<VENDOR>-KeyId-<keyid>`; docs/protocol.md) and its NameId (SHA-1
// of the subject DER).
#include <string>

#include <openssl/x509.h>

namespace aikmock::certs {

// RFC 2253 text of a name ("CN=…,O=…"; '+' joins the values of a multi-valued RDN).
std::string name_text(const X509_NAME* name);
// A serial number as uppercase hex of its magnitude, '-' in front when negative.
std::string serial_text(const ASN1_INTEGER* serial);
std::string serial_text(X509* cert);

struct ca_identity {
  std::string subject;  // name_text of the subject
  std::string key_id;   // lowercase hex of the SKI; of the SHA-1 of the key bits when there is no SKI
  std::string name_id;  // lowercase hex SHA-1 of the subject DER as encoded in the certificate
};

ca_identity ca_identity_of(X509* cert);

}  // namespace aikmock::certs
