#include "tpm/ek_template.hpp"

#include "tpm/describe.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "common/encoding.hpp"

namespace aikmock::tpm {

namespace {

namespace attr = object_attr;

// Low range: only the endorsement hierarchy's policy can use the key.
constexpr std::uint32_t low_range_attributes = attr::fixed_tpm | attr::fixed_parent | attr::sensitive_data_origin |
                                               attr::admin_with_policy | attr::restricted | attr::decrypt;
// High range adds userWithAuth, so an empty auth value works too.
constexpr std::uint32_t high_range_attributes = low_range_attributes | attr::user_with_auth;
static_assert(low_range_attributes == 0x000300B2 && high_range_attributes == 0x000300F2);

constexpr sym_def_object aes128_cfb{alg::aes, 128, alg::cfb};
constexpr sym_def_object aes256_cfb{alg::aes, 256, alg::cfb};
constexpr sym_def_object sm4_128_cfb{alg::sm4, 128, alg::cfb};

using enum ek_key_type;
using enum template_unique;

// TCG EK Credential Profile 2.x Annex B, as IBM TSS (utils/ekutils.c) and
// tpm2-tools (tools/tpm2_createek.c) both implement it.
constexpr std::array<ek_template, 9> catalogue{{
    {"L-1", rsa, 2048, 0, alg::sha256, low_range_attributes, policy_a_sha256, "PolicyA-SHA256", aes128_cfb,
     0x01C00002, zero_filled},
    {"L-2", ecc, 0, curve::nist_p256, alg::sha256, low_range_attributes, policy_a_sha256, "PolicyA-SHA256",
     aes128_cfb, 0x01C0000A, zero_filled},
    {"H-1", rsa, 2048, 0, alg::sha256, high_range_attributes, policy_b_sha256, "PolicyB-SHA256", aes128_cfb,
     0x01C00012, empty},
    {"H-2", ecc, 0, curve::nist_p256, alg::sha256, high_range_attributes, policy_b_sha256, "PolicyB-SHA256",
     aes128_cfb, 0x01C00014, empty},
    {"H-3", ecc, 0, curve::nist_p384, alg::sha384, high_range_attributes, policy_b_sha384, "PolicyB-SHA384",
     aes256_cfb, 0x01C00016, empty},
    {"H-4", ecc, 0, curve::nist_p521, alg::sha512, high_range_attributes, policy_b_sha512, "PolicyB-SHA512",
     aes256_cfb, 0x01C00018, empty},
    {"H-5", ecc, 0, curve::sm2_p256, alg::sm3_256, high_range_attributes, policy_b_sm3, "PolicyB-SM3", sm4_128_cfb,
     0x01C0001A, empty},
    {"H-6", rsa, 3072, 0, alg::sha384, high_range_attributes, policy_b_sha384, "PolicyB-SHA384", aes256_cfb,
     0x01C0001C, empty},
    {"H-7", rsa, 4096, 0, alg::sha384, high_range_attributes, policy_b_sha384, "PolicyB-SHA384", aes256_cfb,
     0x01C0001E, empty},
}};

// Template ids compare case-insensitively and ignoring punctuation: "L-1" == "l1".
bool same_id(std::string_view a, std::string_view b) noexcept {
  auto significant = [](std::string_view s, std::size_t& i) -> int {
    while (i < s.size() && !std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
    return i < s.size() ? std::toupper(static_cast<unsigned char>(s[i++])) : -1;
  };
  std::size_t i = 0, j = 0;
  for (;;) {
    int x = significant(a, i);
    int y = significant(b, j);
    if (x != y) return false;
    if (x < 0) return true;
  }
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

std::string alg_text(alg_id id) {
  if (auto name = alg_name(id); !name.empty()) return std::string(name);
  char text[7];
  std::snprintf(text, sizeof text, "0x%04x", id);
  return text;
}

std::string curve_text(ecc_curve_id id) {
  if (auto name = curve_name(id); !name.empty()) return std::string(name);
  char text[7];
  std::snprintf(text, sizeof text, "0x%04x", id);
  return "curve " + std::string(text);
}


std::string describe_symmetric(const sym_def_object& sym) {
  if (sym.algorithm == alg::null) return "NULL";
  return alg_text(sym.algorithm) + "-" + std::to_string(sym.key_bits) + "-" + alg_text(sym.mode);
}

std::string describe_scheme(const asym_scheme& scheme) {
  if (scheme.scheme == alg::null) return "NULL";
  return alg_text(scheme.scheme) + "-" + alg_text(scheme.hash);
}

std::string describe_policy(const bytes& policy) {
  if (policy.empty()) return "empty";
  if (auto name = ek_policy_name(policy)) return std::string(*name);
  return to_hex(policy) + " (" + std::to_string(policy.size()) + " bytes)";
}

bool key_size_matches(const tpmt_public& area, const ek_template& t) {
  return t.key_type == rsa ? area.rsa.key_bits == t.rsa_key_bits : area.ecc.curve == t.curve;
}

// Every property in which `area` departs from `t`, most telling first. `area`
// has t's key type.
std::vector<std::string> differences(const tpmt_public& area, const ek_template& t) {
  std::vector<std::string> out;
  const std::string needs = ", " + std::string(t.id) + " needs ";
  if (!key_size_matches(area, t)) {
    out.push_back(t.key_type == rsa ? "RSA keyBits " + std::to_string(area.rsa.key_bits) + needs +
                                          std::to_string(t.rsa_key_bits)
                                    : "curveID " + curve_text(area.ecc.curve) + needs + curve_text(t.curve));
  }
  if (area.name_alg != t.name_alg) {
    out.push_back("nameAlg " + alg_text(area.name_alg) + needs + alg_text(t.name_alg));
  }
  if (area.object_attributes != t.object_attributes) {
    std::uint32_t missing = t.object_attributes & ~area.object_attributes;
    std::uint32_t extra = area.object_attributes & ~t.object_attributes;
    std::string detail;
    if (missing) detail += "missing " + describe_object_attributes(missing);
    if (extra) detail += (detail.empty() ? "" : ", ") + std::string("extra ") + describe_object_attributes(extra);
    out.push_back("objectAttributes " + hex32(area.object_attributes) + needs + hex32(t.object_attributes) + " (" +
                  detail + ")");
  }
  if (!std::ranges::equal(area.auth_policy, t.auth_policy)) {
    out.push_back("authPolicy " + describe_policy(area.auth_policy) + needs + std::string(t.auth_policy_name));
  }
  if (area.symmetric != t.symmetric) {
    out.push_back("symmetric " + describe_symmetric(area.symmetric) + needs + describe_symmetric(t.symmetric));
  }
  if (area.scheme != asym_scheme{}) {
    out.push_back("scheme " + describe_scheme(area.scheme) + needs + "NULL");
  }
  if (t.key_type == rsa && area.rsa.exponent != 0) {
    out.push_back("exponent field " + hex32(area.rsa.exponent) + needs + "0 (which means 65537)");
  }
  if (t.key_type == ecc && area.ecc.kdf != kdf_scheme{}) {
    out.push_back("kdf " + alg_text(area.ecc.kdf.scheme) + "-" + alg_text(area.ecc.kdf.hash) + needs +
                  "NULL");
  }
  return out;
}

// A key that its own parameters contradict cannot have come from a TPM.
std::string unique_inconsistency(const tpmt_public& area) {
  if (area.type == alg::rsa) {
    if (area.rsa.modulus.size() * 8 != area.rsa.key_bits) {
      return "unique.rsa is " + std::to_string(area.rsa.modulus.size()) + " bytes while keyBits is " +
             std::to_string(area.rsa.key_bits);
    }
    return {};
  }
  std::size_t size = curve_coordinate_size(area.ecc.curve);
  auto check = [&](std::string_view name, const bytes& coordinate) -> std::string {
    if (!coordinate.empty() && coordinate.size() <= size) return {};
    return "unique.ecc." + std::string(name) + " is " + std::to_string(coordinate.size()) + " bytes; " +
           curve_text(area.ecc.curve) + " needs 1 to " + std::to_string(size);
  };
  if (auto problem = check("x", area.ecc.x); !problem.empty()) return problem;
  return check("y", area.ecc.y);
}

}  // namespace

std::span<const ek_template> all_ek_templates() noexcept { return catalogue; }

const ek_template* find_ek_template(std::string_view id) noexcept {
  for (const auto& t : catalogue) {
    if (same_id(t.id, id)) return &t;
  }
  return nullptr;
}

tpmt_public ek_template_public(const ek_template& tmpl) {
  tpmt_public area;
  area.type = tmpl.key_type == rsa ? alg::rsa : alg::ecc;
  area.name_alg = tmpl.name_alg;
  area.object_attributes = tmpl.object_attributes;
  area.auth_policy.assign(tmpl.auth_policy.begin(), tmpl.auth_policy.end());
  area.symmetric = tmpl.symmetric;
  bool zeros = tmpl.unique == zero_filled;
  if (tmpl.key_type == rsa) {
    area.rsa.key_bits = tmpl.rsa_key_bits;
    area.rsa.exponent = 0;
    area.rsa.modulus = zeros ? bytes(tmpl.rsa_key_bits / 8u) : bytes{};
  } else {
    area.ecc.curve = tmpl.curve;
    std::size_t size = curve_coordinate_size(tmpl.curve);
    area.ecc.x = zeros ? bytes(size) : bytes{};
    area.ecc.y = zeros ? bytes(size) : bytes{};
  }
  return area;
}

tpmt_public ek_public_from_key(const ek_template& tmpl, EVP_PKEY* key) {
  const std::string which = "template " + std::string(tmpl.id) + ": ";
  if (tmpl.curve == curve::sm2_p256) {
    throw std::invalid_argument(which + "SM2 keys are not built from OpenSSL keys here");
  }
  tpmt_public from_key;
  try {
    set_public_key(from_key, key);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(which + e.what());
  }

  tpmt_public area = ek_template_public(tmpl);
  if (from_key.type != area.type) {
    throw std::invalid_argument(which + "needs an " + alg_text(area.type) + " key, got " +
                                alg_text(from_key.type));
  }
  if (area.type == alg::rsa) {
    if (from_key.rsa.key_bits != tmpl.rsa_key_bits) {
      throw std::invalid_argument(which + "needs RSA-" + std::to_string(tmpl.rsa_key_bits) + ", got RSA-" +
                                  std::to_string(from_key.rsa.key_bits));
    }
    area.rsa = std::move(from_key.rsa);
  } else {
    if (from_key.ecc.curve != tmpl.curve) {
      throw std::invalid_argument(which + "needs " + curve_text(tmpl.curve) + ", got " +
                                  curve_text(from_key.ecc.curve));
    }
    area.ecc.x = std::move(from_key.ecc.x);
    area.ecc.y = std::move(from_key.ecc.y);
  }
  return area;
}

classification classify_ek_public(const tpmt_public& area) {
  classification result;
  if (area.type != alg::rsa && area.type != alg::ecc) {
    result.reason = "type " + alg_text(area.type) + " is not an EK key type (RSA or ECC)";
    return result;
  }
  const ek_key_type type = area.type == alg::rsa ? rsa : ecc;

  const ek_template* closest = nullptr;
  std::vector<std::string> closest_differences;
  for (const auto& t : catalogue) {
    if (t.key_type != type) continue;
    auto found = differences(area, t);
    if (!closest || found.size() < closest_differences.size()) {
      closest = &t;
      closest_differences = std::move(found);
    }
  }
  if (!closest_differences.empty()) {
    result.reason = "closest to " + std::string(closest->id) + ": " + closest_differences.front();
    if (closest_differences.size() > 1) {
      result.reason += " (and " + std::to_string(closest_differences.size() - 1) + " more difference" +
                       (closest_differences.size() > 2 ? "s" : "") + ")";
    }
    return result;
  }
  if (auto problem = unique_inconsistency(area); !problem.empty()) {
    result.reason = "parameters match " + std::string(closest->id) + ", but " + problem;
    return result;
  }
  result.match = closest;
  return result;
}

}  // namespace aikmock::tpm
