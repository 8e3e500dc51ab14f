#include "certs/lab_manifest.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/files.hpp"

namespace aikmock::certs {

using nlohmann::json;

namespace {

// Reads a required field with an error that names it.
template <class T>
T field(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw std::runtime_error(where + ": missing \"" + key + "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(where + ": \"" + key + "\" has the wrong type");
  }
}

json to_json(const key_pair_files& k) { return {{"certificate", k.certificate}, {"privateKey", k.private_key}}; }

key_pair_files key_pair_from(const json& j, const char* key, const std::string& where) {
  auto obj = field<json>(j, key, where);
  std::string inner = where + "." + key;
  return {field<std::string>(obj, "certificate", inner), field<std::string>(obj, "privateKey", inner)};
}

}  // namespace

void save_lab_manifest(const lab_manifest& m) {
  json j;
  j["version"] = m.version;
  j["domain"] = m.domain;
  j["publicUrl"] = m.public_url;
  j["trustStore"] = m.trust_store;
  j["aikRoot"] = to_json(m.aik_root);
  j["tls"] = {{"root", m.tls_root}, {"certificate", m.tls_server.certificate}, {"key", m.tls_server.private_key}};
  j["vendors"] = json::array();
  for (const auto& v : m.vendors)
    j["vendors"].push_back({{"vendor", v.vendor},
                            {"manufacturer", v.manufacturer},
                            {"rootCa", to_json(v.root_ca)},
                            {"ekIssuingCa", to_json(v.ek_issuing_ca)}});
  j["authorities"] = json::array();
  for (const auto& a : m.authorities)
    j["authorities"].push_back({{"name", a.name},
                                {"vendor", a.vendor},
                                {"keyId", a.key_id},
                                {"nameId", a.name_id},
                                {"ekIssuingCa", a.ek_issuing_ca},
                                {"issuingCa", to_json(a.issuing_ca)},
                                {"raSigning", to_json(a.ra_signing)},
                                {"raEncryption", to_json(a.ra_encryption)}});
  j["eks"] = json::array();
  for (const auto& e : m.eks)
    j["eks"].push_back({{"id", e.id},
                        {"template", e.tpl},
                        {"vendor", e.vendor},
                        {"authority", e.authority},
                        {"nvIndex", e.nv_index},
                        {"certificate", e.certificate},
                        {"privateKey", e.private_key},
                        {"public", e.public_area}});
  j["sealingKey"] = m.sealing_key;
  std::string text = j.dump(2) + "\n";
  write_file(m.dir / "manifest.json", as_bytes(text), 0644);
}

lab_manifest load_lab_manifest(const std::filesystem::path& lab_dir) {
  auto path = lab_dir / "manifest.json";
  auto data = read_file(path, 4 << 20);
  if (!data) throw std::runtime_error("cannot read " + path.string() + " (run `aikmock pki init --out " + lab_dir.string() + "`)");
  json j = json::parse(data->begin(), data->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error(path.string() + ": not a JSON object");
  const std::string where = path.string();

  lab_manifest m;
  m.dir = lab_dir;
  m.version = field<int>(j, "version", where);
  if (m.version != 1) throw std::runtime_error(where + ": unsupported manifest version " + std::to_string(m.version));
  m.domain = field<std::string>(j, "domain", where);
  if (j.contains("publicUrl")) m.public_url = field<std::string>(j, "publicUrl", where);
  m.trust_store = field<std::string>(j, "trustStore", where);
  m.aik_root = key_pair_from(j, "aikRoot", where);
  if (j.contains("sealingKey")) m.sealing_key = field<std::string>(j, "sealingKey", where);
  auto tls = field<json>(j, "tls", where);
  m.tls_root = field<std::string>(tls, "root", where + ".tls");
  m.tls_server = {field<std::string>(tls, "certificate", where + ".tls"), field<std::string>(tls, "key", where + ".tls")};

  for (const auto& v : field<json>(j, "vendors", where)) {
    std::string w = where + ".vendors[]";
    m.vendors.push_back({field<std::string>(v, "vendor", w), field<std::string>(v, "manufacturer", w),
                         key_pair_from(v, "rootCa", w), key_pair_from(v, "ekIssuingCa", w)});
  }
  for (const auto& a : field<json>(j, "authorities", where)) {
    std::string w = where + ".authorities[]";
    m.authorities.push_back({field<std::string>(a, "name", w), field<std::string>(a, "vendor", w),
                             field<std::string>(a, "keyId", w), field<std::string>(a, "nameId", w),
                             field<std::string>(a, "ekIssuingCa", w), key_pair_from(a, "issuingCa", w),
                             key_pair_from(a, "raSigning", w), key_pair_from(a, "raEncryption", w)});
  }
  for (const auto& e : field<json>(j, "eks", where)) {
    std::string w = where + ".eks[]";
    m.eks.push_back({field<std::string>(e, "id", w), field<std::string>(e, "template", w),
                     field<std::string>(e, "vendor", w), field<std::string>(e, "authority", w),
                     field<std::string>(e, "nvIndex", w), field<std::string>(e, "certificate", w),
                     field<std::string>(e, "privateKey", w), field<std::string>(e, "public", w)});
  }
  return m;
}

}  // namespace aikmock::certs
