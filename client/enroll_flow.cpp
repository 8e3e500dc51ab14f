#include "client/enroll_flow.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "certs/ek_ca_identity.hpp"
#include "certs/pem.hpp"
#include "client/platform_type.hpp"
#include "client/ra_certificates.hpp"
#include "client/wire/cert_rep_reader.hpp"
#include "client/wire/windows_request.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/uuid.hpp"
#include "tpm/public_key.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/scep/challenge_messages.hpp"
#include "tpm/ek_template.hpp"

namespace aikmock::client {

namespace {

namespace scep = protocol::scep;

constexpr const char* pki_message_type = "application/x-pki-message";

// The service's {"Message":"…"} of an error answer; empty when the body is not that.
std::string service_message_of(const http_reply& reply) {
  if (!istarts_with(reply.content_type, "application/json")) return {};
  auto doc = nlohmann::json::parse(reply.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return {};
  auto it = doc.find("Message");
  if (it == doc.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string key_text(const certs::ek_key_info& key) {
  if (key.algorithm == certs::ek_key_algorithm::rsa)
    return "RSA-" + std::to_string(key.bits) + (key.rsaes_oaep ? " (id-RSAES-OAEP)" : "");
  return "ECC " + (key.curve.empty() ? std::to_string(key.bits) + "-bit" : key.curve);
}

std::string sha1_thumbprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha1(), digest, &n) != 1) return {};
  return to_hex(byte_view(digest, n));
}

std::string subject_of(X509* cert) { return certs::name_text(X509_get_subject_name(cert)); }

std::vector<std::string> capability_lines(const std::string& body) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < body.size() && out.size() < 64) {
    auto end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line.substr(0, 128));
    start = end + 1;
  }
  return out;
}

class enrollment {
 public:
  enrollment(tpm_backend& tpm, http_transport& http, const enroll_settings& settings, const enroll_observer& observer)
      : tpm_(tpm), http_(http), settings_(settings), observer_(observer) {}

  enroll_result run() {
    result_.tpm = settings_.tpm_description;
    result_.connect_to = settings_.connect_to;
    result_.retries = settings_.retry.retries;
    if (read_ek() && resolve_url() && get_ca_caps() && get_ca_cert_chain() && submit_request() && activate_credential() &&
        submit_challenge_answer() && store()) {
      result_.status = enroll_status::enrolled;
      result_.hresult.reset();
    }
    return std::move(result_);
  }

 private:
  stage_result& begin(stage_id id) {
    result_.stages.push_back(stage_result{id, {}, false, {}, std::nullopt});
    return result_.stages.back();
  }
  stage_result& current() { return result_.stages.back(); }

  bool done(bool ok) {
    current().ok = ok;
    if (observer_.stage_done) observer_.stage_done(result_, current());
    return ok;
  }
  bool fail(windows_code code, std::string error, enroll_status status = enroll_status::error) {
    current().error = std::move(error);
    result_.hresult = std::move(code);
    result_.status = status;
    return done(false);
  }

  bool read_ek() {
    begin(stage_id::ek);
    bytes der;
    try {
      der = tpm_.ek_certificate();
      ek_public_ = tpm_.ek_public();
    } catch (const no_ek_certificate& e) {
      return fail(aik_url_not_found(), e.what());
    } catch (const std::exception& e) {
      return fail(tpm_failure(), std::string("cannot read the EK from the TPM: ") + e.what());
    }
    auto parsed = certs::parse_ek_certificate(der);
    if (!parsed) return fail(aik_url_not_found(), "the EK certificate does not decode: " + parsed.error());
    ek_ = std::move(*parsed);
    ek_summary s;
    s.source = tpm_.ek_certificate_source();
    s.issuer = ek_->issuer;
    s.manufacturer = ek_->tpm.manufacturer;
    s.model = ek_->tpm.model;
    s.firmware = ek_->tpm.version;
    s.key = key_text(ek_->key);
    s.signature_hash = ek_->signature_hash;
    s.authority_key_id = to_hex(ek_->authority_key_id);
    const auto tmpl = tpm::classify_ek_public(*ek_public_);
    s.template_name = std::string(tmpl.label());
    result_.ek = std::move(s);
    std::optional<tpm_properties> properties;
    try {
      properties = tpm_.properties();
    } catch (const std::exception&) {
      // Only for a header: the certificate's values stand in.
    }
    platform_type_ = platform_type(properties.value_or(properties_from_certificate(ek_->tpm)));
    return done(true);
  }

  bool resolve_url() {
    begin(stage_id::aik_url);
    std::string text;
    if (settings_.url) {
      text = *settings_.url;
      result_.url_source = "--url";
    } else {
      std::optional<std::uint32_t> tpm_manufacturer;
      try {
        tpm_manufacturer = tpm_.manufacturer();
      } catch (const std::exception&) {
        // Only a fallback for the vendor code: the certificate's, or --vendor, still decide.
      }
      auto derived = derive_aik_url(*ek_, settings_.vendor, settings_.domain, tpm_manufacturer);
      if (!derived) return fail(aik_url_not_found(), derived.error());
      text = derived->url;
      result_.url_source = "EK certificate: vendor " + derived->vendor + " from " + derived->vendor_source +
                           (ek_->authority_key_id.empty() ? ", NameId = SHA-1 of the issuer name"
                                                          : ", KeyId = Authority Key Identifier");
    }
    result_.url = text;
    auto parsed = parse_service_url(text);
    if (!parsed) return fail(aik_url_not_found(), parsed.error());
    url_ = std::move(*parsed);
    return done(true);
  }

  // One request with its retries. The reply of a 200; nullopt once the stage failed.
  std::optional<http_reply> send_with_retries(http_call call) {
    for (unsigned attempt = 0;; ++attempt) {
      http_attempt a;
      a.method = call.method;
      a.url = call.url.text() + "?" + call.query;
      a.reply = http_.exchange(call);
      const bool ok = a.reply.answered() && a.reply.status == 200;
      if (a.reply.answered() && !ok) a.service_message = service_message_of(a.reply);
      const bool retryable = !ok && is_retryable(a.reply);
      const bool retry = retryable && attempt < settings_.retry.retries;
      if (retry) {
        const auto w = wait_before_retry(settings_.retry, attempt + 1, a.reply);
        a.wait = w.wait;
        if (!w.from_retry_after) a.wait_reason = "backoff";
        else if (w.capped) a.wait_reason = "Retry-After: " + *a.reply.retry_after + ", capped";
        else a.wait_reason = "Retry-After: " + *a.reply.retry_after;
      }
      current().attempts.push_back(std::move(a));
      const http_attempt& last = current().attempts.back();
      if (observer_.attempt_done) observer_.attempt_done(result_, current(), last);
      if (ok) return last.reply;
      if (!retry) {
        result_.hresult = last.reply.answered() ? http_status_code(last.reply.status, last.reply.reason)
                                                : transport_code(last.reply.failure);
        // Retries ran out on a failure that retrying could have cured: the ESP's code.
        if (retryable) result_.autopilot = autopilot_retries_exceeded();
        result_.status = enroll_status::error;
        return std::nullopt;
      }
      if (settings_.sleep) settings_.sleep(*last.wait);
      else std::this_thread::sleep_for(*last.wait);
    }
  }

  // Windows' headers on every request (google/security-research tpm-carte-blanche; docs/protocol.md).
  // The transport still closes each connection once the answer is read.
  std::vector<std::pair<std::string, std::string>> windows_headers() const {
    return {{"Cache-Control", "no-cache"}, {"Connection", "Keep-Alive"}, {"Pragma", "no-cache"},
            {"PlatformType", platform_type_}, {"x-ms-client-request-id", client_request_id_}};
  }
  http_call get(const std::string& query) const { return http_call{"GET", *url_, query, {}, {}, windows_headers()}; }
  http_call post(bytes message) const {
    return http_call{"POST", *url_, "operation=PKIOperation", pki_message_type, std::string(as_chars(message)),
                     windows_headers()};
  }

  bool get_ca_caps() {
    begin(stage_id::get_ca_caps);
    auto reply = send_with_retries(get("operation=GetCACaps"));
    if (!reply) return done(false);
    result_.ca_caps = capability_lines(reply->body);
    return done(true);
  }

  bool get_ca_cert_chain() {
    begin(stage_id::get_ca_cert_chain);
    auto reply = send_with_retries(get("operation=GetCACertChain&message=default"));
    if (!reply) return done(false);
    auto chain = read_ca_cert_chain(as_bytes(reply->body));
    if (!chain) return fail(chain.error().untrusted ? untrusted_ra_certificates() : invalid_answer(), chain.error().message);
    ra_ = std::move(*chain);
    result_.ra = ra_summary{subject_of(ra_->root.get()), subject_of(ra_->ca.get()), subject_of(ra_->signing.get()),
                            subject_of(ra_->encryption.get())};
    return done(true);
  }

  // A CertRep from the RA, for this transaction; nullopt (and the stage failed) otherwise.
  std::optional<parsed_cert_rep> cert_rep_of(const http_reply& reply, const bytes& sender_nonce) {
    auto rep = parse_cert_rep(as_bytes(reply.body), ra_->signing.get(), me_.certificate.get(), me_.key.get());
    if (!rep) {
      fail(invalid_answer(), "the CertRep does not verify with the RA signing certificate or does not parse: " + rep.error());
      return std::nullopt;
    }
    if (rep->transaction_id != transaction_id_ || rep->recipient_nonce != sender_nonce) {
      fail(invalid_answer(), "the CertRep answers another transaction (transactionID or recipientNonce differ)");
      return std::nullopt;
    }
    if (rep->status == scep::pki_status::failure) {
      current().pki_status = pki_status_failure();
      const int info = rep->failure ? static_cast<int>(*rep->failure) : -1;
      fail(scep_failure(), "the CA refused the request: failInfo(" + std::to_string(info) + ")", enroll_status::denied);
      return std::nullopt;
    }
    return std::move(*rep);
  }

  bool submit_request() {
    begin(stage_id::submit_request);
    round1_request round1;
    try {
      me_ = scep_identity::make();
      round1 = build_request(tpm_, ra_->encryption.get(), me_, client_description::make(), tpm_.ek_chain());
    } catch (const std::exception& e) {
      return fail(local_failure(), std::string("cannot create the AIK and its request: ") + e.what());
    }
    transaction_id_ = round1.transaction_id;
    aik_public_ = round1.aik_public;
    auto reply = send_with_retries(post(round1.message));
    if (!reply) {
      // certreq shows an HTTP refusal of the request as a failed SCEP disposition.
      current().pki_status = pki_status_failure();
      return done(false);
    }
    auto rep = cert_rep_of(*reply, round1.sender_nonce);
    if (!rep) return false;
    if (rep->status != scep::pki_status::pending_challenge)
      return fail(invalid_answer(), "the answer to the AIK request is not pkiStatus 11 with an EK challenge; the AIK was not attested");
    auto challenge = scep::parse_challenge_reply(rep->content);
    if (!challenge) return fail(invalid_answer(), "the challenge does not parse: " + challenge.error());
    challenge_ = std::move(*challenge);
    current().pki_status = pki_status_pending_challenge();
    return done(true);
  }

  bool activate_credential() {
    begin(stage_id::activate_credential);
    auto secret = tpm_.activate(challenge_->credential);
    if (!secret) {
      const auto& e = secret.error();
      const bool integrity = e.kind == tpm::credential_error_kind::integrity_check_failed;
      return fail(integrity ? tpm_integrity_failure() : tpm_failure(),
                  std::string(tpm::to_string(e.kind)) + ": " + e.reason);
    }
    secret_ = std::move(*secret);
    result_.challenge_secret_size = secret_.size();
    return done(true);
  }

  bool submit_challenge_answer() {
    begin(stage_id::submit_challenge_answer);
    round2_request round2;
    try {
      round2 = build_answer(*challenge_, secret_, transaction_id_, ra_->encryption.get(), me_);
    } catch (const std::exception& e) {
      return fail(local_failure(), std::string("cannot build the challenge answer: ") + e.what());
    }
    OPENSSL_cleanse(secret_.data(), secret_.size());
    auto reply = send_with_retries(post(std::move(round2.message)));
    if (!reply) {
      current().pki_status = pki_status_failure();
      return done(false);
    }
    auto rep = cert_rep_of(*reply, round2.sender_nonce);
    if (!rep) return false;
    if (rep->status != scep::pki_status::success)
      return fail(invalid_answer(), "the answer to the challenge is not SUCCESS with the AIK certificate");
    auto delivered = delivered_certificates(*rep, ra_->signing.get());
    if (!delivered) return fail(invalid_answer(), delivered.error());
    // The AIK certificate is the one for the AIK; the others are its chain.
    auto aik_key = tpm::public_key_from_public(aik_public_);
    auto is_aik = [&](const x509_ptr& c) { return aik_key && EVP_PKEY_eq(X509_get0_pubkey(c.get()), aik_key.get()) == 1; };
    auto aik_it = std::find_if(delivered->begin(), delivered->end(), is_aik);
    if (aik_it == delivered->end()) return fail(invalid_answer(), "no delivered certificate is for the AIK");
    X509* aik = aik_it->get();
    if (auto e = verify_against_ca(aik, ra_->ca.get()); !e.empty())
      return fail(untrusted_ra_certificates(), "the AIK certificate does not chain to the authority's CA: " + e);
    issued_certificate issued;
    issued.pem = certs::certificate_pem(aik);
    issued.serial = to_lower(certs::serial_text(aik));
    issued.thumbprint = sha1_thumbprint(aik);
    issued.issuer = certs::name_text(X509_get_issuer_name(aik));
    // The chain as the authority publishes it: its CA, then the AIK root.
    for (X509* c : {ra_->ca.get(), ra_->root.get()}) {
      issued.chain_pem.push_back(certs::certificate_pem(c));
      issued.chain_subjects.push_back(subject_of(c));
    }
    result_.certificate = std::move(issued);
    current().pki_status = pki_status_success();
    return done(true);
  }

  bool store() {
    if (!settings_.out_dir) return true;
    begin(stage_id::store);
    try {
      const auto& dir = *settings_.out_dir;
      std::filesystem::create_directories(dir);
      const auto aik_path = dir / "aik.pem";
      const auto chain_path = dir / "chain.pem";
      write_file(aik_path, as_bytes(result_.certificate->pem));
      std::string chain;
      for (const auto& pem : result_.certificate->chain_pem) chain += pem;
      write_file(chain_path, as_bytes(chain));
      result_.files = {aik_path.string(), chain_path.string()};
    } catch (const std::exception& e) {
      return fail(local_failure(), std::string("cannot store the certificate: ") + e.what());
    }
    return done(true);
  }

  tpm_backend& tpm_;
  http_transport& http_;
  const enroll_settings& settings_;
  const enroll_observer& observer_;
  enroll_result result_;

  std::optional<certs::ek_certificate> ek_;
  std::optional<tpm::tpmt_public> ek_public_;
  std::optional<service_url> url_;
  std::optional<ca_cert_chain> ra_;
  scep_identity me_;
  std::string transaction_id_;
  std::optional<scep::challenge_reply> challenge_;
  bytes secret_;
  tpm::tpmt_public aik_public_;
  std::string platform_type_;
  std::string client_request_id_ = random_uuid();
};

}  // namespace

enroll_result run_enrollment(tpm_backend& tpm, http_transport& http, const enroll_settings& settings,
                             const enroll_observer& observer) {
  return enrollment(tpm, http, settings, observer).run();
}

}  // namespace aikmock::client
