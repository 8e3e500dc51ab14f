#include "protocol/facts_json.hpp"

#include "common/encoding.hpp"
#include "common/strings.hpp"

namespace aikmock::protocol {

nlohmann::ordered_json ek_facts_json(const policy::ek_facts& e) {
  return {{"manufacturer", e.manufacturer}, {"model", e.model},
          {"firmware", e.firmware},         {"template", e.tpl},
          {"keyType", e.key_type},          {"keyBits", e.key_bits},
          {"signatureHash", e.signature_hash}, {"issuerKeyId", e.issuer_key_id},
          {"device", e.device},             {"findings", e.findings},
          {"chainValid", e.chain_valid},    {"chainFailure", e.chain_failure},
          {"rocaVulnerable", e.roca_vulnerable}};
}

nlohmann::ordered_json request_facts_json(const policy::request_facts& f) {
  nlohmann::ordered_json out;
  out["operation"] = f.operation;
  if (!f.authority.empty()) out["authority"] = f.authority;
  const auto& c = f.client;
  nlohmann::ordered_json client = nlohmann::ordered_json::object();
  auto text = [&](const char* name, const std::string& v) {
    if (!v.empty()) client[name] = v;
  };
  auto flag = [&](const char* name, const std::optional<bool>& v) {
    if (v) client[name] = *v;
  };
  text("machine", c.machine);
  text("user", c.user);
  text("process", c.process);
  text("osVersion", c.os_version);
  text("signer", c.signer);
  flag("signerHashMatches", c.signer_hash_matches);
  flag("requestTpmMatchesEk", c.request_tpm_matches_ek);
  flag("requestSigned", c.request_signed);
  if (!client.empty()) out["client"] = client;
  if (f.ek) out["ek"] = ek_facts_json(*f.ek);
  if (f.aik_proof_valid) {
    out["aikProofValid"] = *f.aik_proof_valid;
    if (!f.aik_proof_failure.empty()) out["aikProofFailure"] = f.aik_proof_failure;
  }
  if (f.request_signature_valid) {
    out["requestSignatureValid"] = *f.request_signature_valid;
    if (!f.request_signature_failure.empty()) out["requestSignatureFailure"] = f.request_signature_failure;
  }
  return out;
}

std::string tpm_vendor_code(std::string_view manufacturer) {
  if (!istarts_with(manufacturer, "id:")) return {};
  auto raw = from_hex(manufacturer.substr(3));
  if (!raw || raw->size() != 4) return {};
  std::string code;
  for (auto b : *raw) {
    if (b == 0 || b == ' ') continue;  // codes shorter than four characters are padded
    if (b < 0x21 || b > 0x7e) return {};
    code += static_cast<char>(b);
  }
  return code;
}

}  // namespace aikmock::protocol
