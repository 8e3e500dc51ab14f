#include "protocol/wcce/kast.hpp"

#include <array>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tpm/marshal.hpp"

namespace aikmock::protocol::wcce {

using namespace aikmock::tpm;

namespace {

void put_u32_le(bytes& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::optional<std::uint32_t> read_u32_le(reader& in, std::string_view field) {
  auto raw = in.raw(4, field);
  if (!raw) return std::nullopt;
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | (*raw)[static_cast<std::size_t>(i)];
  return value;
}

std::string hex32(std::uint32_t value) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back(digits[(value >> shift) & 0xF]);
  return out;
}

bool known_platform(std::uint32_t platform) {
  return platform == kast_platform::tpm12 || platform == kast_platform::tpm20;
}

bytes frame(bytes header, std::size_t header_size, std::initializer_list<const bytes*> parts) {
  std::size_t total = header_size;
  for (const bytes* part : parts) total += part->size();
  if (total > max_kast_size) {
    throw std::length_error("attestation statement of " + std::to_string(total) + " bytes exceeds " +
                            std::to_string(max_kast_size));
  }
  for (const bytes* part : parts) put_u32_le(header, static_cast<std::uint32_t>(part->size()));
  for (const bytes* part : parts) header.insert(header.end(), part->begin(), part->end());
  return header;
}

// Reads what both layouts share after their identifying fields: HeaderSize,
// the size of each part, a longer header's unknown rest, then the parts, which
// must end the input. Every failure is recorded in `in`.
template <std::size_t Parts>
std::optional<std::array<bytes, Parts>> read_parts(reader& in, std::string_view structure, std::size_t min_header,
                                                   const std::array<std::string_view, Parts>& part_names) {
  const std::string prefix = std::string(structure) + ".";
  auto header_size = read_u32_le(in, prefix + "HeaderSize");
  if (!header_size) return std::nullopt;
  if (*header_size < min_header) {
    in.reject(prefix + "HeaderSize", std::to_string(*header_size) + " is less than the " +
                                         std::to_string(min_header) + "-byte header");
    return std::nullopt;
  }
  std::array<std::uint32_t, Parts> sizes{};
  for (std::size_t i = 0; i < Parts; ++i) {
    auto size = read_u32_le(in, prefix + "cb" + std::string(part_names[i]));
    if (!size) return std::nullopt;
    sizes[i] = *size;
  }
  // Fields a later version may add; nothing here knows them.
  if (!in.raw(*header_size - min_header, prefix + "header")) return std::nullopt;
  std::array<bytes, Parts> parts;
  for (std::size_t i = 0; i < Parts; ++i) {
    auto part = in.raw(sizes[i], prefix + std::string(part_names[i]));
    if (!part) return std::nullopt;
    parts[i].assign(part->begin(), part->end());
  }
  if (!in.expect_end(structure)) return std::nullopt;
  return parts;
}

bool check_size(reader& in, byte_view data, std::string_view structure) {
  if (data.size() <= max_kast_size) return true;
  return in.fail(structure, "size " + std::to_string(data.size()) + " exceeds the maximum " +
                                std::to_string(max_kast_size));
}

}  // namespace

bytes marshal_kast(const key_attestation_statement& statement) {
  bytes header;
  put_u32_le(header, kast_magic);
  put_u32_le(header, kast_version);
  put_u32_le(header, statement.platform);
  put_u32_le(header, static_cast<std::uint32_t>(kast_header_size));
  return frame(std::move(header), kast_header_size,
               {&statement.id_binding, &statement.key_attestation, &statement.aik_opaque});
}

bytes marshal_kads(const key_attestation_blob& blob) {
  bytes header;
  put_u32_le(header, kads_magic);
  put_u32_le(header, blob.platform);
  put_u32_le(header, static_cast<std::uint32_t>(kads_header_size));
  return frame(std::move(header), kads_header_size, {&blob.key_attest, &blob.signature, &blob.key_blob});
}

parse_result<key_attestation_statement> parse_kast(byte_view data) {
  static constexpr std::string_view structure = "KeyAttestationStatement";
  reader in(data);
  auto parse = [&]() -> std::optional<key_attestation_statement> {
    if (!check_size(in, data, structure)) return std::nullopt;
    auto magic = read_u32_le(in, "KeyAttestationStatement.Magic");
    if (!magic) return std::nullopt;
    if (*magic != kast_magic) {
      in.reject("KeyAttestationStatement.Magic", hex32(*magic) + " is not 'KAST' (" + hex32(kast_magic) + ")");
      return std::nullopt;
    }
    auto version = read_u32_le(in, "KeyAttestationStatement.Version");
    if (!version) return std::nullopt;
    if (*version != kast_version) {
      in.reject("KeyAttestationStatement.Version", "unsupported version " + std::to_string(*version));
      return std::nullopt;
    }
    auto platform = read_u32_le(in, "KeyAttestationStatement.Platform");
    if (!platform) return std::nullopt;
    if (!known_platform(*platform)) {
      in.reject("KeyAttestationStatement.Platform",
                std::to_string(*platform) + " is neither 1 (TPM 1.2) nor 2 (TPM 2.0)");
      return std::nullopt;
    }
    auto parts = read_parts<3>(in, structure, kast_header_size, {"IdBinding", "KeyAttestation", "AIKOpaque"});
    if (!parts) return std::nullopt;
    return key_attestation_statement{*platform, std::move((*parts)[0]), std::move((*parts)[1]),
                                     std::move((*parts)[2])};
  };
  auto statement = parse();
  return finish_parse(in, std::move(statement), structure);
}

parse_result<key_attestation_blob> parse_kads(byte_view data) {
  static constexpr std::string_view structure = "KeyAttestation";
  reader in(data);
  auto parse = [&]() -> std::optional<key_attestation_blob> {
    if (!check_size(in, data, structure)) return std::nullopt;
    auto magic = read_u32_le(in, "KeyAttestation.Magic");
    if (!magic) return std::nullopt;
    if (*magic != kads_magic) {
      in.reject("KeyAttestation.Magic", hex32(*magic) + " is not 'KADS' (" + hex32(kads_magic) + ")");
      return std::nullopt;
    }
    auto platform = read_u32_le(in, "KeyAttestation.Platform");
    if (!platform) return std::nullopt;
    if (!known_platform(*platform)) {
      in.reject("KeyAttestation.Platform", std::to_string(*platform) + " is neither 1 (TPM 1.2) nor 2 (TPM 2.0)");
      return std::nullopt;
    }
    auto parts = read_parts<3>(in, structure, kads_header_size, {"KeyAttest", "Signature", "KeyBlob"});
    if (!parts) return std::nullopt;
    return key_attestation_blob{*platform, std::move((*parts)[0]), std::move((*parts)[1]), std::move((*parts)[2])};
  };
  auto blob = parse();
  return finish_parse(in, std::move(blob), structure);
}

parse_result<aik_creation_proof> parse_tpm20_id_binding(const key_attestation_statement& statement) {
  if (statement.platform != kast_platform::tpm20) {
    return fail("KeyAttestationStatement.Platform: " + std::to_string(statement.platform) +
                   " is not 2 (TPM 2.0), so the idBinding is no TPM 2.0 creation proof");
  }
  auto proof = parse_creation_proof(statement.id_binding);
  if (!proof) return fail("KeyAttestationStatement.idBinding: " + proof.error());
  return proof;
}

}  // namespace aikmock::protocol::wcce
