#include "app/tpm_command.hpp"

#include "tpm/describe.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "app/cli.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"
#include "tpm/credential.hpp"
#include "tpm/credential_container.hpp"
#include "tpm/credential_secret.hpp"
#include "tpm/ek_policy.hpp"
#include "tpm/ek_template.hpp"
#include "tpm/hash.hpp"
#include "tpm/name.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::app {

namespace {

using json = nlohmann::ordered_json;

constexpr const char* tpm_usage = R"(usage: aikmock tpm SUBCOMMAND [OPTIONS]

Subcommands:
  makecredential   protect a secret for an EK and an AK Name, as TPM2_MakeCredential does
  inspect          describe a TPM2B_PUBLIC, a tpm2-tools credential file or a Windows
                   activation blob as JSON

`aikmock tpm SUBCOMMAND --help` describes each.
)";

constexpr const char* makecredential_usage =
    R"(usage: aikmock tpm makecredential --ek-public EK.pub (--name HEX | --aik-public AK.pub)
                                 --secret FILE --out FILE [--profile tcg|microsoft]
                                 [--format tpm2-tools|windows]

Protects the secret so that only the TPM holding the EK can recover it, with
TPM2_ActivateCredential on the key with that Name.

  --ek-public FILE   the EK's TPM2B_PUBLIC (tpm2_createek -u, tpm2_readpublic -f tss)
  --name HEX         the AK's Name: nameAlg || digest (tpm2_readpublic -n)
  --aik-public FILE  or the AK's TPM2B_PUBLIC, whose Name is computed
  --secret FILE      the credential: 1 byte up to the EK nameAlg digest size (32 or 48)
  --out FILE         where to write the result
  --profile P        tcg (default): every parameter from the EK public, as a TPM does;
                     microsoft: as limited as Microsoft's published activation code
                     (RSA EKs of 2048+ bits, SHA-256, AES-128, 16-byte seed)
  --format F         tpm2-tools (default): BADCC0DE || 1 || ID object || secret, for
                     `tpm2_activatecredential -i`; windows: ID object || secret, the
                     PCP activation blob

Exit status: 0 written; 1 the inputs are unusable (the EK cannot protect a
credential, a malformed Name or secret); 2 usage; 3 the profile cannot encrypt a
secret for this EK (what the real service reports as "failure in EncryptSecret").
)";

constexpr const char* inspect_usage = R"(usage: aikmock tpm inspect FILE

Prints FILE as JSON. Recognised: a TPM2B_PUBLIC or bare TPMT_PUBLIC (type,
nameAlg, attributes, policy, symmetric, scheme, key, Name, EK template, and what
each credential profile can do with it); a tpm2-tools credential file; a Windows
activation blob (their parts and sizes).
)";

bool wants_help(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return true;
  }
  return false;
}

bytes read_input(const std::string& path, std::string_view what) {
  auto data = read_file(path);
  if (!data) throw std::runtime_error("cannot read " + std::string(what) + " " + path);
  return std::move(*data);
}

std::string hex16(std::uint16_t value) {
  char text[7];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// "SHA256", or the hex value when the identifier is unknown.
std::string alg_text(tpm::alg_id id) {
  auto name = tpm::alg_name(id);
  return name.empty() ? hex16(id) : std::string(name);
}

// A TPM2B_PUBLIC filling the whole file; the message says why not.
tpm::tpmt_public read_public_file(const std::string& path, std::string_view what) {
  const bytes data = read_input(path, what);
  auto parsed = tpm::parse_public2b(data);
  if (!parsed) throw std::runtime_error(std::string(what) + " " + path + " is not a TPM2B_PUBLIC: " + parsed.error());
  if (parsed.consumed != data.size()) {
    throw std::runtime_error(std::string(what) + " " + path + ": " + std::to_string(data.size() - parsed.consumed) +
                             " bytes after the TPM2B_PUBLIC");
  }
  return *parsed;
}

int run_makecredential(int argc, char** argv) {
  if (wants_help(argc, argv, 3)) return std::cout << makecredential_usage, 0;
  args a(argc, argv, 3, {"ek-public", "name", "aik-public", "secret", "out", "profile", "format"}, {});
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  auto ek_path = a.value("ek-public");
  auto secret_path = a.value("secret");
  auto out_path = a.value("out");
  if (!ek_path || !secret_path || !out_path) throw usage_error("needs --ek-public, --secret and --out");
  auto name_hex = a.value("name");
  auto aik_path = a.value("aik-public");
  if (name_hex.has_value() == aik_path.has_value()) throw usage_error("needs exactly one of --name and --aik-public");
  auto profile = tpm::parse_credential_profile(a.value("profile").value_or("tcg"));
  if (!profile) throw usage_error("--profile is tcg or microsoft");
  const std::string format = a.value("format").value_or("tpm2-tools");
  if (format != "tpm2-tools" && format != "windows") throw usage_error("--format is tpm2-tools or windows");

  const tpm::tpmt_public ek = read_public_file(*ek_path, "EK public");
  bytes name;
  if (name_hex) {
    auto decoded = from_hex(*name_hex);
    if (!decoded) throw usage_error("--name is not hex");
    name = std::move(*decoded);
  } else {
    auto computed = tpm::object_name(read_public_file(*aik_path, "AK public"));
    if (!computed) throw std::runtime_error("cannot compute the AK's Name: its nameAlg is not supported");
    name = std::move(*computed);
  }
  const tpm::secret_bytes secret(read_input(*secret_path, "secret"));

  auto blob = tpm::make_credential(ek, name, secret.view(), *profile);
  if (!blob) {
    std::cerr << "aikmock tpm makecredential: " << tpm::to_string(blob.error().kind) << ": " << blob.error().reason
              << '\n';
    return blob.error().kind == tpm::credential_error_kind::profile_cannot_encrypt_secret ? 3 : 1;
  }
  const bytes output =
      format == "windows" ? tpm::windows_activation_blob(*blob) : tpm::tpm2_tools_credential_file(*blob);
  write_file(*out_path, output, 0644);

  auto protection = tpm::credential_protection_for(ek, *profile);
  std::cerr << "aikmock tpm makecredential: wrote " << *out_path << " (" << output.size() << " bytes, " << format
            << " format; " << tpm::to_string(*profile) << " profile: " << alg_text(protection->hash) << ", "
            << protection->seed_size << "-byte seed, AES-" << protection->aes_key_bits << ")\n";
  return 0;
}

json attributes_json(std::uint32_t attributes) {
  json names = json::array();
  std::uint32_t known = 0;
  for (const auto& b : tpm::object_attribute_names()) {
    known |= b.bit;
    if (attributes & b.bit) names.push_back(b.name);
  }
  json out{{"value", hex32(attributes)}, {"set", names}};
  if (attributes & ~known) out["otherBits"] = hex32(attributes & ~known);
  return out;
}

json symmetric_json(const tpm::sym_def_object& sym) {
  json out{{"algorithm", alg_text(sym.algorithm)}};
  if (sym.algorithm != tpm::alg::null) {
    out["keyBits"] = sym.key_bits;
    out["mode"] = alg_text(sym.mode);
  }
  return out;
}

json scheme_json(const tpm::asym_scheme& scheme) {
  json out{{"scheme", alg_text(scheme.scheme)}};
  if (scheme.hash != tpm::alg::null) out["hash"] = alg_text(scheme.hash);
  if (scheme.scheme == tpm::alg::ecdaa) out["count"] = scheme.count;
  return out;
}

json protection_json(const tpm::tpmt_public& area, tpm::credential_profile profile) {
  auto protection = tpm::credential_protection_for(area, profile);
  if (!protection) {
    return json{
        {"ok", false}, {"error", tpm::to_string(protection.error().kind)}, {"reason", protection.error().reason}};
  }
  return json{{"ok", true},
              {"hash", alg_text(protection->hash)},
              {"seedBytes", protection->seed_size},
              {"aesKeyBits", protection->aes_key_bits},
              {"maxCredentialBytes", protection->max_credential_size}};
}

json public_json(const tpm::tpmt_public& area) {
  json out;
  out["type"] = alg_text(area.type);
  out["nameAlg"] = alg_text(area.name_alg);
  out["objectAttributes"] = attributes_json(area.object_attributes);
  json policy{{"digest", to_hex(area.auth_policy)}};
  auto policy_name = tpm::ek_policy_name(area.auth_policy);
  policy["name"] = policy_name ? json(std::string(*policy_name)) : json(nullptr);
  out["authPolicy"] = policy;
  if (area.type == tpm::alg::rsa) {
    out["symmetric"] = symmetric_json(area.symmetric);
    out["scheme"] = scheme_json(area.scheme);
    out["rsa"] = json{{"keyBits", area.rsa.key_bits},
                      {"exponent", area.rsa.exponent == 0 ? 65537u : area.rsa.exponent},
                      {"modulus", to_hex(area.rsa.modulus)}};
  } else if (area.type == tpm::alg::ecc) {
    out["symmetric"] = symmetric_json(area.symmetric);
    out["scheme"] = scheme_json(area.scheme);
    auto curve = tpm::curve_name(area.ecc.curve);
    json kdf{{"scheme", alg_text(area.ecc.kdf.scheme)}};
    if (area.ecc.kdf.scheme != tpm::alg::null) kdf["hash"] = alg_text(area.ecc.kdf.hash);
    out["ecc"] = json{{"curve", curve.empty() ? hex16(area.ecc.curve) : std::string(curve)},
                      {"kdf", kdf},
                      {"x", to_hex(area.ecc.x)},
                      {"y", to_hex(area.ecc.y)}};
  } else if (area.type == tpm::alg::keyedhash) {
    json keyed{{"scheme", alg_text(area.keyedhash.scheme)}};
    if (area.keyedhash.scheme != tpm::alg::null) keyed["hash"] = alg_text(area.keyedhash.hash);
    if (area.keyedhash.scheme == tpm::alg::xor_) keyed["kdf"] = alg_text(area.keyedhash.kdf);
    keyed["unique"] = to_hex(area.keyedhash.unique);
    out["keyedHash"] = keyed;
  }
  auto name = tpm::object_name(area);
  out["name"] = name ? json(to_hex(*name)) : json(nullptr);
  auto classified = tpm::classify_ek_public(area);
  json tmpl{{"id", std::string(classified.label())}};
  if (!classified.is_standard()) tmpl["reason"] = classified.reason;
  out["ekTemplate"] = tmpl;
  out["credentialProtection"] = json{{"tcg", protection_json(area, tpm::credential_profile::tcg)},
                                     {"microsoft", protection_json(area, tpm::credential_profile::microsoft)}};
  return out;
}

// What the encrypted secret's payload looks like: an ECC point parses as one
// exactly; anything else is taken as an RSA-OAEP ciphertext.
json encrypted_secret_json(byte_view payload) {
  json out{{"size", payload.size()}};
  tpm::reader in(payload);
  auto x = in.tpm2b("x", tpm::max_ecc_coordinate_size);
  auto y = in.tpm2b("y", tpm::max_ecc_coordinate_size);
  if (x && y && in.expect_end("TPMS_ECC_POINT") && x->size() == y->size()) {
    out["kind"] = "TPMS_ECC_POINT (ephemeral ECDH public key, ECC EK)";
    out["x"] = to_hex(*x);
    out["y"] = to_hex(*y);
  } else {
    out["kind"] = "RSA-OAEP ciphertext (RSA EK, " + std::to_string(payload.size() * 8) + "-bit modulus)";
    out["hex"] = to_hex(payload);
  }
  return out;
}

json blob_json(const tpm::credential_blob& blob) {
  json out;
  auto parts = tpm::parse_id_object2b(blob.id_object);
  // The blob came from a strict parser, so both structures parse.
  out["idObject"] =
      json{{"size", blob.id_object.size() - 2},
           {"integrityHmac", {{"size", parts->integrity_hmac.size()}, {"hex", to_hex(parts->integrity_hmac)}}},
           {"encIdentity", {{"size", parts->enc_identity.size()}, {"hex", to_hex(parts->enc_identity)}}}};
  out["encryptedSecret"] = encrypted_secret_json(byte_view(blob.encrypted_secret).subspan(2));
  return out;
}

int run_inspect(int argc, char** argv) {
  if (wants_help(argc, argv, 3)) return std::cout << inspect_usage, 0;
  args a(argc, argv, 3, {}, {});
  if (a.positional().size() != 1) throw usage_error("needs exactly one FILE");
  const std::string& path = a.positional().front();
  const bytes data = read_input(path, "file");

  json out{{"file", path}, {"size", data.size()}};
  const bool has_magic = data.size() >= 4 && data[0] == 0xba && data[1] == 0xdc && data[2] == 0xc0 && data[3] == 0xde;
  if (has_magic) {
    auto file = tpm::parse_tpm2_tools_credential_file(data);
    if (!file) throw std::runtime_error(path + ": broken tpm2-tools credential file: " + file.error());
    out["format"] = "tpm2-tools credential file";
    out["magic"] = hex32(tpm::tpm2_tools_credential_magic);
    out["version"] = tpm::tpm2_tools_credential_version;
    out.update(blob_json(*file));
  } else if (auto public2b = tpm::parse_public2b(data); public2b && public2b.consumed == data.size()) {
    out["format"] = "TPM2B_PUBLIC";
    out.update(public_json(*public2b));
  } else if (auto bare = tpm::parse_public(data)) {
    out["format"] = "TPMT_PUBLIC";
    out.update(public_json(*bare));
  } else if (auto windows = tpm::parse_windows_activation_blob(data)) {
    out["format"] = "Windows activation blob";
    out.update(blob_json(*windows));
  } else {
    throw std::runtime_error(path + " is none of TPM2B_PUBLIC (" + (public2b ? "trailing bytes" : public2b.error()) +
                             "), TPMT_PUBLIC (" + bare.error() + "), Windows activation blob (" + windows.error() + ")");
  }
  std::cout << out.dump(2) << '\n';
  return 0;
}

}  // namespace

int run_tpm_command(int argc, char** argv) {
  const std::string_view sub = argc > 2 ? std::string_view(argv[2]) : std::string_view();
  if (sub == "makecredential") return run_makecredential(argc, argv);
  if (sub == "inspect") return run_inspect(argc, argv);
  if (sub == "--help" || sub == "-h") return std::cout << tpm_usage, 0;
  if (!sub.empty()) std::cerr << "aikmock tpm: unknown subcommand " << sub << "\n\n";
  std::cerr << tpm_usage;
  return 2;
}

}  // namespace aikmock::app
