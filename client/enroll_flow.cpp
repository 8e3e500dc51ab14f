#include "client/enroll_flow.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "certs/ek_ca_identity.hpp"
#include "certs/pem.hpp"
#include "client/ra_certificates.hpp"
#include "client/sender_nonce.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "client/wire/scep_enrollment.hpp"
#include "protocol/scep/cert_rep.hpp"
#include "protocol/scep/degenerate_pkcs7.hpp"
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

std::string serial_hex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? to_lower(hex) : std::string();
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
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
    if (read_ek() && resolve_url() && get_ca_caps() && get_ca_cert() && submit_request() && activate_credential() &&
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

  http_call get(const char* operation) const { return http_call{"GET", *url_, std::string("operation=") + operation, {}, {}}; }
  http_call post(bytes message) const {
    return http_call{"POST", *url_, "operation=PKIOperation", pki_message_type, std::string(as_chars(message))};
  }

  bool get_ca_caps() {
    begin(stage_id::get_ca_caps);
    auto reply = send_with_retries(get("GetCACaps"));
    if (!reply) return done(false);
    result_.ca_caps = capability_lines(reply->body);
    return done(true);
  }

  bool get_ca_cert() {
    begin(stage_id::get_ca_cert);
    auto reply = send_with_retries(get("GetCACert"));
    if (!reply) return done(false);
    auto certificates = scep::certificates_of_pkcs7(as_bytes(reply->body));
    if (certificates.empty()) return fail(invalid_answer(), "GetCACert did not return a degenerate PKCS#7 with certificates");
    auto ra = identify_ra_certificates(std::move(certificates));
    if (!ra) return fail(ra.error().untrusted ? untrusted_ra_certificates() : invalid_answer(), ra.error().message);
    ra_ = std::move(*ra);
    result_.ra = ra_summary{subject_of(ra_->ca.get()), subject_of(ra_->signing.get()), subject_of(ra_->encryption.get())};
    return done(true);
  }

  // A CertRep from the RA, for this transaction; nullopt (and the stage failed) otherwise.
  std::optional<scep::parsed_cert_rep> cert_rep_of(const http_reply& reply, const bytes& sender_nonce) {
    auto rep = scep::parse_cert_rep(as_bytes(reply.body), ra_->signing.get(), me_.certificate.get(), me_.key.get());
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
      round1 = build_round1(tpm_, ra_->encryption.get(), me_, settings_.send_ek_public);
    } catch (const std::exception& e) {
      return fail(local_failure(), std::string("cannot create the AIK and its request: ") + e.what());
    }
    transaction_id_ = round1.transaction_id;
    auto reply = send_with_retries(post(round1.message));
    if (!reply) {
      // certreq shows an HTTP refusal of the request as a failed SCEP disposition.
      current().pki_status = pki_status_failure();
      return done(false);
    }
    auto rep = cert_rep_of(*reply, round1.sender_nonce);
    if (!rep) return false;
    if (rep->status != scep::pki_status::pending)
      return fail(invalid_answer(), "the answer to the AIK request is not PENDING with an EK challenge; the AIK was not attested");
    challenge_ = challenge_of(*rep);
    if (!challenge_)
      return fail(invalid_answer(), "the PENDING answer lacks the challenge or the server state attribute, or the challenge does not parse");
    current().pki_status = pki_status_pending_challenge();
    return done(true);
  }

  bool activate_credential() {
    begin(stage_id::activate_credential);
    auto secret = tpm_.activate(challenge_->blob);
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
    bytes message;
    try {
      message = build_round2(*challenge_, secret_, transaction_id_, ra_->encryption.get(), me_);
    } catch (const std::exception& e) {
      return fail(local_failure(), std::string("cannot build the challenge answer: ") + e.what());
    }
    OPENSSL_cleanse(secret_.data(), secret_.size());
    // build_round2 picks its own senderNonce; read it back to match the CertRep's recipientNonce.
    auto sent = sender_nonce_of(message);
    if (!sent) return fail(local_failure(), "the challenge answer carries no senderNonce");
    auto reply = send_with_retries(post(std::move(message)));
    if (!reply) {
      current().pki_status = pki_status_failure();
      return done(false);
    }
    auto rep = cert_rep_of(*reply, *sent);
    if (!rep) return false;
    if (rep->status != scep::pki_status::success || rep->certificates.empty())
      return fail(invalid_answer(), "the answer to the challenge is not SUCCESS with the AIK certificate");
    X509* aik = rep->certificates.front().get();
    if (auto e = verify_against_ca(aik, ra_->ca.get()); !e.empty())
      return fail(untrusted_ra_certificates(), "the AIK certificate does not chain to the authority's CA: " + e);
    issued_certificate issued;
    issued.pem = certs::certificate_pem(aik);
    issued.serial = serial_hex(aik);
    issued.thumbprint = sha1_thumbprint(aik);
    issued.issuer = certs::name_text(X509_get_issuer_name(aik));
    for (std::size_t i = 1; i < rep->certificates.size(); ++i) {
      issued.chain_pem.push_back(certs::certificate_pem(rep->certificates[i].get()));
      issued.chain_subjects.push_back(subject_of(rep->certificates[i].get()));
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
  std::optional<ra_certificates> ra_;
  scep_identity me_;
  std::string transaction_id_;
  std::optional<pending_challenge> challenge_;
  bytes secret_;
};

}  // namespace

enroll_result run_enrollment(tpm_backend& tpm, http_transport& http, const enroll_settings& settings,
                             const enroll_observer& observer) {
  return enrollment(tpm, http, settings, observer).run();
}

}  // namespace aikmock::client
