#include "tpm/attest.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "common/encoding.hpp"
#include "tpm/buffer_limits.hpp"
#include "tpm/public_area.hpp"

namespace aikmock::tpm {

namespace {

bool known_type(std::uint16_t type) {
  return type == st::attest_certify || type == st::attest_creation || type == st::attest_quote;
}

void write_attested(writer& out, const tpms_certify_info& info) {
  write_tpm2b_bounded(out, "TPMS_ATTEST", info.name, max_name_size, "attested.certify.name");
  write_tpm2b_bounded(out, "TPMS_ATTEST", info.qualified_name, max_name_size, "attested.certify.qualifiedName");
}

void write_attested(writer& out, const tpms_creation_info& info) {
  write_tpm2b_bounded(out, "TPMS_ATTEST", info.object_name, max_name_size, "attested.creation.objectName");
  write_tpm2b_bounded(out, "TPMS_ATTEST", info.creation_hash, max_digest_size, "attested.creation.creationHash");
}

void write_attested(writer& out, const tpms_quote_info& info) {
  write_pcr_selection(out, info.pcr_select);
  write_tpm2b_bounded(out, "TPMS_ATTEST", info.pcr_digest, max_digest_size, "attested.quote.pcrDigest");
}

std::optional<tpmu_attest> read_attested(reader& in, std::uint16_t type) {
  switch (type) {
    case st::attest_certify: {
      tpms_certify_info info;
      if (!read_tpm2b_into(in, "TPMS_ATTEST.attested.certify.name", max_name_size, info.name) ||
          !read_tpm2b_into(in, "TPMS_ATTEST.attested.certify.qualifiedName", max_name_size, info.qualified_name)) {
        return std::nullopt;
      }
      return info;
    }
    case st::attest_creation: {
      tpms_creation_info info;
      if (!read_tpm2b_into(in, "TPMS_ATTEST.attested.creation.objectName", max_name_size, info.object_name) ||
          !read_tpm2b_into(in, "TPMS_ATTEST.attested.creation.creationHash", max_digest_size, info.creation_hash)) {
        return std::nullopt;
      }
      return info;
    }
    case st::attest_quote: {
      tpms_quote_info info;
      auto selection = read_pcr_selection(in, "TPMS_ATTEST.attested.quote.pcrSelect");
      if (!selection) return std::nullopt;
      info.pcr_select = std::move(*selection);
      if (!read_tpm2b_into(in, "TPMS_ATTEST.attested.quote.pcrDigest", max_digest_size, info.pcr_digest)) {
        return std::nullopt;
      }
      return info;
    }
    default:
      // read_attest rejects unknown types before reading further.
      in.fail("TPMS_ATTEST.attested", "no layout for attestation type " + describe_attest_type(type));
      return std::nullopt;
  }
}

}  // namespace

std::uint16_t attest_type(const tpms_attest& attest) noexcept {
  return std::visit(
      [](const auto& info) -> std::uint16_t {
        using info_type = std::decay_t<decltype(info)>;
        if constexpr (std::is_same_v<info_type, tpms_certify_info>) return st::attest_certify;
        if constexpr (std::is_same_v<info_type, tpms_creation_info>) return st::attest_creation;
        if constexpr (std::is_same_v<info_type, tpms_quote_info>) return st::attest_quote;
      },
      attest.attested);
}

std::string_view attest_type_name(std::uint16_t type) noexcept {
  switch (type) {
    case st::attest_nv: return "NV";
    case st::attest_certify: return "CERTIFY";
    case st::attest_quote: return "QUOTE";
    case st::attest_time: return "TIME";
    case st::attest_creation: return "CREATION";
    default: return {};
  }
}

std::string describe_attest_type(std::uint16_t type) {
  std::string out = "0x" + to_hex(bytes{static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type)});
  if (auto name = attest_type_name(type); !name.empty()) out.append(" (").append(name).append(")");
  return out;
}

void write_attest(writer& out, const tpms_attest& attest) {
  out.u32(attest.magic).u16(attest_type(attest));
  write_tpm2b_bounded(out, "TPMS_ATTEST", attest.qualified_signer, max_name_size, "qualifiedSigner");
  write_tpm2b_bounded(out, "TPMS_ATTEST", attest.extra_data, max_data_size, "extraData");
  out.u64(attest.clock_info.clock)
      .u32(attest.clock_info.reset_count)
      .u32(attest.clock_info.restart_count)
      .u8(attest.clock_info.safe)
      .u64(attest.firmware_version);
  std::visit([&out](const auto& info) { write_attested(out, info); }, attest.attested);
}

bytes marshal_attest(const tpms_attest& attest) {
  writer out;
  write_attest(out, attest);
  return std::move(out).take();
}

bytes marshal_attest2b(const tpms_attest& attest) {
  writer out;
  out.tpm2b(marshal_attest(attest));
  return std::move(out).take();
}

std::optional<tpms_attest> read_attest(reader& in) {
  tpms_attest attest;
  auto magic = in.u32("TPMS_ATTEST.magic");
  auto type = in.u16("TPMS_ATTEST.type");
  if (!magic || !type) return std::nullopt;
  if (!known_type(*type)) {
    in.reject("TPMS_ATTEST.type", "unsupported attestation type " + describe_attest_type(*type));
    return std::nullopt;
  }
  attest.magic = *magic;
  if (!read_tpm2b_into(in, "TPMS_ATTEST.qualifiedSigner", max_name_size, attest.qualified_signer) ||
      !read_tpm2b_into(in, "TPMS_ATTEST.extraData", max_data_size, attest.extra_data)) {
    return std::nullopt;
  }
  auto clock = in.u64("TPMS_ATTEST.clockInfo.clock");
  auto reset_count = in.u32("TPMS_ATTEST.clockInfo.resetCount");
  auto restart_count = in.u32("TPMS_ATTEST.clockInfo.restartCount");
  auto safe = in.u8("TPMS_ATTEST.clockInfo.safe");
  auto firmware_version = in.u64("TPMS_ATTEST.firmwareVersion");
  if (!clock || !reset_count || !restart_count || !safe || !firmware_version) return std::nullopt;
  attest.clock_info = {*clock, *reset_count, *restart_count, *safe};
  attest.firmware_version = *firmware_version;
  auto attested = read_attested(in, *type);
  if (!attested) return std::nullopt;
  attest.attested = std::move(*attested);
  return attest;
}

std::optional<tpms_attest> read_attest2b(reader& in) {
  auto body = in.nested_tpm2b("TPM2B_ATTEST", max_attest_size);
  if (!body) return std::nullopt;
  auto attest = read_attest(*body);
  if (!in.close_nested(*body, "TPM2B_ATTEST")) return std::nullopt;
  return attest;
}

parse_result<tpms_attest> parse_attest(byte_view data) {
  reader in(data);
  auto attest = read_attest(in);
  if (attest) in.expect_end("TPMS_ATTEST");
  return finish_parse(in, std::move(attest), "TPMS_ATTEST");
}

parse_result<tpms_attest> parse_attest2b(byte_view data) {
  reader in(data);
  auto attest = read_attest2b(in);
  return finish_parse(in, std::move(attest), "TPM2B_ATTEST");
}

}  // namespace aikmock::tpm
