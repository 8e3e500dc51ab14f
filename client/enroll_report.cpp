#include "client/enroll_report.hpp"

#include <nlohmann/json.hpp>

namespace aikmock::client {

namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t max_body_shown = 1024;

// An error body as the service sent it, made safe for a terminal: control
// characters become '?', and a long body is cut.
std::string printable_body(const std::string& body) {
  std::string_view text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_body_shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 && c != '\t') || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (text.size() > max_body_shown) out += "… (" + std::to_string(body.size()) + " bytes)";
  return out;
}

bool shows_body(const http_attempt& a) { return a.reply.answered() && a.reply.status != 200 && !a.reply.body.empty(); }

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

std::string pki_status_line(const pki_status_seen& s) {
  return "PkiStatus(" + std::to_string(s.value) + "): " + s.name + "\n";
}

std::string local_stage(const enroll_result& r, const stage_result& st) {
  std::string out;
  switch (st.id) {
    case stage_id::ek:
      out += "TPM: " + r.tpm + "\n";
      if (r.ek) {
        const auto& ek = *r.ek;
        if (!ek.source.empty()) out += "EK certificate: " + ek.source + "\n";
        out += "EK: " + ek.key + ", template " + ek.template_name + ", manufacturer " +
               (ek.manufacturer.empty() ? "(none)" : ek.manufacturer) + ", model " + ek.model + ", firmware " +
               ek.firmware + "\n";
        out += "EK issuer: " + ek.issuer + " (" + ek.signature_hash + " signature, AKI " +
               (ek.authority_key_id.empty() ? "none" : ek.authority_key_id) + ")\n";
      }
      break;
    case stage_id::aik_url:
      if (!r.url.empty()) out += "AIK URL: " + r.url + "\n  from " + r.url_source + "\n";
      if (st.ok && r.connect_to) out += "Connect to: " + *r.connect_to + " (TLS name and Host stay the URL's)\n";
      break;
    case stage_id::activate_credential:
      if (st.ok && r.challenge_secret_size)
        out += "TPM2_ActivateCredential: OK (" + std::to_string(*r.challenge_secret_size) +
               "-byte secret recovered with the EK for the AIK)\n";
      break;
    default: break;
  }
  if (!st.ok && !st.error.empty()) out += std::string(stage_name(st.id)) + ": failed: " + st.error + "\n";
  return out;
}

json code_json(const windows_code& c) {
  return json{{"value", c.hex()}, {"decimal", c.signed_value()}, {"name", c.name.empty() ? json(nullptr) : json(c.name)},
              {"text", c.text}};
}

json attempt_json(const http_attempt& a) {
  json j{{"method", a.method}, {"url", a.url}};
  const auto& r = a.reply;
  if (r.answered()) {
    j["statusLine"] = r.status_line();
    j["status"] = r.status;
    j["reason"] = r.reason;
    j["requestId"] = r.request_id;
    j["contentType"] = r.content_type;
    j["message"] = a.service_message.empty() ? json(nullptr) : json(a.service_message);
    j["body"] = shows_body(a) ? json(printable_body(r.body)) : json(nullptr);
    j["retryAfter"] = r.retry_after ? json(*r.retry_after) : json(nullptr);
    j["failure"] = nullptr;
  } else {
    j["failure"] = json{{"kind", std::string(to_string(r.failure))}, {"text", r.failure_text}};
  }
  j["clientRequestId"] = r.client_request_id;
  j["elapsedMs"] = r.elapsed.count();
  j["waitSeconds"] = a.wait ? json(a.wait->count()) : json(nullptr);
  j["waitReason"] = a.wait ? json(a.wait_reason) : json(nullptr);
  return j;
}

}  // namespace

std::string format_attempt(const enroll_result& r, const stage_result& st, std::size_t index) {
  const http_attempt& a = st.attempts.at(index);
  std::string out = std::string(stage_name(st.id)) + ": " + a.method + " ";
  if (a.reply.answered()) {
    out += a.reply.status_line();
    if (!a.reply.request_id.empty()) out += "  x-ms-request-id: " + a.reply.request_id;
    if (a.reply.retry_after) out += "  Retry-After: " + *a.reply.retry_after;
  } else {
    out += "failed: " + a.reply.failure_text;
  }
  out += "  (" + std::to_string(a.reply.elapsed.count()) + " ms)\n";
  if (shows_body(a)) out += printable_body(a.reply.body) + "\n";
  if (a.wait)
    out += "  retry " + std::to_string(index + 1) + " of " + std::to_string(r.retries) + " in " +
           std::to_string(a.wait->count()) + " s (" + a.wait_reason + ")\n";
  return out;
}

std::string format_stage(const enroll_result& r, const stage_result& st) {
  if (st.attempts.empty()) return local_stage(r, st);
  std::string out;
  if (st.ok && st.id == stage_id::get_ca_caps && !r.ca_caps.empty()) out += "  " + join(r.ca_caps, " ") + "\n";
  if (st.ok && st.id == stage_id::get_ca_cert_chain && r.ra) {
    out += "  root + CA + RA signing + RA encryption, signed by the RA; the RA certificates chain to the CA, the CA to the root\n";
    out += "  root: " + r.ra->root + "\n  CA: " + r.ra->ca + "\n  RA signing: " + r.ra->signing +
           "\n  RA encryption: " + r.ra->encryption + "\n";
  }
  if (!st.error.empty()) out += "  refused: " + st.error + "\n";
  if (st.pki_status) out += pki_status_line(*st.pki_status);
  return out;
}

std::string format_outcome(const enroll_result& r) {
  std::string out = "EnrollStatus(" + std::to_string(static_cast<unsigned>(r.status)) + "): " +
                    std::string(enroll_status_name(r.status)) + "\n";
  if (r.issued()) {
    const auto& c = *r.certificate;
    out += "New Certificate:\n";
    out += "  Serial Number: " + c.serial + "\n";
    out += "  Issuer: " + c.issuer + "\n";
    out += "  Cert Hash(sha1): " + c.thumbprint + "\n";
    out += c.pem;
    if (!c.chain_subjects.empty()) out += "Chain: " + join(c.chain_subjects, " <- ") + "\n";
    if (!r.files.empty()) out += "Written: " + join(r.files, ", ") + "\n";
    return out;
  }
  if (r.hresult) out += r.hresult->text + " " + r.hresult->display() + "\n";
  if (r.autopilot && !r.stages.empty()) {
    const auto& last = r.stages.back();
    out += "Autopilot: " + r.autopilot->display() + " after " + std::to_string(last.attempts.size()) + " attempt" +
           (last.attempts.size() == 1 ? "" : "s") + " of " + std::string(stage_name(last.id)) + "\n";
  }
  return out;
}

std::string format_report(const enroll_result& r) {
  std::string out;
  for (const auto& st : r.stages) {
    for (std::size_t i = 0; i < st.attempts.size(); ++i) out += format_attempt(r, st, i);
    out += format_stage(r, st);
  }
  return out + format_outcome(r);
}

std::string report_json(const enroll_result& r) {
  json doc;
  doc["tpm"] = r.tpm;
  if (r.ek) {
    const auto& ek = *r.ek;
    doc["ek"] = json{{"source", ek.source},        {"key", ek.key},           {"template", ek.template_name}, {"manufacturer", ek.manufacturer},
                     {"model", ek.model},       {"firmware", ek.firmware},      {"issuer", ek.issuer},
                     {"signatureHash", ek.signature_hash}, {"authorityKeyId", ek.authority_key_id}};
  } else {
    doc["ek"] = nullptr;
  }
  doc["url"] = r.url.empty() ? json(nullptr) : json(r.url);
  doc["urlSource"] = r.url_source.empty() ? json(nullptr) : json(r.url_source);
  doc["connectTo"] = r.connect_to ? json(*r.connect_to) : json(nullptr);
  doc["retries"] = r.retries;
  json stages = json::array();
  for (const auto& st : r.stages) {
    json s{{"stage", std::string(stage_name(st.id))}, {"ok", st.ok}};
    json attempts = json::array();
    for (const auto& a : st.attempts) attempts.push_back(attempt_json(a));
    s["attempts"] = std::move(attempts);
    s["error"] = st.error.empty() ? json(nullptr) : json(st.error);
    s["pkiStatus"] = st.pki_status ? json{{"value", st.pki_status->value}, {"name", st.pki_status->name}} : json(nullptr);
    stages.push_back(std::move(s));
  }
  doc["stages"] = std::move(stages);
  doc["caCaps"] = r.ca_caps;
  doc["ra"] = r.ra ? json{{"root", r.ra->root}, {"ca", r.ra->ca}, {"signing", r.ra->signing}, {"encryption", r.ra->encryption}}
                   : json(nullptr);
  doc["enrollStatus"] = json{{"value", static_cast<unsigned>(r.status)}, {"name", std::string(enroll_status_name(r.status))}};
  doc["issued"] = r.issued();
  doc["message"] = r.final_service_message().empty() ? json(nullptr) : json(r.final_service_message());
  doc["hresult"] = r.hresult ? code_json(*r.hresult) : json(nullptr);
  doc["autopilot"] = r.autopilot ? code_json(*r.autopilot) : json(nullptr);
  if (r.certificate) {
    const auto& c = *r.certificate;
    doc["certificate"] = json{{"serialNumber", c.serial}, {"issuer", c.issuer}, {"thumbprint", c.thumbprint},
                              {"pem", c.pem}, {"chain", c.chain_pem}, {"chainSubjects", c.chain_subjects}};
  } else {
    doc["certificate"] = nullptr;
  }
  doc["files"] = r.files;
  return doc.dump(2) + "\n";
}

}  // namespace aikmock::client
