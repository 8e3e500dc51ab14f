// Every message of the Windows wire (docs/protocol.md), decoded down to each
// field the public record names: what aikmock sends (GetCACaps,
// GetCACertChain, the challenge, the delivery) and what it accepts (the
// requests its reference client builds as Windows does).
#include <doctest/doctest.h>

#include <openssl/sha.h>

#include "certs/aik_authority_profile.hpp"
#include "certs/der.hpp"
#include "certs/der_io.hpp"
#include "certs/ek_der_reader.hpp"
#include "certs/oids.hpp"
#include "client/ra_certificates.hpp"
#include "client/wire/cert_rep_reader.hpp"
#include "client/wire/windows_request.hpp"
#include "common/encoding.hpp"
#include "protocol/scep/challenge_messages.hpp"
#include "protocol/scep/pki_message.hpp"
#include "protocol/wcce/identity_request.hpp"
#include "protocol/wcce/key_info.hpp"
#include "tests/support/protocol_world.hpp"

using namespace aikmock;
using namespace aikmock::protocol;
using test::world;

namespace {

cms_ptr cms_of(byte_view der) {
  const unsigned char* p = der.data();
  cms_ptr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(cms);
  return cms;
}

std::vector<std::string> extension_oids(X509* cert, std::vector<bool>* critical = nullptr) {
  std::vector<std::string> out;
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* e = X509_get_ext(cert, i);
    char oid[80];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
    out.emplace_back(oid);
    if (critical) critical->push_back(X509_EXTENSION_get_critical(e) == 1);
  }
  return out;
}

std::string common_name(X509* cert) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

std::string signed_text(CMS_SignerInfo* si, const char* oid) {
  asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  auto* s = static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(si, obj.get(), -3, V_ASN1_PRINTABLESTRING));
  return s ? std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)))
           : std::string();
}

bytes signed_octets(CMS_SignerInfo* si, const char* oid) {
  asn1_object_ptr obj(OBJ_txt2obj(oid, 1));
  auto* s = static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(si, obj.get(), -3, V_ASN1_OCTET_STRING));
  return s ? bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s)) : bytes{};
}

int signature_nid(CMS_SignerInfo* si) {
  X509_ALGOR* sig = nullptr;
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, &sig);
  const ASN1_OBJECT* o = nullptr;
  X509_ALGOR_get0(&o, nullptr, nullptr, sig);
  return OBJ_obj2nid(o);
}

// The one SignerInfo of a SignedData the service signs: the RA signing
// certificate's, sha256WithRSAEncryption (as the real answers are); its certificate set.
x509_stack_ptr check_signed_by_ra(CMS_ContentInfo* cms, const certs::authority& a) {
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  REQUIRE(sk_CMS_SignerInfo_num(infos) == 1);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  CHECK(CMS_SignerInfo_cert_cmp(si, a.ra_signing.get()) == 0);
  CHECK(signature_nid(si) == NID_sha256WithRSAEncryption);
  return x509_stack_ptr(CMS_get1_certs(cms));
}

// The content cipher of an EnvelopedData DER, by OID text.
std::string envelope_cipher(byte_view der) {
  auto cms = cms_of(der);
  REQUIRE(OBJ_obj2nid(CMS_get0_type(cms.get())) == NID_pkcs7_enveloped);
  // EnvelopedData ::= SEQUENCE { version, recipientInfos, encryptedContentInfo { contentType, algorithm, ... } }
  auto ci = certs::read_der_tlv(der);
  auto outer = certs::read_der_children(ci->content);
  auto env = certs::read_der_tlv((*outer)[1].content);
  auto fields = certs::read_der_children(env->content);
  auto eci = certs::read_der_children((*fields)[2].content);
  auto alg = certs::read_der_children((*eci)[1].content);
  ASN1_OBJECT* obj = nullptr;
  const unsigned char* p = (*alg)[0].encoding.data();
  obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>((*alg)[0].encoding.size()));
  char text[80];
  OBJ_obj2txt(text, sizeof text, obj, 1);
  ASN1_OBJECT_free(obj);
  return text;
}

constexpr const char* aes128_cbc = "2.16.840.1.101.3.4.1.2";

struct round1 {
  client::scep_identity me = client::scep_identity::make();
  client::round1_request request;
  response reply;
};

round1 request_challenge(const certs::authority& a, const scep::scep_codec& s) {
  const auto& ek = world().ek("L-1");
  auto tpm = world().tpm(ek);
  round1 r;
  r.request = client::build_request(tpm, a.ra_encryption.get(), r.me, client::client_description::make(), {});
  r.reply = s.handle(a, {"POST", "PKIOperation", "", r.request.message, "test.host"});
  REQUIRE_MESSAGE(r.reply.status == 200, r.reply.body);
  return r;
}

}  // namespace

TEST_CASE("GetCACaps: the reverse-engineered list, LF between lines, CRLF at the end") {
  const auto& a = *world().authorities->all().front();
  auto r = world().scep("microsoft-2025").handle(a, {"GET", "getcacaps", "", {}, "h"});
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain");
  CHECK(r.body == "SHA-256\nSHA-1\nAES256\nAES128\nDES3\nPOSTPKIOperation\nIdentityKeyAttestation\nGetCaCertChain\r\n");
}

TEST_CASE("GetCACertChain: the root, the issuing CA and both RA certificates, signed by the RA") {
  const auto& a = world().authority(world().ek("L-1").authority);
  auto s = world().scep("microsoft-2025");
  for (std::string_view message : {"default", ""}) {
    auto r = s.handle(a, {"GET", "GetCACertChain", message, {}, "h"});
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/x-x509-ca-ra-cert-chain");
    auto cms = cms_of(as_bytes(r.body));
    CHECK(OBJ_obj2nid(CMS_get0_type(cms.get())) == NID_pkcs7_signed);
    x509_stack_ptr set = check_signed_by_ra(cms.get(), a);
    REQUIRE(sk_X509_num(set.get()) == 4);
    std::vector<std::string> names;
    for (int i = 0; i < sk_X509_num(set.get()); ++i) names.push_back(common_name(sk_X509_value(set.get(), i)));
    std::vector<std::string> expected{certs::ra_encryption_common_name, certs::ra_signing_common_name,
                                      certs::issuing_ca_common_name(a.vendor, a.key_id), certs::aik_root_common_name};
    std::sort(names.begin(), names.end());
    std::sort(expected.begin(), expected.end());
    CHECK(names == expected);
    // Our own client reads it as Windows does (by CN), and checks the signature and the chain.
    auto chain = client::read_ca_cert_chain(as_bytes(r.body));
    REQUIRE_MESSAGE(chain, chain.error().message);
    CHECK(X509_cmp(chain->ca.get(), a.issuing_ca.get()) == 0);
  }
  // Signed once per authority, not per request: the same bytes again; another authority's differ.
  CHECK(s.handle(a, {"GET", "GetCACertChain", "", {}, "h"}).body == s.handle(a, {"GET", "GetCACertChain", "", {}, "h"}).body);
  const auto& other = world().authority(world().ek("H-6").authority);
  REQUIRE(other.name != a.name);
  CHECK(s.handle(other, {"GET", "GetCACertChain", "", {}, "h"}).body != s.handle(a, {"GET", "GetCACertChain", "", {}, "h"}).body);
}

// The lab adds what an offline chain engine needs to check revocation
// (docs/windows-lab.md): a CRL distribution point on the RA certificates and
// cRLSign on the issuing CA; everything else is the real ones' profile.
TEST_CASE("the RA and issuing CA certificates have the real ones' extensions, in their order, plus the CRL") {
  const auto& a = world().authority(world().ek("L-1").authority);
  std::vector<bool> critical;
  CHECK(common_name(a.ra_signing.get()) == "RA Signing Certificate");
  CHECK(extension_oids(a.ra_signing.get(), &critical) ==
        std::vector<std::string>{"2.5.29.15", "2.5.29.19", "2.5.29.35", "2.5.29.14", "2.5.29.31", "1.3.6.1.5.5.7.1.1"});
  CHECK(critical == std::vector<bool>{true, true, false, false, false, false});
  CHECK(X509_get_key_usage(a.ra_signing.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_check_ca(a.ra_signing.get()) == 0);

  critical.clear();
  CHECK(common_name(a.ra_encryption.get()) == "RA Encryption Certificate");
  CHECK(extension_oids(a.ra_encryption.get(), &critical) ==
        std::vector<std::string>{"2.5.29.15", "2.5.29.19", "2.5.29.37", "2.5.29.35", "2.5.29.14", "2.5.29.31",
                                 "1.3.6.1.5.5.7.1.1"});
  CHECK(critical == std::vector<bool>{true, true, false, false, false, false, false});
  CHECK(X509_get_key_usage(a.ra_encryption.get()) == KU_KEY_ENCIPHERMENT);
  CHECK(X509_get_extended_key_usage(a.ra_encryption.get()) == 0);  // only the privacy-CA EKU, which OpenSSL does not name
  for (X509* ra : {a.ra_signing.get(), a.ra_encryption.get()}) {
    // The empty BasicConstraints SEQUENCE the real ones carry.
    int index = X509_get_ext_by_NID(ra, NID_basic_constraints, -1);
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(ra, index));
    CHECK(to_hex(byte_view(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value)))) == "3000");
    CHECK(X509_get_signature_nid(ra) == NID_sha256WithRSAEncryption);
    CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(ra)) == 2048);
  }

  critical.clear();
  CHECK(extension_oids(a.issuing_ca.get(), &critical) ==
        std::vector<std::string>{"2.5.29.15", "2.5.29.37", "2.5.29.32", "2.5.29.19", "2.5.29.14", "2.5.29.35",
                                 "2.5.29.31", "1.3.6.1.5.5.7.1.1"});
  CHECK(critical == std::vector<bool>{true, false, false, true, false, false, false, false});
  CHECK(X509_get_key_usage(a.issuing_ca.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get_pathlen(a.issuing_ca.get()) == 0);
}

TEST_CASE("round 1 as the reference client sends it: Windows' SignedData, envelope and PKCS#10") {
  const auto& a = world().authority(world().ek("L-1").authority);
  auto s = world().scep("microsoft-2025");
  auto r = request_challenge(a, s);
  const bytes& message = r.request.message;

  auto cms = cms_of(message);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  CHECK(signed_text(si, certs::oids::scep_message_type) == "19");
  CHECK(signed_octets(si, certs::oids::scep_sender_nonce).size() == 16);
  const auto tid = signed_text(si, certs::oids::scep_transaction_id);
  CHECK(tid.size() == 40);
  CHECK(tid.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(signature_nid(si) == NID_rsaEncryption);
  // The signer: a fresh self-signed "SCEP Protocol Certificate", RSA-2048, AKI then SKI and nothing else.
  X509* signer = r.me.certificate.get();
  CHECK(CMS_SignerInfo_cert_cmp(si, signer) == 0);
  CHECK(common_name(signer) == "SCEP Protocol Certificate");
  CHECK(X509_NAME_cmp(X509_get_subject_name(signer), X509_get_issuer_name(signer)) == 0);
  std::vector<bool> critical;
  CHECK(extension_oids(signer, &critical) == std::vector<std::string>{"2.5.29.35", "2.5.29.14"});
  CHECK(critical == std::vector<bool>{false, false});
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(signer)) == 2048);
  // The certificate set in Windows' order, the signer first (not sorted as DER would sort a SET OF).
  x509_stack_ptr set(CMS_get1_certs(cms.get()));
  REQUIRE(sk_X509_num(set.get()) >= 1);
  CHECK(X509_cmp(sk_X509_value(set.get(), 0), signer) == 0);

  auto msg = scep::parse_pki_message(message, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(msg, msg.error());
  // The envelope: AES-128-CBC to the RA encryption certificate.
  bio_ptr content(BIO_new(BIO_s_mem()));
  REQUIRE(CMS_verify(cms.get(), nullptr, nullptr, nullptr, content.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1);
  CHECK(envelope_cipher(certs::bio_contents(content.get())) == aes128_cbc);

  // The PKCS#10: version 0, empty subject, the eight attributes in Windows' order, the bare hash.
  auto request = wcce::parse_identity_request(msg->content);
  REQUIRE_MESSAGE(request, request.error());
  CHECK(request->attribute_order ==
        std::vector<std::string>{"1.3.6.1.4.1.311.13.2.3", "1.3.6.1.4.1.311.21.42", "1.3.6.1.4.1.311.21.20",
                                 "1.3.6.1.4.1.311.21.25", "1.3.6.1.4.1.311.13.2.2", "1.2.840.113549.1.9.14",
                                 "1.3.6.1.4.1.311.21.24", "1.3.6.1.4.1.311.21.23"});
  CHECK(X509_REQ_get_version(request->csr.get()) == 0);
  CHECK(X509_NAME_entry_count(X509_REQ_get_subject_name(request->csr.get())) == 0);
  CHECK(request->signature_kind == wcce::request_signature::bare_sha256);
  CHECK(request->signature_valid);
  CHECK(request->signer_hash == r.me.thumbprint);
  REQUIRE(request->client);
  CHECK(request->client->id == 5);
  CHECK(request->client->machine.starts_with("DESKTOP-"));
  CHECK(request->client->user == "WORKGROUP\\" + request->client->machine + "$");
  CHECK(request->client->process == "taskhostw.exe");
  CHECK(request->ksp_name == "Microsoft Platform Crypto Provider");
  CHECK(request->key_affinity);
  REQUIRE(request->subject_key_id);
  CHECK(request->subject_key_id->size() == 20);
  REQUIRE(request->tpm);
  CHECK(request->tpm->manufacturer == "id:49465800");
  REQUIRE(request->ek_info);
  CHECK(envelope_cipher(*request->ek_info) == aes128_cbc);
  auto info = wcce::open_ek_info(*request->ek_info, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(info, info.error());
  CHECK(info->ek_certificate);
  CHECK(info->other_certificates.empty());  // Windows sends SEQUENCE { EK SPKI, EK certificate }
  const X509_ALGOR* alg = nullptr;
  X509_REQ_get0_signature(request->csr.get(), nullptr, &alg);
  const ASN1_OBJECT* o = nullptr;
  int param_type = 0;
  X509_ALGOR_get0(&o, &param_type, nullptr, alg);
  CHECK(OBJ_obj2nid(o) == NID_sha256);
  CHECK(param_type == V_ASN1_NULL);
}

TEST_CASE("the challenge: CertRep pkiStatus 11 by the RA, the challenge and server context enveloped to the requester") {
  const auto& a = world().authority(world().ek("L-1").authority);
  auto r = request_challenge(a, world().scep("microsoft-2025"));
  auto cms = cms_of(as_bytes(r.reply.body));
  x509_stack_ptr set = check_signed_by_ra(cms.get(), a);
  REQUIRE(sk_X509_num(set.get()) == 1);  // the RA signing certificate alone
  CHECK(X509_cmp(sk_X509_value(set.get(), 0), a.ra_signing.get()) == 0);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  CHECK(signed_text(si, certs::oids::scep_message_type) == "3");
  CHECK(signed_text(si, certs::oids::scep_pki_status) == "11");
  CHECK(signed_text(si, certs::oids::scep_transaction_id) == r.request.transaction_id);
  CHECK(signed_octets(si, certs::oids::scep_recipient_nonce) == r.request.sender_nonce);
  const bytes own_nonce = signed_octets(si, certs::oids::scep_sender_nonce);
  CHECK(own_nonce.size() == 16);
  CHECK(own_nonce != r.request.sender_nonce);

  auto rep = client::parse_cert_rep(as_bytes(r.reply.body), a.ra_signing.get(), r.me.certificate.get(), r.me.key.get());
  REQUIRE_MESSAGE(rep, rep.error());
  bio_ptr content(BIO_new(BIO_s_mem()));
  REQUIRE(CMS_verify(cms.get(), nullptr, nullptr, nullptr, content.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1);
  CHECK(envelope_cipher(certs::bio_contents(content.get())) == aes128_cbc);

  // SET { SEQUENCE { 1.3.6.1.4.1.311.21.28, SET { OCTET STRING challenge } }, serverContext }, in that order.
  auto set_tlv = certs::read_der_tlv(rep->content);
  REQUIRE(set_tlv);
  CHECK(set_tlv->tag == 0x31);
  auto elements = certs::read_der_children(set_tlv->content);
  REQUIRE(elements);
  REQUIRE(elements->size() == 2);
  auto first = certs::read_der_children((*elements)[0].content);
  auto second = certs::read_der_children((*elements)[1].content);
  CHECK(bytes((*first)[0].encoding.begin(), (*first)[0].encoding.end()) == certs::der::oid("1.3.6.1.4.1.311.21.28"));
  CHECK(bytes((*second)[0].encoding.begin(), (*second)[0].encoding.end()) == certs::der::oid("1.3.6.1.4.1.311.21.34"));
  auto challenge_value = certs::read_der_children((*first)[1].content);
  REQUIRE(challenge_value);
  const byte_view challenge = (*challenge_value)[0].content;
  auto u32 = [&](std::size_t at) {
    return std::uint32_t{challenge[at]} | std::uint32_t{challenge[at + 1]} << 8 | std::uint32_t{challenge[at + 2]} << 16 |
           std::uint32_t{challenge[at + 3]} << 24;
  };
  CHECK(std::string(challenge.begin(), challenge.begin() + 4) == "KACH");
  CHECK(u32(4) == 1);
  CHECK(u32(8) == 2);
  CHECK(u32(12) == 24);
  CHECK(u32(16) == challenge.size() - 24);
  CHECK(u32(20) == 0);
  auto parsed = scep::parse_challenge_reply(rep->content);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK(parsed->server_context == bytes((*elements)[1].encoding.begin(), (*elements)[1].encoding.end()));
}

TEST_CASE("the answer (messageType 41) and the delivery (pkiStatus 0): fields and envelopes") {
  const auto& ek = world().ek("L-1");
  const auto& a = world().authority(ek.authority);
  auto s = world().scep("microsoft-2025");
  auto tpm = world().tpm(ek);
  auto me = client::scep_identity::make();
  auto r1 = client::build_request(tpm, a.ra_encryption.get(), me, client::client_description::make(), {});
  auto reply = s.handle(a, {"POST", "PKIOperation", "", r1.message, "h"});
  auto rep = client::parse_cert_rep(as_bytes(reply.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE(rep);
  auto challenge = *scep::parse_challenge_reply(rep->content);
  auto secret = *tpm.activate(challenge.credential);
  auto r2 = client::build_answer(challenge, secret, r1.transaction_id, a.ra_encryption.get(), me);

  auto cms = cms_of(r2.message);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
  CHECK(signed_text(si, certs::oids::scep_message_type) == "41");
  CHECK(signed_text(si, certs::oids::scep_transaction_id) == r1.transaction_id);
  CHECK(CMS_SignerInfo_cert_cmp(si, me.certificate.get()) == 0);  // the same certificate as round 1
  auto msg = scep::parse_pki_message(r2.message, a.ra_encryption.get(), a.ra_encryption_key.get());
  REQUIRE_MESSAGE(msg, msg.error());
  CHECK(msg->message_type == 41);
  auto answer = scep::parse_challenge_answer(msg->content);
  REQUIRE_MESSAGE(answer, answer.error());
  CHECK(envelope_cipher(answer->enveloped_secret) == aes128_cbc);
  auto opened = certs::open_envelope(answer->enveloped_secret, a.ra_encryption.get(), a.ra_encryption_key.get(), 64);
  REQUIRE(opened);
  CHECK(*opened == secret);
  // The server context comes back byte for byte.
  auto set_tlv = certs::read_der_tlv(msg->content);
  auto elements = certs::read_der_children(set_tlv->content);
  REQUIRE(elements->size() == 2);
  CHECK(bytes((*elements)[1].encoding.begin(), (*elements)[1].encoding.end()) == challenge.server_context);

  auto delivery = s.handle(a, {"POST", "PKIOperation", "", r2.message, "h"});
  REQUIRE_MESSAGE(delivery.status == 200, delivery.body);
  auto done = client::parse_cert_rep(as_bytes(delivery.body), a.ra_signing.get(), me.certificate.get(), me.key.get());
  REQUIRE(done);
  CHECK(done->status == scep::pki_status::success);
  CHECK(done->recipient_nonce == r2.sender_nonce);
  auto delivery_cms = cms_of(as_bytes(delivery.body));
  bio_ptr content(BIO_new(BIO_s_mem()));
  REQUIRE(CMS_verify(delivery_cms.get(), nullptr, nullptr, nullptr, content.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1);
  CHECK(envelope_cipher(certs::bio_contents(content.get())) == aes128_cbc);
  // Inside: a SignedData by the RA holding the AIK certificate and its issuing CA.
  auto inner = cms_of(done->content);
  CHECK(OBJ_obj2nid(CMS_get0_type(inner.get())) == NID_pkcs7_signed);
  CMS_SignerInfo* inner_si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(inner.get()), 0);
  CHECK(CMS_SignerInfo_cert_cmp(inner_si, a.ra_signing.get()) == 0);
  auto certificates = client::delivered_certificates(*done, a.ra_signing.get());
  REQUIRE(certificates);
  REQUIRE(certificates->size() == 2);
}

TEST_CASE("the 404 of an unknown authority and the headers every answer carries are the transport's (server tests)") {
  // The body: the host lower-cased, a sentence ending in a period (CertEnroll event 86 captures).
  auto r = error_response(policy::error_id::unknown_authority, {{"host", "ifx-keyid-00.microsoftaik.azure.net"}});
  CHECK(r.status == 404);
  CHECK(r.body == R"({"Message":"The authority \"ifx-keyid-00.microsoftaik.azure.net\" does not exist."})");
}
