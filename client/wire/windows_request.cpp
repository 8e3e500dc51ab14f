#include "client/wire/windows_request.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "certs/certificate_builder.hpp"
#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "certs/ek_certificate.hpp"
#include "certs/keys.hpp"
#include "certs/oids.hpp"
#include "client/wire/pki_request_builder.hpp"
#include "common/encoding.hpp"
#include "protocol/wcce/kast.hpp"
#include "protocol/wcce/key_info.hpp"
#include "tpm/public_key.hpp"

namespace aikmock::client {

namespace {

// Windows sends the EK certificate's CA chain root-most first, the issuer last
// (docs/protocol.md); a TPM keeps it in whatever order its maker wrote. A
// certificate that is not parsed keeps its place after the ones that are.
std::vector<bytes> root_most_first(const std::vector<bytes>& chain) {
  struct entry {
    x509_ptr cert;
    bytes der;
  };
  std::vector<entry> parsed;
  std::vector<bytes> unparsed;
  for (const auto& der : chain) {
    const unsigned char* p = der.data();
    x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (cert) parsed.push_back({std::move(cert), der});
    else unparsed.push_back(der);
  }
  openssl_errors();
  std::vector<bytes> out;
  while (!parsed.empty()) {
    // The next is one whose issuer is none of the others left: the top of what remains.
    auto top = std::find_if(parsed.begin(), parsed.end(), [&](const entry& e) {
      return std::none_of(parsed.begin(), parsed.end(), [&](const entry& other) {
        return &other != &e && X509_NAME_cmp(X509_get_issuer_name(e.cert.get()), X509_get_subject_name(other.cert.get())) == 0;
      });
    });
    if (top == parsed.end()) top = parsed.begin();  // a loop of issuers: keep the order given
    out.push_back(std::move(top->der));
    parsed.erase(top);
  }
  for (auto& der : unparsed) out.push_back(std::move(der));
  return out;
}

namespace der = certs::der;
namespace oids = certs::oids;
namespace scep = protocol::scep;

constexpr const char* scep_protocol_certificate = "SCEP Protocol Certificate";
constexpr const char* platform_crypto_provider = "Microsoft Platform Crypto Provider";
constexpr const char* id_sha256 = "2.16.840.1.101.3.4.2.1";

bytes random_bytes(std::size_t n) {
  bytes b(n);
  openssl_check(RAND_bytes(b.data(), static_cast<int>(n)) == 1, "RAND_bytes");
  return b;
}

bytes sha1(byte_view data) {
  bytes out(SHA_DIGEST_LENGTH);
  SHA1(data.data(), data.size(), out.data());
  return out;
}

bytes sha256(byte_view data) {
  bytes out(SHA256_DIGEST_LENGTH);
  SHA256(data.data(), data.size(), out.data());
  return out;
}

bytes attribute(const char* oid, const bytes& value) { return der::sequence({der::oid(oid), der::set({value})}); }

bytes extension(const char* oid, const bytes& value) { return der::sequence({der::oid(oid), der::octet_string(value)}); }

// GeneralNames { directoryName { tpmManufacturer, tpmModel, tpmVersion } }, one RDN each.
bytes tpm_san(const certs::tpm_identity& tpm) {
  auto rdn = [](const char* oid, const std::string& value) {
    return der::set({der::sequence({der::oid(oid), der::utf8_string(value)})});
  };
  const bytes name = der::sequence({rdn(oids::tpm_manufacturer, tpm.manufacturer), rdn(oids::tpm_model, tpm.model),
                                    rdn(oids::tpm_version, tpm.version)});
  return der::sequence({der::context(4, name)});
}
}  // namespace

scep_identity scep_identity::make() {
  scep_identity id;
  id.key = certs::generate_rsa_key(2048);
  const auto now = std::chrono::system_clock::now();
  // Windows' own: exactly two extensions, AKI (a keyIdentifier) then SKI, nothing else.
  const bytes key_id = certs::key_identifier(id.key.get());
  id.certificate = certs::certificate_builder(id.key.get())
                       .subject({{"CN", scep_protocol_certificate}})
                       .validity(now - std::chrono::hours(1), now + std::chrono::hours(24 * 367))
                       .extension_der("2.5.29.35", false, der::sequence({der::context(0, key_id, false)}))
                       .extension_der("2.5.29.14", false, der::octet_string(key_id))
                       .sign(nullptr, id.key.get(), EVP_sha256());
  id.thumbprint = sha1(certs::der_of(id.certificate.get(), i2d_X509));
  return id;
}

client_description client_description::make() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  client_description who;
  who.machine = "DESKTOP-";
  for (auto b : random_bytes(7)) who.machine += alphabet[b % (sizeof alphabet - 1)];
  who.user = "WORKGROUP\\" + who.machine + "$";
  return who;
}

bytes build_windows_pkcs10(const windows_request_parts& p) {
  const bytes client_info = der::sequence({der::integer(5), der::utf8_string(p.who.machine),
                                           der::utf8_string(p.who.user), der::utf8_string(p.who.process)});
  const bytes csp_info = der::sequence({der::integer(0), der::bmp_string(platform_crypto_provider), der::bit_string({})});
  const bytes extensions = der::sequence({extension("2.5.29.17", tpm_san(p.tpm)),
                                          extension(oids::enroll_key_affinity, der::null()),
                                          extension("2.5.29.14", der::octet_string(p.aik_key_id))});
  // Windows' attributes, in Windows' order; DER would sort a SET OF, Windows does not.
  // (Tests leave the last two out by leaving them empty.)
  std::vector<bytes> list{attribute(oids::os_version, der::ia5_string(p.who.os_version)),
                          attribute(oids::enroll_scep_signer_hash, der::octet_string(p.signer_hash)),
                          attribute(oids::request_client_info, client_info),
                          attribute(oids::enroll_ksp_name, der::bmp_string(platform_crypto_provider)),
                          attribute(oids::enrollment_csp_provider, csp_info),
                          attribute(oids::pkcs9_extension_request, extensions)};
  if (!p.attestation_statement.empty())
    list.push_back(attribute(oids::enroll_attestation_statement, der::octet_string(p.attestation_statement)));
  if (!p.ek_info.empty()) list.push_back(attribute(oids::enroll_ek_info, p.ek_info));
  const bytes attributes = der::constructed(0xa0, list);
  const bytes request_info = der::sequence({der::integer(0), der::sequence({}), p.aik_public_key, attributes});
  if (p.sign) {
    auto key = [&] {
      const unsigned char* q = p.aik_public_key.data();
      return evp_pkey_ptr(d2i_PUBKEY(nullptr, &q, static_cast<long>(p.aik_public_key.size())));
    }();
    openssl_check(key != nullptr, "the AIK public key does not decode");
    const bool ecc = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC;
    const bytes algorithm = ecc ? der::sequence({der::oid("1.2.840.10045.4.3.2")})
                                : der::sequence({der::oid("1.2.840.113549.1.1.11"), der::null()});
    return der::sequence({request_info, algorithm, der::bit_string(p.sign(request_info))});
  }
  // The AIK is a restricted key and cannot sign this: Windows sends the bare hash.
  return der::sequence({request_info, der::sequence({der::oid(id_sha256), der::null()}),
                        der::bit_string(sha256(request_info))});
}

round1_request build_request(tpm_backend& tpm, X509* ra_encryption, const scep_identity& me,
                             const client_description& who, const std::vector<bytes>& ek_ca_chain) {
  auto proof = tpm.create_aik({});
  auto aik_key = tpm::public_key_from_public(proof.aik_public);
  openssl_check(aik_key != nullptr, "the AIK public does not load");
  auto ek_key = tpm::public_key_from_public(tpm.ek_public());
  openssl_check(ek_key != nullptr, "the EK public does not load");
  const bytes ek_certificate = tpm.ek_certificate();
  auto ek = certs::parse_ek_certificate(ek_certificate);
  if (!ek) throw std::runtime_error("the EK certificate does not decode: " + ek.error());

  protocol::wcce::key_attestation_statement kast;
  kast.platform = protocol::wcce::kast_platform::tpm20;
  kast.id_binding = tpm::marshal_creation_proof(proof);

  windows_request_parts parts;
  parts.aik_public_key = certs::public_key_der(aik_key.get());
  // The SKI of the AIK: RFC 5280's SHA-1 of the public key bits.
  parts.aik_key_id = certs::key_identifier(aik_key.get());
  parts.who = who;
  parts.signer_hash = me.thumbprint;
  parts.tpm = ek->tpm;
  parts.attestation_statement = protocol::wcce::marshal_kast(kast);
  // Windows sends the EK's SubjectPublicKeyInfo and its certificate, AES-128-CBC.
  parts.ek_info = certs::envelope_to(
      protocol::wcce::encode_ek_info({certs::public_key_der(ek_key.get()), ek_certificate, {}}), ra_encryption,
      EVP_aes_128_cbc());

  round1_request out;
  out.aik_public = proof.aik_public;
  out.transaction_id = to_hex(random_bytes(20));
  out.sender_nonce = random_bytes(16);
  pki_request r;
  r.type = scep::message_type::pkcs_req;
  r.transaction_id = out.transaction_id;
  r.sender_nonce = out.sender_nonce;
  r.extra_certificates = root_most_first(ek_ca_chain);
  out.message = build_pki_message(r, build_windows_pkcs10(parts), ra_encryption, me.certificate.get(), me.key.get());
  return out;
}

round2_request build_answer(const scep::challenge_reply& challenge, byte_view secret,
                            const std::string& transaction_id, X509* ra_encryption, const scep_identity& me) {
  const bytes enveloped_secret = certs::envelope_to(secret, ra_encryption, EVP_aes_128_cbc());
  round2_request out;
  out.sender_nonce = random_bytes(16);
  pki_request r;
  r.type = scep::message_type::claim_challenge_answer;
  r.transaction_id = transaction_id;
  r.sender_nonce = out.sender_nonce;
  out.message = build_pki_message(r, scep::encode_challenge_answer(enveloped_secret, challenge.server_context),
                                  ra_encryption, me.certificate.get(), me.key.get());
  return out;
}

result<std::vector<x509_ptr>> delivered_certificates(const parsed_cert_rep& rep, X509* ra_signing) {
  if (rep.content.empty()) return fail("the SUCCESS answer carries no certificate");
  auto certificates = signed_certificates_of(rep.content, ra_signing);
  if (!certificates) return fail("the delivered certificates: " + certificates.error());
  return certificates;
}

}  // namespace aikmock::client
