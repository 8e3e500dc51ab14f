#pragma once
// Moving OpenSSL objects to and from bytes: the few conversions every CMS and
// key-handling file needs, in one place.
#include "certs/openssl_types.hpp"
#include "common/bytes.hpp"

namespace aikmock::certs {

// A read-only memory BIO over `data` (which must outlive it).
bio_ptr memory_bio(byte_view data);
// Whatever a memory BIO holds.
bytes bio_contents(BIO* bio);
bytes cms_der(CMS_ContentInfo* cms);
// SubjectPublicKeyInfo DER of a key; empty when it has none.
bytes public_key_der(EVP_PKEY* key);
// A CMS EnvelopedData of `plain` to one recipient certificate, as DER.
bytes envelope_to(byte_view plain, X509* recipient, const EVP_CIPHER* cipher);

}  // namespace aikmock::certs
