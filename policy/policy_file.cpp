#include "policy/policy_file.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/encoding.hpp"
#include "common/files.hpp"
#include "policy/builtin_policies.hpp"
#include "policy/json_lines.hpp"

namespace aikmock::policy {

namespace {
using nlohmann::json;

class reader {
 public:
  reader(std::string_view text, std::string source) : lines_(text), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& problem) const {
    int line = lines_.line_of(pointer);
    throw policy_error(source_ + ":" + (line ? std::to_string(line) : "?") + ": " +
                       (pointer.empty() ? "(top)" : pointer) + ": " + problem);
  }

  void expect_object(const json& j, const std::string& ptr) const {
    if (!j.is_object()) fail(ptr, "must be an object");
  }

  void only_keys(const json& j, const std::string& ptr, std::initializer_list<std::string_view> keys) const {
    for (const auto& [k, _] : j.items())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) fail(ptr + "/" + k, "is not a known key");
  }

  std::string text(const json& j, const std::string& ptr) const {
    if (!j.is_string()) fail(ptr, "must be a string");
    return j.get<std::string>();
  }

  bool boolean(const json& j, const std::string& ptr) const {
    if (!j.is_boolean()) fail(ptr, "must be true or false");
    return j.get<bool>();
  }

  // A string or a list of strings.
  std::vector<std::string> texts(const json& j, const std::string& ptr) const {
    if (j.is_string()) return {j.get<std::string>()};
    if (!j.is_array() || j.empty()) fail(ptr, "must be a string or a non-empty list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(text(j[i], ptr + "/" + std::to_string(i)));
    return out;
  }

  std::vector<unsigned> numbers(const json& j, const std::string& ptr) const {
    auto one = [&](const json& v, const std::string& p) {
      if (!v.is_number_unsigned()) fail(p, "must be a positive whole number");
      return v.get<unsigned>();
    };
    if (!j.is_array()) return {one(j, ptr)};
    if (j.empty()) fail(ptr, "must not be empty");
    std::vector<unsigned> out;
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(one(j[i], ptr + "/" + std::to_string(i)));
    return out;
  }

  rule_match match(const json& j, const std::string& ptr) const {
    expect_object(j, ptr);
    only_keys(j, ptr, {"operation", "authority", "vendor", "model", "firmware", "template", "keyType", "keyBits",
                       "signatureHash", "issuerKeyId", "device", "finding", "chainValid", "aikProofValid",
                       "rocaVulnerable", "machine", "user", "process", "osVersion", "signerHashMatches",
                       "requestTpmMatchesEk", "requestSigned", "probability"});
    rule_match m;
    for (const auto& [k, v] : j.items()) {
      const std::string p = ptr + "/" + k;
      if (k == "operation") {
        m.operations = texts(v, p);
        for (std::size_t i = 0; i < m.operations.size(); ++i) {
          const auto& o = m.operations[i];
          if (std::find(std::begin(operations), std::end(operations), o) == std::end(operations)) {
            std::string known;
            for (auto name : operations) known += (known.empty() ? "" : ", ") + std::string(name);
            fail(v.is_array() ? p + "/" + std::to_string(i) : p, "unknown operation \"" + o + "\" (" + known + ")");
          }
        }
      } else if (k == "authority") m.authorities = texts(v, p);
      else if (k == "vendor") m.vendors = texts(v, p);
      else if (k == "model") m.models = texts(v, p);
      else if (k == "firmware") m.firmware = texts(v, p);
      else if (k == "template") m.templates = texts(v, p);
      else if (k == "keyType") {
        m.key_types = texts(v, p);
        for (const auto& t : m.key_types)
          if (t != "rsa" && t != "ecc") fail(p, "key type must be \"rsa\" or \"ecc\"");
      } else if (k == "keyBits") m.key_bits = numbers(v, p);
      else if (k == "signatureHash") m.signature_hashes = texts(v, p);
      else if (k == "issuerKeyId") m.issuer_key_ids = texts(v, p);
      else if (k == "device") m.devices = texts(v, p);
      else if (k == "finding") m.findings = texts(v, p);
      else if (k == "chainValid") m.chain_valid = boolean(v, p);
      else if (k == "aikProofValid") m.aik_proof_valid = boolean(v, p);
      else if (k == "rocaVulnerable") m.roca_vulnerable = boolean(v, p);
      else if (k == "machine") m.machines = texts(v, p);
      else if (k == "user") m.users = texts(v, p);
      else if (k == "process") m.processes = texts(v, p);
      else if (k == "osVersion") m.os_versions = texts(v, p);
      else if (k == "signerHashMatches") m.signer_hash_matches = boolean(v, p);
      else if (k == "requestTpmMatchesEk") m.request_tpm_matches_ek = boolean(v, p);
      else if (k == "requestSigned") m.request_signed = boolean(v, p);
      else if (k == "probability") {
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) fail(p, "must be a number from 0 to 1");
        m.probability = v.get<double>();
      }
    }
    return m;
  }

  rule_action action(const json& j, const std::string& ptr) const {
    expect_object(j, ptr);
    if (j.size() != 1) fail(ptr, "must hold exactly one of accept, reject, throttle, fault, close, delayMs");
    // The only key and its value (not through items(): its proxy is a temporary).
    const auto first = j.begin();
    const std::string k = first.key();
    const json& v = first.value();
    const std::string p = ptr + "/" + k;
    rule_action a;
    if (k == "accept") {
      a.what = rule_action::kind::accept;
      if (v.is_boolean()) {
        if (!v.get<bool>()) fail(p, "must be true, or an object with credentialProfile");
      } else {
        expect_object(v, p);
        only_keys(v, p, {"credentialProfile"});
        if (v.contains("credentialProfile")) a.profile = profile(v["credentialProfile"], p + "/credentialProfile");
      }
    } else if (k == "reject") {
      a.what = rule_action::kind::reject;
      a.error = error_key(v, p);
    } else if (k == "throttle") {
      a.what = rule_action::kind::throttle;
      expect_object(v, p);
      only_keys(v, p, {"retryAfterSeconds"});
      if (!v.contains("retryAfterSeconds")) fail(p, "needs retryAfterSeconds");
      a.retry_after_seconds = numbers(v["retryAfterSeconds"], p + "/retryAfterSeconds").front();
    } else if (k == "fault") {
      a.what = rule_action::kind::fault;
      if (!v.is_number_unsigned()) fail(p, "must be an HTTP status: 500 or 503");
      unsigned status = v.get<unsigned>();
      if (status == 500) a.error = error_id::internal_error;
      else if (status == 503) a.error = error_id::service_unavailable;
      else fail(p, "must be an HTTP status: 500 or 503");
    } else if (k == "close") {
      a.what = rule_action::kind::close;
      if (!boolean(v, p)) fail(p, "must be true");
    } else if (k == "delayMs") {
      a.what = rule_action::kind::delay;
      auto ms = numbers(v, p).front();
      if (ms > 600'000) fail(p, "must be at most 600000 (ten minutes)");
      a.delay = std::chrono::milliseconds(ms);
    } else {
      fail(p, "is not a known action (accept, reject, throttle, fault, close, delayMs)");
    }
    return a;
  }

  credential_profile profile(const json& v, const std::string& p) const {
    auto name = text(v, p);
    auto prof = parse_profile_name(name);
    if (!prof) fail(p, "unknown credential profile \"" + name + "\" (tcg, microsoft)");
    return *prof;
  }

  error_id error_key(const json& v, const std::string& p) const {
    auto key = text(v, p);
    const error_entry* e = find_catalog_entry(key);
    if (!e) fail(p, "unknown error \"" + key + "\" (see docs/errors.md)");
    return e->id;
  }

  basis why(const json& v, const std::string& p) const {
    auto name = text(v, p);
    if (name == "confirmed") return basis::confirmed;
    if (name == "reported") return basis::reported;
    if (name == "assumed") return basis::assumed;
    fail(p, "must be confirmed, reported or assumed");
  }

  // RFC 5280 §5.3.1 reason names, as a policy file writes them.
  int reason(const json& v, const std::string& p) const {
    static constexpr std::pair<std::string_view, int> names[] = {
        {"unspecified", 0},       {"keyCompromise", 1}, {"cACompromise", 2},         {"affiliationChanged", 3},
        {"superseded", 4},        {"cessationOfOperation", 5}, {"certificateHold", 6}};
    const std::string n = text(v, p);
    for (const auto& [name, code] : names)
      if (name == n) return code;
    fail(p, "must be unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
            "cessationOfOperation or certificateHold");
  }

  struct revocation revocation_of(const json& j, const std::string& p) const {
    expect_object(j, p);
    only_keys(j, p, {"revoked"});
    struct revocation out;
    if (j.contains("revoked")) {
      const auto& list = j["revoked"];
      if (!list.is_array() || list.size() > 10'000) fail(p + "/revoked", "must be a list of at most 10000 entries");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string q = p + "/revoked/" + std::to_string(i);
        expect_object(list[i], q);
        only_keys(list[i], q, {"serial", "reason"});
        if (!list[i].contains("serial")) fail(q, "needs serial (hex, as openssl x509 -serial prints it)");
        const std::string hex = text(list[i]["serial"], q + "/serial");
        auto serial = from_hex(hex);
        if (!serial || serial->empty() || serial->size() > 20) fail(q + "/serial", "must be 1 to 20 bytes of hex");
        revoked_serial r{std::move(*serial), 0};
        if (list[i].contains("reason")) r.reason = reason(list[i]["reason"], q + "/reason");
        out.revoked.push_back(std::move(r));
      }
    }
    return out;
  }

  policy whole(const json& j) const {
    expect_object(j, "");
    only_keys(j, "", {"name", "description", "credentialProfile", "requireAikProof", "requireRequestSignature",
                      "ignoreUnknownCriticalExtensions", "clockOffsetSeconds", "rateLimit", "revocation", "rules"});
    policy out;
    if (!j.contains("name")) fail("", "needs a name");
    out.name = text(j["name"], "/name");
    if (j.contains("description")) out.description = text(j["description"], "/description");
    if (j.contains("credentialProfile")) out.default_profile = profile(j["credentialProfile"], "/credentialProfile");
    if (j.contains("requireAikProof")) out.require_aik_proof = boolean(j["requireAikProof"], "/requireAikProof");
    if (j.contains("requireRequestSignature"))
      out.require_request_signature = boolean(j["requireRequestSignature"], "/requireRequestSignature");
    if (j.contains("ignoreUnknownCriticalExtensions"))
      out.ignore_unknown_critical_extensions =
          boolean(j["ignoreUnknownCriticalExtensions"], "/ignoreUnknownCriticalExtensions");
    if (j.contains("clockOffsetSeconds")) {
      const auto& v = j["clockOffsetSeconds"];
      if (!v.is_number_integer() || v.get<std::int64_t>() < -3'153'600'000 || v.get<std::int64_t>() > 3'153'600'000)
        fail("/clockOffsetSeconds", "must be a whole number of seconds within a century");
      out.clock_offset = std::chrono::seconds(v.get<std::int64_t>());
    }
    if (j.contains("rateLimit")) {
      const auto& v = j["rateLimit"];
      expect_object(v, "/rateLimit");
      only_keys(v, "/rateLimit", {"requestsPerSecond", "burst"});
      if (!v.contains("requestsPerSecond") || !v["requestsPerSecond"].is_number() ||
          !(v["requestsPerSecond"].get<double>() > 0) || v["requestsPerSecond"].get<double>() > 1e6)
        fail("/rateLimit/requestsPerSecond", "must be a number above 0 and at most 1000000");
      rate_limit limit{v["requestsPerSecond"].get<double>(), 1};
      if (v.contains("burst")) {
        const auto& b = v["burst"];
        if (!b.is_number_integer() || b.get<std::int64_t>() < 1 || b.get<std::int64_t>() > 1'000'000)
          fail("/rateLimit/burst", "must be a whole number from 1 to 1000000");
        limit.burst = static_cast<std::uint32_t>(b.get<std::int64_t>());
      }
      out.client_rate_limit = limit;
    }
    if (j.contains("revocation")) out.revocation = revocation_of(j["revocation"], "/revocation");
    if (j.contains("rules")) {
      const auto& rules = j["rules"];
      if (!rules.is_array()) fail("/rules", "must be a list");
      for (std::size_t i = 0; i < rules.size(); ++i) {
        const std::string p = "/rules/" + std::to_string(i);
        const auto& r = rules[i];
        expect_object(r, p);
        only_keys(r, p, {"name", "when", "then", "basis", "note"});
        rule x;
        if (!r.contains("name")) fail(p, "needs a name");
        x.name = text(r["name"], p + "/name");
        for (const auto& earlier : out.rules)
          if (earlier.name == x.name) fail(p + "/name", "another rule is already named \"" + x.name + "\"");
        if (r.contains("when")) x.when = match(r["when"], p + "/when");
        if (!r.contains("then")) fail(p, "needs then (what to do)");
        x.then = action(r["then"], p + "/then");
        if (r.contains("basis")) x.why = why(r["basis"], p + "/basis");
        if (r.contains("note")) x.note = text(r["note"], p + "/note");
        out.rules.push_back(std::move(x));
      }
    }
    return out;
  }

 private:
  json_lines lines_;
  std::string source_;
};

}  // namespace

policy parse_policy(std::string_view text, const std::string& source) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    // Parse again with exceptions on, for the position of the error.
    try {
      json again = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
      std::size_t line = 1;
      for (std::size_t i = 0; i < e.byte && i < text.size(); ++i) line += text[i] == '\n';
      throw policy_error(source + ":" + std::to_string(line) + ": not valid JSON");
    } catch (const json::exception&) {
      // Not a syntax error but still unreadable (a number out of range, say).
      throw policy_error(source + ": not valid JSON");
    }
    throw policy_error(source + ": not valid JSON");
  }
  return reader(text, source).whole(j);
}

policy load_policy_file(const std::filesystem::path& path) {
  auto data = read_file(path, 1 << 20);
  if (!data) throw policy_error(path.string() + ": cannot read the policy file");
  return parse_policy(std::string_view(reinterpret_cast<const char*>(data->data()), data->size()), path.string());
}

std::vector<std::string_view> builtin_policy_names() {
  std::vector<std::string_view> out;
  for (const auto& b : builtin_policies) out.push_back(b.name);
  return out;
}

std::string_view builtin_policy_text(std::string_view name) {
  for (const auto& b : builtin_policies)
    if (b.name == name) return b.json;
  return {};
}

policy resolve_policy(const std::string& name_or_path) {
  if (auto text = builtin_policy_text(name_or_path); !text.empty())
    return parse_policy(text, "builtin:" + name_or_path);
  return load_policy_file(name_or_path);
}

}  // namespace aikmock::policy
