// PKCS#10 with MS-WCCE attributes, as opened from a SCEP envelope.
#include <cstddef>
#include <cstdint>

#include "certs/der_io.hpp"
#include "certs/keys.hpp"
#include "fuzz/seeds.hpp"
#include "protocol/wcce/identity_request.hpp"

using namespace aikmock;

namespace {
bool seeded = [] {
  aikmock::load_openssl_providers();
  auto key = certs::generate_ec_key("P-256");
  aikmock::x509_req_ptr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key.get());
  for (const char* oid : {"1.3.6.1.4.1.311.21.23", "1.3.6.1.4.1.311.21.24", "1.3.6.1.4.1.311.21.39"}) {
    aikmock::asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
    const unsigned char value[] = {1, 2, 3, 4};
    X509_REQ_add1_attr_by_OBJ(req.get(), obj.get(), V_ASN1_OCTET_STRING, value, sizeof value);
  }
  X509_REQ_sign(req.get(), key.get(), EVP_sha256());
  fuzz::write_seed("csr-with-attributes", certs::checked_der_of(req.get(), i2d_X509_REQ, "i2d_X509_REQ"));
  return true;
}();
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)protocol::wcce::parse_identity_request({data, size});
  aikmock::openssl_errors();
  return 0;
}
