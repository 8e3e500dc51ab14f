#include "tpm/public_area.hpp"

#include <stdexcept>
#include <string>

#include "common/encoding.hpp"

namespace aikmock::tpm {

namespace {

// What follows the scheme selector on the wire; one table for writer and reader
// so the two cannot disagree.
enum class scheme_layout { nothing, hash, hash_and_count, unknown };

scheme_layout asym_scheme_layout(alg_id type, alg_id scheme) {
  if (scheme == alg::null) return scheme_layout::nothing;
  if (type == alg::rsa) {
    switch (scheme) {
      case alg::rsaes: return scheme_layout::nothing;
      case alg::rsassa:
      case alg::rsapss:
      case alg::oaep: return scheme_layout::hash;
      default: return scheme_layout::unknown;
    }
  }
  switch (scheme) {
    case alg::ecdaa: return scheme_layout::hash_and_count;
    case alg::ecdsa:
    case alg::sm2:
    case alg::ecschnorr:
    case alg::ecdh:
    case alg::ecmqv: return scheme_layout::hash;
    default: return scheme_layout::unknown;
  }
}

bool known_symmetric(alg_id algorithm) {
  return algorithm == alg::null || algorithm == alg::aes || algorithm == alg::sm4 || algorithm == alg::camellia;
}

bool known_kdf(alg_id scheme) {
  return scheme == alg::null || scheme == alg::mgf1 || scheme == alg::kdf1_sp800_56a || scheme == alg::kdf2 ||
         scheme == alg::kdf1_sp800_108;
}

bool known_keyedhash_scheme(alg_id scheme) {
  return scheme == alg::null || scheme == alg::hmac || scheme == alg::xor_;
}

std::string describe_alg(alg_id id) {
  std::string out = "0x" + to_hex(bytes{static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)});
  if (auto name = alg_name(id); !name.empty()) out.append(" (").append(name).append(")");
  return out;
}

[[noreturn]] void cannot_marshal(std::string_view what, alg_id id) {
  throw std::invalid_argument("TPMT_PUBLIC: cannot marshal " + std::string(what) + " " + describe_alg(id));
}

void write_symmetric(writer& out, const sym_def_object& sym) {
  if (!known_symmetric(sym.algorithm)) cannot_marshal("symmetric algorithm", sym.algorithm);
  out.u16(sym.algorithm);
  if (sym.algorithm != alg::null) out.u16(sym.key_bits).u16(sym.mode);
}

void write_scheme(writer& out, alg_id type, const asym_scheme& scheme) {
  auto layout = asym_scheme_layout(type, scheme.scheme);
  if (layout == scheme_layout::unknown) cannot_marshal("scheme", scheme.scheme);
  out.u16(scheme.scheme);
  if (layout == scheme_layout::hash || layout == scheme_layout::hash_and_count) out.u16(scheme.hash);
  if (layout == scheme_layout::hash_and_count) out.u16(scheme.count);
}

// Each read_* below returns false once the reader has failed; the reader holds
// the message.

bool read_symmetric(reader& in, sym_def_object& sym) {
  auto algorithm = in.u16("TPMT_PUBLIC.parameters.symmetric.algorithm");
  if (!algorithm) return false;
  if (!known_symmetric(*algorithm)) {
    return in.reject("TPMT_PUBLIC.parameters.symmetric.algorithm", "unsupported " + describe_alg(*algorithm));
  }
  sym.algorithm = *algorithm;
  if (sym.algorithm == alg::null) return true;
  auto key_bits = in.u16("TPMT_PUBLIC.parameters.symmetric.keyBits");
  auto mode = in.u16("TPMT_PUBLIC.parameters.symmetric.mode");
  if (!key_bits || !mode) return false;
  sym.key_bits = *key_bits;
  sym.mode = *mode;
  return true;
}

bool read_scheme(reader& in, alg_id type, asym_scheme& scheme) {
  auto selector = in.u16("TPMT_PUBLIC.parameters.scheme.scheme");
  if (!selector) return false;
  auto layout = asym_scheme_layout(type, *selector);
  if (layout == scheme_layout::unknown) {
    return in.reject("TPMT_PUBLIC.parameters.scheme.scheme",
                   "unsupported " + describe_alg(*selector) + " for " + std::string(alg_name(type)) + " keys");
  }
  scheme.scheme = *selector;
  if (layout == scheme_layout::hash || layout == scheme_layout::hash_and_count) {
    auto hash = in.u16("TPMT_PUBLIC.parameters.scheme.details.hashAlg");
    if (!hash) return false;
    scheme.hash = *hash;
  }
  if (layout == scheme_layout::hash_and_count) {
    auto count = in.u16("TPMT_PUBLIC.parameters.scheme.details.count");
    if (!count) return false;
    scheme.count = *count;
  }
  return true;
}

bool read_rsa(reader& in, tpmt_public& area) {
  if (!read_symmetric(in, area.symmetric) || !read_scheme(in, alg::rsa, area.scheme)) return false;
  auto key_bits = in.u16("TPMT_PUBLIC.parameters.rsaDetail.keyBits");
  auto exponent = in.u32("TPMT_PUBLIC.parameters.rsaDetail.exponent");
  if (!key_bits || !exponent) return false;
  area.rsa.key_bits = *key_bits;
  area.rsa.exponent = *exponent;
  return read_tpm2b_into(in, "TPMT_PUBLIC.unique.rsa", max_rsa_modulus_size, area.rsa.modulus);
}

bool read_ecc(reader& in, tpmt_public& area) {
  if (!read_symmetric(in, area.symmetric) || !read_scheme(in, alg::ecc, area.scheme)) return false;
  auto curve_id = in.u16("TPMT_PUBLIC.parameters.eccDetail.curveID");
  auto kdf = in.u16("TPMT_PUBLIC.parameters.eccDetail.kdf.scheme");
  if (!curve_id || !kdf) return false;
  if (!known_kdf(*kdf)) {
    return in.reject("TPMT_PUBLIC.parameters.eccDetail.kdf.scheme", "unsupported " + describe_alg(*kdf));
  }
  area.ecc.curve = *curve_id;
  area.ecc.kdf.scheme = *kdf;
  if (*kdf != alg::null) {
    auto hash = in.u16("TPMT_PUBLIC.parameters.eccDetail.kdf.details.hashAlg");
    if (!hash) return false;
    area.ecc.kdf.hash = *hash;
  }
  return read_tpm2b_into(in, "TPMT_PUBLIC.unique.ecc.x", max_ecc_coordinate_size, area.ecc.x) &&
         read_tpm2b_into(in, "TPMT_PUBLIC.unique.ecc.y", max_ecc_coordinate_size, area.ecc.y);
}

bool read_keyedhash(reader& in, tpmt_public& area) {
  auto scheme = in.u16("TPMT_PUBLIC.parameters.keyedHashDetail.scheme.scheme");
  if (!scheme) return false;
  if (!known_keyedhash_scheme(*scheme)) {
    return in.reject("TPMT_PUBLIC.parameters.keyedHashDetail.scheme.scheme", "unsupported " + describe_alg(*scheme));
  }
  area.keyedhash.scheme = *scheme;
  if (*scheme != alg::null) {
    auto hash = in.u16("TPMT_PUBLIC.parameters.keyedHashDetail.scheme.details.hashAlg");
    if (!hash) return false;
    area.keyedhash.hash = *hash;
  }
  if (*scheme == alg::xor_) {
    auto kdf = in.u16("TPMT_PUBLIC.parameters.keyedHashDetail.scheme.details.kdf");
    if (!kdf) return false;
    area.keyedhash.kdf = *kdf;
  }
  return read_tpm2b_into(in, "TPMT_PUBLIC.unique.keyedHash", max_digest_size, area.keyedhash.unique);
}

}  // namespace

void write_public(writer& out, const tpmt_public& area) {
  if (area.type != alg::rsa && area.type != alg::ecc && area.type != alg::keyedhash) {
    cannot_marshal("object type", area.type);
  }
  out.u16(area.type).u16(area.name_alg).u32(area.object_attributes);
  write_tpm2b_bounded(out, "TPMT_PUBLIC", area.auth_policy, max_digest_size, "authPolicy");
  if (area.type == alg::rsa) {
    write_symmetric(out, area.symmetric);
    write_scheme(out, area.type, area.scheme);
    out.u16(area.rsa.key_bits).u32(area.rsa.exponent);
    write_tpm2b_bounded(out, "TPMT_PUBLIC", area.rsa.modulus, max_rsa_modulus_size, "unique.rsa");
  } else if (area.type == alg::ecc) {
    write_symmetric(out, area.symmetric);
    write_scheme(out, area.type, area.scheme);
    if (!known_kdf(area.ecc.kdf.scheme)) cannot_marshal("kdf", area.ecc.kdf.scheme);
    out.u16(area.ecc.curve).u16(area.ecc.kdf.scheme);
    if (area.ecc.kdf.scheme != alg::null) out.u16(area.ecc.kdf.hash);
    write_tpm2b_bounded(out, "TPMT_PUBLIC", area.ecc.x, max_ecc_coordinate_size, "unique.ecc.x");
    write_tpm2b_bounded(out, "TPMT_PUBLIC", area.ecc.y, max_ecc_coordinate_size, "unique.ecc.y");
  } else {
    const auto& kh = area.keyedhash;
    if (!known_keyedhash_scheme(kh.scheme)) cannot_marshal("keyedHash scheme", kh.scheme);
    out.u16(kh.scheme);
    if (kh.scheme != alg::null) out.u16(kh.hash);
    if (kh.scheme == alg::xor_) out.u16(kh.kdf);
    write_tpm2b_bounded(out, "TPMT_PUBLIC", kh.unique, max_digest_size, "unique.keyedHash");
  }
}

bytes marshal_public(const tpmt_public& area) {
  writer out;
  write_public(out, area);
  return std::move(out).take();
}

bytes marshal_public2b(const tpmt_public& area) {
  writer out;
  out.tpm2b(marshal_public(area));
  return std::move(out).take();
}

std::optional<tpmt_public> read_public(reader& in) {
  tpmt_public area;
  auto type = in.u16("TPMT_PUBLIC.type");
  if (!type) return std::nullopt;
  if (*type != alg::rsa && *type != alg::ecc && *type != alg::keyedhash) {
    in.reject("TPMT_PUBLIC.type", "unsupported object type " + describe_alg(*type));
    return std::nullopt;
  }
  auto name_alg = in.u16("TPMT_PUBLIC.nameAlg");
  auto attributes = in.u32("TPMT_PUBLIC.objectAttributes");
  if (!name_alg || !attributes) return std::nullopt;
  area.type = *type;
  area.name_alg = *name_alg;
  area.object_attributes = *attributes;
  if (!read_tpm2b_into(in, "TPMT_PUBLIC.authPolicy", max_digest_size, area.auth_policy)) return std::nullopt;

  bool complete = area.type == alg::rsa   ? read_rsa(in, area)
                  : area.type == alg::ecc ? read_ecc(in, area)
                                          : read_keyedhash(in, area);
  if (!complete) return std::nullopt;
  return area;
}

std::optional<tpmt_public> read_public2b(reader& in) {
  auto body = in.nested_tpm2b("TPM2B_PUBLIC", 0xFFFF);
  if (!body) return std::nullopt;
  auto area = read_public(*body);
  if (!in.close_nested(*body, "TPM2B_PUBLIC")) return std::nullopt;
  return area;
}

parse_result<tpmt_public> parse_public(byte_view data) {
  reader in(data);
  auto area = read_public(in);
  if (area) in.expect_end("TPMT_PUBLIC");
  return finish_parse(in, std::move(area), "TPMT_PUBLIC");
}

parse_result<tpmt_public> parse_public2b(byte_view data) {
  reader in(data);
  auto area = read_public2b(in);
  return finish_parse(in, std::move(area), "TPM2B_PUBLIC");
}

}  // namespace aikmock::tpm
