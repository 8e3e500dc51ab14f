#include "client/tss_tpm.hpp"

#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <stdexcept>

#include "certs/ek_certificate.hpp"
#include "client/ek_nv_index.hpp"
#include "client/tpm_deadline.hpp"
#include "tpm/creation_data.hpp"
#include "tpm/ek_policy.hpp"
#include "tpm/key_templates.hpp"
#include "tpm/public_key.hpp"
#include "tpm/signature.hpp"
#include "tpm/signature_verify.hpp"

namespace aikmock::client {

namespace pt = aikmock::tpm;

namespace {

constexpr ESYS_TR none = ESYS_TR_NONE;

// --- between this project's structures and ESAPI's, through their wire form ---------------------

TPM2B_PUBLIC to_tss(const pt::tpmt_public& area) {
  const bytes wire = pt::marshal_public2b(area);
  TPM2B_PUBLIC out{};
  std::size_t offset = 0;
  check_rc(Tss2_MU_TPM2B_PUBLIC_Unmarshal(wire.data(), wire.size(), &offset, &out), "Tss2_MU_TPM2B_PUBLIC_Unmarshal");
  return out;
}

// The wire form of an ESAPI structure, to be read by this project's parsers.
template <class T, TSS2_RC (*marshal)(const T*, std::uint8_t[], std::size_t, std::size_t*)>
bytes wire_of(const T& value, const char* what) {
  bytes out(sizeof(T) + 2);  // the wire form is never larger than the structure (+ a TPM2B size)
  std::size_t size = 0;
  check_rc(marshal(&value, out.data(), out.size(), &size), what);
  out.resize(size);
  return out;
}

pt::tpmt_public from_tss(const TPM2B_PUBLIC& area) {
  auto parsed = pt::parse_public2b(wire_of<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Marshal>(area, "Tss2_MU_TPM2B_PUBLIC_Marshal"));
  if (!parsed) throw std::runtime_error("the TPM returned a public area that does not parse: " + parsed.error());
  return *parsed;
}

bytes creation_data_bytes(const TPMS_CREATION_DATA& data) {
  return wire_of<TPMS_CREATION_DATA, Tss2_MU_TPMS_CREATION_DATA_Marshal>(data, "Tss2_MU_TPMS_CREATION_DATA_Marshal");
}

pt::tpmt_signature from_tss(const TPMT_SIGNATURE& signature) {
  auto parsed =
      pt::parse_signature(wire_of<TPMT_SIGNATURE, Tss2_MU_TPMT_SIGNATURE_Marshal>(signature, "Tss2_MU_TPMT_SIGNATURE_Marshal"));
  if (!parsed) throw std::runtime_error("the TPM returned a signature that does not parse: " + parsed.error());
  return *parsed;
}

// A TPM2B of the challenge, which must be exactly that structure.
template <class T, TSS2_RC (*unmarshal)(const std::uint8_t[], std::size_t, std::size_t*, T*)>
std::optional<T> tpm2b_of(const bytes& wire) {
  T out{};
  std::size_t offset = 0;
  if (unmarshal(wire.data(), wire.size(), &offset, &out) != TSS2_RC_SUCCESS || offset != wire.size()) return std::nullopt;
  return out;
}

// --- NV ----------------------------------------------------------------------------------------------

std::vector<std::uint32_t> defined_nv_indices(ESYS_CONTEXT* c) {
  std::vector<std::uint32_t> out;
  std::uint32_t next = TPM2_NV_INDEX_FIRST;
  TPMI_YES_NO more = TPM2_YES;
  while (more == TPM2_YES) {
    TPMS_CAPABILITY_DATA* raw = nullptr;
    check_rc(Esys_GetCapability(c, none, none, none, TPM2_CAP_HANDLES, next, TPM2_MAX_CAP_HANDLES, &more, &raw),
             "TPM2_GetCapability(NV indices)");
    esys_ptr<TPMS_CAPABILITY_DATA> data(raw);
    const auto& handles = data->data.handles;
    if (handles.count == 0) break;
    for (std::uint32_t i = 0; i < handles.count; ++i) {
      if (handles.handle[i] > TPM2_NV_INDEX_LAST) return out;
      out.push_back(handles.handle[i]);
    }
    next = handles.handle[handles.count - 1] + 1;
  }
  return out;
}

// One TPM2_PT_* property; nullopt when the TPM does not report it.
std::optional<std::uint32_t> tpm_property(ESYS_CONTEXT* c, TPM2_PT property, const char* what) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  check_rc(Esys_GetCapability(c, none, none, none, TPM2_CAP_TPM_PROPERTIES, property, 1, &more, &raw), what);
  esys_ptr<TPMS_CAPABILITY_DATA> data(raw);
  const auto& props = data->data.tpmProperties;
  if (props.count == 0 || props.tpmProperty[0].property != property) return std::nullopt;
  return props.tpmProperty[0].value;
}

std::uint16_t nv_buffer_max(ESYS_CONTEXT* c) {
  // 512 is what TPMs report at the least; the TSS buffer caps it from above.
  const std::uint32_t value =
      tpm_property(c, TPM2_PT_NV_BUFFER_MAX, "TPM2_GetCapability(TPM2_PT_NV_BUFFER_MAX)").value_or(512);
  return static_cast<std::uint16_t>(std::clamp<std::uint32_t>(value, 64, sizeof(TPM2B_MAX_NV_BUFFER::buffer)));
}

bytes read_nv(ESYS_CONTEXT* c, std::uint32_t index, std::uint16_t chunk) {
  const std::string where = "NV " + describe_ek_index(index);
  ESYS_TR nv = none;
  check_rc(Esys_TR_FromTPMPublic(c, index, none, none, none, &nv), ("TPM2_NV_ReadPublic of " + where).c_str());
  struct closer {
    ESYS_CONTEXT* c;
    ESYS_TR& nv;
    ~closer() { (void)Esys_TR_Close(c, &nv); }
  } close_at_exit{c, nv};

  TPM2B_NV_PUBLIC* raw_public = nullptr;
  TPM2B_NAME* raw_name = nullptr;
  check_rc(Esys_NV_ReadPublic(c, nv, none, none, none, &raw_public, &raw_name), ("TPM2_NV_ReadPublic of " + where).c_str());
  esys_ptr<TPM2B_NV_PUBLIC> nv_public(raw_public);
  esys_ptr<TPM2B_NAME> name(raw_name);
  const TPMA_NV attributes = nv_public->nvPublic.attributes;
  const std::uint16_t size = nv_public->nvPublic.dataSize;
  if (!(attributes & TPMA_NV_WRITTEN)) throw std::runtime_error(where + " is defined but was never written");
  // EK certificate indices are readable with their own empty authValue, by the owner and by the platform.
  ESYS_TR auth = none;
  if (attributes & TPMA_NV_AUTHREAD) auth = nv;
  else if (attributes & TPMA_NV_OWNERREAD) auth = ESYS_TR_RH_OWNER;
  else if (attributes & TPMA_NV_PPREAD) auth = ESYS_TR_RH_PLATFORM;
  else throw std::runtime_error(where + " can be read only under a policy");

  bytes out;
  out.reserve(size);
  while (out.size() < size) {
    const auto n = static_cast<std::uint16_t>(std::min<std::size_t>(chunk, size - out.size()));
    TPM2B_MAX_NV_BUFFER* raw = nullptr;
    check_rc(Esys_NV_Read(c, auth, nv, ESYS_TR_PASSWORD, none, none, n, static_cast<std::uint16_t>(out.size()), &raw),
             ("TPM2_NV_Read of " + where).c_str());
    esys_ptr<TPM2B_MAX_NV_BUFFER> data(raw);
    if (data->size == 0 || data->size > n) throw std::runtime_error("TPM2_NV_Read of " + where + " returned a bad size");
    out.insert(out.end(), data->buffer, data->buffer + data->size);
  }
  return out;
}

// --- keys ----------------------------------------------------------------------------------------------

struct created_object {
  tss_handle handle;
  pt::tpmt_public public_area;
};

created_object create_primary(ESYS_CONTEXT* c, ESYS_TR hierarchy, const pt::tpmt_public& tmpl, const char* what) {
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_PUBLIC in = to_tss(tmpl);
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION pcrs{};
  ESYS_TR handle = none;
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  check_rc(Esys_CreatePrimary(c, hierarchy, ESYS_TR_PASSWORD, none, none, &sensitive, &in, &outside, &pcrs, &handle,
                              &out_public, &creation_data, &creation_hash, &ticket),
           what);
  created_object out{tss_handle(c, handle), {}};
  esys_ptr<TPM2B_PUBLIC> p(out_public);
  esys_ptr<TPM2B_CREATION_DATA> d(creation_data);
  esys_ptr<TPM2B_DIGEST> h(creation_hash);
  esys_ptr<TPMT_TK_CREATION> t(ticket);
  out.public_area = from_tss(*p);
  return out;
}

// The low-range EK template and nonce a TPM maker may leave in NV (EK
// Credential Profile 2.x, 2.2.1.5): certificate index + 2 and + 1.
struct low_range_nv {
  std::uint32_t certificate, nonce, templ;
};
constexpr low_range_nv low_range[] = {{0x01C00002, 0x01C00003, 0x01C00004}, {0x01C0000A, 0x01C0000B, 0x01C0000C}};

pt::credential_error_kind activation_error_kind(const tss_error& e) {
  switch (e.tpm_rc()) {
    case TPM2_RC_INTEGRITY: return pt::credential_error_kind::integrity_check_failed;
    case TPM2_RC_SIZE: return pt::credential_error_kind::credential_size_mismatch;
    case TPM2_RC_VALUE:
    case TPM2_RC_ECC_POINT:
    case TPM2_RC_FAILURE:
    case TPM2_RC_KEY:
    case TPM2_RC_SCHEME: return pt::credential_error_kind::secret_decryption_failed;
    default: return pt::credential_error_kind::crypto_failure;
  }
}

}  // namespace

tss_tpm::tss_tpm(std::string tcti, std::optional<std::uint32_t> ek_index, std::chrono::milliseconds timeout,
                 pt::alg_id aik_type)
    : tcti_(std::move(tcti)), wanted_ek_index_(ek_index), timeout_(timeout), aik_type_(aik_type) {}

tss_tpm::~tss_tpm() {
  if (!aik_) return;
  tpm_deadline deadline(timeout_, "flushing the AIK");
  aik_.reset();
}

ESYS_CONTEXT* tss_tpm::open() {
  if (tpm_) return tpm_->get();
  tpm_deadline deadline(timeout_, "connecting to " + tcti_ + " and reading the EK certificate");
  auto tpm = std::make_unique<tss_context>(tcti_, static_cast<std::int32_t>(timeout_.count()));
  nv_indices_ = defined_nv_indices(tpm->get());
  nv_chunk_ = nv_buffer_max(tpm->get());
  const auto order = ek_certificate_indices();
  const auto chosen = wanted_ek_index_ ? first_present(std::span(&*wanted_ek_index_, 1), nv_indices_)
                                       : first_present(order, nv_indices_);
  if (!chosen) {
    std::string present;
    for (auto index : order)
      if (std::ranges::find(nv_indices_, index) != nv_indices_.end())
        present += (present.empty() ? "" : ", ") + describe_ek_index(index);
    if (present.empty()) present = "none";
    throw client::no_ek_certificate(wanted_ek_index_ ? "the TPM has no EK certificate at NV " +
                                                    describe_ek_index(*wanted_ek_index_) +
                                                    "; EK certificates present: " + present
                                              : "the TPM has no EK certificate at any index of the TCG EK Credential Profile");
  }
  ek_certificate_ = read_nv(tpm->get(), *chosen, nv_chunk_);
  ek_index_ = *chosen;
  ek_template_ = ek_template_at(ek_index_);
  tpm_ = std::move(tpm);
  return tpm_->get();
}

bytes tss_tpm::ek_certificate() {
  open();
  return ek_certificate_;
}

std::string tss_tpm::ek_certificate_source() const {
  return ek_template_ ? "NV " + describe_ek_index(ek_index_) : std::string();
}

std::vector<bytes> tss_tpm::ek_chain() {
  ESYS_CONTEXT* c = open();
  tpm_deadline deadline(timeout_, "reading the EK certificate chain");
  std::vector<bytes> out;
  for (auto index : nv_indices_) {  // ascending, as TPM2_GetCapability lists them
    if (index < ek_chain_first_index || index > ek_chain_last_index) continue;
    for (auto& cert : certificates_in_nv(read_nv(c, index, nv_chunk_))) out.push_back(std::move(cert));
  }
  return out;
}

std::optional<std::uint32_t> tss_tpm::manufacturer() {
  ESYS_CONTEXT* c = open();
  tpm_deadline deadline(timeout_, "TPM2_GetCapability(TPM2_PT_MANUFACTURER)");
  return tpm_property(c, TPM2_PT_MANUFACTURER, "TPM2_GetCapability(TPM2_PT_MANUFACTURER)");
}

std::optional<tpm_properties> tss_tpm::properties() {
  ESYS_CONTEXT* c = open();
  tpm_deadline deadline(timeout_, "TPM2_GetCapability(TPM_PT_*)");
  const char* what = "TPM2_GetCapability(TPM_PT_*)";
  tpm_properties p;
  p.manufacturer = tpm_property(c, TPM2_PT_MANUFACTURER, what).value_or(0);
  p.level = tpm_property(c, TPM2_PT_LEVEL, what).value_or(0);
  p.revision = tpm_property(c, TPM2_PT_REVISION, what).value_or(0);
  p.firmware_1 = tpm_property(c, TPM2_PT_FIRMWARE_VERSION_1, what).value_or(0);
  p.firmware_2 = tpm_property(c, TPM2_PT_FIRMWARE_VERSION_2, what).value_or(0);
  return p;
}

pt::tpmt_public tss_tpm::ek_template_from_nv() {
  open();
  pt::tpmt_public tmpl = pt::ek_template_public(*ek_template_);
  const auto defined = [this](std::uint32_t index) {
    return std::ranges::find(nv_indices_, index) != nv_indices_.end();
  };
  for (const auto& low : low_range) {
    if (low.certificate != ek_index_) continue;
    if (defined(low.templ)) {
      auto parsed = pt::parse_public(read_nv(tpm_->get(), low.templ, nv_chunk_));
      if (!parsed)
        throw std::runtime_error("the EK template at NV " + describe_ek_index(low.templ) + " does not parse: " + parsed.error());
      tmpl = *parsed;
    }
    if (defined(low.nonce)) {
      const bytes nonce = read_nv(tpm_->get(), low.nonce, nv_chunk_);
      if (tmpl.type == pt::alg::rsa) {
        tmpl.rsa.modulus = nonce;
        tmpl.rsa.modulus.resize(std::max<std::size_t>(nonce.size(), 256), 0);
      } else {
        tmpl.ecc.x = nonce;
        tmpl.ecc.x.resize(std::max<std::size_t>(nonce.size(), 32), 0);
        tmpl.ecc.y.assign(32, 0);
      }
    }
  }
  return tmpl;
}

tss_handle tss_tpm::create_ek() {
  auto ek = create_primary(open(), ESYS_TR_RH_ENDORSEMENT, ek_template_from_nv(), "TPM2_CreatePrimary(EK)");
  if (!ek_public_) {
    // A certificate written for another key would only be refused by the service; say it here.
    auto certificate = certs::parse_ek_certificate(ek_certificate_);
    auto key = pt::public_key_from_public(ek.public_area);
    if (certificate && certificate->public_key && key &&
        EVP_PKEY_eq(certificate->public_key.get(), key.get()) != 1)
      throw std::runtime_error("the EK certificate at NV " + describe_ek_index(ek_index_) +
                               " is not for the EK this TPM creates from template " + std::string(ek_template_->id));
    ek_public_ = ek.public_area;
  }
  return std::move(ek.handle);
}

pt::tpmt_public tss_tpm::ek_public() {
  open();
  tpm_deadline deadline(timeout_, "creating the EK");
  if (!ek_public_) create_ek();  // flushed at once: activate creates it again
  return *ek_public_;
}

pt::aik_creation_proof tss_tpm::create_aik(byte_view nonce) {
  ESYS_CONTEXT* c = open();
  tpm_deadline deadline(timeout_, "creating the AIK and its creation proof");
  aik_.reset();
  // A primary key in the owner hierarchy, made unique by 20 random bytes in its
  // template (as the AIK the real service certified; tpm/key_templates.hpp).
  bytes unique(20);
  openssl_check(RAND_bytes(unique.data(), static_cast<int>(unique.size())) == 1, "RAND_bytes");
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_PUBLIC in = to_tss(pt::aik_template(aik_type_, unique));
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION pcrs{};
  ESYS_TR handle = none;
  TPM2B_PUBLIC* raw_public = nullptr;
  TPM2B_CREATION_DATA* raw_creation = nullptr;
  TPM2B_DIGEST* raw_hash = nullptr;
  TPMT_TK_CREATION* raw_ticket = nullptr;
  check_rc(Esys_CreatePrimary(c, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, none, none, &sensitive, &in, &outside, &pcrs,
                              &handle, &raw_public, &raw_creation, &raw_hash, &raw_ticket),
           "TPM2_CreatePrimary(AIK)");
  aik_ = tss_handle(c, handle);
  esys_ptr<TPM2B_PUBLIC> aik_public(raw_public);
  esys_ptr<TPM2B_CREATION_DATA> creation_data(raw_creation);
  esys_ptr<TPM2B_DIGEST> creation_hash(raw_hash);
  esys_ptr<TPMT_TK_CREATION> ticket(raw_ticket);

  TPM2B_DATA qualifying{};
  if (nonce.size() > sizeof qualifying.buffer) throw std::invalid_argument("the attestation nonce is too long");
  qualifying.size = static_cast<std::uint16_t>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AIK's own
  TPM2B_ATTEST* raw_attest = nullptr;
  TPMT_SIGNATURE* raw_signature = nullptr;
  check_rc(Esys_CertifyCreation(c, aik_.get(), aik_.get(), ESYS_TR_PASSWORD, none, none, &qualifying, creation_hash.get(),
                                &scheme, ticket.get(), &raw_attest, &raw_signature),
           "TPM2_CertifyCreation(AIK)");
  esys_ptr<TPM2B_ATTEST> attest(raw_attest);
  esys_ptr<TPMT_SIGNATURE> signature(raw_signature);

  pt::aik_creation_proof proof;
  proof.aik_public = from_tss(*aik_public);
  proof.creation_data = creation_data_bytes(creation_data->creationData);
  proof.attest.assign(attest->attestationData, attest->attestationData + attest->size);
  proof.signature = from_tss(*signature);
  return proof;
}

pt::credential_result<bytes> tss_tpm::activate(const pt::credential_blob& challenge) {
  using kind = pt::credential_error_kind;
  if (!aik_) return fail(pt::credential_error{kind::invalid_object_name, "no AIK was created"});
  const auto id_object = tpm2b_of<TPM2B_ID_OBJECT, Tss2_MU_TPM2B_ID_OBJECT_Unmarshal>(challenge.id_object);
  const auto secret = tpm2b_of<TPM2B_ENCRYPTED_SECRET, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal>(challenge.encrypted_secret);
  if (!id_object || !secret)
    return fail(pt::credential_error{kind::malformed_blob, "the challenge is not a TPM2B_ID_OBJECT and a TPM2B_ENCRYPTED_SECRET"});

  try {
    ESYS_CONTEXT* c = open();
    tpm_deadline deadline(timeout_, "TPM2_ActivateCredential");
    tss_handle ek = create_ek();
    const auto steps = pt::ek_policy_session_for(ek_public_->auth_policy);
    if (!steps)
      return fail(pt::credential_error{kind::unsupported_protector,
                                  "the EK's authPolicy is not one of the TCG EK templates' (no session can satisfy it)"});
    const TPMT_SYM_DEF no_symmetric{TPM2_ALG_NULL, {}, {}};
    ESYS_TR raw_session = none;
    check_rc(Esys_StartAuthSession(c, none, none, none, none, none, nullptr, TPM2_SE_POLICY, &no_symmetric, steps->hash,
                                   &raw_session),
             "TPM2_StartAuthSession(policy)");
    tss_handle session(c, raw_session);
    check_rc(Esys_PolicySecret(c, ESYS_TR_RH_ENDORSEMENT, session.get(), ESYS_TR_PASSWORD, none, none, nullptr, nullptr,
                               nullptr, 0, nullptr, nullptr),
             "TPM2_PolicySecret(TPM_RH_ENDORSEMENT)");
    if (!steps->policy_or_branches.empty()) {
      TPML_DIGEST branches{};
      for (const auto& b : steps->policy_or_branches) {
        auto& d = branches.digests[branches.count++];
        d.size = static_cast<std::uint16_t>(b.size());
        std::copy(b.begin(), b.end(), d.buffer);
      }
      check_rc(Esys_PolicyOR(c, session.get(), none, none, none, &branches), "TPM2_PolicyOR");
    }
    // The session ends with the command (continueSession clear), as Windows uses it.
    check_rc(Esys_TRSess_SetAttributes(c, session.get(), 0, TPMA_SESSION_CONTINUESESSION), "Esys_TRSess_SetAttributes");
    TPM2B_DIGEST* raw_credential = nullptr;
    check_rc(Esys_ActivateCredential(c, aik_.get(), ek.get(), ESYS_TR_PASSWORD, session.get(), none, &*id_object, &*secret,
                                     &raw_credential),
             "TPM2_ActivateCredential");
    session.release();
    esys_ptr<TPM2B_DIGEST> credential(raw_credential);
    return bytes(credential->buffer, credential->buffer + credential->size);
  } catch (const tss_error& e) {
    return fail(pt::credential_error{activation_error_kind(e), e.what()});
  } catch (const std::exception& e) {
    return fail(pt::credential_error{kind::crypto_failure, e.what()});
  }
}

}  // namespace aikmock::client
